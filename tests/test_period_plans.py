"""The checks of plans over several periods (agent/period_plans.py): stock that carries over
to later periods (carried_stock) and a capacity per period written over all periods
(period_pools); and the autofix that adds the stock variables the balance needs."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.period_plans import carried_stock, period_pools
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import FormulationError
from optiform.solvers.api import solve_formulation
from optiform.solvers.validate import parse_model

PLAN = ("A workshop makes chairs over the next 4 months. The demand is 80, 110, 150 and 90 "
        "chairs in months 1 to 4, and making a chair costs 20, 22, 25 and 21 dollars in those "
        "months. The workshop can make at most 120 chairs a month. Chairs can be kept in stock "
        "for later months at 3 dollars per chair per month. There is no stock at the start. "
        "Every month's demand must be met. How many chairs should be made each month to "
        "minimize total cost?")
NO_CARRY = PLAN.replace(" Chairs can be kept in stock for later months at 3 dollars per chair "
                        "per month. There is no stock at the start.", "")
ONE_PERIOD = ("A toy shop buys dolls at $2 and bears at $3 and can spend at most $700 on "
              "inventory. A doll earns $2 and a bear $4. Maximize profit.")
CHAIRS = [f"chairs{k}" for k in range(1, 5)]
# what the embedded 1.5B model wrote for PLAN (recorded): each month on its own, the holding
# cost on what is made, and the monthly capacity over all four months (three times)
WRITTEN = {
    "variables": dict.fromkeys(CHAIRS, "integer"),
    "objective": {"sense": "minimize", "expression": (
        "3*chairs1 + 3*chairs2 + 3*chairs3 + 3*chairs4 + 20*chairs1 + 22*chairs2 + "
        "25*chairs3 + 21*chairs4")},
    "constraints": {
        "demand1": "chairs1 == 80", "demand2": "chairs2 == 110", "demand3": "chairs3 == 150",
        "demand4": "chairs4 == 90", "make": "chairs1 + chairs2 + chairs3 + chairs4 <= 120",
        "stock": "chairs1 + chairs2 + chairs3 + chairs4 <= 120",
        "inventory": "chairs1 + chairs2 + chairs3 + chairs4 <= 120"}}


def model(**changes):
    return to_formulation({**WRITTEN, **changes})


def fixed(text: str, f) -> dict:
    fixes = [c for c in solution_checks(text, f, None) if c.fix]
    return apply_fixes(f.model_dump(), fixes)


def test_each_month_on_its_own_is_flagged_with_the_balance_in_the_models_names():
    (check,) = carried_stock(PLAN, model())
    assert check.code == "carried_stock" and check.severity == "warning"
    for row in ("stock1 == chairs1 - 80", "stock2 == stock1 + chairs2 - 110",
                "stock3 == stock2 + chairs3 - 150", "stock4 == stock3 + chairs4 - 90"):
        assert row in check.message
    assert "demand3 (chairs3 >= 150)" in check.message
    assert check.fix == {
        "constraints": {"demand1": "stock1 == chairs1 - 80",
                        "demand2": "stock2 == stock1 + chairs2 - 110",
                        "demand3": "stock3 == stock2 + chairs3 - 150",
                        "demand4": "stock4 == stock3 + chairs4 - 90"},
        "variables": dict.fromkeys(["stock1", "stock2", "stock3", "stock4"], "integer"),
        "objective": {"expression": "3 * stock1 + 3 * stock2 + 3 * stock3 + 3 * stock4 + "
                                    "20 * chairs1 + 22 * chairs2 + 25 * chairs3 + 21 * chairs4"}}


def test_the_fixed_plan_moves_production_to_cheaper_months():
    """The corrections of carried_stock and period_pools together give the right plan:
    month 3 needs 150 with a capacity of 120, so 10 are made in month 2 (22 + 3) and 20 in
    month 1 (20 + 2*3)."""
    result = solve_formulation(to_formulation(fixed(PLAN, model())))
    assert result.status == "optimal" and result.objective == pytest.approx(9680.0)
    assert [result.values[n] for n in CHAIRS] == pytest.approx([100, 120, 120, 90])
    assert result.values["stock1"] == pytest.approx(20)
    assert result.values["stock2"] == pytest.approx(30)
    after = to_formulation(fixed(PLAN, model()))
    assert {"carried_stock", "period_pool"}.isdisjoint(
        c.code for c in solution_checks(PLAN, after, None))


def test_the_holding_cost_is_added_where_the_objective_leaves_it_out():
    f = model(objective={"sense": "minimize",
                         "expression": "20*chairs1 + 22*chairs2 + 25*chairs3 + 21*chairs4"})
    (check,) = carried_stock(PLAN, f)
    assert check.fix["objective"]["expression"] == (
        "20*chairs1 + 22*chairs2 + 25*chairs3 + 21*chairs4 + 3*stock1 + 3*stock2 + 3*stock3 "
        "+ 3*stock4")


def test_an_objective_it_cannot_read_is_left_to_the_repair():
    f = model(objective={"sense": "minimize",
                         "expression": "(20 + 3)*chairs1 + 22*chairs2 + 25*chairs3 + 21*chairs4"})
    (check,) = carried_stock(PLAN, f)
    assert "objective" not in check.fix and "constraints" in check.fix


@pytest.mark.parametrize("start", [
    "There are 30 chairs in stock at the start.", "The workshop starts with 30 chairs in stock.",
    "Initially, 30 chairs are in inventory."])
def test_a_starting_stock_is_said_but_not_fixed(start):
    text = PLAN.replace("There is no stock at the start.", start)
    (check,) = carried_stock(text, model())
    assert check.fix is None and "add the starting stock" in check.message


def test_a_period_without_one_demand_line_is_not_fixed():
    f = model(constraints={**WRITTEN["constraints"], "demand4b": "chairs4 >= 95"})
    (check,) = carried_stock(PLAN, f)
    assert check.fix is None and "(the demand of period 4)" in check.message


@pytest.mark.parametrize("linked", [
    {"variables": {**WRITTEN["variables"], "inventory1": "integer"}},
    {"variables": {**WRITTEN["variables"], "left_over": "integer"}},
])
def test_a_model_with_stock_is_left_alone(linked):
    assert carried_stock(PLAN, model(**linked)) == []


def test_an_index_that_steps_back_is_a_link():
    f = to_formulation({
        "sets": [{"name": "T", "elements": [1, 2, 3, 4]}],
        "parameters": [{"name": "demand", "index": ["T"], "values": [80, 110, 150, 90]}],
        "variables": [{"name": "make", "index": ["T"]}, {"name": "s", "index": ["T"]}],
        "objective": {"sense": "minimize", "expression": "sum(make[t] + s[t] for t in T)"},
        "constraints": [
            {"name": "bal", "expression": "s[t] == s[t-1] + make[t] - demand[t]",
             "for_each": "t in T if t >= 2"},
            {"name": "first", "expression": "s[1] == make[1] - demand[1]"}]})
    assert carried_stock(PLAN, f) == []


@pytest.mark.parametrize("text", [NO_CARRY, ONE_PERIOD])
def test_no_carry_over_or_one_period_is_left_alone(text):
    assert carried_stock(text, model()) == []


@pytest.mark.parametrize("text", [
    "Each week a bakery plans the next 3 weeks. Unsold bread can be held for the following "
    "week. Demand is 50, 60 and 70 loaves.",
    "Over the coming six months the plant has demands given below; units may be carried over "
    "from one month to the next.",
    "Demand in January, February and March is 30, 40 and 50. Inventory costs $1 a unit.",
])
def test_other_wordings_of_periods_and_carry_over(text):
    f = to_formulation({"variables": {"make1": "continuous", "make2": "continuous",
                                      "make3": "continuous"},
                        "objective": {"sense": "minimize", "expression": "make1+make2+make3"},
                        "constraints": {"d1": "make1 >= 30"}})
    (check,) = carried_stock(text, f)
    assert "stock1 == make1 - 30" in check.message


def test_an_indexed_model_over_named_months_is_told_to_number_them():
    f = to_formulation({
        "sets": [{"name": "month", "elements": ["Jan", "Feb", "Mar", "Apr"]}],
        "parameters": [{"name": "demand", "index": ["month"],
                        "values": {"Jan": 80, "Feb": 110, "Mar": 150, "Apr": 90}}],
        "variables": [{"name": "chairs", "index": ["month"], "domain": "integer"}],
        "objective": {"sense": "minimize", "expression": "sum(20*chairs[m] for m in month)"},
        "constraints": [{"name": "meet", "expression": "chairs[m] >= demand[m]",
                         "for_each": "m in month"}]})
    text = ("The table gives each month's demand for chairs. Chairs can be kept in stock for "
            "later months at $3 per chair per month. Minimize cost.")
    (check,) = carried_stock(text, f)
    assert check.fix is None
    assert "stock[t] == stock[t-1] + chairs[t] - demand[t]" in check.message
    assert 'for_each "t in month if t >= 2"' in check.message
    assert "set month are names" in check.message and "number them 1, 2" in check.message


def test_one_limit_over_all_months_is_split_when_the_text_says_a_month():
    (check,) = period_pools(PLAN, model())
    assert check.code == "period_pool" and check.names == ["make", "stock", "inventory"]
    assert check.fix == {"constraints": {f"make_{k}": f"chairs{k} <= 120" for k in range(1, 5)},
                         "drop": {"make": "", "stock": "", "inventory": ""}}
    assert "limits all periods together to 120" in check.message


@pytest.mark.parametrize("wording", ["at most 120 chairs per month",
                                     "a monthly capacity of 120 chairs",
                                     "at most 120 chairs in each month"])
def test_other_wordings_of_a_limit_per_period(wording):
    text = PLAN.replace("at most 120 chairs a month", wording)
    assert [c.code for c in period_pools(text, model())] == ["period_pool"]


@pytest.mark.parametrize("wording", ["at most 120 chairs in total over the four months",
                                     "at most 120 chairs a month in total",
                                     "at most 120 chairs"])
def test_a_total_limit_is_left_alone(wording):
    assert period_pools(PLAN.replace("at most 120 chairs a month", wording), model()) == []


def test_a_pool_of_some_months_or_one_period_is_left_alone():
    f = model(constraints={"make": "chairs1 + chairs2 <= 120"})
    assert period_pools(PLAN, f) == []
    assert period_pools("A shop can make at most 120 chairs a month. Maximize profit.",
                        model()) == []


def test_autofix_adds_the_variables_a_fix_names_and_keeps_existing_ones():
    out = apply_fixes({"variables": [{"name": "x", "domain": "integer"}],
                       "objective": {"sense": "minimize", "expression": "x"},
                       "constraints": []},
                      [_check({"variables": {"x": "continuous", "y": "integer"}})])
    assert out["variables"] == [{"name": "x", "domain": "integer"},
                                {"name": "y", "domain": "integer"}]


def _check(fix):
    from optiform.agent.check_model import Check
    return Check(code="t", severity="warning", message="m", fix=fix)


def test_a_definition_without_its_left_side_is_hinted_as_an_equality():
    f = to_formulation({"variables": {"stock1": "integer", "chairs1": "integer"},
                        "objective": {"sense": "minimize", "expression": "chairs1"},
                        "constraints": {"stock1": "chairs1 - 80"}})
    with pytest.raises(FormulationError) as err:
        parse_model(f)
    assert "'stock1 == chairs1 - 80' if it says what stock1 is" in str(err.value)
    g = to_formulation({"variables": {"x": "integer"},
                        "objective": {"sense": "minimize", "expression": "x"},
                        "constraints": {"x": "x + 2"}})
    with pytest.raises(FormulationError) as err:
        parse_model(g)
    assert "'x <= x + 2' for at most" in str(err.value)


def test_the_agent_solves_the_plan_from_the_recorded_reply():
    llm = FakeLLM([WRITTEN])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(PLAN)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == pytest.approx(9680.0)


def test_the_number_of_periods_is_used_by_a_model_with_that_many():
    from optiform.agent.checks import unused_numbers
    assert unused_numbers(PLAN, to_formulation(fixed(PLAN, model()))) is None
    three = model(variables=dict.fromkeys(CHAIRS[:3], "integer"),
                  objective={"sense": "minimize", "expression": "chairs1"},
                  constraints={"c": "chairs1 + chairs2 + chairs3 >= 80"})
    assert "4" in unused_numbers(PLAN, three).names
    text = "Plan the next 4 weeks. Demand is 5, 6, 7 and 8 units."
    assert "4" not in (unused_numbers(text, model()) or _check(None)).names
