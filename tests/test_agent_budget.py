"""The per-problem time budget: once spent no new LLM call starts, the solver gets what is
left, a local generation in flight stops at the deadline, and the answer says why it stopped."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optiform.agent import budget
from optiform.agent.fake import FakeLLM
from optiform.agent.jsonout import complete_validated
from optiform.agent.llm import Completion
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import InputError, LLMOutputError, OutOfTimeError
from optiform.solvers.result import SolveResult, Status

BANK_FILE = Path(__file__).resolve().parent / "fixtures" / "agent" / "bank.json"
_BANK = json.loads(BANK_FILE.read_text())
BANK, BINARY, INTEGER = _BANK["text"], _BANK["binary"], _BANK["integer"]
OPTIMAL = SolveResult(status=Status.OPTIMAL, objective=12.0, values={"small": 0.0, "large": 12.0})
INFEASIBLE = SolveResult(status=Status.INFEASIBLE, conflict=["customers"])
SLOW = 0.05  # seconds each scripted reply takes; the budgets below are far shorter


def slow(model: dict[str, Any]):
    def reply(_messages):
        time.sleep(SLOW)
        return model
    return reply


class Solver:
    """Infeasible while any variable is binary, else optimal; records its time limits."""

    def __init__(self) -> None:
        self.limits: list[float] = []

    def __call__(self, f, **kw):
        self.limits.append(kw["time_limit"])
        return INFEASIBLE if any(v.domain == "binary" for v in f.variables) else OPTIMAL


def assistant(llm, solver, **settings):
    settings.setdefault("autofix", False)  # the repair here is the LLM's
    return Assistant(load_settings(library=False, **settings), llm=llm, solve=solver,
                     export=None)


def test_the_budget_arithmetic():
    assert budget.seconds_left(100.0, None, now=500.0) is None
    assert budget.seconds_left(100.0, 30.0, now=110.0) == 20.0
    assert budget.seconds_left(100.0, 30.0, now=140.0) == 0.0
    assert not budget.spent(100.0, None, now=1e9)
    assert budget.spent(100.0, 30.0, now=130.0) and not budget.spent(100.0, 30.0, now=129.0)
    now = time.time()
    assert budget.capped(60.0, now, None) == 60.0
    assert 9.0 < budget.capped(60.0, now, 10.0) <= 10.0
    assert budget.capped(60.0, now - 100, 10.0) == budget.MIN_SOLVE_SECONDS
    assert budget.capped(1.0, now, 10.0) == 1.0


def test_without_a_budget_the_infeasible_model_is_repaired():
    llm = FakeLLM([BINARY, INTEGER])
    answer = assistant(llm, Solver(), max_repairs=3).solve(BANK)
    assert answer.status == "optimal" and answer.repair_rounds == 1 and len(llm.requests) == 2


def test_a_spent_budget_starts_no_repair_and_says_so():
    llm, solver = FakeLLM([slow(BINARY), INTEGER]), Solver()
    answer = assistant(llm, solver, max_repairs=3, time_budget=0.01).solve(BANK)
    assert len(llm.requests) == 1 and answer.repair_rounds == 0
    assert answer.status == "infeasible"
    assert answer.message.startswith("Stopped at the time budget of 0.01 s after 0 repair "
                                     "rounds")
    # the solve started after the deadline still got the minimum time
    assert solver.limits == [budget.MIN_SOLVE_SECONDS]
    last = answer.trace.steps[-1]
    assert last.node == "answer" and last.detail["stopped_by_time_budget"] == 0.01


class Clock:
    """The budget's clock, moved on by hand: ``jump(model)`` is a reply that takes an hour."""

    def __init__(self) -> None:
        self.offset = 0.0

    def time(self) -> float:
        return time.time() + self.offset

    def jump(self, reply: Any):
        def answer(_messages):
            self.offset += 3600.0
            return reply
        return answer


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(budget, "time", c)
    return c


def test_a_spent_budget_that_skipped_nothing_is_not_blamed(clock):
    # repairs are off: the answer says so, not that the budget stopped it
    llm = FakeLLM([clock.jump(BINARY)])
    answer = assistant(llm, Solver(), max_repairs=0, time_budget=60.0).solve(BANK)
    assert answer.message.startswith("No solution (repairs are off)")
    assert "stopped_by_time_budget" not in answer.trace.steps[-1].detail
    clock.offset = 0.0
    # the budget ran out during the last repair round, which was the last anyway
    llm = FakeLLM([BINARY, clock.jump(BINARY)])
    answer = assistant(llm, Solver(), max_repairs=1, time_budget=60.0).solve(BANK)
    assert len(llm.requests) == 2
    assert answer.message.startswith("Gave up after 1 repair round:"), answer.message


def test_a_spent_budget_starts_no_fallback_without_insights_and_says_so(clock):
    import types

    class Source:  # one insight shown; the model written with it never builds
        def retrieve(self, problem_text, k=4):
            return [types.SimpleNamespace(id="i0", label="counts", score=0.9,
                                          text="Counts are integers.")]

    llm = FakeLLM([clock.jump({"variables": []})], default=INTEGER)
    answer = Assistant(load_settings(max_repairs=0, time_budget=60.0), llm=llm,
                       solve=Solver(), export=None, insight_source=Source()).solve(BANK)
    assert len(llm.requests) == 1 and answer.status == "failed"
    assert answer.message.startswith("Stopped at the time budget of 60 s"), answer.message
    assert all(s.node != "plain" for s in answer.trace.steps)


def test_a_spent_budget_mends_no_more_lines(clock):
    farm = ("A farmer has 300 acres to plant with corn and wheat. An acre of corn earns $40 and "
            "an acre of wheat earns $30. At most 200 acres can be corn. How many acres of each "
            "should be planted to maximize earnings?")
    broken = {"variables": {"corn": "continuous", "wheat": "continuous"},
              "objective": {"sense": "maximize", "expression": "40*corn + 30*wheat"},
              "constraints": {"land": "corn + wheat + fallow <= 300", "corn_max": "200 acres"}}
    # the whole-model repair writes both broken lines again, so the next round mends them one
    # by one; the first mend takes the budget, so the second line is not asked for
    llm = FakeLLM([broken, broken, clock.jump({"expression": "corn + wheat <= 300"}),
                   {"expression": "corn <= 200"}])
    answer = Assistant(load_settings(library=False, time_budget=60.0), llm=llm,
                       export=None).solve(farm)
    assert len(llm.requests) == 3
    notes = [s.detail for s in answer.trace.steps if s.kind == "note" and s.node == "repair"]
    assert {"time_budget": 60.0, "skipped": "mending 1 more lines"} in notes
    assert answer.message.startswith("Stopped at the time budget of 60 s after 2 repair rounds")


def test_a_solved_model_within_a_spent_budget_is_the_answer():
    llm = FakeLLM([slow(INTEGER)])
    answer = assistant(llm, Solver(), time_budget=0.01).solve(BANK)
    assert answer.status == "optimal" and answer.objective == 12.0


def test_the_solver_gets_at_most_what_is_left():
    solver = Solver()
    assistant(FakeLLM([INTEGER]), solver, time_budget=30.0, time_limit=60.0).solve(BANK)
    assert len(solver.limits) == 1 and 25.0 < solver.limits[0] <= 30.0
    solver = Solver()
    assistant(FakeLLM([INTEGER]), solver, time_budget=300.0, time_limit=60.0).solve(BANK)
    assert solver.limits == [60.0]


def test_a_spent_budget_draws_no_more_samples():
    llm = FakeLLM([slow(INTEGER), INTEGER, INTEGER])
    answer = assistant(llm, Solver(), samples=3, time_budget=0.01).solve(BANK)
    assert len(llm.requests) == 1 and answer.status == "optimal"
    notes = [s for s in answer.trace.steps if s.node == "formulate" and s.kind == "note"]
    assert notes and notes[0].detail == {"time_budget": 0.01, "skipped": "samples 2-3"}


def test_a_broken_first_reply_is_not_asked_again_once_the_budget_is_spent():
    def cut(_messages):
        time.sleep(SLOW)
        raise LLMOutputError("the time budget ran out while the model was writing", model="fake",
                             reply='{"variables": [')

    llm = FakeLLM([cut, INTEGER])
    answer = assistant(llm, Solver(), time_budget=0.01).solve(BANK)
    assert len(llm.requests) == 1 and answer.status == "failed"
    assert "time budget" in answer.message


def test_each_llm_call_carries_the_deadline_for_the_backend():
    seen: list[bool] = []

    def watch(_messages):
        time.sleep(SLOW)
        seen.append(budget.llm_deadline_passed())
        return INTEGER

    assistant(FakeLLM([watch]), Solver(), time_budget=0.01).solve(BANK)
    assistant(FakeLLM([watch]), Solver()).solve(BANK)
    assert seen == [True, False]
    assert not budget.llm_deadline_passed()  # reset after the call


# -- the backends ---------------------------------------------------------------------------


SCHEMA = {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}


@pytest.mark.parametrize("finish, deadline", [("time_budget", None), ("stop", -1.0)])
def test_a_reply_cut_by_the_budget_is_not_repaired(finish: str, deadline: float | None):
    calls: list[int] = []

    def call(_messages):
        calls.append(1)
        return Completion(text='{"x": ', finish_reason=finish)

    at = None if deadline is None else time.time() + deadline
    with budget.llm_deadline(at), pytest.raises(OutOfTimeError, match="time budget") as err:
        complete_validated(call, [], SCHEMA, model="m")
    assert calls == [1]
    # a reply that finished but does not read is not said to be cut
    assert ("while the model was writing" in err.value.message) == (finish == "time_budget")


def test_an_invalid_reply_within_the_budget_is_still_repaired_once():
    replies = iter([Completion(text='{"x": "a"}'), Completion(text='{"x": 1}')])
    with budget.llm_deadline(time.time() + 3600.0):
        out = complete_validated(lambda _m: next(replies), [], SCHEMA, model="m")
    assert out.data == {"x": 1}


# -- where users set it ---------------------------------------------------------------------


def test_the_setting_refuses_a_budget_that_is_not_positive(monkeypatch):
    from optiform.agent.deps import check_options

    monkeypatch.setenv("OPTIFORM_TIME_BUDGET", "-5")
    with pytest.raises(Exception, match="time_budget"):
        load_settings()
    with pytest.raises(InputError, match="time_budget"):
        check_options({"time_budget": "soon"}, {"time_budget"})
    assert check_options({"time_budget": "90"}, {"time_budget"}) == {"time_budget": 90.0}


def test_eval_runs_pass_the_budget_to_the_agent_and_record_it():
    from optiform.evals.report import command_line
    from optiform.evals.runner import RunConfig

    config = RunConfig(dataset="nl4opt", strategies=["agent", "standard"], time_budget=120)
    agent, standard = config.specs()
    assert agent.opts == {"time_budget": 120} and standard.opts == {}
    assert agent == RunConfig(dataset="nl4opt", strategies=["agent:time_budget=120"]).specs()[0]
    assert command_line(config.model_dump()).endswith("--strategy standard --time-budget 120")


def test_the_server_takes_a_budget_per_request():
    from optiform.server import Options

    assert Options(time_budget=30).overrides() == {"time_budget": 30.0}
    with pytest.raises(ValueError):
        Options(time_budget=0)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from optiform.cli import build_app

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"answers": [BINARY], "default": BINARY}))
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
    monkeypatch.setenv("OPTIFORM_FAKE_ANSWERS", str(answers))
    monkeypatch.setenv("OPTIFORM_LIBRARY", "false")
    monkeypatch.setenv("OPTIFORM_AUTOFIX", "false")  # the binary counts stay wrong
    monkeypatch.setenv("OPTIFORM_DATA_HOME", str(tmp_path / "home"))
    app, runner = build_app(), CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_solve_takes_a_time_budget(cli):
    # the fake's binary model is infeasible; with a budget far shorter than one call, no
    # repair starts and the answer says the budget stopped it
    result = cli("solve", BANK, "--json", "--time-budget", "0.000001")
    answer = json.loads(result.stdout)
    assert result.exit_code == 1 and answer["repair_rounds"] == 0
    assert "time budget" in answer["message"]


@pytest.mark.parametrize("value", ["0", "-3", "nan"])
def test_solve_refuses_a_budget_that_is_not_positive(cli, value):
    result = cli("solve", BANK, "--time-budget", value)
    assert result.exit_code == 2 and "--time-budget must be more than 0" in result.output


def test_a_budget_beside_a_formulation_file_is_refused(cli, tmp_path):
    model = tmp_path / "m.json"
    model.write_text(json.dumps(INTEGER))
    result = cli("solve", "--formulation", str(model), "--time-budget", "5")
    assert result.exit_code == 2 and "--time-budget" in result.output


def test_the_autofix_still_runs_once_the_budget_is_spent():
    # it needs no LLM call: the binary counts become integers and the model solves
    llm = FakeLLM([slow(BINARY), INTEGER])
    answer = assistant(llm, Solver(), autofix=True, time_budget=0.01).solve(BANK)
    assert len(llm.requests) == 1 and answer.status == "optimal"


@pytest.mark.parametrize("value", ["0", "nan"])
def test_eval_run_refuses_a_budget_that_is_not_positive(cli, value, tmp_path):
    result = cli("eval", "run", "--dataset", "nl4opt", "--strategy", "agent", "--time-budget",
                 value, "--out", str(tmp_path / "run"))
    assert result.exit_code == 2 and "--time-budget must be more than 0" in result.output
    assert not (tmp_path / "run").exists()
