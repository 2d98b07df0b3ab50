"""Choices among named places written by a small model: a variable declared without an index
used with fixed subscripts (agent/subscripted_scalars.py, a name fix) and a yes/no choice with
a cost that no constraint ties to what it allows (agent/fixed_charges.py, unlinked_choice)."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.check_model import Check
from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.fixed_charges import unlinked_choices, unlinked_indexed_choices
from optiform.agent.loop_terms import loop_free_terms
from optiform.agent.name_fixes import static_fixes
from optiform.agent.schema import to_formulation
from optiform.agent.subscripted_scalars import subscripted_scalars
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("A company can open warehouses in Austin, Boston and Chicago. Opening costs 5000, 6000 "
        "and 4000 dollars, and each can hold at most 100, 120 and 80 units. Customers need 150 "
        "units in total. Shipping a unit costs 2 dollars from Austin, 1 dollar from Boston and "
        "3 dollars from Chicago. Which warehouses should be opened, and how many units should "
        "each ship, to minimize total cost?")
# what the embedded 1.5B model wrote (recorded): the scalar shape with subscripts, and no link
# between a warehouse being open and what it ships
WRITTEN = {"variables": {"warehouse": "binary", "units": "integer"},
           "objective": {"sense": "minimize", "expression": (
               "5000*warehouse[0] + 6000*warehouse[1] + 4000*warehouse[2] + 2*units[0] + "
               "1*units[1] + 3*units[2]")},
           "constraints": {"units": "units[0] + units[1] + units[2] == 150",
                           "warehouse": "warehouse[0] + warehouse[1] + warehouse[2] <= 3",
                           "units_2": "units[0] <= 100", "units_3": "units[1] <= 120",
                           "units_4": "units[2] <= 80"}}


def fixed(f: Formulation, fix: dict) -> Formulation:
    return Formulation.model_validate(apply_fixes(
        f.model_dump(), [Check(code="t", severity="warning", message="m", fix=fix)]))


def test_fixed_subscripts_of_a_scalar_become_variables_of_their_own():
    fix = subscripted_scalars(to_formulation(WRITTEN))
    assert fix["objective"]["expression"] == (
        "5000*warehouse_0 + 6000*warehouse_1 + 4000*warehouse_2 + 2*units_0 + 1*units_1 + "
        "3*units_2")
    assert fix["constraints"]["units_2"] == "units_0 <= 100"
    assert fix["variables"] == {"warehouse_0": "binary", "warehouse_1": "binary",
                                "warehouse_2": "binary", "units_0": "integer",
                                "units_1": "integer", "units_2": "integer"}
    assert static_fixes(to_formulation(WRITTEN))["variables"] == fix["variables"]


def test_named_subscripts_and_names_taken_already():
    f = to_formulation({"variables": {"open": "binary", "open_Austin": "binary"},
                        "objective": {"sense": "minimize",
                                      "expression": "5*open[Austin] + 4*open['New York']"},
                        "constraints": {"one": "open[Austin] + open['New York'] >= 1"}})
    fix = subscripted_scalars(f)
    assert fix["objective"]["expression"] == "5*open_Austin_ + 4*open_New_York"
    assert fix["constraints"]["one"] == "open_Austin_ + open_New_York >= 1"


@pytest.mark.parametrize("constraints", [
    {"c": "sum(x[i] for i in I) <= 5"},          # a loop's name: no fixed subscript
    {"c": "x[I] <= 5"},                          # a set's name: no fixed subscript
])
def test_subscripts_that_are_not_fixed_are_left_alone(constraints):
    f = to_formulation({"sets": [{"name": "I", "elements": [1, 2]}],
                        "variables": {"x": "continuous"},
                        "objective": {"sense": "minimize", "expression": "x"},
                        "constraints": constraints})
    assert subscripted_scalars(f) == {}


def test_a_choice_with_a_cost_that_nothing_ties_is_linked_to_its_capacity():
    f = fixed(to_formulation(WRITTEN), subscripted_scalars(to_formulation(WRITTEN)))
    before = solve_formulation(f)
    assert before.objective == pytest.approx(180.0)  # nothing opened, units shipped anyway
    checks = unlinked_choices(TEXT, f)
    assert [c.fix for c in checks] == [
        {"constraints": {"units_2": "units_0 <= 100*warehouse_0"}},
        {"constraints": {"units_3": "units_1 <= 120*warehouse_1"}},
        {"constraints": {"units_4": "units_2 <= 80*warehouse_2"}}]
    assert "warehouse_0 is a yes/no choice with a cost" in checks[0].message
    merged = {"constraints": {k: v for c in checks for k, v in c.fix["constraints"].items()}}
    after = solve_formulation(fixed(f, merged))
    # Austin and Chicago open: 5000 + 4000 + 100*2 + 50*3
    assert after.objective == pytest.approx(9350.0)
    assert unlinked_choices(TEXT, fixed(f, merged)) == []


def test_without_a_capacity_of_its_own_it_says_what_to_write():
    f = to_formulation({"variables": {"open_a": "binary", "ship_a": "continuous",
                                      "ship_b": "continuous"},
                        "objective": {"sense": "minimize",
                                      "expression": "100*open_a + ship_a + 2*ship_b"},
                        "constraints": {"need": "ship_a + ship_b >= 10"}})
    (check,) = unlinked_choices("Decide whether to open site a.", f)
    assert check.fix is None and "ship_a <= capacity*open_a" in check.message


@pytest.mark.parametrize(("text", "objective", "constraints"), [
    ("A researcher pays $100 an hour for a specialised company.", "100*special",
     {"c": "special <= 5"}),                           # no choice in the text: a rate
    (TEXT, "5000*w1 + 2*u1", {"c": "u1 <= 100*w1"}),    # tied already
    (TEXT, "-5000*w1 + 2*u1", {"c": "u1 <= 100"}),      # choosing it pays: nothing to tie
])
def test_choices_that_are_tied_cost_nothing_or_are_no_choice_are_left_alone(
        text, objective, constraints):
    f = to_formulation({"variables": {"w1": "binary", "u1": "continuous",
                                      "special": "binary"},
                        "objective": {"sense": "minimize", "expression": objective},
                        "constraints": constraints})
    assert unlinked_choices(text, f) == []


def test_the_agent_answers_the_warehouses_from_the_recorded_reply():
    llm = FakeLLM([WRITTEN])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(TEXT)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == pytest.approx(9350.0)


WAREHOUSES = ("A company can open warehouses in Austin and Boston. Opening Austin costs $5,000 and "
              "Boston $4,000. Austin can ship up to 300 units and Boston up to 250 units. Two "
              "stores need 200 and 150 units. Shipping one unit costs $4 from Austin to store 1, "
              "$6 from Austin to store 2, $7 from Boston to store 1 and $3 from Boston to store "
              "2. Decide which warehouses to open and how much to ship to meet demand at minimum "
              "total cost.")
# the 1.5B model's indexed model: the setup inside the double sum, the choice tied to nothing
WRITTEN_INDEXED = {
    "sets": [{"name": "W", "elements": ["Austin", "Boston"]},
             {"name": "S", "elements": ["Store 1", "Store 2"]}],
    "parameters": [
        {"name": "cost", "index": ["W", "S"],
         "values": {"Austin": {"Store 1": 4, "Store 2": 6},
                    "Boston": {"Store 1": 7, "Store 2": 3}}},
        {"name": "supply", "index": ["W"], "values": {"Austin": 300, "Boston": 250}},
        {"name": "demand", "index": ["S"], "values": {"Store 1": 200, "Store 2": 150}},
        {"name": "setup", "index": ["W"], "values": {"Austin": 5000, "Boston": 4000}}],
    "variables": [{"name": "open", "index": ["W"], "domain": "binary"},
                  {"name": "ship", "index": ["W", "S"], "domain": "integer"}],
    "objective": {"sense": "minimize", "expression": "sum(setup[w]*open[w] + "
                                                     "cost[w,s]*ship[w,s] for w in W for s in S)"},
    "constraints": [
        {"name": "supply_limit", "for_each": "w in W",
         "expression": "sum(ship[w,s] for s in S) <= supply[w]"},
        {"name": "meet_demand", "for_each": "s in S",
         "expression": "sum(ship[w,s] for w in W) >= demand[s]"},
        {"name": "open_constraint", "for_each": "w in W", "expression": "open[w] <= 1"}]}


def test_an_indexed_choice_gets_its_capacity_and_its_setup_counts_once():
    f = to_formulation(WRITTEN_INDEXED)
    assert solve_formulation(f).objective == pytest.approx(1250.0)  # nothing opened
    found = [c for c in solution_checks(WAREHOUSES, f, solve_formulation(f))
             if c.code in ("unlinked_choice", "loop_free_term")]
    assert [c.fix for c in found] == [
        {"constraints": {"supply_limit": "sum(ship[w,s] for s in S) <= supply[w]*open[w]"}},
        {"objective": {"expression": "sum(setup[w] * open[w] for w in W) + "
                                     "sum(cost[w, s] * ship[w, s] for w in W for s in S)"}}]
    after = to_formulation(apply_fixes(f.model_dump(), found))
    assert solve_formulation(after).objective == pytest.approx(10250.0)  # both open


def test_loop_free_terms_leave_sums_whose_terms_use_every_loop():
    f = to_formulation({**WRITTEN_INDEXED, "objective": {
        "sense": "minimize", "expression": "sum(cost[w,s]*ship[w,s] for w in W for s in S) + "
                                           "sum(setup[w]*open[w] for w in W)"}})
    assert loop_free_terms(f) == []
    # a text with no choice in it
    assert unlinked_indexed_choices("Ship goods from two warehouses to two stores at least "
                                    "cost.", f) == []
