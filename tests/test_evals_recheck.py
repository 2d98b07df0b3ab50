"""Recheck: a recorded run's first replies replayed through the current checks and autofix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optiform.agent.fake import FakeLLM
from optiform.cli import build_app
from optiform.config import load_settings
from optiform.errors import EvalError
from optiform.evals.recheck import first_reply, recheck_run, replay_reply
from optiform.evals.runner import RunConfig, start_run

SHOP = ("A shop makes chairs and tables. A chair earns $30 and takes 2 hours of labor; a table "
        "earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 tables can "
        "be sold. How many of each maximize profit?")
REVERSED = {"variables": {"chairs": "integer", "tables": "integer"},
            "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
            "constraints": {"labor": "2*chairs + 5*tables >= 40", "sales": "tables <= 6"}}
GOOD = {**REVERSED, "constraints": {"labor": "2*chairs + 5*tables <= 40",
                                    "sales": "tables <= 6"}}


def invoke(args: list[str]):
    return CliRunner(env={"COLUMNS": "200"}).invoke(build_app(), args)


def make_run(tmp_path: Path) -> Path:
    data = tmp_path / "toy.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in (
        {"id": "toy:1", "question": SHOP, "answer": 600.0},
        {"id": "toy:2", "question": SHOP.replace("40 hours", "40 hours of labor"),
         "answer": 600.0})) + "\n")
    llm = FakeLLM([REVERSED, GOOD])
    out = tmp_path / "run"
    start_run(RunConfig(dataset=str(data), strategies=["agent"]), out, llm=llm,
              settings=load_settings(backend="fake", library=False))
    return out


def rewrite(out: Path, item: str, **fields) -> None:
    path = out / "results.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows = [{**r, **fields} if r["id"] == item else r for r in rows]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_first_reply_and_replay_apply_the_autofix_without_repairs():
    trace = {"steps": [{"kind": "classify", "node": "intake", "reply": "{}"},
                       {"kind": "llm", "node": "formulate", "reply": json.dumps(REVERSED)},
                       {"kind": "llm", "node": "repair", "reply": "{}"}]}
    assert first_reply(trace) == json.dumps(REVERSED)
    assert first_reply({"steps": []}) is None
    assert replay_reply(SHOP, json.dumps(REVERSED)) == ("optimal", 600.0)
    broken = json.dumps({**GOOD, "constraints": {"labor": "2*chairs + 5*tables"}})
    status, objective = replay_reply(SHOP, broken)  # repairs are declined: no answer
    assert status == "failed" and objective is None


def test_recheck_finds_gains_and_losses_against_the_recorded_outcomes(tmp_path):
    out = make_run(tmp_path)
    report = recheck_run(out)
    assert [r.id for r in report.rows] == ["toy:1", "toy:2"]
    assert all(r.correct and r.was_correct for r in report.rows)
    assert report.gains == report.losses == []

    rewrite(out, "toy:1", correct=False, status="failed", objective=None)  # an older code
    rewrite(out, "toy:2", truth=7.0)  # right then without repairs, wrong against this truth
    report = recheck_run(out)
    assert [r.id for r in report.gains] == ["toy:1"]
    assert [r.id for r in report.losses] == ["toy:2"]
    assert report.to_dict()["first_reply_correct"] == 1

    result = invoke(["eval", "recheck", str(out)])
    assert result.exit_code == 0, result.output
    assert "gain: toy:1" in result.output and "1 gained, 1 lost" in result.output
    data = json.loads(invoke(["eval", "recheck", str(out), "--json"]).output)
    assert data["gains"] == ["toy:1"] and data["losses"] == ["toy:2"]


def test_recheck_of_a_folder_without_a_run_is_a_clear_error(tmp_path):
    with pytest.raises(EvalError, match="holds no eval run"):
        recheck_run(tmp_path)
    result = invoke(["eval", "recheck", str(tmp_path)])
    assert result.exit_code != 0 and "holds no eval run" in result.output


def test_recheck_names_the_strategies_it_can_replay(tmp_path):
    out = make_run(tmp_path)
    with pytest.raises(EvalError, match="has no strategy 'nope'") as err:
        recheck_run(out, strategy="nope")
    assert err.value.hint == "its strategies: agent"
    path = out / "results.jsonl"  # a second strategy: one must be chosen
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    path.write_text(path.read_text() + "".join(
        json.dumps({**r, "strategy": "agent:samples=3", "key": r["key"] + "-s3"}) + "\n"
        for r in rows))
    with pytest.raises(EvalError, match="holds 2 strategies"):
        recheck_run(out)
    assert [r.id for r in recheck_run(out, strategy="agent").rows] == ["toy:1", "toy:2"]
    # beside prompt baselines the one agent strategy is meant (the README's run of
    # "standard" and "agent")
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "".join(
        json.dumps({**r, "strategy": "standard", "key": r["key"] + "-std"}) + "\n"
        for r in rows))
    report = recheck_run(out)
    assert report.strategy == "agent" and [r.id for r in report.rows] == ["toy:1", "toy:2"]
    assert "items of strategy agent replayed" in invoke(["eval", "recheck", str(out)]).output
    with pytest.raises(EvalError, match="'standard' is a prompt baseline") as base:
        recheck_run(out, strategy="standard")
    assert base.value.hint == "the run's agent strategies: agent"
