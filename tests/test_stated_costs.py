"""Cost formulas of the text copied wrongly into the objective, as the embedded model wrote them
(recorded, 2026-12-07). cost_formulas (agent/stated_costs.py) writes their sum."""

from __future__ import annotations

import pytest

from optiform.agent.schema import to_formulation
from optiform.agent.stated_costs import cost_formulas, stated_costs

TEXT = ("Two plants must produce 100 units in total. Producing x units at plant 1 costs 2x^2 + "
        "10x dollars and producing y units at plant 2 costs y^2 + 20y dollars. How many units "
        "should each plant produce to minimize the total cost?")
WRITTEN = {"variables": {"plant1": "integer", "plant2": "integer"},
           "objective": {"sense": "minimize",
                         "expression": "2*plant1^2 + 10*plant1 + 20*plant2 + 20*plant2"},
           "constraints": {"total_units": "plant1 + plant2 >= 100"}}


def test_the_formulas_are_read():
    assert stated_costs(TEXT) == [("x", "plant 1", "2x^2 + 10x"), ("y", "plant 2", "y^2 + 20y")]
    # a formula over another letter than the quantity's: none is read
    assert stated_costs(TEXT.replace("y^2 + 20y", "x^2 + 20y")) == []


def test_the_recorded_objective_is_replaced():
    (check,) = cost_formulas(TEXT, to_formulation(WRITTEN))
    assert check.fix == {"objective": {
        "expression": "(2*plant1^2 + 10*plant1) + (plant2^2 + 20*plant2)"}}


def test_the_agent_answers_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(8325.0)
    assert answer.values == pytest.approx({"plant1": 35.0, "plant2": 65.0})


def test_the_same_sum_written_otherwise_passes():
    right = {**WRITTEN, "objective": {"sense": "minimize", "expression":
                                      "plant2*plant2 + 2*plant1**2 + 20*plant2 + 10*plant1"}}
    assert cost_formulas(TEXT, to_formulation(right)) == []


@pytest.mark.parametrize("variables", [
    {"a": "integer", "b": "integer"},  # no variable named for a plant
    {"plant1": "integer", "plant1_extra": "integer"},  # plant 2 has none; plant 1 two
])
def test_no_fix_without_one_variable_per_plant(variables):
    written = {**WRITTEN, "variables": variables,
               "objective": {"sense": "minimize", "expression": " + ".join(variables)}}
    assert cost_formulas(TEXT, to_formulation(written)) == []


@pytest.mark.parametrize(("text", "written"), [
    # shipping costs besides the production formulas
    (TEXT.replace(" How many", " Delivering each unit costs $3 from plant 1 and $1 from plant 2. "
                  "How many"),
     {**WRITTEN, "objective": {"sense": "minimize", "expression":
                               "2*plant1^2 + 10*plant1 + plant2^2 + 20*plant2 + 3*plant1 + "
                               "plant2"}}),
    # a third plant with a linear cost
    (TEXT.replace("Two plants", "Three plants").replace(" How many", " Plant 3 makes units at "
                                                        "$150 each. How many"),
     {"variables": dict.fromkeys(["plant1", "plant2", "plant3"], "integer"),
      "objective": {"sense": "minimize", "expression":
                    "2*plant1^2 + 10*plant1 + plant2^2 + 20*plant2 + 150*plant3"},
      "constraints": {"total_units": "plant1 + plant2 + plant3 >= 100"}}),
    # a fixed part paid only where the plant produces
    ("Producing x units at plant 1 costs 5x + 100 dollars and producing y units at plant 2 costs "
     "8y + 20 dollars, where the fixed part is paid only if the plant produces. 100 units are "
     "needed in total. Minimize the total cost.",
     {"variables": {"plant1": "integer", "plant2": "integer", "open1": "binary",
                    "open2": "binary"},
      "objective": {"sense": "minimize",
                    "expression": "5*plant1 + 100*open1 + 8*plant2 + 20*open2"},
      "constraints": {"t": "plant1 + plant2 >= 100", "l1": "plant1 <= 100*open1",
                      "l2": "plant2 <= 100*open2"}}),
])
def test_a_right_objective_with_more_costs_is_left_alone(text, written):
    assert stated_costs(text)
    assert cost_formulas(text, to_formulation(written)) == []
