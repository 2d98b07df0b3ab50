"""per_item_limit (agent/per_item_limits.py): a bound the text gives each element alone ('at
most 3 servings of any single food') written over the sum, 'sum(food[f] for f in food_set) <=
food_limit', is the bound of each element, by autofix."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.per_item_limits import per_item_limit, scalar_item_limits
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("A dietitian chooses amounts of the foods in foods.csv for a daily menu. Each food's row "
        "gives its cost per serving, protein (g) and calories per serving. The menu must provide "
        "at least 60 g of protein and between 1800 and 2500 calories. At most 3 servings of any "
        "single food are allowed. Find the cheapest menu.")
FOODS = ("food,cost,protein,calories\noats,0.30,5,150\nmilk,0.25,8,120\neggs,0.40,6,70\n"
         "beans,0.35,9,200\nrice,0.15,3,210\n")
LIMIT = "sum(food[f] for f in food_set) <= food_limit"
# what the embedded 1.5B model wrote after its repairs: 3 servings in all, infeasible
REPLY: dict[str, Any] = {
    "sets": [{"name": "food_set", "elements": ["oats", "milk", "eggs", "beans", "rice"]}],
    "parameters": [
        {"name": "cost", "index": ["food_set"],
         "values": {"oats": 0.3, "milk": 0.25, "eggs": 0.4, "beans": 0.35, "rice": 0.15}},
        {"name": "protein", "index": ["food_set"],
         "values": {"oats": 5, "milk": 8, "eggs": 6, "beans": 9, "rice": 3}},
        {"name": "calories", "index": ["food_set"],
         "values": {"oats": 150, "milk": 120, "eggs": 70, "beans": 200, "rice": 210}},
        {"name": "protein_min", "value": 60.0}, {"name": "calories_min", "value": 1800.0},
        {"name": "calories_max", "value": 2500.0}, {"name": "food_limit", "value": 3.0}],
    "variables": [{"name": "food", "domain": "integer", "index": ["food_set"]}],
    "objective": {"sense": "minimize", "expression": "sum(cost[f]*food[f] for f in food_set)"},
    "constraints": [
        {"name": "protein_constraint",
         "expression": "sum(protein[f]*food[f] for f in food_set) >= protein_min"},
        {"name": "calories_constraint",
         "expression": "sum(calories[f]*food[f] for f in food_set) >= calories_min"},
        {"name": "calories_constraint_2",
         "expression": "sum(calories[f]*food[f] for f in food_set) <= calories_max"},
        {"name": "food_limit_constraint", "expression": LIMIT}]}
# 3 servings each of oats, milk and rice and 2 of beans: 0.9 + 0.75 + 0.45 + 0.7
BEST = 2.80
BEST_CONTINUOUS = 2.6525


def menu(limit: str = LIMIT, domain: str = "integer") -> Formulation:
    reply = copy.deepcopy(REPLY)
    reply["constraints"][-1]["expression"] = limit
    reply["variables"][0]["domain"] = domain
    return to_formulation(reply)


def fixed(f: Formulation, text: str = TEXT) -> Formulation:
    return Formulation.from_dict(apply_fixes(f.model_dump(), per_item_limit(text, f)))


def test_the_menus_limit_over_the_sum_is_each_foods():
    f = menu()
    assert solve_formulation(f).status == "infeasible"  # 3 servings in all: < 1800 calories
    [check] = per_item_limit(TEXT, f)
    assert check.code == "per_item_limit" and check.severity == "warning"
    assert check.names == ["food_limit_constraint"]
    assert check.fix == {"constraints": {"food_limit_constraint": "food[f] <= food_limit"},
                         "for_each": {"food_limit_constraint": "f in food_set"}}
    assert "'food_limit_constraint'" in check.message and LIMIT in check.message
    assert "At most 3 servings of any single food are allowed." in check.message
    assert "food[f] <= food_limit for each f in food_set" in check.message
    assert "per_item_limit" in [c.code for c in solution_checks(TEXT, f, None)]
    g = fixed(f)
    [limit] = [c for c in g.constraints if c.name == "food_limit_constraint"]
    assert (limit.expression, limit.for_each) == ("food[f] <= food_limit", "f in food_set")
    res = solve_formulation(g)
    assert res.status == "optimal" and res.objective == pytest.approx(BEST)
    assert res.values["food"] == {"oats": 3, "milk": 3, "eggs": 0, "beans": 2, "rice": 3}
    assert per_item_limit(TEXT, g) == []


def test_continuous_servings_give_the_continuous_optimum():
    res = solve_formulation(fixed(menu(domain="continuous")))
    assert res.status == "optimal" and res.objective == pytest.approx(BEST_CONTINUOUS)


@pytest.mark.parametrize(("limit", "per_food"), [
    ("sum(food[f] for f in food_set) <= 3", "food[f] <= 3"),
    ("food_limit >= sum(food[f] for f in food_set)", "food[f] <= food_limit"),
    ("sum(1*food[g] for g in food_set) <= 3.0", "food[g] <= 3.0"),
])
def test_the_bound_is_written_as_the_model_wrote_it(limit: str, per_food: str):
    [check] = per_item_limit(TEXT, menu(limit))
    assert check.fix["constraints"] == {"food_limit_constraint": per_food}
    assert solve_formulation(fixed(menu(limit))).objective == pytest.approx(BEST)


@pytest.mark.parametrize("sentence", [
    "For each food, at most 3 servings are allowed.",
    "The menu may hold at most 3 servings per food.",
    "No food may be served more than 3 times.",
    "Each food can be chosen at most 3 times.",
    "At most 3 servings of any one of them are allowed.",
    "No single food may appear more than 3 times.",
    "Any of the foods can be served at most 3 times.",
])
def test_other_wordings_of_one_food_alone(sentence: str):
    text = TEXT.replace("At most 3 servings of any single food are allowed.", sentence)
    assert [c.names for c in per_item_limit(text, menu())] == [["food_limit_constraint"]]


@pytest.mark.parametrize("sentence", [
    "At most 3 servings in total are allowed.",
    "At most 3 servings are allowed in all.",
    "At most 3 servings of any single food are allowed, and 3 servings altogether.",
    # the number is stated as a total elsewhere in the text
    "At most 3 servings of any single food are allowed. The menu holds 3 servings overall.",
    # stated as a bound once more, of no one food
    "At most 3 servings of any single food are allowed. The menu holds at most 3 servings.",
    # one element of another kind: the menu of each day is the sum
    "At most 3 servings are allowed each day.",
    # the one food is in another clause than the limit
    "The menu holds at most 3 servings, and each food costs $3.",
    "At most 3 servings are allowed; each food costs $3.",
    # no bound in the sentence that names each food
    "The menu holds at most 3 servings. Each food costs $3.",
    # one food in a clause of its own after the limit: a comma, 'as', 'which'
    "At most 3 servings are allowed, each food costing $3.",
    "At most 3 servings are allowed as each food is filling.",
    "The menu holds at most 3 servings, any of which may be of any food.",
])
def test_a_total_or_a_limit_of_no_one_food_stays_a_sum(sentence: str):
    text = TEXT.replace("At most 3 servings of any single food are allowed.", sentence)
    assert per_item_limit(text, menu()) == []


@pytest.mark.parametrize("limit", [
    "sum(cost[f]*food[f] for f in food_set) <= 3",  # a coefficient
    "sum(2*food[f] for f in food_set) <= 3",
    "sum(food[f] for f in food_set) + food['oats'] <= 3",  # more than one sum
    "sum(food[f] for f in food_set if f != 'rice') <= 3",  # a condition in the loop
    "sum(food[f] for f in food_set) <= 4",  # 4 is no number of the text
    "sum(food[f] for f in food_set) == 3",
])
def test_other_shapes_are_left_alone(limit: str):
    assert per_item_limit(TEXT, menu(limit)) == []


def test_a_constraint_with_a_for_each_or_a_set_of_one_is_left_alone():
    reply = copy.deepcopy(REPLY)
    reply["constraints"][-1]["for_each"] = "g in food_set"
    assert per_item_limit(TEXT, to_formulation(reply)) == []
    one = copy.deepcopy(REPLY)
    one["sets"][0]["elements"] = ["oats"]
    one["parameters"] = [{**p, "values": {"oats": p["values"]["oats"]}} if "values" in p else p
                         for p in one["parameters"]]
    assert per_item_limit(TEXT, to_formulation(one)) == []


def test_each_of_the_things_the_sum_counts_names_no_element_of_its_set():
    # trucks over routes: "each truck" speaks of the trucks the sum counts, not of one route
    text = ("A company sends trucks on three routes. Since each truck needs a driver, at most "
            "10 trucks can be dispatched. A truck earns 300 on route A, 250 on B and 200 on C. "
            "Maximize the earnings.")
    f = to_formulation({
        "sets": [{"name": "routes", "elements": ["A", "B", "C"]}],
        "parameters": [{"name": "earn", "index": ["routes"],
                        "values": {"A": 300, "B": 250, "C": 200}}],
        "variables": [{"name": "trucks", "index": ["routes"], "domain": "integer"}],
        "objective": {"sense": "maximize", "expression": "sum(earn[r]*trucks[r] for r in routes)"},
        "constraints": [{"name": "drivers", "expression": "sum(trucks[r] for r in routes) <= 10"}]})
    assert per_item_limit(text, f) == []
    # a set with no words of its own: the variable's name says what an element is
    g = to_formulation(json.loads(json.dumps(REPLY).replace("food_set", "F")))
    (check,) = per_item_limit(TEXT, g)
    assert check.fix["for_each"] == {"food_limit_constraint": "f in F"}


def test_a_set_read_from_the_table_counts_as_several():
    reply = copy.deepcopy(REPLY)
    reply["sets"] = [{"name": "food_set", "source": {"file": "foods.csv", "column": "food"}}]
    reply["parameters"] = [
        {"name": p["name"], "index": ["food_set"],
         "source": {"file": "foods.csv", "column": p["name"], "key": ["food"]}}
        if "values" in p else p for p in reply["parameters"]]
    [check] = per_item_limit(TEXT, to_formulation(reply))
    assert check.fix["for_each"] == {"food_limit_constraint": "f in food_set"}


def test_at_least_one_serving_of_each_food_is_a_lower_bound_of_each():
    text = TEXT.replace("At most 3 servings of any single food are allowed.",
                        "The menu has at least 1 serving of each food.")
    [check] = per_item_limit(text, menu("sum(food[f] for f in food_set) >= 1"))
    assert check.fix["constraints"] == {"food_limit_constraint": "food[f] >= 1"}


def test_the_agent_answers_the_menu_from_the_recorded_reply(tmp_path):
    table = tmp_path / "foods.csv"
    table.write_text(FOODS)
    llm = FakeLLM([REPLY])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(TEXT, data={"foods": table})
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == pytest.approx(BEST)
    assert "per_item_limit" not in {c.code for c in answer.checks}
    step = next(s for s in answer.trace.steps if s.kind == "autofix")
    assert [f["code"] for f in step.detail["fixes"]] == ["per_item_limit"]


FUND = ("A fund invests $1,000,000 in four assets: A returns 6%, B returns 8%, C returns 10% and "
        "D returns 12% a year. No more than 30% of the money may go into any single asset, and "
        "at least $200,000 must go into A. Maximize the annual return.")


def fund(limit: str = "A + B + C + D <= 0.3*1000000") -> Formulation:
    return to_formulation({"variables": dict.fromkeys("ABCD", "continuous"),
                           "objective": {"sense": "maximize",
                                         "expression": "0.06*A + 0.08*B + 0.1*C + 0.12*D"},
                           "constraints": {"asset_limit": limit, "A_min": "A >= 200000",
                                           "all": "A + B + C + D == 1000000"}})


def test_a_share_of_any_single_one_of_scalar_decisions_bounds_each():
    f = fund()
    assert solve_formulation(f).status == "infeasible"
    (check,) = [c for c in solution_checks(FUND, f, solve_formulation(f))
                if c.code == "per_item_limit"]
    assert check.fix == {"constraints": {
        "asset_limit": "A <= 0.3 * 1000000", "asset_limit_B": "B <= 0.3 * 1000000",
        "asset_limit_C": "C <= 0.3 * 1000000", "asset_limit_D": "D <= 0.3 * 1000000"}}
    after = to_formulation(apply_fixes(f.model_dump(), [check]))
    assert solve_formulation(after).objective == pytest.approx(94000.0)


@pytest.mark.parametrize(("text", "limit"), [
    (FUND, "A + B + C + D <= 1000000"),          # the total: no 'any single' for it
    (FUND.replace("any single asset", "the assets in total"), "A + B + C + D <= 0.3*1000000"),
    ("A plant makes A and B, at most 300 units per day. Maximize profit.", "A + B <= 300"),
])
def test_a_total_stays_a_total(text, limit):
    assert scalar_item_limits(text, fund(limit)) == []
