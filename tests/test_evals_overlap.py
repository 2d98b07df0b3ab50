"""Problems shared across splits and data sets: found, reported, and kept out of learning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from optiform.commands.train_items import train_items
from optiform.errors import EvalError
from optiform.evals import datasets
from optiform.evals.compare import Bar, held_out_bars, markdown_table, without
from optiform.evals.formats import Item
from optiform.evals.overlap import held_out, load_splits, normalize, parse_split, shared

A = "A bakery makes bread and cake. Bread earns $3, cake $5; at most 40 hours. Maximize profit."
B = "A farmer plants wheat and corn on 100 acres; wheat needs 2 hours an acre. Maximize yield."
C = "Ship boxes by truck or van; a truck holds 30, a van 10; send at least 200. Minimize trips."


def item(id_: str, text: str) -> Item:
    return Item(id=id_, question=text, answer=1.0)


def test_the_same_problem_is_found_whatever_its_case_spacing_and_punctuation() -> None:
    assert normalize("A  bakery, makes\nBREAD!") == normalize("a bakery makes bread")
    assert normalize("earns $3.50") == normalize("earns 3.50") != normalize("earns 3.5 0")
    mine = [item("x:1", A), item("x:2", B)]
    theirs = [item("y:9", "  " + A.upper().replace(",", " ,")), item("y:8", C)]
    assert shared(mine, theirs) == {"x:1": "y:9"}
    assert shared(mine, []) == {}


def test_held_out_drops_shared_items_and_names_where_they_are(tmp_path: Path) -> None:
    from optiform.evals.overlap import Split

    items = [item("t:1", A), item("t:2", B), item("t:3", C)]
    splits = [Split("t", "train", items, tmp_path / "t.jsonl"),
              Split("u", "test", [item("u:1", B)], tmp_path / "u.jsonl"),
              Split("v", "test", [item("v:1", C), item("v:2", B)], tmp_path / "v.jsonl")]
    kept, found = held_out(items, splits, own=tmp_path / "t.jsonl")
    assert [i.id for i in kept] == ["t:1"]
    assert found == {"u:test": ["t:2"], "v:test": ["t:2", "t:3"]}
    with pytest.raises(EvalError, match="does not name a split"):
        parse_split("nl4opt")


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Two data sets: ``alpha`` (train, test) and ``beta`` (test), beta's test holding two of
    alpha's train problems."""
    def write(path: Path, rows: list[tuple[str, str]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps({"id": i, "question": q, "answer": 1.0}) + "\n"
                                for i, q in rows))

    root = tmp_path / "bench"
    write(root / "alpha" / "train.jsonl", [("alpha:1", A), ("alpha:2", B), ("alpha:3", C),
                                           ("alpha:4", A.replace("40", "50"))])
    write(root / "alpha" / "test.jsonl", [("alpha:9", "Unrelated: minimize x + y, x >= 1.")])
    write(root / "beta" / "test.jsonl", [("beta:1", B.lower()), ("beta:2", C)])
    monkeypatch.setenv("OPTIFORM_BENCHMARKS_DIR", str(root))
    monkeypatch.setattr(datasets, "benchmark_roots", lambda configured=None: [root])
    return root


def test_learning_and_tuning_items_leave_out_test_problems(bench: Path) -> None:
    console = Console(record=True, width=200)
    items = train_items("alpha", "train", None, bench, keep_test_duplicates=False,
                        console=console)
    assert [i.id for i in items] == ["alpha:1", "alpha:4"]
    note = console.export_text()  # export_text empties the record
    assert "left out 2 of 4 items" in note and "beta:test 2" in note
    # the limit counts the items that are left
    assert [i.id for i in train_items("alpha", "train", 1, bench, keep_test_duplicates=False,
                                      console=console)] == ["alpha:1"]
    kept = train_items("alpha", "train", None, bench, keep_test_duplicates=True,
                       console=Console(record=True))
    assert len(kept) == 4
    assert {s.name for s in load_splits(bench, only="test")} == {"alpha:test", "beta:test"}


@pytest.mark.parametrize("width", [80, 100])
def test_the_note_of_test_items_left_out_goes_on_under_its_text(bench: Path,
                                                                width: int) -> None:
    """It went on at column 0, its rows ending in a space; now under the text after 'note: '
    (commands/answer_view.note_view)."""
    console = Console(record=True, width=width)
    train_items("alpha", "train", None, bench, keep_test_duplicates=False, console=console)
    rows = console.export_text().splitlines()
    assert len(rows) > 1 and rows[0].startswith("note: left out 2 of 4 items")
    assert all(len(row) <= width and row == row.rstrip() for row in rows), rows
    assert all(row.startswith(" " * 6) and row[6] != " " for row in rows[1:]), rows
    assert " ".join(" ".join(rows).split()) == (
        "note: left out 2 of 4 items that are test items word for word (beta:test 2); "
        "--keep-test-duplicates keeps them")


def test_a_split_given_by_path_is_not_compared_with_itself(bench: Path) -> None:
    console = Console(record=True, width=200)
    path = str(bench / "beta" / "test.jsonl")
    items = train_items(path, "test", None, bench, keep_test_duplicates=False, console=console)
    assert [i.id for i in items] == ["beta:1", "beta:2"]  # beta's test is not left out of itself


def test_nothing_left_and_an_unreadable_test_split_are_said(bench: Path) -> None:
    only = bench / "gamma" / "train.jsonl"
    only.parent.mkdir()
    only.write_text(json.dumps({"id": "g:1", "question": C, "answer": 1.0}) + "\n")
    with pytest.raises(EvalError, match="all 1 items of gamma:train are test items") as err:
        train_items("gamma", "train", None, bench, keep_test_duplicates=False,
                    console=Console(record=True))
    assert "--keep-test-duplicates" in (err.value.hint or "")
    (bench / "junk").mkdir()
    (bench / "junk" / "test.jsonl").write_text('{"what": 1}\n')
    console = Console(record=True, width=200)
    items = train_items("alpha", "train", None, bench, keep_test_duplicates=False,
                        console=console)
    assert [i.id for i in items] == ["alpha:1", "alpha:4"]
    assert "could not compare with the test split junk:test" in console.export_text()


@pytest.mark.parametrize("width", [80, 100])
def test_an_unreadable_test_split_is_warned_under_its_text(bench: Path, width: int) -> None:
    """'warning: could not compare with the test split …' went on at column 0; now under the
    text after 'warning: ' (commands/answer_view.warning_view)."""
    (bench / "junk").mkdir()
    (bench / "junk" / "test.jsonl").write_text('{"what": 1}\n')
    console = Console(record=True, width=width)
    train_items("alpha", "train", None, bench, keep_test_duplicates=False, console=console)
    rows = console.export_text().splitlines()
    at = next(i for i, row in enumerate(rows) if row.startswith("warning: "))
    end = next(i for i, row in enumerate(rows) if row.startswith("note: "))
    warning = rows[at:end]
    assert len(warning) > 1 and all(len(row) <= width and row == row.rstrip()
                                    for row in warning), warning
    assert all(row.startswith(" " * 9) and row[9] != " " for row in warning[1:]), warning
    said = " ".join(row.strip() for row in warning)
    assert said.startswith("warning: could not compare with the test split junk:test (")
    assert said.endswith("); its problems are not left out")


def test_eval_overlap_prints_what_each_split_shares(bench: Path) -> None:
    from optiform.commands import eval as eval_cmd

    app = typer.Typer()
    eval_cmd.register(app)

    @app.callback()
    def main() -> None:  # keeps `eval` a subcommand
        """test app"""

    result = CliRunner().invoke(app, ["eval", "overlap", "--dataset", "beta", "--ids"])
    assert result.exit_code == 0, result.output
    assert all(line == line.rstrip() for line in result.output.splitlines())  # the title
    assert "alpha:train" in result.output and "beta:1=alpha:2" in result.output
    assert "alpha:train: beta:1=alpha:2" in result.output  # not ":train:" as an emoji
    assert "beta:2=alpha:3" in result.output
    by_path = CliRunner().invoke(app, ["eval", "overlap", "--dataset",
                                       str(bench / "beta" / "test.jsonl")])
    assert by_path.exit_code == 0 and "beta:test" not in by_path.output.split("problems")[1]
    bad = CliRunner().invoke(app, ["eval", "overlap", "--dataset", "beta", "--against", "x"])
    assert bad.exit_code == 2 and "does not name a split" in bad.output


def bar(label: str, right: set[int], n: int = 6, panel: str = "p") -> Bar:
    return Bar(panel=panel, label=label, accuracy=len(right) / n, executed=1.0,
               right=len(right), n=n, commit="c", source="s",
               items=frozenset(f"i{k}" for k in range(n)),
               right_items=frozenset(f"i{k}" for k in right), dataset="toy", split="test")


def test_a_comparison_counts_each_bar_without_the_shared_items() -> None:
    base, other = bar("(a)", {0, 1, 2}), bar("(b)", {0, 3, 4, 5})
    leave = frozenset({"i3", "i4"})
    cut = without(other, leave)
    assert cut is not None and (cut.right, cut.n) == (2, 4)
    unlisted = Bar(panel="q", label="old", accuracy=0.5, executed=1.0, right=1, n=2,
                   commit="c", source="s", dataset="toy", split="test")
    assert without(unlisted, leave) is None
    assert without(unlisted, frozenset()) is unlisted  # nothing to leave out
    assert without(base, frozenset({"i9"})) is base  # nothing of it left out: its figures stand
    rows, dropped = held_out_bars([base, other, unlisted], {("toy", "test"): leave})
    assert dropped == [unlisted]
    assert [(b.label, b.right, b.n) for b in rows] == [("(a)", 3, 4), ("(b)", 2, 4)]
    table = markdown_table(rows)
    assert "| p | (b) | 50.0% (2/4) | -25.0 | +1 / -2 of 4 |" in table
    assert table.rstrip().endswith("| n/a | c |")


def test_an_eval_run_held_out_from_a_train_split_runs_only_the_other_items(
        bench: Path, tmp_path: Path) -> None:
    from optiform.agent.fake import FakeLLM
    from optiform.config import load_settings
    from optiform.evals.report import command_line
    from optiform.evals.runner import RunConfig, resume_run, start_run
    from optiform.evals.store import load_results
    from optiform.evals.strategy import ItemOutcome

    class One:
        def __init__(self, spec: object, ctx: object) -> None:
            pass

        def solve(self, item: Item) -> ItemOutcome:
            return ItemOutcome(status="optimal", objective=1.0)

    kw = {"llm": FakeLLM(), "settings": load_settings(backend="fake"),
          "factories": {"one": One}}
    config = RunConfig(dataset="beta", strategies=["one"], held_out_from=["alpha:train"])
    with pytest.raises(EvalError, match="every item of beta"):  # both are alpha's problems
        start_run(config, tmp_path / "none", **kw)
    with (bench / "beta" / "test.jsonl").open("a") as handle:
        handle.write(json.dumps({"id": "beta:3", "question": "A mine ships ore.",
                                 "answer": 1.0}) + "\n")
    out = tmp_path / "run"
    events: list = []
    assert start_run(config, out, on_event=events.append, **kw).ran == 1
    assert (events[0].held_out, events[0].held_out_items, events[0].items) == (
        {"alpha:train": 2}, 2, 1)  # what `eval run` prints before its progress bar
    assert [r["id"] for r in load_results(out / "results.jsonl")] == ["beta:3"]
    info = json.loads((out / "run.json").read_text())
    assert info["dataset"]["held_out_from"] == {"alpha:train": ["beta:1", "beta:2"]}
    assert command_line(info["config"]).endswith("--held-out-from alpha:train")
    # resume leaves out the same items, by the ids recorded when the run started
    assert resume_run(out, **kw).ran == 0


def test_bars_on_different_items_are_not_paired() -> None:
    from dataclasses import replace

    from optiform.evals.compare import markdown_table

    base = bar("(a)", {0, 1})
    other = replace(bar("(b)", {0}), items=frozenset({"j1", "j2"}),
                    right_items=frozenset({"j1"}))
    row = markdown_table([base, other]).splitlines()[-1]
    assert "no item in common | n/a" in row and "of 0" not in row
