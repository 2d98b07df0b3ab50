"""`optiform library ...` through typer's CliRunner (keyword retrieval, scripted learning)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner

from optiform.agent.fake import FakeLLM
from optiform.commands import library, library_jobs
from optiform.library.authoring import SolveOutcome
from optiform.library.store import InsightStore, seed_insights

runner = CliRunner()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("OPTIFORM_LIBRARY_RETRIEVAL", "keyword")
    monkeypatch.setenv("COLUMNS", "200")
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """optiform"""

    library.register(app)
    return app


def run(app: typer.Typer, *args: str) -> str:
    result = runner.invoke(app, ["library", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_list_tree_and_table(app: typer.Typer) -> None:
    out = run(app, "list")
    assert f"library ({len(seed_insights())} insights; counts: +helped -misled ?missed " \
           "~irrelevant)" in out
    assert "linearization" in out and "minimize-the-maximum" in out
    # the id is given where it is not the label, for `show` and `edit`
    assert "at-least-at-most-direction (id at-least-at-most, v1)" in out
    assert "minimum-nutrient (v1)" in out and "(id minimum-nutrient" not in out
    table = run(app, "list", "--table", "--category", "objective")
    assert "objective-sense" in table and "min-max" not in table


def test_show_and_unknown_id(app: typer.Typer) -> None:
    out = run(app, "show", "fixed-cost-big-m")
    assert "applies when" in out and "var y[I]: binary" in out
    bad = runner.invoke(app, ["library", "show", "fixed-cost-big"])
    assert bad.exit_code == 2 and "did you mean 'fixed-cost-big-m'" in bad.output


def test_search_ranks_relevant_seed_first(app: typer.Typer) -> None:
    out = run(app, "search", "The diet must contain at least 30 grams of protein and 2200 "
                             "calories from each food's nutrients.", "-k", "2")
    assert "keyword" in out
    rows = [line for line in out.splitlines() if "│" in line and "0." in line]
    assert "minimum-nutrient" in rows[0]


def test_disable_enable(app: typer.Typer) -> None:
    assert run(app, "disable", "min-max", "max-min", "min-max").count("min-max: disabled") == 1
    assert "min-max" in run(app, "list", "--status", "disabled", "--table")
    assert "min-max" not in run(app, "list", "--status", "active", "--table")
    run(app, "enable", "min-max")
    assert "min-max" not in run(app, "list", "--status", "disabled", "--table")
    bad = runner.invoke(app, ["library", "disable", "nope"])
    assert bad.exit_code == 2 and "no insight" in bad.output


def test_edit_with_options_keeps_history(app: typer.Typer) -> None:
    out = run(app, "edit", "min-max", "--not-applies-when", "the goal is a total or a sum",
              "--reason", "too eager")
    assert "version 2" in out
    shown = run(app, "show", "min-max")
    assert "history" in shown and "too eager" in shown
    assert "replaced because" in shown  # the reason belongs to the version it replaced
    assert "the goal is a total or a sum" in shown


def test_edit_in_editor(app: typer.Typer, monkeypatch: pytest.MonkeyPatch,
                        tmp_path: Path) -> None:
    script = tmp_path / "ed.py"  # an editor that sets the explanation (or writes what it got)
    script.write_text("import json, sys\n"
                      "path, text = sys.argv[-1], sys.argv[1]\n"
                      "data = json.load(open(path))\n"
                      "data['explanation'] = text\n"
                      "open(path, 'w').write(json.dumps(data) if text != 'BROKEN' else '{oops')\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script} 'Edited in the editor.'")
    run(app, "edit", "max-min")
    assert "Edited in the editor." in run(app, "show", "max-min")
    monkeypatch.setenv("VISUAL", "true")  # saved unchanged
    assert "no change" in run(app, "edit", "max-min")

    monkeypatch.setenv("VISUAL", f"{sys.executable} {script} BROKEN")
    broken = runner.invoke(app, ["library", "edit", "max-min"])
    assert broken.exit_code == 2 and "not a JSON object" in broken.output
    kept = re.search(r"your text is in (\S+)", broken.output.replace("\n", " "))
    assert kept and Path(kept.group(1)).read_text() == "{oops"  # the edit is not lost
    Path(kept.group(1)).unlink()

    monkeypatch.setenv("VISUAL", "/no/such/editor")
    missing = runner.invoke(app, ["library", "edit", "max-min"])
    assert missing.exit_code == 2 and "cannot start the editor '/no/such/editor'" in \
        missing.output
    assert "Edited in the editor." in run(app, "show", "max-min")


def test_an_edit_that_lost_a_race_is_kept(app: typer.Typer, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from optiform.library.store import default_store_path

    run(app, "show", "max-min")  # the library exists
    script = tmp_path / "ed.py"  # while the editor is open, someone disables the insight
    script.write_text("import json, sqlite3, sys\n"
                      "db = sqlite3.connect(sys.argv[1])\n"
                      "db.execute(\"UPDATE insights SET version = version + 1 "
                      "WHERE id = 'max-min'\")\n"
                      "db.commit()\n"
                      "data = json.load(open(sys.argv[-1]))\n"
                      "data['explanation'] = 'My careful rewording.'\n"
                      "open(sys.argv[-1], 'w').write(json.dumps(data))\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script} {default_store_path()}")
    out = runner.invoke(app, ["library", "edit", "max-min"])
    assert out.exit_code != 0 and "changed meanwhile" in out.output
    kept = re.search(r"your text is in (\S+)", out.output.replace("\n", " "))
    assert kept and "My careful rewording." in Path(kept.group(1)).read_text()
    Path(kept.group(1)).unlink()
    assert "My careful rewording." not in run(app, "show", "max-min")


@pytest.mark.parametrize(("edit", "error"), [
    ('{"taxonomy": 5}', "taxonomy must be text, not int"),
    ('{"explanaton": "typo"}', "'explanaton' is not a field of an insight"),
    ('{"wrong": "  "}', "wrong must not be blank")])
def test_an_unusable_edit_in_the_editor_is_named_and_kept(app: typer.Typer, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          edit: str, error: str) -> None:
    script = tmp_path / "ed.py"
    script.write_text("import sys\nopen(sys.argv[-1], 'w').write(sys.argv[1])\n")
    monkeypatch.setenv("VISUAL", f"{sys.executable} {script} '{edit}'")
    out = runner.invoke(app, ["library", "edit", "max-min"])
    assert out.exit_code == 2 and error in out.output
    kept = re.search(r"your text is in (\S+)", out.output.replace("\n", " "))
    assert kept and Path(kept.group(1)).read_text() == edit
    Path(kept.group(1)).unlink()
    assert "version 2" not in run(app, "show", "max-min")


@pytest.mark.parametrize("value", ["   ", ""])
def test_a_blank_condition_is_refused_by_name(app: typer.Typer, value: str) -> None:
    out = runner.invoke(app, ["library", "edit", "min-max", "--applies-when", value])
    assert out.exit_code == 2 and "applies_when" in out.output
    assert "pydantic.dev" not in out.output and "version 2" not in run(app, "show", "min-max")


def test_a_misspelt_path_is_not_a_fresh_library(app: typer.Typer, tmp_path: Path) -> None:
    typo = tmp_path / "no" / "such" / "lib.sqlite"
    for command in (["list"], ["show", "min-max"], ["stats"], ["search", "ratio"]):
        out = runner.invoke(app, ["library", "--path", str(typo), *command])
        assert out.exit_code == 2 and f"no library at {typo}" in out.output.replace("\n", "")
    assert not (tmp_path / "no").exists()


def test_a_misspelt_library_path_setting_is_not_a_fresh_library(
        app: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typo = tmp_path / "libary.sqlite"
    monkeypatch.setenv("OPTIFORM_LIBRARY_PATH", str(typo))
    out = runner.invoke(app, ["library", "list"])
    assert out.exit_code == 2 and "the library_path setting" in out.output
    assert not typo.exists()


def test_an_empty_search_is_refused(app: typer.Typer) -> None:
    out = runner.invoke(app, ["library", "search", "  "])
    assert out.exit_code == 2 and "the search text is empty" in out.output


def test_search_thresholds_span_the_scores_and_an_empty_library_is_named(
        app: typer.Typer, tmp_path: Path) -> None:
    assert "threshold 1.20" in run(app, "search", "at least 3 trucks", "--threshold", "1.2")
    bad = runner.invoke(app, ["library", "search", "x y", "--threshold", "1.6"])
    assert bad.exit_code == 2 and "from 0 to 1.5" in bad.output
    empty = tmp_path / "empty.json"
    empty.write_text('{"format": "optiform-library", "format_version": 2, "insights": [], '
                     '"usage": []}')
    run(app, "--path", str(tmp_path / "empty.sqlite"), "import", str(empty))
    out = run(app, "--path", str(tmp_path / "empty.sqlite"), "search", "at least 3 trucks")
    assert "holds no active insight" in out and "lower --threshold" not in out


def test_export_import_round_trip(app: typer.Typer, tmp_path: Path) -> None:
    run(app, "disable", "min-max")
    dest = tmp_path / "lib.json"
    assert f"exported {len(seed_insights())}" in run(app, "export", str(dest))
    data = json.loads(dest.read_text())
    other = tmp_path / "other.sqlite"
    out = run(app, "--path", str(other), "import", str(dest), "--replace")
    assert f"({len(seed_insights())} new, 0 updated)" in out
    with InsightStore(other) as s:
        assert s.export_data() == data
    stdout = run(app, "export", "-")
    assert json.loads(stdout) == data


def test_an_import_into_a_new_library_is_the_export_and_a_bad_file_makes_none(
        app: typer.Typer, tmp_path: Path) -> None:
    mine = tmp_path / "mine.json"
    run(app, "export", str(mine))
    data = json.loads(mine.read_text())
    data["insights"] = data["insights"][:1]
    data["usage"] = []
    mine.write_text(json.dumps(data))
    new = tmp_path / "new.sqlite"
    assert "(1 new, 0 updated)" in run(app, "--path", str(new), "import", str(mine))
    with InsightStore(new) as s:  # no seed beside it, then or later
        assert [i.id for i in s.insights()] == [data["insights"][0]["id"]]
    typo = tmp_path / "typo.sqlite"
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps({**data, "insights": data["insights"] * 2}))
    for bad in (tmp_path / "missing.json", dup):
        out = runner.invoke(app, ["library", "--path", str(typo), "import", str(bad)])
        assert out.exit_code == 2 and "error:" in out.output
        assert not typo.exists()  # checked before the library is made


def test_seed_adds_the_seed_insights_an_older_library_lacks(app: typer.Typer,
                                                             tmp_path: Path) -> None:
    """A library made from an older seed (here: an export without two seed insights) is
    told of the seed's newer insights by `stats`, and `seed` adds them, leaving the insights
    it holds as they are (a disabled one stays disabled)."""
    mine = tmp_path / "mine.json"
    run(app, "export", str(mine))
    data = json.loads(mine.read_text())
    left_out = {d["id"] for d in data["insights"][:2]}
    gone = [i.id for i in seed_insights() if i.id in left_out]  # in the seed's order
    data["insights"] = data["insights"][2:]
    data["usage"] = []
    mine.write_text(json.dumps(data))
    old = tmp_path / "old.sqlite"
    run(app, "--path", str(old), "import", str(mine))
    kept = data["insights"][0]["id"]
    run(app, "--path", str(old), "disable", kept)
    out = run(app, "--path", str(old), "stats")
    assert f"2 seed insights of this optiform are not in the library ({', '.join(gone)})" \
        in " ".join(out.split())
    assert f"added 2 seed insights: {', '.join(gone)}" in run(app, "--path", str(old), "seed")
    with InsightStore(old, seed=False) as s:
        assert {i.id for i in s.insights()} == {i.id for i in seed_insights()}
        assert s.find(kept).status == "disabled"
    assert "the library has them all" in run(app, "--path", str(old), "seed")
    assert "not in the library" not in run(app, "--path", str(old), "stats")


def test_an_old_export_does_not_roll_edits_back(app: typer.Typer, tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    run(app, "export", str(old))
    run(app, "edit", "max-min", "--explanation", "Sharper.", "--reason", "clearer")
    out = run(app, "import", str(old))
    assert "kept 1 as they are" in out and "max-min" in out
    assert "Sharper." in run(app, "show", "max-min")


def test_export_refuses_to_overwrite_the_library(app: typer.Typer) -> None:
    from optiform.library.store import default_store_path

    run(app, "list")
    out = runner.invoke(app, ["library", "export", str(default_store_path())])
    assert out.exit_code == 2 and "is the library itself" in out.output.replace("\n", " ")
    assert "max-min" in run(app, "show", "max-min")


def test_disable_is_all_or_nothing_and_knows_labels(app: typer.Typer) -> None:
    out = runner.invoke(app, ["library", "disable", "max-min", "nope", "min-max"])
    assert out.exit_code == 2 and "none of the 3 was disabled" in out.output
    assert "max-min" not in run(app, "list", "--table", "--status", "disabled")
    out = runner.invoke(app, ["library", "disable", "assign-each-once"])  # the tree's label
    assert out.exit_code == 2 and "did you mean 'assignment-exactly-once'" in out.output


@pytest.mark.parametrize(("args", "error"), [
    (["list", "--category", "nope"], "no insight in category 'nope'"),
    (["search", "ratio of acres", "--threshold", "nan"], "--threshold must be a score"),
    (["edit", "min-max", "--explanation", "x", "--reason", " "], "--reason must not be blank"),
])
def test_bad_options_are_named(app: typer.Typer, args: list[str], error: str) -> None:
    out = runner.invoke(app, ["library", *args])
    assert out.exit_code == 2 and error in out.output.replace("\n", " "), out.output
    assert not isinstance(out.exception, (ValueError, TypeError))


def test_an_editor_variable_with_an_open_quote_is_named(app: typer.Typer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", "sed -i '/x/s/a/b/")
    out = runner.invoke(app, ["library", "edit", "max-min"])
    assert out.exit_code == 2 and "cannot read $VISUAL" in out.output


def test_history_names_what_each_version_changed(app: typer.Typer) -> None:
    run(app, "edit", "max-min", "--explanation", "Sharper.", "--reason", "clearer")
    run(app, "disable", "max-min")
    shown = run(app, "show", "max-min")
    assert "what the next version changed" in shown
    assert "why: Replace min()" in shown  # the explanation before the edit
    row = next(line for line in shown.splitlines() if "status set to disabled" in line)
    assert row.rstrip(" │").endswith("-")  # a change of status only


def test_stats(app: typer.Typer) -> None:
    run(app, "disable", "min-max")
    out = run(app, "stats")
    rows = {tuple(line.split()[:2]): line.split()[2:] for line in out.splitlines()
            if len(line.split()) == 8}
    assert rows[("general", "linearization")][:2] == ["5", "1"]
    total = next(line.split() for line in out.splitlines() if line.split()[:1] == ["total"])
    assert total == ["total", str(len(seed_insights()) - 1), "1", "0", "0", "0", "0"]
    assert "counts: +helped -misled ?missed ~irrelevant" in out


def padded(out: str) -> list[str]:
    """The lines of ``out`` that end in a space, which a copy or a pipe would carry."""
    return [line for line in out.splitlines() if line != line.rstrip()]


@pytest.mark.parametrize("width", [80, 100])
@pytest.mark.parametrize("command", [["stats"], ["list"], ["list", "--table"],
                                     ["search", "zebra quantum"]])
def test_no_line_ends_in_a_space(app: typer.Typer, monkeypatch: pytest.MonkeyPatch,
                                 width: int, command: list[str]) -> None:
    """rich pads a table's title and caption to its width, the borderless stats table's rows
    and blank section rows too (23 spaces a row), and the tree's wrapped rows keep the space
    they broke at ('... +0 ')."""
    monkeypatch.setenv("COLUMNS", str(width))
    out = run(app, *command)
    assert padded(out) == [] and all(len(line) <= width for line in out.splitlines())
    if command == ["stats"]:
        title = out.splitlines()[0]
        assert title.endswith(" library statistics") and title.startswith("    ")  # centred
    if command == ["list"] and width == 80:  # a row too long for the terminal wraps
        assert any(line.endswith(" +0") for line in out.splitlines())


LEARN_ITEMS = [SimpleNamespace(id="ok", question="A farmer plants wheat on land.", answer=1.0),
               SimpleNamespace(id="oven", question="A bakery oven is available for 40 hours "
                                                   "a week for bread.", answer=2.0)]


def oven_proposer() -> FakeLLM:
    return FakeLLM([{"diagnosis": "used ==", "category": "constraints", "label": "oven-hours",
                     "applies_when": "a bakery oven is available for hours a week",
                     "explanation": "Oven hours cap production. FIX", "wrong": "b == 40",
                     "right": "b <= 40"}])


def test_learn_and_evolve_commands_with_scripted_agent(app: typer.Typer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    items, llm = LEARN_ITEMS, oven_proposer()
    sampled: list[int] = []

    def scripted(settings: object, llm_: object, k: int):
        def solve(item: SimpleNamespace, insights: list) -> SolveOutcome:
            ok = item.id == "ok" or any("FIX" in i.explanation for i in insights)
            return SolveOutcome(correct=ok, status="optimal", objective=1.0)

        def sample(item: SimpleNamespace, insights: list, seed: int) -> SolveOutcome:
            sampled.append(seed)
            return SolveOutcome(correct=False, status="optimal", objective=0.0)
        solve.sample = sample  # type: ignore[attr-defined]
        return solve

    from optiform.config import load_settings

    monkeypatch.setattr(library_jobs, "_setup",
                        lambda dataset, split, limit, *_: (load_settings(), items[:limit], llm))
    monkeypatch.setattr(library_jobs, "AgentSolver", scripted)
    out = run(app, "learn", "--dataset", "toy", "--limit", "2", "--search", "2")
    assert "learned" in out and "new insights: oven-hours-" in out
    assert padded(out) == []  # the learning table's title
    assert sampled == [1, 2]  # the failed item was sampled twice before the proposal
    assert "learn 1/2 ok: correct" in out and "learn 2/2 oven: learned (oven-hours-" in out
    again = run(app, "learn", "--dataset", "toy", "--limit", "2", "--no-blame")  # resumed
    assert "new insights" not in again and "2 items were done by an earlier run" in again
    assert "learn 1/2 ok: correct [resumed]" in again
    assert "oven-hours" in run(app, "list")
    assert "no insight misled or was missed yet" in run(app, "evolve", "--dataset", "toy",
                                                        "--limit", "2", "--margin", "3")
    verified = run(app, "verify", "--dataset", "toy", "--limit", "2")
    assert "verification" in verified and ": kept (won 1, lost 0 of 1 replayed)" in verified
    assert padded(verified) == []
    assert "warning: verifying on the 'test' split" in run(app, "verify", "--dataset", "toy",
                                                           "--split", "test", "--limit", "2")


def test_trace_text_summarizes_an_answer() -> None:
    step = SimpleNamespace(formulation={"name": "m"}, checks=[{"message": "x is integer"}])
    answer = SimpleNamespace(status=SimpleNamespace(value="optimal"), objective=3.0,
                             formulation=None, trace=SimpleNamespace(steps=[step]), error=None,
                             message=None)
    text = library_jobs.trace_text(answer)
    assert "status: optimal" in text and '"name":"m"' in text and "x is integer" in text


SHOP = ("A shop makes chairs and tables. A chair earns $30 profit and takes 2 hours of labor; a "
        "table earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 "
        "tables can be sold. How many of each should it make to maximize profit?")
SHOP_MODEL = {"variables": [{"name": "chairs", "domain": "integer"},
                            {"name": "tables", "domain": "integer"}],
              "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
              "constraints": [{"name": "labor", "expression": "2*chairs + 5*tables <= 40"},
                              {"name": "sales", "expression": "tables <= 6"}]}


def test_agent_solver_shows_exactly_the_given_insights_to_the_real_agent() -> None:
    from optiform.config import load_settings

    llm = FakeLLM(default=SHOP_MODEL)
    solve = library_jobs.AgentSolver(load_settings(library=False, top_k=0, seed=5), llm, k=4)
    hint = seed_insights()[0]
    right = solve(SimpleNamespace(id="shop", question=SHOP, answer=600.0), [hint])
    assert right.correct and right.status == "optimal" and right.objective == 600.0
    assert "formulation:" in right.trace and "2*chairs + 5*tables <= 40" in right.trace
    prompts = " ".join(m.content for r in llm.requests for m in r["messages"])
    assert hint.example.right in prompts
    assert {r["temperature"] for r in llm.requests} == {0.0}
    n = len(llm.requests)
    sampled = solve.sample(SimpleNamespace(id="shop", question=SHOP, answer=600.0), [hint], 2)
    assert sampled.correct
    assert (llm.requests[n]["temperature"], llm.requests[n]["seed"]) == (0.7, 5 + 20_000)
    n = len(llm.requests)
    wrong = solve(SimpleNamespace(id="shop", question=SHOP, answer=650.0), [])
    assert not wrong.correct
    assert hint.example.right not in " ".join(
        m.content for r in llm.requests[n:] for m in r["messages"])


def _recorded_run(tmp_path: Path) -> Path:
    from optiform.agent.state import Trace, TraceStep

    run_dir = tmp_path / "run"
    (run_dir / "traces" / "agent").mkdir(parents=True)
    model = {"variables": [{"name": "b", "domain": "integer"}],
             "objective": {"sense": "maximize", "expression": "b"},
             "constraints": [{"name": "oven", "expression": "b == 40"}]}
    later = {**model, "constraints": [{"name": "oven", "expression": "b == 41"}]}
    Trace(steps=[
        TraceStep(node="formulate", kind="llm", attempt=0, formulation=model),
        TraceStep(node="solve", kind="solve", attempt=0,
                  result={"status": "optimal", "objective": 40.0}),
        TraceStep(node="repair", kind="llm", attempt=1, formulation=later),
        TraceStep(node="solve", kind="solve", attempt=1,
                  result={"status": "optimal", "objective": 41.0}),
    ]).save(run_dir / "traces" / "agent" / "oven.json")
    rows = [
        {"key": "ok|agent|h", "id": "ok", "strategy": "agent", "status": "optimal",
         "objective": 1.0, "trace_path": None},
        {"key": "oven|agent|h", "id": "oven", "strategy": "agent", "status": "optimal",
         "objective": 40.0, "trace_path": "traces/agent/oven.json"},
        {"key": "oven|standard|h", "id": "oven", "strategy": "standard", "status": "optimal",
         "objective": 2.0, "trace_path": None},
        # answered by the library fallback, as the record says or (older records) the trace
        {"key": "fb|agent|h", "id": "fb", "strategy": "agent", "status": "optimal",
         "objective": 3.0, "trace_path": None, "fallback": True},
        {"key": "fb2|agent|h", "id": "fb2", "strategy": "agent", "status": "optimal",
         "objective": 3.0, "trace_path": "traces/agent/fb2.json"},
    ]
    Trace(steps=[TraceStep(node="formulate", kind="llm", attempt=0),
                 TraceStep(node="plain", kind="note")]).save(run_dir / "traces" / "agent" /
                                                             "fb2.json")
    (run_dir / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return run_dir


def test_recorded_outcomes_read_the_default_agents_rows(tmp_path: Path) -> None:
    from optiform.commands.recorded_runs import recorded_outcomes
    from optiform.errors import LibraryError

    items = [SimpleNamespace(id="ok", answer=1.0), SimpleNamespace(id="oven", answer=2.0),
             SimpleNamespace(id="absent", answer=3.0), SimpleNamespace(id="fb", answer=3.0),
             SimpleNamespace(id="fb2", answer=3.0)]
    got = recorded_outcomes(_recorded_run(tmp_path), items)
    assert set(got) == {"ok", "oven"}  # the fallback's answers are solved again
    assert got["ok"].correct and not got["oven"].correct  # the standard row's 2.0 is not used
    # the diagnosis sees the model that gave the answer (attempt 0), not the later one
    assert "b == 40" in got["oven"].trace and "b == 41" not in got["oven"].trace
    with pytest.raises(LibraryError, match=r"no results\.jsonl"):
        recorded_outcomes(tmp_path / "nowhere", items)
    (tmp_path / "std").mkdir()
    (tmp_path / "std" / "results.jsonl").write_text(json.dumps(
        {"key": "k", "id": "ok", "strategy": "standard", "status": "optimal"}) + "\n")
    with pytest.raises(LibraryError, match="no rows of the default 'agent'"):
        recorded_outcomes(tmp_path / "std", items)
    run_dir = tmp_path / "run"
    (run_dir / "run.json").write_text(json.dumps({"dataset": {"name": "nl4opt",
                                                              "split": "test"}}))
    with pytest.raises(LibraryError, match=r"holds none of the 1 items .*nl4opt:test"):
        recorded_outcomes(run_dir, [SimpleNamespace(id="farm:1", answer=1.0)])


def test_a_run_folder_without_run_json_gives_no_library_note() -> None:
    from optiform.commands.recorded_runs import library_note

    ours = {"path": "/l.sqlite", "active": 33, "sha256": "aaaa"}
    assert library_note(Path("/nowhere"), ours) is None  # no run.json: nothing to say


def test_learn_from_a_recorded_run(app: typer.Typer, monkeypatch: pytest.MonkeyPatch,
                                   tmp_path: Path) -> None:
    items, llm = LEARN_ITEMS, oven_proposer()
    solved: list[str] = []

    def scripted(settings: object, llm_: object, k: int):
        def solve(item: SimpleNamespace, insights: list) -> SolveOutcome:
            solved.append(item.id)
            ok = any("FIX" in i.explanation for i in insights)
            return SolveOutcome(correct=ok, status="optimal", objective=2.0 if ok else 0.0)
        return solve

    from optiform.config import load_settings

    monkeypatch.setattr(library_jobs, "_setup",
                        lambda dataset, split, limit, *_: (load_settings(), items, llm))
    monkeypatch.setattr(library_jobs, "AgentSolver", scripted)
    out = run(app, "--path", str(tmp_path / "lib.sqlite"), "learn", "--dataset", "toy",
              "--from-run", str(_recorded_run(tmp_path)), "--search", "0")
    assert "first outcomes of 2 of 2 items" in out and "new insights: oven-hours-" in out
    assert "b == 40" in llm.requests[0]["messages"][1].content
    # no first solves: oven without insights (were the seed's misleading?), oven with the
    # proposal; ok (recorded as right) would not be shown the proposal, so it is not replayed
    assert solved == ["oven", "oven"]


def _every_item_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """A learn job over LEARN_ITEMS whose every solve is right (no LLM, no solver)."""
    from optiform.config import load_settings

    def scripted(settings: object, llm_: object, k: int):
        return lambda item, insights: SolveOutcome(correct=True, status="optimal",
                                                   objective=item.answer)

    monkeypatch.setattr(library_jobs, "_setup", lambda dataset, split, limit, *_: (
        load_settings(), LEARN_ITEMS, oven_proposer()))
    monkeypatch.setattr(library_jobs, "AgentSolver", scripted)


@pytest.mark.parametrize("width", [80, 100])
def test_learning_from_a_run_made_with_another_library_notes_it_under_its_text(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int) -> None:
    """The note went on at column 0, its rows ending in a space; now under the text after
    'note: ', or 2 columns in where a path would not fit there."""
    _every_item_right(monkeypatch)
    run_dir = _recorded_run(tmp_path)
    ran = {"path": "/x.sqlite", "active": 33, "sha256": "bbbb"}
    (run_dir / "run.json").write_text(json.dumps({"strategies": [
        {"label": "agent", "library": ran}]}))
    monkeypatch.setenv("COLUMNS", str(width))
    result = runner.invoke(app, ["library", "--path", str(tmp_path / "lib.sqlite"), "learn",
                                 "--dataset", "toy", "--from-run", str(run_dir),
                                 "--search", "0"])
    assert result.exit_code == 0, result.output
    note = _note_rows(result.output, "note: the run retrieved from 33 active insights", width)
    assert len(note) > 1
    assert note[0].startswith("note: the run retrieved from 33 active insights in /x.sqlite")
    assert " ".join(" ".join(note).split()).endswith("before the insights learned since)")
    assert f"{tmp_path / 'lib.sqlite'}" in "".join(row.strip() for row in note)  # folded?


@pytest.mark.parametrize("width", [80, 100])
def test_a_job_off_train_warns_and_names_its_recorded_run_indented(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, width: int) -> None:
    """'warning: learning from the 'test' split; …' and 'first outcomes of … read from
    <path>' went on at column 0, the latter's rows ending in a space; now the warning's rows
    go on under its text after 'warning: ', the other's 2 columns in."""
    _every_item_right(monkeypatch)
    run_dir = _recorded_run(tmp_path)
    monkeypatch.setenv("COLUMNS", str(width))
    result = runner.invoke(app, ["library", "--path", str(tmp_path / "lib.sqlite"), "learn",
                                 "--dataset", "toy", "--split", "test", "--from-run",
                                 str(run_dir), "--search", "0"])
    assert result.exit_code == 0, result.output
    warning = _note_rows(result.output, "warning: learning from the 'test' split", width)
    assert " ".join(row.strip() for row in warning) == (
        "warning: learning from the 'test' split; keep to train splits to keep test scores "
        "honest")
    assert len(warning) == (2 if width == 80 else 1)
    assert all(row.startswith(" " * 9) and row[9] != " " for row in warning[1:]), warning
    read = _note_rows(result.output, "first outcomes of 2 of 2 items read from", width)
    assert len(read) > 1 and all(row[2] != " " for row in read[1:]), read
    assert f"read from{run_dir}" in "".join(row.strip() for row in read)  # whole, or folded


def test_verify_shows_a_condition_that_is_its_own_problem_as_not_replayed(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from optiform.config import load_settings
    from optiform.library.insight import Condition

    path = tmp_path / "lib.sqlite"
    with InsightStore(path) as store:
        own = seed_insights()[0].model_copy(update={
            "id": "oven-40", "provenance": ["oven"],
            "condition": Condition(applies_when="an oven works 40 hours")})
        store.add(own)
    monkeypatch.setattr(library_jobs, "_setup",
                        lambda dataset, split, limit, *_: (load_settings(), LEARN_ITEMS, None))
    def no_replay(*args: object) -> object:
        return lambda item, insights: pytest.fail("an insight of its own problem is replayed")
    monkeypatch.setattr(library_jobs, "AgentSolver", no_replay)
    out = run(app, "--path", str(path), "verify", "--dataset", "toy")
    assert "oven-40: disabled: its condition is the problem it was learned from" in out
    assert "figures (40)" in out
    row = next(line for line in out.splitlines() if line.startswith("│ oven-40"))
    assert [c.strip() for c in row.strip("│").split("│")] == ["oven-40", "-", "-", "0", "0",
                                                             "disabled"]


@pytest.mark.parametrize("command", ["learn", "evolve", "verify"])
def test_jobs_leave_test_duplicates_out_unless_told(app: typer.Typer, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    command: str) -> None:
    seen: list[bool] = []

    def items(dataset: str, split: str, limit: int | None, configured: object, *,
              keep_test_duplicates: bool, console: object) -> list:
        seen.append(keep_test_duplicates)
        from optiform.errors import EvalError

        raise EvalError("stop here")

    monkeypatch.setattr(library_jobs, "train_items", items)
    lib = str(tmp_path / "lib.sqlite")
    for extra in ([], ["--keep-test-duplicates"]):
        result = runner.invoke(app, ["library", "--path", lib, command, "--dataset", "toy",
                                     *extra])
        assert result.exit_code == 2 and "stop here" in result.output
    assert seen == [False, True]


def _note_rows(text: str, start: str, width: int) -> list[str]:
    """The rows of the note in ``text`` that starts ``start``: the first and those after it,
    indented (under the text after 'note: ', or 2 columns in where a path would not fit
    there), each at most ``width`` with no space at its end."""
    rows = text.splitlines()
    at = next(i for i, row in enumerate(rows) if row.startswith(start))
    end = at + 1
    while end < len(rows) and rows[end].startswith("  "):
        end += 1
    assert all(len(row) <= width and row == row.rstrip() for row in rows[at:end]), rows
    return rows[at:end]


@pytest.mark.parametrize("width", [80, 100])
def test_a_library_outside_data_home_is_named_not_used(app: typer.Typer, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       width: int) -> None:
    """The note that names it goes on indented, not at column 0 (it was one line, wrapped by
    the terminal)."""
    from optiform.config_paths import user_data_dir
    from optiform.library.store import InsightStore

    earlier = user_data_dir() / "library.sqlite"
    earlier.parent.mkdir(parents=True, exist_ok=True)
    InsightStore(earlier, seed=False).close()  # empty: the user's own, outside data_home
    monkeypatch.setenv("OPTIFORM_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COLUMNS", str(width))
    result = runner.invoke(app, ["library", "stats"])
    assert result.exit_code == 0, result.output
    note = _note_rows(result.stderr, "note: a library made outside data_home", width)
    assert len(note) > 1
    here = tmp_path / "home" / "library.sqlite"
    assert "".join("".join(note).split()) == "".join(  # a path folds where it is too long
        f"note: a library made outside data_home is at {earlier}; this command uses {here}, "
        f"not that one. To bring that one over: optiform library --path {earlier} export "
        "lib.json, then optiform library import lib.json".split())
    assert here.exists()  # made here, from the seed
    assert "a library made outside" not in runner.invoke(app, ["library", "stats"]).output


def test_a_run_made_with_another_library_is_named(tmp_path: Path) -> None:
    from optiform.commands.recorded_runs import library_note

    (tmp_path / "run.json").write_text(json.dumps({"strategies": [
        {"label": "agent", "library": {"path": "/x.sqlite", "active": 33, "sha256": "bbbb"}}]}))
    note = library_note(tmp_path, {"path": "/l.sqlite", "active": 33, "sha256": "aaaa"})
    assert note is not None and "/x.sqlite (content bbbb)" in note and "content aaaa" in note
    assert library_note(tmp_path, {"path": "/l.sqlite", "active": 33, "sha256": "bbbb"}) is None


def test_a_second_job_on_one_library_is_refused_while_the_first_runs(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    from optiform.config import load_settings
    from optiform.errors import LibraryError
    from optiform.job_locks import exclusive

    monkeypatch.setattr(library_jobs, "_setup",
                        lambda dataset, split, limit, *_: (load_settings(), LEARN_ITEMS,
                                                           oven_proposer()))
    lib = tmp_path / "lib.sqlite"
    with exclusive(Path(f"{lib}.job.lock"), "x", LibraryError, hint="h"):
        busy = runner.invoke(app, ["library", "--path", str(lib), "learn", "--dataset", "toy"])
    assert busy.exit_code == 2, busy.output
    assert f"is in use by another process (pid {os.getpid()})" in " ".join(busy.output.split())


def test_ctrl_c_in_a_job_says_what_is_kept(app: typer.Typer, monkeypatch: pytest.MonkeyPatch,
                                           tmp_path: Path) -> None:
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(library_jobs, "_setup", interrupted)
    for job, said in (("learn", "the same command again goes on from there"),
                      ("verify", "the same command again starts over")):
        got = runner.invoke(app, ["library", "--path", str(tmp_path / "l.sqlite"), job,
                                  "--dataset", "toy"])
        assert got.exit_code == 130 and said in " ".join(got.output.split()), got.output


@pytest.mark.parametrize("width", [80, 100])
def test_search_on_a_narrow_terminal_is_a_block_per_insight(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    out = run(app, "search", "a fixed setup cost is paid only if a machine is used at all",
              "-k", "2")
    lines = out.splitlines()
    assert all(len(line) <= width for line in lines)
    # no row padded to the width with spaces (a copy or a pipe would pick them up)
    assert [line for line in lines if line != line.rstrip()] == []
    head = next(i for i, line in enumerate(lines) if line.endswith("  fixed-cost-big-m"))
    assert lines[head + 1] == "    general/linearization/fixed-cost-setup"  # whole
    assert lines[head + 2].startswith("    fixed-cost-setup: use when")  # the text, indented
    text = lines[head + 2:next(i for i in range(head + 1, len(lines))
                               if not lines[i].startswith("    "))]
    assert len(text) > 1 and all(line[4] != " " for line in text)  # its rows under itself


@pytest.mark.parametrize("width", [80, 100])
def test_list_table_breaks_a_long_taxonomy_after_its_slashes(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch, width: int) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    lines = run(app, "list", "--table").splitlines()
    assert all(len(line) <= width for line in lines)
    cells = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    assert {"assignment/", "constraints/", "assign-each-once"} <= set(cells)  # not mid-word
    if width == 100:  # one that fits stays on its line
        assert "diet/constraints/minimum-nutrient" in cells
    monkeypatch.setenv("COLUMNS", "200")
    assert any("│ assignment/constraints/assign-each-once " in line
               for line in run(app, "list", "--table").splitlines())


def _table_width(out: str) -> int:
    return max(len(line) for line in out.splitlines() if line.startswith("┏"))


def test_search_is_a_table_exactly_where_it_fits(app: typer.Typer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The one rule (terminal_layout.table_fits), not a fixed 140 columns: the table at the
    width it takes (its prompt text wrapped at PROSE_WIDTH, the rest whole), else blocks."""
    def shown(width: int) -> str:
        monkeypatch.setenv("COLUMNS", str(width))
        return run(app, "search", "a fixed setup cost is paid only if a machine is used at all",
                   "-k", "2")

    fits = _table_width(shown(1000))
    assert 100 < fits < 1000, fits
    for width in (80, 100, fits - 1, fits, fits + 1):
        out = shown(width)
        assert ("┃ score" in out) == (width >= fits), width
        assert ("\n0.596  fixed-cost-big-m" in out) == (width < fits), width
        if width >= fits:  # the taxonomy whole on its row
            assert "│ general/linearization/fixed-cost-setup " in out


def test_list_table_breaks_taxonomies_exactly_where_it_does_not_fit(
        app: typer.Typer, monkeypatch: pytest.MonkeyPatch) -> None:
    def cells(width: int) -> set[str]:
        monkeypatch.setenv("COLUMNS", str(width))
        out = run(app, "list", "--table")
        return {line.split("│")[2].strip() for line in out.splitlines() if line.startswith("│")}

    monkeypatch.setenv("COLUMNS", "1000")
    fits = _table_width(run(app, "list", "--table"))
    longest = max(cells(1000), key=len)
    assert longest in cells(fits)  # whole where the table fits
    assert longest not in cells(fits - 1)  # one column short: broken after its slashes
    assert longest.rpartition("/")[2] in cells(fits - 1)


def test_an_empty_insight_table_renders_at_any_width() -> None:
    from rich.console import Console

    from optiform.library.render import insights_table

    for width in (30, 40, 80):
        console = Console(width=width, record=True)
        console.print(insights_table([], width))  # max() of no label crashed below ~50
        assert "insights" in console.export_text()
