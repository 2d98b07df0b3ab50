"""An implication between two yes/no choices written as the embedded model wrote it (recorded,
2026-12-07): 'if D is chosen then C must be chosen' as ``C + D <= 1``. implications
(agent/implications.py) writes ``D <= C``."""

from __future__ import annotations

import pytest

from optiform.agent.implications import implications, stated_implications
from optiform.agent.schema import to_formulation

TEXT = ("A company can fund four projects. Project A costs $4 million and returns $10 million, B "
        "costs $5 million and returns $12 million, C costs $3 million and returns $8 million, "
        "and D costs $2 million and returns $6 million. The budget is $10 million. A and B "
        "cannot both be chosen, and if D is chosen then C must be chosen too. Which projects "
        "maximize the total return?")
WRITTEN = {"variables": dict.fromkeys("ABCD", "binary"),
           "objective": {"sense": "maximize", "expression": "10*A + 12*B + 8*C + 6*D"},
           "constraints": {"budget": "4*A + 5*B + 3*C + 2*D <= 10", "A_or_B": "A + B <= 1",
                           "C_or_D": "C + D <= 1"}}


def test_the_implications_are_read():
    assert stated_implications(TEXT) == [("D", "C")]
    assert stated_implications("Project 2 can only be selected if project 1 is selected.") == [
        ("2", "1")]
    assert stated_implications("Site B requires site A.") == [("B", "A")]
    # amounts, not choices
    assert stated_implications("Machine 1 requires 20 ml of water and Process A requires 3 "
                               "units of gold.") == []


def test_the_recorded_line_is_replaced():
    (check,) = implications(TEXT, to_formulation(WRITTEN))
    assert check.fix == {"constraints": {"C_or_D": "D <= C"}}


def test_the_agent_answers_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(26.0)  # B, C, D


def test_named_variables_and_an_added_line():
    written = {"variables": {"fund_project1": "binary", "fund_project2": "binary"},
               "objective": {"sense": "maximize", "expression": "3*fund_project1 + "
                                                                "5*fund_project2"},
               "constraints": {}}
    (check,) = implications("Project 2 can only be selected if project 1 is selected.",
                            to_formulation(written))
    assert check.fix == {"constraints": {"if_fund_project2_then_fund_project1":
                                         "fund_project2 <= fund_project1"}}


@pytest.mark.parametrize("constraints", [
    {"C_needs": "D - C <= 0"},  # stated, another form
    {"C_needs": "C >= D"},
])
def test_a_stated_implication_passes(constraints):
    written = {**WRITTEN, "constraints": {**WRITTEN["constraints"], **constraints}}
    written["constraints"].pop("C_or_D")
    assert implications(TEXT, to_formulation(written)) == []


def test_counts_are_not_choices():
    written = {**WRITTEN, "variables": dict.fromkeys("ABCD", "integer")}
    assert implications(TEXT, to_formulation(written)) == []


@pytest.mark.parametrize(("text", "line"), [
    # the second choice ruled out, not required: A + B <= 1 is right
    ("If plant A is opened, plant B must be closed.", "A + B <= 1"),
    ("If project D is chosen then project C must be dropped.", "C + D <= 1"),
    ("If A is chosen, B must be postponed to next year.", "A + B <= 1"),
    ("Project D can only be selected if project C is not selected.", "C + D <= 1"),
    ("Site C requires Site D to be closed.", "C + D <= 1"),
    # one of two required
    ("If A is chosen, then B must be chosen or C must be chosen.", "A <= B + C"),
    # both ways: C == D says each
    ("D can be chosen only if C is chosen, and C can be chosen only if D is chosen.", "C == D"),
])
def test_a_right_line_that_is_no_implication_is_left_alone(text, line):
    written = {**WRITTEN, "constraints": {"budget": WRITTEN["constraints"]["budget"],
                                          "rule": line}}
    assert implications(text, to_formulation(written)) == []


def test_more_ways_to_say_it():
    assert stated_implications("If Project 2 is selected, then Project 1 has to be selected as "
                               "well.") == [("2", "1")]
    assert stated_implications("If D is chosen, C must be too.") == [("D", "C")]
    assert stated_implications("D may be funded only if C is also funded.") == [("D", "C")]
