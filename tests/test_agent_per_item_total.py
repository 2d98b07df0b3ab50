"""A total the text states once, asked of every element of a set: 'per_item_total'."""

from __future__ import annotations

from typing import Any

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.wording_checks import per_item_totals
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

SHIP = ("We must ship at least 260 units in total this week. Each plant in plants.csv can make "
        "at most its capacity, at its cost per unit. How many units should each plant make to "
        "meet the demand at the lowest total cost?")


def plants(demand: str, for_each: str | None = "p in plants") -> dict[str, Any]:
    meet: dict[str, Any] = {"name": "meet_demand", "expression": demand}
    if for_each:
        meet["for_each"] = for_each
    return {
        "sets": [{"name": "plants", "elements": ["Austin", "Boise", "Camden"]}],
        "parameters": [
            {"name": "capacity", "index": ["plants"],
             "values": {"Austin": 120, "Boise": 80, "Camden": 150}},
            {"name": "cost", "index": ["plants"],
             "values": {"Austin": 4.5, "Boise": 3.9, "Camden": 5.2}},
            {"name": "demand", "value": 260},
        ],
        "variables": [{"name": "units", "index": ["plants"]}],
        "objective": {"sense": "minimize", "expression": "sum(cost[p]*units[p] for p in plants)"},
        "constraints": [
            {"name": "supply", "for_each": "p in plants", "expression": "units[p] <= capacity[p]"},
            meet,
        ],
    }


@pytest.mark.parametrize("demand", ["units[p] >= demand", "demand <= units[p]",
                                    "units[p] >= 260", "1*units[p] >= demand"])
def test_a_total_asked_of_each_element_is_one_constraint_over_the_sum(demand: str) -> None:
    f = Formulation.from_dict(plants(demand))
    [check] = per_item_totals(SHIP, f)
    assert check.code == "per_item_total" and check.names == ["meet_demand"]
    assert "260 units in total" in check.message
    [merged] = check.fix["constraints"].values()
    assert merged.startswith("sum(") and "for p in plants) >= " in merged
    assert check.fix["drop"] == {"meet_demand": ""}
    assert "per_item_total" in [c.code for c in solution_checks(SHIP, f, None)]


def test_the_fix_turns_an_infeasible_model_into_the_right_one() -> None:
    f = Formulation.from_dict(plants("units[p] >= demand"))
    assert solve_formulation(f).status == "infeasible"  # Camden cannot make 260 alone
    [check] = per_item_totals(SHIP, f)
    fixed = Formulation.from_dict(apply_fixes(plants("units[p] >= demand"), [check]))
    res = solve_formulation(fixed)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(80 * 3.9 + 120 * 4.5 + 60 * 5.2)
    assert per_item_totals(SHIP, fixed) == []


@pytest.mark.parametrize("text", [
    "Each plant must make at least 260 units in total this week.",  # 'each' before it
    "We must ship at least 260 units this week. Minimize the cost.",  # no total in the sentence
    "We must ship at least 260 units in total; the minimum is 260 per truck.",  # stated twice
])
def test_a_number_each_element_has_stays_per_element(text: str) -> None:
    assert per_item_totals(text, Formulation.from_dict(plants("units[p] >= demand"))) == []


def test_other_shapes_are_left_alone() -> None:
    assert per_item_totals(SHIP, Formulation.from_dict(
        plants("sum(units[p] for p in plants) >= demand", for_each=None))) == []
    assert per_item_totals(SHIP, Formulation.from_dict(
        plants("units[p] + units['Boise'] >= demand"))) == []
    one = plants("units[p] >= demand")
    one["sets"][0]["elements"] = ["Austin"]
    one["parameters"] = [{**p, "values": {"Austin": 1}} if p.get("index") else p
                         for p in one["parameters"]]
    assert per_item_totals(SHIP, Formulation.from_dict(one)) == []  # one element: no split


def one_cap(set_name: str, variable: str, bound: float) -> Formulation:
    """``variable[i] <= bound`` for each element of ``set_name``: a bound on each one."""
    return Formulation.from_dict({
        "sets": [{"name": set_name, "elements": ["a", "b", "c"]}],
        "variables": [{"name": variable, "index": [set_name]}],
        "objective": {"sense": "maximize",
                      "expression": f"sum({variable}[i] for i in {set_name})"},
        "constraints": [{"name": "cap", "for_each": f"i in {set_name}",
                         "expression": f"{variable}[i] <= {bound:g}"}]})


@pytest.mark.parametrize(("text", "set_name", "variable", "bound"), [
    ("In total, a worker can work at most 40 hours per week.", "workers", "hours", 40),
    ("The total weight of a truck's load cannot exceed 20 tons.", "trucks", "load", 20),
    ("The total production in any month cannot exceed 1000 units.", "months", "prod", 1000),
    ("A single supplier can provide at most 500 units overall.", "suppliers", "buy", 500),
    ("No machine may run more than 60 hours in total.", "machines", "run", 60),
    ("The combined output of a shift is limited to 300 units.", "shifts", "output", 300),
    ("In a given period the total output is at most 300 units.", "T", "output", 300),
])
def test_a_total_of_one_element_stays_per_element(text: str, set_name: str, variable: str,
                                                  bound: float) -> None:
    # the sentence speaks of one element ('a truck's load', 'any month'): each one's total
    assert per_item_totals(text, one_cap(set_name, variable, bound)) == []


def test_a_total_of_the_whole_set_is_still_found_beside_those() -> None:
    f = one_cap("shifts", "output", 300)
    [check] = per_item_totals("The shifts have a total budget of 300 dollars.", f)
    assert check.names == ["cap"]


def test_the_merged_constraint_takes_a_name_the_model_does_not_have() -> None:
    d = plants("units[p] >= demand")
    d["constraints"].append({"name": "meet_demand_total",
                             "expression": "sum(units[p] for p in plants) <= 1000"})
    [check] = per_item_totals(SHIP, Formulation.from_dict(d))
    assert list(check.fix["constraints"]) == ["meet_demand_total_2"]
    fixed = apply_fixes(d, [check])
    assert [c["name"] for c in fixed["constraints"]] == [
        "supply", "meet_demand_total", "meet_demand_total_2"]
    assert fixed["constraints"][1]["expression"] == "sum(units[p] for p in plants) <= 1000"


def test_given_alone_is_no_element() -> None:
    f = one_cap("shifts", "output", 300)
    assert per_item_totals("Given a total budget of 300 dollars, plan the shifts.", f)


def test_the_sentence_before_the_number_ends_at_a_question_mark_too() -> None:
    f = Formulation.from_dict(plants("units[p] >= demand"))
    # the 'each' of the question before is not this sentence's
    text = "Does each plant have a line? We must ship at least 260 units in total this week."
    assert len(per_item_totals(text, f)) == 1
    text = "Can we do it? Each plant must ship at least 260 units in total this week."
    assert per_item_totals(text, f) == []
