"""Data set loaders: the shared normalized files, original-format fixtures, fetch."""

from __future__ import annotations

import functools
import http.server
import json
import threading
import urllib.error
from pathlib import Path

import pytest

from optiform.errors import EvalError
from optiform.evals import fetch as fetch_mod
from optiform.evals.datasets import benchmark_roots, known_datasets, load_dataset, load_file
from optiform.evals.formats import (
    detect_format,
    nl4opt_lp,
    optibench_objective,
    parse_nl4opt_number,
    to_item,
)

FIXTURES = Path(__file__).parent / "fixtures" / "evals"


@pytest.mark.parametrize(
    ("name", "split", "count"),
    [("nl4opt", "test", 64), ("nl4opt", "train", 149), ("nlp4lp", "test", 73),
     ("nlp4lp", "train", 169), ("optibench", "test", 403)],
)
def test_shared_benchmarks_load(shared_dir, monkeypatch, name, split, count):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    data = load_dataset(name, split)
    assert len(data) == count
    assert data.skipped == []
    assert data.name == name and data.split == split
    ids = [item.id for item in data.items]
    assert len(set(ids)) == count
    assert all(i.startswith(f"{name}:") for i in ids)
    assert all(item.question.strip() for item in data.items)
    assert all(item.answer is None or isinstance(item.answer, float) for item in data.items)


def test_shared_disputed_items_keep_their_alternatives(shared_dir, monkeypatch):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    data = load_dataset("nl4opt", "test")
    disputed = [i for i in data.items if i.disputed]
    assert len(disputed) == 6
    assert all(i.alt_answers for i in disputed)
    first = data.items[0]
    assert (first.id, first.answer) == ("nl4opt:F190", 12.0)


def test_limit_keeps_the_first_items(shared_dir, monkeypatch):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    full = load_dataset("optibench")
    head = load_dataset("optibench", limit=5)
    assert [i.id for i in head.items] == [i.id for i in full.items[:5]]
    with pytest.raises(EvalError):
        load_dataset("optibench", limit=0)


def test_skip_leaves_out_the_first_items(shared_dir, monkeypatch):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    full = load_dataset("optibench")
    held_out = load_dataset("optibench", skip=100, limit=5)
    assert [i.id for i in held_out.items] == [i.id for i in full.items[100:105]]
    assert [i.id for i in load_dataset("optibench", skip=len(full) - 2).items] == \
        [i.id for i in full.items[-2:]]
    with pytest.raises(EvalError, match="leaves no items") as err:
        load_dataset("optibench", skip=len(full))
    assert err.value.hint == f"use a --skip below {len(full)}"


def test_unknown_name_lists_known_ones(shared_dir, monkeypatch):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    with pytest.raises(EvalError) as err:
        load_dataset("nl5opt")
    assert "unknown data set 'nl5opt'" in err.value.message
    for name in ("nl4opt", "nlp4lp", "optibench"):
        assert name in err.value.hint


@pytest.mark.parametrize("spec", ["/tmp/no-such-items.jsonl", "data/items.json", "runs/items"])
def test_a_missing_file_is_named_as_a_path(shared_dir, monkeypatch, spec):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    with pytest.raises(EvalError) as err:
        load_dataset(spec)
    assert err.value.message == f"no data file at {spec}"
    assert "nl4opt" in err.value.hint


def test_missing_split_names_the_splits(shared_dir, monkeypatch):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    with pytest.raises(EvalError) as err:
        load_dataset("optibench", "train")
    assert "test" in err.value.hint


def test_configured_folder_comes_first(tmp_path, shared_dir, monkeypatch):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    mine = tmp_path / "bench" / "nl4opt"
    mine.mkdir(parents=True)
    (mine / "test.jsonl").write_text(
        json.dumps({"id": "own:1", "question": "Maximize x with x <= 1.", "answer": 1}) + "\n"
    )
    data = load_dataset("nl4opt", configured=tmp_path / "bench")
    assert [i.id for i in data.items] == ["own:1"]
    assert benchmark_roots(tmp_path / "bench")[0] == tmp_path / "bench"
    assert "nl4opt" in known_datasets(tmp_path / "bench")
    with pytest.raises(EvalError, match=r"names .*bnech, which is no folder"):
        load_dataset("nl4opt", configured=tmp_path / "bnech")  # not the shared nl4opt


def test_any_jsonl_path_and_folder(tmp_path):
    data = load_dataset(FIXTURES / "mini.jsonl")
    assert data.name == "mini"
    assert [(i.id, i.answer) for i in data.items] == [
        ("mini:1", 11.0), ("mini:2", 7.0), ("mini:3", None), ("mini:4", 12.5)]
    assert data.items[1].disputed and data.items[1].alt_answers == [8.0]
    assert data.items[3].meta == {"source": "handmade"}
    folder = tmp_path / "set"
    folder.mkdir()
    (folder / "dev.jsonl").write_text((FIXTURES / "mini.jsonl").read_text())
    assert len(load_dataset(folder, "dev")) == 4
    with pytest.raises(EvalError, match="no 'test' split"):
        load_dataset(folder, "test")


def test_nl4opt_original_format_computes_the_lp_optimum():
    data = load_dataset(FIXTURES / "nl4opt_original.jsonl")
    answers = {i.id: i.answer for i in data.items}
    # hand-solved: max 3m + 2s, 2m + s <= 100, m <= 40, m >= 0.3 (m + s) -> m = 300/13
    assert answers["nl4opt:b101"] == pytest.approx(2300 / 13)
    # min 4t + 3r, t + r >= 50, t >= 5, r >= 2t, t <= r -> (5, 45)
    assert answers["nl4opt:g202"] == pytest.approx(155.0)
    # objvar: min v + t, 10 v + 25 t >= 300, t <= 8 -> (10, 8)
    assert answers["nl4opt:v303"] == pytest.approx(18.0)
    assert data.items[0].question.startswith("A bakery bakes muffins")
    assert data.items[0].meta["answer_source"] == "lp from annotations"
    # the broken annotation is skipped with a reason, not fatal
    assert len(data.skipped) == 1 and "juice" in data.skipped[0]


def test_nl4opt_lp_rows_are_all_less_or_equal():
    record = json.loads((FIXTURES / "nl4opt_original.jsonl").read_text().splitlines()[1])
    c, rows, rhs, maximize = nl4opt_lp(record["g202"])
    assert (c, maximize) == ([4.0, 3.0], False)
    assert rows == [[-1.0, -1.0], [-1.0, -0.0], [2.0, -1.0], [1.0, -1.0]]
    assert rhs == [-50.0, -5.0, -0.0, 0.0]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1,200", 1200.0), ("$30", 30.0), ("70%", 0.7), ("twice", 2.0), ("0.5", 0.5), (4, 4.0)],
)
def test_nl4opt_numbers(text, value):
    assert parse_nl4opt_number(text) == pytest.approx(value)


def test_nl4opt_line_with_its_own_answer_uses_it():
    item = to_item({"x1": {"document": "Some text.", "answer": "42"}}, fallback_id="f")
    assert (item.id, item.answer, item.meta["answer_source"]) == ("nl4opt:x1", 42.0, "given")


def test_optibench_original_format_picks_the_objective():
    data = load_dataset(FIXTURES / "optibench_original.json")
    got = {i.id: (i.answer, i.meta["objective_label"]) for i in data.items}
    assert got == {
        "optibench:7": (540.0, "The maximum profit"),
        "optibench:8": (1234.5, "Minimum cost of feed"),
        "optibench:9": (2.0, "y"),  # no objective-like label: the last result
        "optibench:10": (None, "Result"),  # no numeric result: no optimum
    }
    assert optibench_objective({}) == (None, None)


def test_format_detection_and_bad_files(tmp_path):
    assert detect_format({"a": {"document": "x"}}) == "nl4opt"
    assert detect_format({"question": "q", "results": {}}) == "optibench"
    assert detect_format({"en_question": "q", "en_answer": 3}) == "normalized"
    with pytest.raises(EvalError, match="unknown format"):
        detect_format({"foo": 1, "bar": 2})
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"foo": 1}\n')
    with pytest.raises(EvalError, match="unknown format"):
        load_file(bad)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "a", "question": "q", "answer": 1}\n{"id": \n')
    with pytest.raises(EvalError, match=r"broken\.jsonl:2"):
        load_file(broken)
    dup = tmp_path / "dup.jsonl"
    dup.write_text('{"id": "a", "question": "q", "answer": 1}\n' * 2)
    with pytest.raises(EvalError, match="duplicate item id"):
        load_file(dup)
    unanswered = tmp_path / "unanswered.jsonl"  # would be scored wrong whatever was solved
    unanswered.write_text('{"id": "a", "question": "q", "answer": null}\n'
                          '{"id": "b", "question": "q"}\n')
    odd = tmp_path / "odd.jsonl"  # a truth that does not read is not "no optimum"
    odd.write_text('{"id": "a", "question": "q", "answer": "Infeasible"}\n'
                   '{"id": "b", "question": "q", "answer": "$1,200"}\n')
    read = load_file(odd)
    assert [(i.id, i.answer) for i in read.items] == [("a", None)]
    assert read.skipped == ["odd.jsonl:2: b: answer '$1,200' is not a number or null"]
    loaded = load_file(unanswered)  # left out and said so, as other unusable records
    assert [i.id for i in loaded.items] == ["a"] and loaded.items[0].answer is None
    assert loaded.skipped == ["unanswered.jsonl:2: b: no answer field"]


# -- fetch -------------------------------------------------------------------------------


def test_fetch_without_network_fails_clearly(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(fetch_mod.urllib.request, "urlopen", offline)
    with pytest.raises(EvalError) as err:
        fetch_mod.fetch_dataset("optibench", dest_root=tmp_path)
    assert "no network" in err.value.message
    assert str(tmp_path / "optibench") in err.value.hint
    assert not (tmp_path / "optibench" / "test.json").exists()


def test_fetch_unknown_name():
    with pytest.raises(EvalError, match="no download source") as err:
        fetch_mod.fetch_dataset("nope")
    assert "nl4opt" in err.value.hint


def test_fetch_downloads_and_the_loader_reads_it(tmp_path):
    served = tmp_path / "served"
    served.mkdir()
    (served / "e.json").write_text((FIXTURES / "optibench_original.json").read_text())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        sources = {"tiny": fetch_mod.Source("test", {"test": f"{base}/e.json"})}
        paths = fetch_mod.fetch_dataset("tiny", dest_root=tmp_path / "dl", sources=sources)
        assert paths == [tmp_path / "dl" / "tiny" / "test.json"]
        missing = {"tiny": fetch_mod.Source("test", {"test": f"{base}/missing.json"})}
        with pytest.raises(EvalError, match="HTTP 404") as failed:
            fetch_mod.fetch_dataset("tiny", dest_root=tmp_path / "dl2", sources=missing)
        assert failed.value.exit_code == 3  # the network or the server, not the input
    finally:
        server.shutdown()
        server.server_close()
    data = load_dataset("tiny", configured=tmp_path / "dl")
    assert len(data) == 4 and data.items[0].answer == 540.0


def test_a_jsonl_file_with_a_bom_reads_and_an_array_line_is_named(tmp_path):
    from optiform.evals.datasets import load_file

    line = json.dumps({"id": "a", "question": "Maximize x with x <= 3.", "answer": 3})
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes("\ufeff".encode() + line.encode() + b"\n")  # as spreadsheet tools save it
    assert [i.id for i in load_file(bom).items] == ["a"]
    arr = tmp_path / "arr.jsonl"
    arr.write_text("[1, 2]\n" + line + "\n")
    with pytest.raises(EvalError, match=r"arr\.jsonl:1: .*a JSON array, not an object"):
        load_file(arr)


def test_data_sets_under_the_data_home_are_found(tmp_path, monkeypatch):
    """``<data dir>/benchmarks`` follows data_home, as threads and the library do."""
    home = tmp_path / "home"
    (home / "benchmarks" / "mini").mkdir(parents=True)
    (home / "benchmarks" / "mini" / "test.jsonl").write_text(json.dumps(
        {"id": "m1", "question": "Maximize x with x <= 3.", "answer": 3}) + "\n")
    monkeypatch.setenv("OPTIFORM_DATA_HOME", str(home))
    assert (home / "benchmarks").resolve() in [r.resolve() for r in benchmark_roots()]
    assert "mini" in known_datasets()
