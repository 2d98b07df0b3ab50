"""Reports from recorded results: summary.json, report.md tables, PNG plots, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiform.errors import EvalError
from optiform.evals.report import command_line, render_markdown, summarize, write_report
from optiform.evals.scoring import score
from optiform.evals.store import ResultStore, record_key


def rec(item: str, strategy: str, status: str, objective, truth, *, tokens=100,
        seconds=1.0, disputed=False, repairs=0) -> dict:
    return {
        "key": record_key(item, strategy, "h"), "id": item, "dataset": "toy", "split": "test",
        "strategy": strategy, "config_hash": "h", "status": status, "objective": objective,
        "truth": truth, "disputed": disputed, **score(objective, truth, status),
        "repair_rounds": repairs, "prompt_tokens": tokens - 10, "completion_tokens": 10,
        "tokens": tokens, "wall_time": seconds, "trace_path": None, "error": None,
    }


RECORDS = [
    rec("toy:1", "standard", "optimal", 10.0, 10.0, tokens=100, seconds=2.0),
    rec("toy:2", "standard", "error", None, 5.0, tokens=200, seconds=4.0),
    rec("toy:3", "standard", "optimal", 7.5, 7.0, tokens=300, seconds=6.0, disputed=True),
    rec("toy:4", "standard", "no_code", None, None, tokens=400, seconds=8.0),
    rec("toy:1", "agent", "optimal", 10.0, 10.0, tokens=1000, seconds=10.0, repairs=1),
    rec("toy:2", "agent", "optimal", 5.0001, 5.0, tokens=1000, seconds=20.0),
    rec("toy:3", "agent", "optimal", 7.2, 7.0, tokens=1000, seconds=30.0, disputed=True),
    rec("toy:4", "agent", "infeasible", None, None, tokens=1000, seconds=40.0, repairs=3),
]

RUN_INFO = {
    "config": {"dataset": "toy", "split": "test", "limit": 4, "strategies": ["standard", "agent"],
               "workers": 1, "samples": None, "max_repairs": 2, "code_strategy": None,
               "backend": None, "model": None},
    "model": "fake-model", "created": "2026-01-01T00:00:00+00:00",
    "git": {"commit": "0123456789abcdef", "dirty": False},
    "dataset": {"name": "toy"},
}


def write_run(folder: Path, records: list[dict]) -> Path:
    store = ResultStore(folder)
    store.write_run(RUN_INFO)
    with store:
        for r in records:
            store.append(r)
    return folder


def test_summary_numbers():
    summary = summarize(RECORDS, [])
    (group,) = summary["groups"]
    std, agent = group["strategies"]["standard"], group["strategies"]["agent"]
    assert std["n"] == 4 and std["correct"] == {"1e-4": 1, "1e-6": 1, "rel5%": 1}
    assert agent["correct"] == {"1e-4": 3, "1e-6": 2, "rel5%": 4}
    assert agent["accuracy"]["1e-4"] == 0.75
    assert std["execution_rate"] == 0.5 and agent["execution_rate"] == 1.0
    assert std["status"] == {"optimal": 2, "error": 1, "no_code": 1}
    assert std["tokens"] == {"mean": 250.0, "median": 250.0}
    assert agent["seconds"] == {"mean": 25.0, "median": 25.0}
    assert agent["repair_rounds"]["mean"] == 1.0
    assert agent["items"] == ["toy:1", "toy:2", "toy:3", "toy:4"]
    assert len(agent["right_items"]) == 3 and std["right_items"] == ["toy:1"]
    assert std["n_undisputed"] == 3 and std["accuracy_undisputed"] == pytest.approx(1 / 3)
    diffs = {d["id"]: d for d in group["differences"]}
    assert sorted(diffs) == ["toy:2", "toy:4"]  # toy:1 both right, toy:3 both wrong
    assert diffs["toy:4"]["results"]["agent"]["correct"] is True


def test_markdown_tables():
    md = render_markdown(summarize(RECORDS, []), ["accuracy.png"])
    lines = md.splitlines()
    header = next(line for line in lines if line.startswith("| strategy | items"))
    assert "acc@1e-4" in header and "acc@1e-6" in header and "acc@rel5%" in header
    assert "executed" in header and "tokens/item" in header and "s/item" in header
    std_row = next(line for line in lines if line.startswith("| standard | 4 |"))
    assert "**25.0%** (1/4)" in std_row and "50.0%" in std_row and "250 / 250" in std_row
    agent_row = next(line for line in lines if line.startswith("| agent | 4 |"))
    assert "**75.0%** (3/4)" in agent_row and "100.0%" in agent_row and "25.0 / 25.0" in agent_row
    assert "| strategy | error | infeasible | no_code | optimal |" in md
    assert "| standard | 1 | 0 | 1 | 2 |" in md
    assert "Items whose correctness differs between strategies: 2" in md
    assert "| toy:2 | 5 | wrong: none (error) | ok: 5.0001 (optimal) |" in md
    assert "![accuracy](accuracy.png)" in md
    assert "Answers by the step" not in md  # these records do not say how answers were made


def test_answers_are_counted_by_the_step_that_made_them():
    sources = {"toy:1": "formulate", "toy:2": "plain", "toy:3": "repair", "toy:4": "plain"}
    records = [{**r, "source": sources[r["id"]] if r["strategy"] == "agent" else None,
                "fallback": r["strategy"] == "agent" and r["id"] in ("toy:2", "toy:3")}
               for r in RECORDS]
    (group,) = summarize(records, [])["groups"]
    agent, standard = group["strategies"]["agent"], group["strategies"]["standard"]
    assert agent["answer_sources"] == {"plain": 2, "formulate": 1, "repair": 1}
    assert agent["fallbacks"] == 2 and standard["answer_sources"] == {}
    md = render_markdown(summarize(records, []), [])
    assert "| strategy | formulate | repair | plain | fallback |" in md
    assert "| agent | 1 | 1 | 2 | 2 |" in md and "| standard | 0 | 0 | 0 | 0 |" in md


def test_paired_rows_against_the_first_strategy():
    (group,) = summarize(RECORDS, [])["groups"]
    # agent is right on toy:2 and toy:4 where standard is wrong, and wrong on none it has right
    assert group["paired"] == [{"strategy": "agent", "base": "standard", "shared": 4,
                                "wins": 2, "losses": 0, "p": 0.5}]
    assert group["sources"] == []  # every id names the same data set
    md = render_markdown(summarize(RECORDS, []))
    assert "Paired against `standard`" in md and "| agent | 4 | 2 | 0 | 0.50 |" in md
    assert "By the data set each item id names" not in md


def test_a_run_over_items_of_two_data_sets_is_also_counted_per_data_set():
    mixed = [
        *RECORDS,
        rec("other:1", "standard", "optimal", 3.0, 3.0),
        rec("other:1", "agent", "optimal", 4.0, 3.0),
        rec("other:2", "standard", "optimal", 1.0, 1.0),  # agent has not run other:2 yet
    ]
    (group,) = summarize(mixed, [])["groups"]
    assert group["paired"][0] | {"p": None} == {"strategy": "agent", "base": "standard",
                                                "shared": 5, "wins": 2, "losses": 1,
                                                "p": None}
    other, toy = group["sources"]
    assert other["source"] == "other" and toy["source"] == "toy"
    assert other["strategies"] == {"standard": {"n": 2, "right": 2},
                                   "agent": {"n": 1, "right": 0}}
    assert (other["paired"][0]["wins"], other["paired"][0]["losses"]) == (0, 1)
    assert other["paired"][0]["shared"] == 1
    assert toy["strategies"]["agent"] == {"n": 4, "right": 3}
    md = render_markdown(summarize(mixed, []))
    assert "| data set | standard | agent | won / lost against the first |" in md
    assert "| other | 2/2 | 0/1 | 0 / 1 (p 1.00) |" in md
    assert "| toy | 1/4 | 3/4 | 2 / 0 (p 0.50) |" in md


def test_one_strategy_has_no_paired_table():
    (group,) = summarize([r for r in RECORDS if r["strategy"] == "agent"], [])["groups"]
    assert group["paired"] == [] and group["sources"] == []
    assert "Paired against" not in render_markdown(summarize(RECORDS[4:], []))


def test_command_line_reproduces_the_run():
    assert command_line(RUN_INFO["config"]) == (
        "optiform eval run --dataset toy --limit 4 --strategy standard --strategy agent "
        "--max-repairs 2"
    )


def test_write_report_from_recorded_results(tmp_path):
    folder = write_run(tmp_path / "run", RECORDS)
    result = write_report([folder], folder)
    names = sorted(p.name for p in result["files"])
    assert names == ["accuracy.png", "report.md", "summary.json", "time_per_item.png",
                     "tokens_per_item.png"]
    for png in ("accuracy.png", "time_per_item.png", "tokens_per_item.png"):
        data = (folder / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["groups"][0]["strategies"]["agent"]["correct"]["1e-4"] == 3
    assert summary["runs"][0]["model"] == "fake-model"
    md = (folder / "report.md").read_text()
    assert "`optiform eval run --dataset toy" in md and "fake-model" in md
    assert "commit 0123456789" in md


def test_report_over_two_run_folders(tmp_path):
    one = write_run(tmp_path / "a", [r for r in RECORDS if r["strategy"] == "standard"])
    two = write_run(tmp_path / "b", [r for r in RECORDS if r["strategy"] == "agent"])
    result = write_report([one, two], tmp_path / "combined", plots=False)
    group = result["summary"]["groups"][0]
    assert list(group["strategies"]) == ["standard", "agent"]
    assert len(group["differences"]) == 2
    assert len(result["summary"]["runs"]) == 2


def test_records_the_dataset_left_out_are_a_warning(tmp_path):
    folder = write_run(tmp_path / "run", RECORDS)
    info = json.loads((folder / "run.json").read_text())
    info.setdefault("dataset", {})["skipped_records"] = ["toy.jsonl:7: t7: no answer field"]
    (folder / "run.json").write_text(json.dumps(info))
    result = write_report([folder], folder, plots=False)
    assert result["warnings"] == [f"{folder}: 1 record(s) of the dataset were left out, e.g. "
                                  "toy.jsonl:7: t7: no answer field"]
    assert write_report([write_run(tmp_path / "clean", RECORDS)], tmp_path / "c",
                        plots=False)["warnings"] == []


def test_report_of_empty_run_is_an_error(tmp_path):
    folder = write_run(tmp_path / "run", [])
    with pytest.raises(EvalError, match="no results"):
        write_report([folder], folder)
    with pytest.raises(EvalError, match=r"run\.json"):
        write_report([tmp_path / "nothing"], tmp_path)
    (folder / "run.json").write_text("[1, 2]")
    with pytest.raises(EvalError, match="not an eval run's record"):
        write_report([folder], folder)


# -- the CLI face --------------------------------------------------------------------------


def cli() -> typer.Typer:
    from optiform.commands import eval as eval_cmd

    app = typer.Typer()
    eval_cmd.register(app)

    @app.callback()
    def main() -> None:  # keeps `eval` a subcommand
        """test app"""

    return app


def test_cli_report_list_and_fetch(tmp_path, shared_dir, monkeypatch):
    folder = write_run(tmp_path / "run", RECORDS)
    runner = CliRunner(env={"COLUMNS": "200"})
    result = runner.invoke(cli(), ["eval", "report", str(folder), "--no-plots"])
    assert result.exit_code == 0, result.output
    assert "standard" in result.output and "75.0%" in result.output
    assert (folder / "report.md").is_file()

    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    result = runner.invoke(cli(), ["eval", "list"])
    assert result.exit_code == 0, result.output
    assert "optibench" in result.output and "test (403)" in result.output

    import urllib.error

    from optiform.evals import fetch as fetch_mod

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route")

    monkeypatch.setattr(fetch_mod.urllib.request, "urlopen", offline)
    result = runner.invoke(cli(), ["eval", "fetch", "nl4opt"])
    assert result.exit_code == 3  # the network, not the input
    assert "no network" in result.output


@pytest.mark.parametrize("width", [80, 100])
def test_eval_list_ends_no_line_in_a_space(shared_dir, monkeypatch, width: int) -> None:
    """The table's centred title 'data sets' was padded to the table's width."""
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    result = CliRunner(env={"COLUMNS": str(width)}).invoke(cli(), ["eval", "list"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].endswith(" data sets") and lines[0].startswith("    ")  # still centred
    assert all(line == line.rstrip() and len(line) <= width for line in lines), result.output


def test_cli_run_unknown_dataset_fails_cleanly(shared_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    result = CliRunner().invoke(cli(), ["eval", "run", "--dataset", "nope", "--strategy",
                                        "standard", "--backend", "fake", "--out",
                                        str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "unknown data set 'nope'" in result.output and "nl4opt" in result.output


def test_cli_report_of_several_folders_needs_out_and_counts_no_item_twice(tmp_path):
    a = write_run(tmp_path / "a", RECORDS)
    b = write_run(tmp_path / "b", RECORDS)
    runner = CliRunner(env={"COLUMNS": "200"})
    before = (a / "run.json").read_text()
    got = runner.invoke(cli(), ["eval", "report", str(a), str(b), "--no-plots"])
    assert got.exit_code == 2 and "needs --out" in got.output
    assert not (a / "report.md").exists() and (a / "run.json").read_text() == before
    got = runner.invoke(cli(), ["eval", "report", str(a), str(b), "--no-plots",
                                "--out", str(tmp_path / "pooled")])
    assert got.exit_code == 2 and "more than once" in " ".join(got.output.split())
    assert not (tmp_path / "pooled").exists()
    (tmp_path / "file").write_text("x")
    got = runner.invoke(cli(), ["eval", "report", str(a), "--out", str(tmp_path / "file")])
    assert got.exit_code == 2 and "is a file, not a folder" in " ".join(got.output.split())
    c = write_run(tmp_path / "c", RECORDS)
    got = runner.invoke(cli(), ["eval", "report", str(a), "--no-plots", "--out", str(c)])
    assert got.exit_code == 2 and "holds a run of its own" in " ".join(got.output.split())
    assert not (c / "report.md").exists()
    got = runner.invoke(cli(), ["eval", "report", str(a), "--no-plots", "--out", str(a)])
    assert got.exit_code == 0 and (a / "report.md").exists()  # its own folder, named


def test_cli_report_of_several_runs_does_not_write_into_one_of_them(tmp_path):
    one = write_run(tmp_path / "a", [r for r in RECORDS if r["strategy"] == "standard"])
    two = write_run(tmp_path / "b", [r for r in RECORDS if r["strategy"] == "agent"])
    runner = CliRunner(env={"COLUMNS": "200"})
    assert runner.invoke(cli(), ["eval", "report", str(one), "--no-plots"]).exit_code == 0
    own = {name: (one / name).read_text() for name in ("report.md", "summary.json")}
    for out in (one, two, tmp_path / "x" / ".." / "b"):  # either input, however it is spelt
        got = runner.invoke(cli(), ["eval", "report", str(one), str(two), "--no-plots",
                                    "--out", str(out)])
        said = " ".join(got.output.split())
        assert got.exit_code == 2 and "one of the 2 reported" in said, got.output
        assert "name a new folder" in said
    assert {name: (one / name).read_text() for name in own} == own
    assert not (two / "report.md").exists()
    got = runner.invoke(cli(), ["eval", "report", str(one), str(two), "--no-plots",
                                "--out", str(tmp_path / "pooled")])
    assert got.exit_code == 0 and (tmp_path / "pooled" / "report.md").exists()


def test_cli_run_refuses_a_misspelt_strategy_or_option_before_writing(shared_dir, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("OPTIFORM_SHARED", str(shared_dir))
    for strategy, error in (("agentx", "unknown strategy 'agentx'"),
                            ("agent:samples=abc", "invalid agent option samples=abc")):
        out = tmp_path / "o"
        got = CliRunner().invoke(cli(), ["eval", "run", "--dataset", "nl4opt", "--split",
                                         "test", "--limit", "1", "--strategy", strategy,
                                         "--backend", "fake", "--out", str(out)])
        assert got.exit_code == 2 and error in " ".join(got.output.split()), got.output
        assert "pydantic.dev" not in got.output
        assert not out.exists()  # the same --out works once the typo is fixed


def test_three_strategies_over_two_data_sets_name_what_the_pairs_compare():
    records = [rec(i, label, "optimal", 1.0 if ok else 2.0, 1.0)
               for i, label, ok in [("a:1", "x", True), ("a:1", "y", False), ("a:1", "z", True),
                                    ("b:1", "x", False), ("b:1", "y", True), ("b:1", "z", True)]]
    md = render_markdown(summarize(records, []))
    assert "| data set | x | y | z | won / lost of each later column against the first |" in md
    assert "| a | 1/1 | 0/1 | 1/1 | 0 / 1 (p 1.00), 0 / 0 (p 1.00) |" in md
    assert "| b | 0/1 | 1/1 | 1/1 | 1 / 0 (p 1.00), 1 / 0 (p 1.00) |" in md


def test_strategies_keep_the_order_the_run_gave_them_whatever_order_results_came_in(
        tmp_path):
    from optiform.evals.report import load_runs

    folder = write_run(tmp_path / "w2", list(reversed(RECORDS)))  # agent's rows finished first
    info = json.loads((folder / "run.json").read_text())  # as eval run writes it: labels
    info["strategies"] = [{"label": "standard"}, {"label": "agent"}]
    (folder / "run.json").write_text(json.dumps(info))
    records, runs = load_runs([folder])
    (group,) = summarize(records, runs)["groups"]
    assert list(group["strategies"]) == ["standard", "agent"]  # as --strategy gave them
    assert group["paired"][0]["base"] == "standard"
    from optiform.evals.report import _labels

    assert _labels({"dataset": "toy", "strategies": ["standard", "agent"],
                    "max_repairs": 2}) == ["standard", "agent:max_repairs=2"]


def _summary_lines(width: int) -> list[str]:
    from rich.console import Console

    from optiform.commands.eval import _print_summary

    def strategy(acc: float) -> dict:
        return {"n": 2, "accuracy": {"1e-4": acc, "1e-6": acc, "rel5%": acc},
                "execution_rate": 1.0, "seconds": {"mean": 3.9}, "tokens": {"mean": 1276}}

    summary = {"tolerances": ["1e-4", "1e-6", "rel5%"],
               "groups": [{"dataset": "nl4opt", "split": "test",
                           "strategies": {"agent": strategy(0.5),
                                          "agent:library=off,samples=1": strategy(0.25)}}]}
    console = Console(record=True, width=width)
    _print_summary(console, summary)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 100])
def test_the_summary_is_a_block_per_strategy_where_the_table_would_not_fit(width: int) -> None:
    lines = _summary_lines(width)
    assert all(len(line) <= width and line == line.rstrip() for line in lines)  # no padding
    text = "\n".join(lines)
    assert "…" not in text and "agent:library=off,samples=1  (2 items)" in lines
    assert "acc@rel5% 25.0%" in text and "tokens/item 1276" in text


def test_a_wide_terminal_keeps_the_summary_table() -> None:
    lines = _summary_lines(200)
    assert all(line == line.rstrip() for line in lines)  # the title: not padded
    assert any("┃ strategy" in line and "tokens/item" in line for line in lines)
    assert any("agent:library=off,samples=1 │" in line for line in lines)


def test_the_summary_is_a_table_exactly_where_it_fits() -> None:
    """terminal_layout.table_fits, the rule shared with `model settings` and `library search`:
    the table at the width it takes unfolded, a block per strategy one column short."""
    fits = max(len(line) for line in _summary_lines(1000) if line.startswith("┏"))
    assert 80 < fits < 1000
    for width in (fits - 1, fits, fits + 1):
        text = "\n".join(_summary_lines(width))
        assert ("┃ strategy" in text) == (width >= fits), width
        assert ("agent:library=off,samples=1  (2 items)" in text) == (width < fits), width


def _progress_lines(width: int, labels: list[str]) -> list[str]:
    import io

    from rich.console import Console

    from optiform.commands.eval import _Progress
    from optiform.evals.runner import RunEvent

    console = Console(record=True, width=width, file=io.StringIO())
    progress = _Progress(console)
    progress(RunEvent("start", total=200, done=0, accuracy={label: (0, 0) for label in labels}))
    progress(RunEvent("item", total=200, done=37, accuracy={label: (12, 19) for label in labels}))
    progress(RunEvent("done", total=200, done=200, accuracy={label: (63, 100) for label in labels}))
    lines = [line.rstrip() for line in console.export_text().splitlines() if line.strip()]
    assert all(len(line) <= width for line in lines)
    assert "…" not in "\n".join(lines)
    return lines


FIVE = ["agent", "agent:library=false", "agent:samples=3", "agent:library_path=lib.sqlite",
        "standard"]


@pytest.mark.parametrize(("labels", "below"), [
    (["agent", "agent:library=false"],
     ["     agent 63% (63/100) | agent:library=false 63% (63/100)"]),
    (FIVE, [f"     {label} 63% (63/100)" for label in FIVE]),  # too many for one line
])
def test_the_eval_bar_at_80_columns_puts_the_accuracy_under_it(labels: list[str],
                                                              below: list[str]) -> None:
    """One line of both squeezed 'eval' and the bar to 'ev… …' and cut the accuracy."""
    import re

    lines = _progress_lines(80, labels)
    assert re.fullmatch(r"eval ━{40} 200/200 \d:\d\d:\d\d eta 0:00:00", lines[0]), lines
    assert lines[1:] == below


def test_a_wide_eval_bar_keeps_the_accuracy_beside_it() -> None:
    labels = ["agent", "agent:library=false"]
    (line,) = _progress_lines(200, labels)
    assert line.startswith("eval " + "━" * 40 + " 200/200 ")
    assert line.endswith(" eta 0:00:00 agent 63% (63/100) | agent:library=false 63% (63/100)")
