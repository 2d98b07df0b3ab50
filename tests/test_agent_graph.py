"""The graph end to end with a scripted LLM and a scripted solver (offline, fast)."""

from __future__ import annotations

import copy
import json

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.intake import looks_like_problem
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import FormulationError, InputError
from optiform.solvers.result import SolveResult, Status
from optiform.solvers.validate import parse_model

SHOP = ("A shop makes chairs and tables. A chair earns $30 profit and takes 2 hours of labor; a "
        "table earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 "
        "tables can be sold. How many of each should it make to maximize profit?")
GOOD = {"sets": [], "parameters": [],
        "variables": [{"name": "chairs", "domain": "integer"},
                      {"name": "tables", "domain": "integer"}],
        "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
        "constraints": [{"name": "labor", "expression": "2*chairs + 5*tables <= 40"},
                        {"name": "table_sales", "expression": "tables <= 6"}]}
OPTIMAL = SolveResult(status=Status.OPTIMAL, objective=600.0,
                      values={"chairs": 20.0, "tables": 0.0},
                      stats={"variables": 2, "constraints": 2, "integer": 2, "kind": "MILP"})


def variant(**changes) -> dict:
    out = copy.deepcopy(GOOD)
    out.update(changes)
    return out


class FakeSolver:
    """Returns queued results (or raises queued errors); the last one repeats."""

    def __init__(self, *results):
        self.results = list(results)
        self.calls = []

    def __call__(self, f, **kwargs):
        self.calls.append((f, kwargs))
        item = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if callable(item) and not isinstance(item, SolveResult):
            item = item(f)
        if isinstance(item, BaseException):
            raise item
        return item


def assistant(llm, solver, **settings):
    return Assistant(load_settings(library=False, **settings), llm=llm, solve=solver,
                     export=lambda f, data_dir=None: f"# pyomo script for {len(f.variables)} vars")


def user_prompt(llm: FakeLLM, i: int) -> str:
    return llm.requests[i]["messages"][-1].content


def test_happy_path(tmp_path):
    llm, solver = FakeLLM([GOOD]), FakeSolver(OPTIMAL)
    answer = assistant(llm, solver).solve(SHOP)
    assert answer.status == "optimal" and answer.ok
    assert answer.objective == 600.0 and answer.values == {"chairs": 20.0, "tables": 0.0}
    assert answer.formulation.objective.expression == "30*chairs + 50*tables"
    assert answer.pyomo_script == "# pyomo script for 2 vars"
    assert answer.repair_rounds == 0 and answer.checks == []
    assert answer.binding == ["labor"]
    assert "- chairs = 20" in answer.explanation and "labor" in answer.explanation
    assert answer.confidence == 0.8
    assert len(llm.requests) == 1 and llm.requests[0]["schema"] is not None
    assert SHOP in user_prompt(llm, 0)
    assert answer.usage.prompt_tokens > 0
    kinds = [s.kind for s in answer.trace.steps]
    assert kinds[:2] == ["llm", "solve"] and "check" in kinds
    path = answer.save_trace(tmp_path / "trace.json")
    saved = json.loads(path.read_text())
    llm_step = next(s for s in saved["steps"] if s["kind"] == "llm")
    assert llm_step["messages"][0]["role"] == "system" and llm_step["reply"]
    assert llm_step["usage"]["completion_tokens"] > 0 and llm_step["formulation"]


def test_repair_after_a_validation_error_from_the_compiler():
    bad = variant(constraints=[{"name": "labor", "expression": "2*chairs + 5*tabels <= 40"}])
    error = FormulationError("unknown name 'tabels'", where="constraint 'labor'",
                             expression="2*chairs + 5*tabels <= 40", suggestion="tables")
    llm, solver = FakeLLM([bad, GOOD]), FakeSolver(error, OPTIMAL)
    answer = assistant(llm, solver).solve(SHOP)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    repair = user_prompt(llm, 1)
    assert "constraint 'labor'" in repair and "did you mean 'tables'" in repair
    assert "5*tabels" in repair  # the attempt's own model is in the trace it gets back
    assert answer.source == "repair"


def test_repair_after_an_invalid_reply():
    llm = FakeLLM([{"variables": [{"name": "x", "domain": "integer"}]}, GOOD])
    answer = assistant(llm, FakeSolver(OPTIMAL)).solve(SHOP)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    assert "objective" in user_prompt(llm, 1) and "could not be built" in user_prompt(llm, 1)


def test_repair_after_infeasible_names_the_iis():
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor", "min_chairs"],
                             log_tail="Presolve: Infeasible\nModel status : Infeasible",
                             stats={"variables": 2, "constraints": 3, "kind": "MILP"})
    llm = FakeLLM([GOOD, GOOD])
    answer = assistant(llm, FakeSolver(infeasible, OPTIMAL)).solve(SHOP)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    repair = user_prompt(llm, 1)
    assert "labor, min_chairs" in repair and "IIS" in repair
    assert "Model status : Infeasible" in repair and "3 constraints" in repair


def test_gives_up_after_max_repairs_with_a_clear_status():
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    llm, solver = FakeLLM(default=GOOD), FakeSolver(infeasible)
    answer = assistant(llm, solver, max_repairs=2).solve(SHOP)
    assert answer.status == "infeasible" and not answer.ok
    assert answer.repair_rounds == 2 and len(llm.requests) == 3 and len(solver.calls) == 3
    assert answer.message.startswith("Gave up after 2 repair rounds")
    assert answer.confidence == 0.0 and "labor" in answer.explanation


def test_a_model_that_reached_the_solver_is_reported_over_an_earlier_one_that_did_not_read():
    # the first reply does not read; the repairs build but stay infeasible: the answer is the
    # infeasible model (with its conflict), not the long-fixed first error
    bad = variant(constraints=[{"name": "labor", "expression": "2*chairs + 5*tables"}])
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    with pytest.raises(FormulationError) as info:  # the compiler's own error: one error
        parse_model(to_formulation(bad))
    error = info.value
    # the repairs also draw a warning (counts declared continuous), which a model that never
    # read could not: fewer warnings must not make the unread model the better one
    continuous = variant(variables=[{"name": "chairs", "domain": "continuous"},
                                    {"name": "tables", "domain": "continuous"}])
    llm = FakeLLM([bad], default=continuous)
    answer = assistant(llm, FakeSolver(error, infeasible), max_repairs=2, mend=False,
                       autofix=False).solve(SHOP)
    assert any(c.code == "integer_cue" for c in answer.checks)
    assert answer.status == "infeasible" and answer.formulation is not None
    assert answer.message.startswith("Gave up after 2 repair rounds: The model is infeasible")


def test_no_valid_model_at_all_is_failed():
    llm, solver = FakeLLM(default={"variables": []}), FakeSolver(OPTIMAL)
    answer = assistant(llm, solver, max_repairs=1).solve(SHOP)
    assert answer.status == "failed" and answer.formulation is None
    assert solver.calls == [] and answer.repair_rounds == 1


def test_a_warning_gets_one_repair_and_the_better_attempt_wins():
    text = ("How many trucks should a company rent to move 90 boxes if each truck carries 20 "
            "boxes and costs $100? Minimize the cost.")
    cont = {"sets": [], "parameters": [],
            "variables": [{"name": "trucks", "domain": "continuous"}],
            "objective": {"sense": "minimize", "expression": "100*trucks"},
            "constraints": [{"name": "boxes", "expression": "20*trucks >= 90"}]}
    integer = copy.deepcopy(cont)
    integer["variables"][0]["domain"] = "integer"
    r1 = SolveResult(status=Status.OPTIMAL, objective=450.0, values={"trucks": 4.5})
    r2 = SolveResult(status=Status.OPTIMAL, objective=500.0, values={"trucks": 5.0})
    llm = FakeLLM([cont, integer])
    answer = assistant(llm, FakeSolver(r1, r2)).solve(text)
    assert "integer" in user_prompt(llm, 1) and "trucks" in user_prompt(llm, 1)
    assert answer.objective == 500.0 and answer.checks == [] and answer.repair_rounds == 1


def test_a_warning_the_model_keeps_is_not_sent_twice():
    text = "How many trucks are needed to carry 90 boxes, 20 per truck? Minimize trucks."
    cont = {"sets": [], "parameters": [],
            "variables": [{"name": "trucks", "domain": "continuous"}],
            "objective": {"sense": "minimize", "expression": "trucks"},
            "constraints": [{"name": "boxes", "expression": "20*trucks >= 90"}]}
    result = SolveResult(status=Status.OPTIMAL, objective=4.5, values={"trucks": 4.5})
    llm = FakeLLM(default=cont)
    answer = assistant(llm, FakeSolver(result), max_repairs=3).solve(text)
    assert len(llm.requests) == 2 and answer.repair_rounds == 1
    assert [c.code for c in answer.checks] == ["integer_cue"]
    assert "Worth a second look" in answer.explanation and answer.confidence < 0.8


def test_voting_over_samples():
    other = variant(objective={"sense": "maximize", "expression": "30*chairs + 40*tables"})
    llm = FakeLLM([GOOD, other, GOOD])

    def by_objective(f):
        value = 600.0 if f.objective.expression.endswith("50*tables") else 500.0
        return SolveResult(status=Status.OPTIMAL, objective=value,
                           values={"chairs": 20.0, "tables": 0.0})

    answer = assistant(llm, FakeSolver(by_objective), samples=3).solve(SHOP)
    assert answer.objective == 600.0 and answer.confidence == pytest.approx(0.667)
    assert [r["temperature"] for r in llm.requests] == [0.0, 0.7, 0.7]
    assert [r["seed"] for r in llm.requests] == [0, 1, 2]
    [vote] = answer.trace.of_kind("vote")
    assert vote.detail["share"] == pytest.approx(2 / 3) and vote.detail["picked"] == 0


def test_voting_when_no_sample_solves_repairs_the_least_bad_one():
    llm = FakeLLM([{"variables": []}, GOOD, {"variables": []}, GOOD])
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    answer = assistant(llm, FakeSolver(infeasible, OPTIMAL), samples=3).solve(SHOP)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    assert "labor" in user_prompt(llm, 3)


def test_not_an_optimization_problem_answers_without_a_solver():
    llm = FakeLLM([{"optimization": False, "reason": "a request for a joke"}])
    solver = FakeSolver(OPTIMAL)
    answer = assistant(llm, solver).solve("Which of my 3 cats is the oldest?")  # unsure
    assert answer.status == "not_a_problem" and "joke" in answer.message
    assert "does not look like an optimization problem" in answer.explanation
    assert solver.calls == [] and len(llm.requests) == 1
    assert answer.trace.of_kind("classify")


@pytest.mark.parametrize("text", [
    "hello there, how are you?", "Tell me a joke about cats.", "What is the capital of France?",
    # a request for something else, whatever its numbers (the 1.5B classifier said yes to
    # this one, 2026-12-06)
    "Please write me a short poem about the 4 seasons and the 12 months of the year.",
    "I have 3 cats and 2 dogs."])
def test_a_text_that_asks_for_no_model_is_no_problem_without_asking_the_llm(text):
    llm, solver = FakeLLM([]), FakeSolver(OPTIMAL)
    answer = assistant(llm, solver).solve(text)
    assert answer.status == "not_a_problem" and "no goal" in answer.message
    assert llm.requests == [] and solver.calls == []


@pytest.mark.parametrize("text, tables, expected", [
    ("Maximize profit: bread earns 3, cake 5, at most 10 hours.", False, True),
    ("hello there, how are you?", False, False),
    ("Plan next week's production from the attached tables.", True, None),
    ("Plan next week's production.", False, False),  # nothing a model could be written from
    # numbers, but no goal, no limit and nothing asked: nothing to optimize (the 1.5B
    # classifier said yes to "I have 3 cats and 2 dogs", 2026-12-06)
    ("We have 40 eggs and bake bread and cakes.", False, False),
    ("I have 3 cats and 2 dogs", False, False),
    ("We have 40 eggs and bake bread and cakes. How many of each?", False, None),
    ("Of all rectangles of area 100, which has the smallest perimeter?", False, None),
    # no goal or limit word, but numbers and a question: the LLM decides
    ("20 plants yield 30 melons each, one fewer each for every extra plant. How many extra "
     "plants should you plant?", False, None),
    ("Pack items into a knapsack of 50 kg for the greatest total value: 10 kg worth 60, "
     "20 kg worth 100.", False, True),
    ("Maximieren Sie den Gewinn: 3 Stühle, 5 Tische.", False, None),  # not English: the LLM
    ("Write a joke about 3 engineers and 2 managers.", False, False),
    ("minimize 3x + 2y s.t. x + y >= 4", False, True),
])
def test_looks_like_problem_is_sure_only_when_the_wording_settles_it(text, tables, expected):
    assert looks_like_problem(text, tables=tables) is expected


@pytest.mark.parametrize("text", [
    # problems in everyday words that the goal and limit lists miss: never refused unasked
    "Pack the 20 boxes into as few trucks as possible",
    "There are 4 workers and 4 jobs with these times: 3 5 6 2, 4 4 5 6. Give each worker "
    "one job.",
    "Split 12 people into 3 teams of 4 so that friends are together",
    "Items weigh 2, 3, 4, 5, 6 kg and are worth 3, 4, 5, 6, 7; the knapsack holds 10 kg.",
    "Cut 100 m rolls into pieces of 3 m, 5 m and 7 m with as little waste as possible",
    "Abbiamo 40 uova; i panini usano 2 uova e le torte 5",  # not English: the LLM decides
    "We hebben 40 eieren. De winst is 3 en 5 euro.",
])
def test_problems_in_other_words_are_not_refused_unasked(text):
    assert looks_like_problem(text) is not False


def test_an_unsure_text_the_classifier_accepts_is_formulated():
    text = ("We bake bread and cakes. Bread uses 2 eggs, cakes 5. We have 40 eggs. How many "
            "of each should we bake?")
    llm = FakeLLM([{"optimization": True, "reason": "production planning"}, GOOD])
    answer = assistant(llm, FakeSolver(OPTIMAL)).solve(text)
    assert answer.status == "optimal" and len(llm.requests) == 2


def test_a_clear_problem_skips_classification():
    llm = FakeLLM([GOOD])
    assistant(llm, FakeSolver(OPTIMAL)).solve(SHOP)
    assert "Write the JSON model." in user_prompt(llm, 0)


@pytest.mark.parametrize("text", ["", "   \n\t ", 42, None,
                                  "Maximize profit: at most 50 acres of corn \ud83d"])
def test_empty_or_non_text_input(text):
    llm = FakeLLM([GOOD])
    with pytest.raises(InputError):
        assistant(llm, FakeSolver(OPTIMAL)).solve(text)
    assert llm.requests == []


def test_text_over_the_limit_is_refused_with_a_hint():
    llm = FakeLLM([GOOD])
    with pytest.raises(InputError) as err:
        assistant(llm, FakeSolver(OPTIMAL), max_problem_chars=200).solve(SHOP + " x" * 100)
    assert "limit is 200" in str(err.value) and "max_problem_chars" in str(err.value)
    assert llm.requests == []


def test_streaming_events():
    llm = FakeLLM([GOOD])
    events = list(assistant(llm, FakeSolver(OPTIMAL)).stream(SHOP))
    types = [(e.type, e.node) for e in events]
    assert ("node_started", "intake") in types and ("node_finished", "answer") in types
    assert ("token", "formulate") in types and ("llm_call", "formulate") in types
    assert events[-1].type == "answer" and events[-1].answer.objective == 600.0
    started = [e.node for e in events if e.type == "node_started"]
    assert started == ["intake", "retrieve", "formulate", "solve", "check", "select", "answer"]


def test_insights_reach_the_prompt_and_hear_the_outcome():
    class Insight:
        def __init__(self, i):
            self.id, self.label, self.score = f"i{i}", "ratios", 0.9
            self.text = f"Insight number {i}: write ratios linearly."

    class Source:
        def __init__(self):
            self.usage = []

        def retrieve(self, problem_text, k=4):
            return [Insight(i) for i in range(k)]

        def record_usage(self, insight_id, outcome):
            self.usage.append((insight_id, outcome))

    source, llm = Source(), FakeLLM([GOOD])
    Assistant(load_settings(top_k=2), llm=llm, insight_source=source,
              solve=FakeSolver(OPTIMAL), export=None).solve(SHOP)
    prompt = user_prompt(llm, 0)
    assert "Insight number 0" in prompt and "Insight number 1" in prompt
    assert "Insight number 2" not in prompt
    assert source.usage == [("i0", "solved"), ("i1", "solved")]


def test_time_limit_keeps_the_incumbent_without_repairs():
    stopped = SolveResult(status=Status.TIME_LIMIT, objective=590.0,
                          values={"chairs": 18.0, "tables": 0.0})
    llm = FakeLLM([GOOD])
    answer = assistant(llm, FakeSolver(stopped)).solve(SHOP)
    assert answer.status == "time_limit" and answer.objective == 590.0
    assert answer.message.startswith("Stopped at the time limit") and len(llm.requests) == 1
    assert "not proven optimal" in answer.explanation


def test_with_repairs_off_the_first_failure_is_the_answer():
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    llm = FakeLLM([GOOD])
    answer = assistant(llm, FakeSolver(infeasible), max_repairs=0).solve(SHOP)
    assert answer.status == "infeasible" and answer.message.startswith("No solution (repairs")
    assert len(llm.requests) == 1


def test_the_experience_library_is_the_default_insight_source():
    from optiform.library.retrieval import LibraryInsightSource

    llm = FakeLLM([GOOD])
    with Assistant(load_settings(library_retrieval="keyword"), llm=llm,
                   solve=FakeSolver(OPTIMAL), export=None) as a:
        assert isinstance(a.insight_source, LibraryInsightSource)
        answer = a.solve(SHOP)
    assert answer.status == "optimal" and answer.trace.of_kind("retrieve")
    off = Assistant(load_settings(library=False), llm=FakeLLM([GOOD]), solve=FakeSolver(OPTIMAL))
    assert off.insight_source is None


def test_the_library_check_opens_with_the_agent_system_prompt(tmp_path):
    """With ``library_llm_check`` on, each retrieved insight is checked by the agent's LLM in a
    prompt that opens with the formulation call's own system prompt (one prefix to cache), and
    an insight the LLM rejects stays out of the formulation prompt."""
    seen_checks: list[int] = []

    def answer(messages):
        if "Does the hint apply" in messages[-1].content:
            seen_checks.append(1)
            return {"applies": len(seen_checks) == 1}  # keep the first insight only
        return GOOD

    llm = FakeLLM(default=answer)
    settings = load_settings(library_retrieval="keyword", library_llm_check=True,
                             library_threshold=0.0, top_k=3,
                             library_path=tmp_path / "lib.sqlite")
    with Assistant(settings, llm=llm, solve=FakeSolver(OPTIMAL), export=None) as a:
        answer_ = a.solve(SHOP)
    checks = [r for r in llm.requests if "Does the hint apply" in r["messages"][-1].content]
    formulate = next(r for r in llm.requests if r not in checks)
    assert answer_.status == "optimal" and len(checks) == 3
    assert {c["messages"][0].content for c in checks} == {formulate["messages"][0].content}
    kept = answer_.trace.of_kind("retrieve")[0].detail["insights"]
    lessons = formulate["messages"][1].content.split("Problem:")[0]
    assert len(kept) == 1 and lessons.count("\n- ") == 1
    assert kept[0]["label"].rsplit("/", 1)[-1] in lessons


# -- the library fallback: when no model written with the retrieved insights reaches the
# solver, the agent writes one more without them (a chain of its own, with its own repairs)
BROKEN = {"variables": []}  # not a formulation: it never reaches the solver
INSIGHT_TEXT = "Insight number"


class ShownInsight:
    def __init__(self, i: int) -> None:
        self.id, self.label, self.score = f"i{i}", "ratios", 0.9
        self.text = f"{INSIGHT_TEXT} {i}: write ratios linearly."


class FallbackSource:
    def __init__(self, n: int = 2) -> None:
        self.n, self.usage = n, []

    def retrieve(self, problem_text, k=4):
        return [ShownInsight(i) for i in range(min(k, self.n))]

    def record_usage(self, insight_id, outcome):
        self.usage.append((insight_id, outcome))


def solve_shown(llm, solver, source=None, **settings):
    return Assistant(load_settings(**settings), llm=llm, solve=solver, export=None,
                     insight_source=source or FallbackSource()).solve(SHOP)


def test_when_no_model_written_with_insights_builds_one_is_written_without_them():
    source = FallbackSource()
    llm, solver = FakeLLM([BROKEN, BROKEN, GOOD]), FakeSolver(OPTIMAL)
    answer = solve_shown(llm, solver, source, max_repairs=1)
    assert answer.status == "optimal" and answer.objective == 600.0
    assert answer.source == "plain" and answer.fallback
    assert len(llm.requests) == 3 and len(solver.calls) == 1
    assert answer.message == ("Solved: objective 600. (Written without the library's insights: "
                              "no model written with them reached the solver.)")
    # both chains' rounds count, in the answer and in its confidence (0.8 - 0.05 per round)
    assert answer.repair_rounds == 1 and answer.confidence == 0.75
    assert INSIGHT_TEXT in user_prompt(llm, 0) and INSIGHT_TEXT in user_prompt(llm, 1)
    assert INSIGHT_TEXT not in user_prompt(llm, 2) and SHOP in user_prompt(llm, 2)
    assert "without the library's insights" in answer.message
    note = next(s for s in answer.trace.steps if s.node == "plain" and s.kind == "note")
    assert note.detail["left_out"] == ["i0", "i1"] and note.detail["repairs_before"] == 1
    # the insights' own chain failed: that is what they hear, though the turn is solved
    assert source.usage == [("i0", "failed"), ("i1", "failed")]


def test_the_chain_without_insights_has_its_own_repairs_and_they_leave_the_insights_out():
    llm = FakeLLM([BROKEN, BROKEN, BROKEN, GOOD])
    answer = solve_shown(llm, FakeSolver(OPTIMAL), max_repairs=1)
    assert answer.status == "optimal" and answer.source == "repair" and answer.fallback
    assert answer.repair_rounds == 2 and len(llm.requests) == 4
    repair_prompt = user_prompt(llm, 3)
    assert "could not be built" in repair_prompt and INSIGHT_TEXT not in repair_prompt


def test_the_fallback_runs_once_and_a_failure_of_both_chains_is_failed():
    llm = FakeLLM(default=BROKEN)
    answer = solve_shown(llm, FakeSolver(OPTIMAL))  # the default 3 repair rounds, twice over
    assert answer.status == "failed" and len(llm.requests) == 8
    assert sum(1 for s in answer.trace.steps if s.node == "plain" and s.kind == "note") == 1
    assert answer.message.startswith("Gave up after 6 repair rounds: ")
    assert answer.message.endswith(". (Also tried without the library's insights, after no "
                                   "model written with them reached the solver.)")
    assert answer.fallback and answer.confidence == 0.0


def test_a_solver_answer_of_the_fallback_says_it_was_written_without_the_insights():
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    answer = solve_shown(FakeLLM([BROKEN, GOOD]), FakeSolver(infeasible), max_repairs=0)
    assert answer.status == "infeasible" and answer.fallback and answer.source == "plain"
    assert answer.message.endswith(". (Written without the library's insights: no model "
                                   "written with them reached the solver.)")


def test_a_fallback_after_a_vote_over_samples_is_not_scored_by_that_vote():
    # three samples written with the insights, none builds; the fallback's model solves: its
    # confidence is a single model's (0.8, less 0.05 for the one repair round), not the
    # failed vote's share of 0
    llm = FakeLLM([BROKEN, BROKEN, BROKEN, BROKEN, GOOD])
    answer = solve_shown(llm, FakeSolver(OPTIMAL), samples=3, max_repairs=1)
    assert answer.status == "optimal" and answer.fallback
    assert len(llm.requests) == 5 and answer.confidence == 0.75


def test_each_turn_of_a_thread_may_fall_back_once():
    from optiform.agent.threads import memory_checkpointer

    # the first turn fails with and without insights, so the second is a new problem (a
    # follow-up needs a formulation to follow), and it falls back again
    llm = FakeLLM([BROKEN, BROKEN, BROKEN, GOOD])
    a = Assistant(load_settings(max_repairs=0), llm=llm, solve=FakeSolver(OPTIMAL), export=None,
                  insight_source=FallbackSource(), checkpointer=memory_checkpointer())
    first = a.solve(SHOP, thread_id="t")
    second = a.solve(SHOP, thread_id="t")
    assert first.status == "failed" and first.fallback
    assert second.status == "optimal" and second.fallback and second.source == "plain"
    assert len(llm.requests) == 4
    assert INSIGHT_TEXT in user_prompt(llm, 2) and INSIGHT_TEXT not in user_prompt(llm, 3)


def test_a_model_that_reached_the_solver_keeps_its_chain():
    # infeasible is a solver's answer: the insights' model built, so no fallback
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    llm = FakeLLM(default=GOOD)
    answer = solve_shown(llm, FakeSolver(infeasible), max_repairs=1)
    assert answer.status == "infeasible" and len(llm.requests) == 2
    assert all(s.node != "plain" for s in answer.trace.steps)


@pytest.mark.parametrize("settings", [{"library_fallback": False}, {"top_k": 0}])
def test_no_fallback_when_it_is_off_or_no_insight_was_shown(settings):
    llm = FakeLLM(default=BROKEN)
    answer = solve_shown(llm, FakeSolver(OPTIMAL), max_repairs=1, **settings)
    assert answer.status == "failed" and len(llm.requests) == 2
    assert "without the library's insights" not in answer.message


def test_no_fallback_when_the_retrieval_finds_nothing():
    llm = FakeLLM(default=BROKEN)
    answer = solve_shown(llm, FakeSolver(OPTIMAL), FallbackSource(n=0), max_repairs=1)
    assert answer.status == "failed" and len(llm.requests) == 2


def test_the_learning_jobs_solve_without_the_fallback():
    # learn, evolve and verify judge what the insights themselves do
    from optiform.commands.library_jobs import AgentSolver

    solver = AgentSolver(load_settings(), FakeLLM([GOOD]), 4)
    assert solver.assistant.deps().library_fallback is False


def test_an_unknown_solver_is_refused_before_any_llm_call() -> None:
    from optiform.errors import InputError

    llm = FakeLLM(default=GOOD)
    with Assistant(load_settings(library=False), llm=llm) as assistant, \
            pytest.raises(InputError, match="solver"):
        assistant.solve(SHOP, solver="foo")
    assert llm.requests == []
    assert load_settings(solver="scip").solver == "scip"  # a setting, so optiform.solve takes it


CHAIRS = ("A shop makes chairs. Each chair needs 2 hours of labor and earns $5 profit. Only 10 "
          "hours of labor are available, but the shop must make at least 8 chairs. How many "
          "chairs should it make to maximize profit?")


def chairs_model(labor: str, minimum: str) -> dict:
    return {"sets": [], "parameters": [],
            "variables": [{"name": "chairs", "domain": "integer"}],
            "objective": {"sense": "maximize", "expression": "5*chairs"},
            "constraints": [{"name": "labor", "expression": labor},
                            {"name": "minimum", "expression": minimum}]}


def test_a_model_solved_only_against_the_texts_wording_does_not_pass_for_the_optimum() -> None:
    """As the text says it, the problem is infeasible; a repair reversed both directions and
    solved. The answer keeps the solve (direction cues can misread) but says so."""
    faithful = chairs_model("2*chairs <= 10", "chairs >= 8")
    reversed_ = chairs_model("2*chairs >= 10", "chairs <= 8")
    llm = FakeLLM([faithful] + [reversed_] * 6)
    answer = assistant(llm, None, max_repairs=3).solve(CHAIRS)  # the real solver
    assert answer.status == "optimal" and answer.objective == pytest.approx(40)
    assert "as the text states it, the model is infeasible" in answer.message
    [note] = [c for c in answer.checks if c.code == "faithful_infeasible"]
    assert set(note.names) == {"labor", "minimum"}
    assert "labor: 2*chairs <= 10" in note.message.replace("  ", " ")
    assert answer.confidence < 0.5


def test_a_direction_warning_alone_gets_no_such_note() -> None:
    """The same reversed model, but the chain never solved the text's own reading (no
    autofix, no repair): the direction warnings stand, with no claim about feasibility."""
    reversed_ = chairs_model("2*chairs >= 10", "chairs <= 8")
    answer = assistant(FakeLLM(default=reversed_), None, max_repairs=0, autofix=False,
                       library_fallback=False).solve(CHAIRS)
    assert answer.status == "optimal" and "infeasible" not in answer.message
    assert {c.code for c in answer.checks} >= {"bound_direction"}
    assert not [c for c in answer.checks if c.code == "faithful_infeasible"]


def test_a_time_limit_with_no_solution_says_so() -> None:
    stopped = SolveResult(status=Status.TIME_LIMIT, objective=None)
    answer = assistant(FakeLLM(default=GOOD), FakeSolver(stopped)).solve(SHOP)
    assert answer.status == "time_limit"
    assert answer.message.startswith("Stopped at the solver's time limit before it found a "
                                     "feasible solution")
    assert "repairs are off" not in answer.message and "no model was produced" not in \
        answer.message


def test_a_model_solved_only_without_a_stated_requirement_does_not_pass_for_the_optimum():
    """'At least 5 breads and at least 3 cakes' with 8 oven hours is infeasible; the 1.5B model
    wrote the cakes' minimum as '3 <= 3' and solved. Autofix added cake >= 3 (infeasible),
    and the repairs kept both; the answer keeps the solve but says the text's model has no
    feasible plan."""
    text = ("A bakery makes bread and cake. Bread needs 1 hour of oven time and cake needs 2 "
            "hours. The oven is available for at most 8 hours a day. The bakery must make at "
            "least 5 breads and at least 3 cakes each day. Bread earns $3 and cake earns $7. How "
            "many of each should be made to maximize daily earnings?")
    loose = {"variables": {"bread": "integer", "cake": "integer"},
             "objective": {"sense": "maximize", "expression": "3*bread + 7*cake"},
             "constraints": {"oven": "1*bread + 2*cake <= 8", "bread": "bread >= 5",
                             "cake": "3 <= 3"}}
    answer = assistant(FakeLLM(default=loose), None, max_repairs=2).solve(text)
    assert answer.status == "optimal" and answer.objective == pytest.approx(25)
    assert "only without 'cake_min', which the text states; as the text states it, the " \
           "model is infeasible" in answer.message
    [note] = [c for c in answer.checks if c.code == "faithful_infeasible"]
    assert note.names == ["cake_min"] and "leaves out or reverses" in note.message
    assert "the model is infeasible: 'oven', 'bread', 'cake_min'" in note.message
    assert answer.confidence <= 0.5  # two open warnings and two repair rounds
