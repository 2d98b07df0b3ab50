"""Data declared and never used, as the embedded model wrote it (recorded, 2026-12-07): a
transportation model from three CSV tables with supply[P] declared and no supply line.
unused_parameters (agent/unused_parameters.py) warns, and adds the line where sure."""

from __future__ import annotations

import pytest

from optiform.agent.schema import to_formulation
from optiform.agent.unused_parameters import unused_parameters
from optiform.solvers.api import solve_formulation

WRITTEN = {
    "sets": [{"name": "P", "elements": ["P1", "P2"]},
             {"name": "C", "elements": ["C1", "C2", "C3"]}],
    "parameters": [
        {"name": "supply", "index": ["P"], "values": {"P1": 50, "P2": 60}},
        {"name": "demand", "index": ["C"], "values": {"C1": 30, "C2": 40, "C3": 40}},
        {"name": "cost", "index": ["P", "C"], "values": {"P1": {"C1": 4, "C2": 6, "C3": 9},
                                                         "P2": {"C1": 5, "C2": 3, "C3": 7}}}],
    "variables": [{"name": "ship", "index": ["P", "C"], "domain": "integer"}],
    "objective": {"sense": "minimize",
                  "expression": "sum(cost[p,c]*ship[p,c] for p in P for c in C)"},
    "constraints": [{"name": "meet_demand", "expression": "sum(ship[p,c] for p in P) >= demand[c]",
                     "for_each": "c in C"}]}


def test_the_unused_supply_gets_its_line():
    f = to_formulation(WRITTEN)
    assert solve_formulation(f).objective == pytest.approx(520.0)  # P2 ships 80 of its 60
    (check,) = unused_parameters(f)
    assert check.fix == {"constraints": {"supply_limit": "sum(ship[p, c] for c in C) <= supply[p]"},
                         "for_each": {"supply_limit": "p in P"}}


def test_the_agent_answers_from_the_recorded_reply():
    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.config import load_settings

    text = ("Two plants ship a product to three cities: plant P1 can supply 50 units and P2 60; "
            "cities C1, C2 and C3 need 30, 40 and 40. Shipping a unit from P1 costs 4, 6 and 9 "
            "to C1, C2 and C3, and from P2 5, 3 and 7. Meet every city's demand at the least "
            "shipping cost.")
    answer = Assistant(load_settings(library=False), llm=FakeLLM([WRITTEN] * 4)).solve(text)
    assert answer.status == "optimal" and answer.objective == pytest.approx(560.0)


SUPPLIED = [*WRITTEN["constraints"], {"name": "supply_limit", "for_each": "p in P",
                                       "expression": "sum(ship[p, c] for c in C) <= supply[p]"}]


@pytest.mark.parametrize(("extra", "expected"), [
    ([], []),  # every parameter used
    # a scalar whose number the model writes out
    ([{"name": "total", "value": 110.0}], []),
    # no sure line for a name that says neither limit nor need
    ([{"name": "weight", "index": ["P"], "values": {"P1": 1, "P2": 2}}], [None]),
])
def test_other_parameters(extra, expected):
    written = {**WRITTEN, "parameters": [*WRITTEN["parameters"], *extra],
               "constraints": [*SUPPLIED, {"name": "all", "expression":
                                           "sum(ship[p, c] for p in P for c in C) <= 110"}]}
    assert [c.fix for c in unused_parameters(to_formulation(written))] == expected


def _plan(parameters, sets=None):
    return to_formulation({
        "sets": sets or [{"name": "P", "elements": ["P1", "P2"]},
                         {"name": "T", "elements": ["M1", "M2", "M3"]}],
        "parameters": parameters,
        "variables": [{"name": "make", "index": ["P", "T"], "domain": "continuous"}],
        "objective": {"sense": "minimize", "expression": "sum(make[p,t] for p in P for t in T)"},
        "constraints": []})


@pytest.mark.parametrize("sets", [
    None,  # T
    [{"name": "P", "elements": ["P1", "P2"]},
     {"name": "Months", "elements": ["Jan", "Feb", "Mar"]}],
    [{"name": "P", "elements": ["P1", "P2"]}, {"name": "W", "elements": ["week1", "week2"]}],
])
def test_no_line_over_the_sum_of_periods(sets):
    # a monthly capacity summed over the months made the plan infeasible: warn, add nothing
    written = _plan([{"name": "capacity", "index": ["P"], "values": {"P1": 50, "P2": 60}}], sets)
    (check,) = unused_parameters(written)
    assert check.fix is None


@pytest.mark.parametrize(("name", "sense"), [
    ("min_supply", ">="), ("safety_stock", ">="), ("max_demand", "<="), ("supply", "<="),
])
def test_min_and_max_say_the_direction(name, sense):
    written = _plan([{"name": name, "index": ["P"], "values": {"P1": 10, "P2": 10}}],
                    [{"name": "P", "elements": ["P1", "P2"]},
                     {"name": "C", "elements": ["C1", "C2"]}])
    written = to_formulation({**written.model_dump(), "variables": [
        {"name": "make", "index": ["P", "C"], "domain": "continuous"}],
        "objective": {"sense": "minimize", "expression": "sum(make[p,c] for p in P for c in C)"}})
    (check,) = unused_parameters(written)
    (line,) = check.fix["constraints"].values()
    assert f" {sense} {name}[" in line
