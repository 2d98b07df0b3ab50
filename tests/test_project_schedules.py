"""A project's earliest finish as the embedded model wrote it (recorded, 2026-12-07): a 0/1
variable per task, the objective 0. project_lengths (agent/project_schedules.py) writes the
schedule where the answer is not the critical path."""

from __future__ import annotations

import pytest

from optiform.agent.project_schedules import earliest_finish, project_lengths, project_tasks
from optiform.agent.schema import to_formulation
from optiform.solvers.api import solve_formulation

TEXT = ("A project has four tasks. Task A takes 3 days. Task B takes 2 days and can start only "
        "after A is finished. Task C takes 4 days and can start only after A is finished. Task "
        "D takes 1 day and can start only after both B and C are finished. What is the "
        "earliest time the whole project can be finished?")
WRITTEN = {"variables": {f"task_{t}": "binary" for t in "ABCD"},
           "objective": {"sense": "minimize", "expression": "0"},
           "constraints": {"task_A": "task_A == 1", "task_B": "task_B == task_A",
                           "task_C": "task_C == task_A", "task_D": "task_D == task_B",
                           "task_D_2": "task_C <= 1"}}


def test_the_tasks_and_their_order_are_read():
    durations, waits = project_tasks(TEXT)
    assert durations == {"A": 3, "B": 2, "C": 4, "D": 1}
    assert waits == {"B": ["A"], "C": ["A"], "D": ["B", "C"]}
    assert earliest_finish(durations, waits) == 8
    assert project_tasks("Activity 1 lasts 4 hours. Activity 2 lasts 3 hours and starts after "
                         "activity 1. Activity 3 lasts 2 hours and requires activities 1 and 2. "
                         "Find the minimum time to complete all activities.") == (
        {"1": 4, "2": 3, "3": 2}, {"2": ["1"], "3": ["1", "2"]})


def test_a_cycle_is_no_schedule():
    assert earliest_finish({"A": 1, "B": 1}, {"A": ["B"], "B": ["A"]}) is None
    assert project_tasks(TEXT.replace("Task A takes 3 days.",
                                      "Task A takes 3 days and can start only after D.")) is None


def test_the_recorded_model_is_replaced_by_the_schedule():
    f = to_formulation(WRITTEN)
    (check,) = project_lengths(TEXT, f, solve_formulation(f))
    assert "takes 8" in check.message and "answer is 0" in check.message
    assert check.fix["constraints"]["D_after_C"] == "start_D >= start_C + 4"
    assert set(check.fix["drop_variables"]) == set(WRITTEN["variables"])


def test_the_agent_answers_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(8.0)


def test_a_right_schedule_is_left_alone():
    written = {"variables": dict.fromkeys(["sA", "sB", "sC", "sD", "T"], "continuous"),
               "objective": {"sense": "minimize", "expression": "T"},
               "constraints": {"b": "sB >= sA + 3", "c": "sC >= sA + 3", "d1": "sD >= sB + 2",
                               "d2": "sD >= sC + 4", "t": "T >= sD + 1"}}
    f = to_formulation(written)
    assert project_lengths(TEXT, f, solve_formulation(f)) == []


@pytest.mark.parametrize("text", [
    TEXT.replace("What is the earliest time the whole project can be finished?",
                 "Which tasks are critical?"),  # no earliest finish asked
    TEXT.replace("Task D takes 1 day", "Task D takes 1 week"),  # two units
    TEXT.replace("only after both B and C are finished", "only after E is finished"),  # unknown
])
def test_project_lengths_stays_silent_otherwise(text):
    f = to_formulation(WRITTEN)
    assert project_lengths(text, f, solve_formulation(f)) == []


def _right(constraints: dict[str, str]) -> dict:
    names = sorted({n for e in constraints.values() for n in e.replace("+", " ").replace(
        ">=", " ").split() if n[0].isalpha()})
    return {"variables": dict.fromkeys(names, "continuous"),
            "objective": {"sense": "minimize", "expression": "T"}, "constraints": constraints}


ASK = "What is the earliest time the whole project can be finished?"
ORDER = {"b": "sB >= sA + 3", "c": "sC >= sA + 3", "d1": "sD >= sB + 2", "d2": "sD >= sC + 4"}


@pytest.mark.parametrize("text, constraints", [
    # a release date the critical path leaves out: the right 10, not 8
    (TEXT.replace(ASK, "Task C cannot start before day 5, when its materials arrive. " + ASK),
     {**ORDER, "rel": "sC >= 5", "t": "T >= sD + 1"}),
    # waits written in sentences of their own: only B's was read (5 against the right 10)
    ("Task A takes 3 days. Task B takes 2 days and can start only after A is finished. Task C "
     "takes 4 days. Task D takes 1 day. C cannot start until B is finished, and D cannot start "
     "until C is finished. " + ASK,
     {"b": "sB >= sA + 3", "c": "sC >= sB + 2", "d": "sD >= sC + 4", "t": "T >= sD + 1"}),
    # a crane shared by B and C: they cannot overlap
    (TEXT.replace(ASK, "Tasks B and C use the same crane, so they cannot run at the same time. "
                  + ASK), {**ORDER, "bc": "sC >= sB + 2", "t": "T >= sD + 1"}),
    # one task's finish asked, not the project's
    (TEXT.replace(ASK, "What is the earliest time task C can be finished?"),
     {**ORDER, "t": "T >= sC + 4"}),
    # a start-to-start order
    ("Task A takes 3 days. Task B takes 2 days and can start only after A has started. Task C "
     "takes 4 days and can start only after B is finished. " + ASK,
     {"b": "sB >= sA", "c": "sC >= sB + 2", "ta": "T >= sA + 3", "t": "T >= sC + 4"}),
    # 'requires 2 workers' is no wait for activity 2
    ("Activity 1 lasts 4 hours. Activity 2 lasts 3 hours and starts after activity 1. Activity 3 "
     "lasts 2 hours and requires 2 workers. What is the minimum time to complete all activities?",
     {"a": "s2 >= s1 + 4", "t1": "T >= s2 + 3", "t2": "T >= s3 + 2"}),
    # a duration in words the reads miss ('ten days')
    ("Task A takes 3 days. Task B takes 2 days and can start only after A is finished. Task E "
     "takes ten days and can start only after A is finished. " + ASK,
     {"b": "sB >= sA + 3", "e": "sE >= sA + 3", "t": "T >= sE + 10", "t2": "T >= sB + 2"}),
])
def test_a_right_schedule_with_more_in_the_text_is_left_alone(text, constraints):
    f = to_formulation(_right(constraints))
    assert project_lengths(text, f, solve_formulation(f)) == []


def test_the_least_cost_of_a_shorter_project_is_no_finish():
    f = to_formulation({"variables": {"y": "continuous"},
                        "objective": {"sense": "minimize", "expression": "200*y"},
                        "constraints": {"a": "y >= 2"}})
    text = TEXT.replace(ASK, "Each day saved on task C costs $200. What is the minimum cost to "
                        "complete the project in 6 days?")
    assert project_lengths(text, f, solve_formulation(f)) == []
