"""cost_sign (agent/cost_signs.py) and bound_rate (agent/bound_rates.py): overtime bought at
$15 an hour, up to 20 hours. The embedded 1.5B model added the overtime's cost to the profit
and counted each overtime hour at its own limit of 20 (answer 10300 where 2100 is right)."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.bound_rates import bound_rates
from optiform.agent.checks import solution_checks
from optiform.agent.cost_signs import cost_signs
from optiform.agent.schema import to_formulation
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("A workshop makes shelves and cabinets. A shelf takes 2 hours of labor and earns $40 "
        "profit; a cabinet takes 3 hours of labor and earns $55 profit. There are 100 regular "
        "labor hours available this week. Up to 20 extra overtime hours can be bought at $15 "
        "per hour. At most 25 cabinets can be sold. How many of each should be made, and how "
        "many overtime hours used, to maximize profit after overtime costs?")
OBJECTIVE = "40*shelves + 55*cabinets + 15*overtime_hours"
LABOR = "2*shelves + 3*cabinets <= 100 + 20*overtime_hours"
# 120 hours, all of them on shelves (20 a labor hour against 18.33 for cabinets): 2400 - 300
BEST = 2100.0


def model(objective: str = OBJECTIVE, labor: str = LABOR, **more: str) -> Formulation:
    return to_formulation({
        "variables": {"shelves": "integer", "cabinets": "integer",
                      "overtime_hours": "integer"},
        "objective": {"sense": "maximize", "expression": objective},
        "constraints": {"labor": labor, "cabinet_sales": "cabinets <= 25",
                        "overtime_hours_max": "overtime_hours <= 20", **more}})


def fixed(f: Formulation, checks) -> Formulation:
    return to_formulation(apply_fixes(f.model_dump(), [c for c in checks if c.fix]))


def test_the_written_model_is_wrong_and_both_checks_fire():
    f = model()
    assert solve_formulation(f).objective == pytest.approx(10300.0)
    codes = {c.code for c in solution_checks(TEXT, f, solve_formulation(f))}
    assert {"cost_sign", "bound_rate"} <= codes


def test_the_cost_is_subtracted():
    (check,) = cost_signs(TEXT, model())
    assert (check.code, check.where, check.names) == ("cost_sign", "objective",
                                                      ["overtime_hours"])
    assert check.fix == {"objective": {
        "expression": "40 * shelves + 55 * cabinets - 15 * overtime_hours"}}
    assert "$15 as a cost of overtime_hours" in check.message


@pytest.mark.parametrize(("objective", "expected"), [
    ("15*overtime_hours + 40*shelves + 55*cabinets",
     "-15 * overtime_hours + 40 * shelves + 55 * cabinets"),
    ("40*shelves + overtime_hours*15 + 55*cabinets",
     "40 * shelves - overtime_hours * 15 + 55 * cabinets"),
])
def test_any_place_of_the_term(objective, expected):
    (check,) = cost_signs(TEXT, model(objective))
    assert check.fix == {"objective": {"expression": expected}}


def scalar_model(sense: str, objective: str, **constraints: str) -> Formulation:
    names = sorted({w for w in objective.replace("*", " ").replace("+", " ").split()
                    if w.isidentifier()})
    return to_formulation({"variables": dict.fromkeys(names, "integer"),
                           "objective": {"sense": sense, "expression": objective},
                           "constraints": constraints})


@pytest.mark.parametrize(("text", "f"), [
    (TEXT, model("40*shelves + 55*cabinets - 15*overtime_hours")),      # right already
    (TEXT.replace("maximize profit after overtime costs", "minimize cost"),
     scalar_model("minimize", OBJECTIVE, labor=LABOR)),
    # 15 also stated as something earned
    (TEXT.replace("$55 profit", "$55 profit, and each shelf sold brings in $15 more"),
     model()),
    # no term earns: 'a ticket costs $15' is what customers pay
    ("A theater sells adult and child tickets. An adult ticket costs $15 and a child ticket "
     "$8. The hall seats 200. Maximize revenue.",
     scalar_model("maximize", "15*adult + 8*child", seats="adult + child <= 200")),
    # the seller's price: a consultant who charges, bikes that are rented out
    ("A consultant charges $50 per hour for consulting and earns $30 per hour for tutoring. "
     "She can work at most 40 hours a week. Maximize her income.",
     scalar_model("maximize", "50*consulting_hours + 30*tutoring_hours",
                  hours="consulting_hours + tutoring_hours <= 40")),
    ("A shop has 30 bikes and 20 scooters. Each bike can be rented for $15 per day and each "
     "scooter earns $25 per day. Maximize daily revenue.",
     scalar_model("maximize", "15*bikes + 25*scooters", b="bikes <= 30", s="scooters <= 20")),
    # a fee may be what the seller is paid: 'her fee is $200 per case'
    ("A lawyer earns $80 per hour of advice; her fee is $200 per court case. She has 40 "
     "hours. Maximize income.", scalar_model("maximize", "80*advice + 200*court_case",
                                             hours="advice + 5*court_case <= 40")),
    # the sentence that states the price does not name the decision
    (TEXT.replace("can be bought at $15 per hour", "are available. Extra help costs $15 "
                  "per hour"),
     scalar_model("maximize", "40*shelves + 55*cabinets + 15*x3",
                  labor="2*shelves + 3*cabinets <= 100 + x3")),
])
def test_no_check_where_the_term_may_be_right(text, f):
    assert cost_signs(text, f) == []


def test_the_limit_used_as_a_rate_counts_once():
    (check,) = bound_rates(TEXT, model())
    assert (check.code, check.where, check.names) == ("bound_rate", "constraint 'labor'",
                                                      ["labor"])
    assert check.fix == {"constraints": {
        "labor": "2 * shelves + 3 * cabinets <= 100 + overtime_hours"}}
    assert "100 is stated in the unit overtime_hours counts" in check.message


def test_a_bound_as_the_variable_upper_bound_and_the_other_side_of_the_comparison():
    f = to_formulation({
        "variables": {"shelves": "integer", "cabinets": "integer",
                      "overtime_hours": {"domain": "integer", "ub": 20}},
        "objective": {"sense": "maximize", "expression": OBJECTIVE},
        "constraints": {"labor": "2*shelves + 3*cabinets - 20*overtime_hours <= 100"}})
    (check,) = bound_rates(TEXT, f)
    assert check.fix == {"constraints": {
        "labor": "2 * shelves + 3 * cabinets - overtime_hours <= 100"}}


def test_without_a_number_in_the_decision_unit_it_only_warns():
    text = TEXT.replace("20 extra overtime hours", "20 extra overtime shifts").replace(
        "100 regular labor hours", "100 regular labor units")
    f = to_formulation({"variables": {"shelves": "integer", "cabinets": "integer",
                                      "overtime_shifts": "integer"},
                        "objective": {"sense": "maximize", "expression": "40*shelves"},
                        "constraints": {
                            "labor": "2*shelves + 3*cabinets <= 100 + 20*overtime_shifts",
                            "cap": "overtime_shifts <= 20"}})
    (check,) = bound_rates(text, f)
    assert check.fix is None and "Use the text's rate" in check.message


@pytest.mark.parametrize("text", [
    # 20 stated twice: a limit of 20 trucks and 20 tons a truck
    "Up to 20 trucks can be hired; each truck carries 20 tons. Ship at least 300 tons. "
    "A truck costs $90. Minimize cost.",
])
def test_a_number_stated_twice_gets_no_check(text):
    f = to_formulation({"variables": {"trucks": "integer"},
                        "objective": {"sense": "minimize", "expression": "90*trucks"},
                        "constraints": {"cap": "trucks <= 20", "tons": "20*trucks >= 300"}})
    assert bound_rates(text, f) == []


def test_both_fixes_give_the_best_plan():
    f = model()
    after = fixed(fixed(f, cost_signs(TEXT, f)), bound_rates(TEXT, f))
    result = solve_formulation(after)
    assert result.objective == pytest.approx(BEST)
    assert result.values["overtime_hours"] == pytest.approx(20.0)
    assert cost_signs(TEXT, after) == [] and bound_rates(TEXT, after) == []
