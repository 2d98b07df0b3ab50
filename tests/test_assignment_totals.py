"""A one-to-one assignment whose per-machine line holds the total, as the embedded model wrote it
(recorded, 2026-12-07): infeasible beside 'one job per machine'. assignment_totals
(agent/assignment_sides.py) sets the line to one."""

from __future__ import annotations

import pytest

from optiform.agent.assignment_sides import assignment_totals
from optiform.agent.fake import FakeLLM
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings

TEXT = ("Three jobs must be assigned to three machines, one job per machine. Job 1 costs $9 on "
        "machine 1, $7 on machine 2 and $8 on machine 3. Job 2 costs $6 on machine 1, $4 on "
        "machine 2 and $7 on machine 3. Job 3 costs $5 on machine 1, $8 on machine 2 and $6 on "
        "machine 3. Which assignment has the least total cost?")
COST = {"J1": {"M1": 9, "M2": 7, "M3": 8}, "J2": {"M1": 6, "M2": 4, "M3": 7},
        "J3": {"M1": 5, "M2": 8, "M3": 6}}
WRITTEN = {
    "sets": [{"name": "J", "elements": ["J1", "J2", "J3"]},
             {"name": "M", "elements": ["M1", "M2", "M3"]}],
    "parameters": [{"name": "cost", "index": ["J", "M"], "values": COST}],
    "variables": [{"name": "assign", "index": ["J", "M"], "domain": "binary"}],
    "objective": {"sense": "minimize",
                  "expression": "sum(cost[j,m]*assign[j,m] for j in J for m in M)"},
    "constraints": [
        {"name": "job_assignment", "expression": "sum(assign[j,m] for j in J) == 3",
         "for_each": "m in M"},
        {"name": "machine_capacity", "expression": "sum(assign[j,m] for j in J) <= 1",
         "for_each": "m in M"},
        {"name": "one_per_J", "expression": "sum(assign[j, i] for i in M) == 1",
         "for_each": "j in J"}]}


def test_the_total_per_machine_becomes_one():
    (check,) = assignment_totals(TEXT, to_formulation(WRITTEN))
    assert check.fix == {"constraints": {"job_assignment": "sum(assign[j,m] for j in J) == 1"}}


def test_the_agent_answers_from_the_recorded_reply():
    answer = Assistant(load_settings(library=False), llm=FakeLLM([WRITTEN] * 4)).solve(TEXT)
    assert answer.status == "optimal" and answer.objective == pytest.approx(17.0)


def test_a_machine_that_takes_up_to_the_total_is_left_alone():
    # '<= 3' per machine is a capacity, not the each-vs-total slip
    written = {**WRITTEN, "constraints": [
        {"name": "cap", "expression": "sum(assign[j,m] for j in J) <= 3", "for_each": "m in M"},
        WRITTEN["constraints"][2]]}
    assert assignment_totals(TEXT, to_formulation(written)) == []
    assert assignment_totals(TEXT.replace("one job per machine", "as the costs allow"),
                             to_formulation(WRITTEN)) == []


def test_a_variable_no_line_holds_to_one_is_another_decision():
    # maintenance hours shared among the drivers, 3 a route: right beside the assignment
    text = ("Each of three drivers is assigned to exactly one route. In addition, each route "
            "needs 3 hours of maintenance a day, shared among the drivers. Minimize the cost.")
    sets = [{"name": "D", "elements": ["D1", "D2", "D3"]},
            {"name": "R", "elements": ["R1", "R2", "R3"]}]
    written = {
        "sets": sets,
        "variables": [{"name": "x", "index": ["D", "R"], "domain": "binary"},
                      {"name": "h", "index": ["D", "R"], "domain": "continuous"}],
        "objective": {"sense": "minimize",
                      "expression": "sum(x[d,r] + h[d,r] for d in D for r in R)"},
        "constraints": [
            {"name": "one_d", "expression": "sum(x[d,r] for r in R) == 1", "for_each": "d in D"},
            {"name": "one_r", "expression": "sum(x[d,r] for d in D) == 1", "for_each": "r in R"},
            {"name": "maint", "expression": "sum(h[d,r] for d in D) == 3", "for_each": "r in R"}]}
    assert assignment_totals(text, to_formulation(written)) == []
