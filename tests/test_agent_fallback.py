"""The library fallback: when no model written with the retrieved insights reaches the solver,
the agent writes one more without them (a chain of its own, with its own repair rounds)."""

from __future__ import annotations

import pytest

from optiform.agent.fake import FakeLLM
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.result import SolveResult, Status
from tests.test_agent_graph import GOOD, OPTIMAL, SHOP, FakeSolver, user_prompt

BROKEN = {"variables": []}  # not a formulation: it never reaches the solver
INSIGHT_TEXT = "Insight number"


class Insight:
    def __init__(self, i: int) -> None:
        self.id, self.label, self.score = f"i{i}", "ratios", 0.9
        self.text = f"{INSIGHT_TEXT} {i}: write ratios linearly."


class Source:
    def __init__(self, n: int = 2) -> None:
        self.n, self.usage = n, []

    def retrieve(self, problem_text, k=4):
        return [Insight(i) for i in range(min(k, self.n))]

    def record_usage(self, insight_id, outcome):
        self.usage.append((insight_id, outcome))


def solve(llm, solver, source=None, **settings):
    return Assistant(load_settings(**settings), llm=llm, solve=solver, export=None,
                     insight_source=source or Source()).solve(SHOP)


def test_when_no_model_written_with_insights_builds_one_is_written_without_them():
    source = Source()
    llm, solver = FakeLLM([BROKEN, BROKEN, GOOD]), FakeSolver(OPTIMAL)
    answer = solve(llm, solver, source, max_repairs=1)
    assert answer.status == "optimal" and answer.objective == 600.0
    assert answer.source == "plain"
    assert len(llm.requests) == 3 and len(solver.calls) == 1
    assert INSIGHT_TEXT in user_prompt(llm, 0) and INSIGHT_TEXT in user_prompt(llm, 1)
    assert INSIGHT_TEXT not in user_prompt(llm, 2) and SHOP in user_prompt(llm, 2)
    assert "without the library's insights" in answer.message
    note = next(s for s in answer.trace.steps if s.node == "plain" and s.kind == "note")
    assert note.detail["left_out"] == ["i0", "i1"] and note.detail["repairs_before"] == 1
    # the insights' own chain failed: that is what they hear, though the turn is solved
    assert source.usage == [("i0", "failed"), ("i1", "failed")]


def test_the_chain_without_insights_has_its_own_repairs_and_they_leave_the_insights_out():
    llm = FakeLLM([BROKEN, BROKEN, BROKEN, GOOD])
    answer = solve(llm, FakeSolver(OPTIMAL), max_repairs=1)
    assert answer.status == "optimal" and answer.source == "repair"
    assert answer.repair_rounds == 1 and len(llm.requests) == 4
    repair_prompt = user_prompt(llm, 3)
    assert "could not be built" in repair_prompt and INSIGHT_TEXT not in repair_prompt


def test_the_fallback_runs_once_and_a_failure_of_both_chains_is_failed():
    llm = FakeLLM(default=BROKEN)
    answer = solve(llm, FakeSolver(OPTIMAL))  # the default 3 repair rounds, twice over
    assert answer.status == "failed" and len(llm.requests) == 8
    assert sum(1 for s in answer.trace.steps if s.node == "plain" and s.kind == "note") == 1
    assert "without the library's insights" in answer.message


def test_a_model_that_reached_the_solver_keeps_its_chain():
    # infeasible is a solver's answer: the insights' model built, so no fallback
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    llm = FakeLLM(default=GOOD)
    answer = solve(llm, FakeSolver(infeasible), max_repairs=1)
    assert answer.status == "infeasible" and len(llm.requests) == 2
    assert all(s.node != "plain" for s in answer.trace.steps)


@pytest.mark.parametrize("settings", [{"library_fallback": False}, {"top_k": 0}])
def test_no_fallback_when_it_is_off_or_no_insight_was_shown(settings):
    llm = FakeLLM(default=BROKEN)
    answer = solve(llm, FakeSolver(OPTIMAL), max_repairs=1, **settings)
    assert answer.status == "failed" and len(llm.requests) == 2
    assert "without the library's insights" not in answer.message


def test_no_fallback_when_the_retrieval_finds_nothing():
    llm = FakeLLM(default=BROKEN)
    answer = solve(llm, FakeSolver(OPTIMAL), Source(n=0), max_repairs=1)
    assert answer.status == "failed" and len(llm.requests) == 2


def test_the_learning_jobs_solve_without_the_fallback():
    # learn, evolve and verify judge what the insights themselves do
    from optiform.commands.library_jobs import AgentSolver

    solver = AgentSolver(load_settings(), FakeLLM([GOOD]), 4)
    assert solver.assistant.deps().library_fallback is False
