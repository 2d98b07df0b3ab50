"""Two user checks written as the embedded model wrote them (recorded, 2026-12-07): a blend's
average over the total needed while the total is only bounded (average_totals,
agent/mix_shares.py), and a budget in dollars beside costs in thousands (scaled_units,
agent/scaled_units.py)."""

from __future__ import annotations

import pytest

from optiform.agent.checks import solution_checks
from optiform.agent.mix_shares import average_totals
from optiform.agent.scaled_units import scaled_amounts, scaled_units
from optiform.agent.schema import to_formulation

BLEND = ("A refinery blends two crude oils into gasoline. Crude 1 costs $50 a barrel and has an "
         "octane rating of 80; crude 2 costs $70 a barrel and has an octane rating of 95. The "
         "gasoline must have an octane rating of at least 88, and 1,000 barrels are needed. How "
         "many barrels of each crude minimize the cost?")
BLENDED = {
    "variables": {"crude1": "integer", "crude2": "integer"},
    "objective": {"sense": "minimize", "expression": "50*crude1 + 70*crude2"},
    "constraints": {"octane": "80*crude1 + 95*crude2 >= 88*1000",
                    "barrels": "crude1 + crude2 >= 1000",
                    "crude1": "0 <= crude1 <= 1000", "crude2": "0 <= crude2 <= 1000"}}
PROJECTS = ("A company considers five projects. Their costs are $40, $30, $20, $50 and $10 "
            "thousand and their values $60, $45, $25, $70 and $12 thousand. The budget is $100 "
            "thousand. At most two of projects 1, 2 and 3 can be chosen, and project 5 can only "
            "be chosen if project 4 is chosen. Which projects maximize the total value?")
CHOSEN = {
    "variables": {f"project{k}": "binary" for k in range(1, 6)},
    "objective": {"sense": "maximize", "expression": (
        "60*project1 + 45*project2 + 25*project3 + 70*project4 + 12*project5")},
    "constraints": {
        "budget": "40*project1 + 30*project2 + 20*project3 + 50*project4 + 10*project5 <= 100000",
        "project1_or_project2_or_project3": "project1 + project2 + project3 <= 2",
        "project5_if_project4": "project5 <= project4"}}


def model(written, **changes):
    return to_formulation({**written, **changes})


def test_an_average_over_the_total_needed_is_written_over_the_blend():
    (check,) = average_totals(BLEND, model(BLENDED))
    assert check.fix == {"constraints": {
        "octane": "80*crude1 + 95*crude2 >= 88*(crude1 + crude2)"}}


@pytest.mark.parametrize("changes", [
    # the total fixed: the two agree
    {"constraints": {**BLENDED["constraints"], "barrels": "crude1 + crude2 == 1000"}},
    # 85000 octane-barrels stated as an amount
    {"constraints": {**BLENDED["constraints"], "octane": "80*crude1 + 95*crude2 >= 85000"}},
    # an average outside the grades is no average of them
    {"constraints": {**BLENDED["constraints"], "octane": "80*crude1 + 95*crude2 >= 50*1000"}},
    # written over the blend already
    {"constraints": {**BLENDED["constraints"],
                     "octane": "80*crude1 + 95*crude2 >= 88*(crude1 + crude2)"}},
])
def test_average_totals_stay_silent_otherwise(changes):
    text = BLEND.replace("1,000 barrels are needed", "1,000 barrels are needed; the tank "
                         "holds 85000 octane-barrels") if "85000" in str(changes) else BLEND
    assert average_totals(text, model(BLENDED, **changes)) == []


def test_the_agent_solves_the_blend_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(BLEND, BLENDED)
    assert answer.status == "optimal" and answer.objective == pytest.approx(60680.0)


def test_scaled_amounts_read_lists_that_end_in_a_scale():
    assert scaled_amounts(PROJECTS) == dict.fromkeys(
        [40, 30, 20, 50, 10, 60, 45, 25, 70, 12, 100], 1000.0)
    assert scaled_amounts("Sales of 2.5 million units and a fee of $3 thousand.") == {
        2.5: 1e6, 3: 1e3}


def test_a_budget_scaled_beside_costs_in_thousands_is_written_in_thousands():
    (check,) = scaled_units(PROJECTS, model(CHOSEN))
    assert check.fix == {"constraints": {"budget": (
        "40*project1 + 30*project2 + 20*project3 + 50*project4 + 10*project5 <= 100")}}


@pytest.mark.parametrize(("text", "changes"), [
    # every amount in thousands as stated
    (PROJECTS, {"constraints": {**CHOSEN["constraints"], "budget": "40*project1 + 30*project2 "
                                "+ 20*project3 + 50*project4 + 10*project5 <= 100"}}),
    # the scaled number is one the text states too
    (PROJECTS.replace("Which projects", "Up to 100000 dollars may be borrowed. Which projects"),
     {}),
    # no amounts in thousands
    (PROJECTS.replace(" thousand", ""), {}),
])
def test_scaled_units_stay_silent_otherwise(text, changes):
    assert scaled_units(text, model(CHOSEN, **changes)) == []


def test_the_agent_solves_the_projects_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(PROJECTS, CHOSEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(142.0)
    assert "scaled_unit" not in {c.code for c in solution_checks(PROJECTS, answer.formulation,
                                                                 None)}


def test_a_line_in_the_scaled_unit_throughout_is_left_alone():
    # chairs and tables counted in thousands: the budget line is in dollars throughout
    text = ("A factory can make at most 5 thousand chairs and 3 thousand tables a month, and must "
            "make at least 2 thousand chairs. A chair costs $10 to make and a table $20; the "
            "budget is $90 thousand. A chair earns $4 and a table $7. How many thousand of each "
            "should it make to maximize profit?")
    f = to_formulation({"variables": {"chairs": "continuous", "tables": "continuous"},
                        "objective": {"sense": "maximize",
                                      "expression": "4000*chairs + 7000*tables"},
                        "constraints": {"chairs_cap": "chairs <= 5", "tables_cap": "tables <= 3",
                                        "chairs_least": "chairs >= 2",
                                        "budget": "10000*chairs + 20000*tables <= 90000"}})
    assert scaled_units(text, f) == []


def test_hours_of_workers_are_no_average_over_a_bounded_total():
    # 50 workers of 8 hours beside a store room of 50 items: no blend, no average
    text = ("A workshop has 50 workers, each working 8 hours a day. A chair takes 2 hours of work "
            "and a table 10 hours. The store room holds at most 50 items a day. A chair earns $30 "
            "and a table $120. How many of each maximize profit?")
    f = to_formulation({"variables": {"chairs": "integer", "tables": "integer"},
                        "objective": {"sense": "maximize",
                                      "expression": "30*chairs + 120*tables"},
                        "constraints": {"hours": "2*chairs + 10*tables <= 50*8",
                                        "room": "chairs + tables <= 50"}})
    assert average_totals(text, f) == []
