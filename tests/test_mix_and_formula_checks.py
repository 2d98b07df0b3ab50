"""mix_share (agent/mix_shares.py): a blend's percentage written as an amount; stated_formula
(agent/stated_formulas.py): a comparison the text writes in the model's own names."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.mix_shares import mix_shares, shares_of_one
from optiform.agent.schema import to_formulation
from optiform.agent.stated_formulas import stated_formula_checks, stated_formulas
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

FEED = ("A farmer mixes two feeds, corn and soy, for cattle. Each kg of corn costs $0.30 and "
        "holds 10% protein and 2% fat; each kg of soy costs $0.90 and holds 40% protein and 5% "
        "fat. The mix must weigh 100 kg, contain at least 20% protein and at most 4% fat. Find "
        "the cheapest mix.")


def feed(protein: str = "0.1*corn + 0.4*soy >= 0.2", fat: str = "0.02*corn + 0.05*soy <= 0.04",
         weight: str | None = "corn + soy == 100", **more: str) -> Formulation:
    rows = {"weight": weight, "protein": protein, "fat": fat, **more}
    names = ["corn", "soy"] + (["hay"] if weight and "hay" in weight else [])
    return to_formulation({"variables": dict.fromkeys(names, "continuous"),
                           "objective": {"sense": "minimize", "expression": "0.3*corn + 0.9*soy"},
                           "constraints": {k: v for k, v in rows.items() if v}})


def fixed(f: Formulation, checks) -> Formulation:
    return to_formulation(apply_fixes(f.model_dump(), [c for c in checks if c.fix]))


def test_the_shares_are_of_the_mix_and_the_feed_costs_50():
    f = feed()
    assert solve_formulation(f).status == "infeasible"
    checks = [c for c in solution_checks(FEED, f, solve_formulation(f)) if c.code == "mix_share"]
    assert [c.fix for c in checks] == [
        {"constraints": {"protein": "0.1 * corn + 0.4 * soy >= 0.2*(corn + soy)"}},
        {"constraints": {"fat": "0.02 * corn + 0.05 * soy <= 0.04*(corn + soy)"}}]
    after = fixed(f, checks)
    assert solve_formulation(after).objective == pytest.approx(50.0)
    assert mix_shares(FEED, after) == []


def test_whole_numbers_and_an_ingredient_without_the_nutrient():
    # hay holds no protein: it is in the mix's total all the same
    f = feed("10*corn + 40*soy >= 20", "2*corn + 5*soy <= 4", "corn + soy + hay <= 100")
    protein, fat = mix_shares(FEED, f)
    assert protein.fix == {"constraints": {"protein": "10 * corn + 40 * soy >= 20*(corn + soy "
                                                      "+ hay)"}}
    assert fat.names == ["fat"]


@pytest.mark.parametrize(("protein", "weight"), [
    ("0.1*corn + 0.4*soy >= 20", "corn + soy == 100"),     # kg of protein in 100 kg: right
    ("0.1*corn + 0.4*soy >= 0.2*(corn + soy)", "corn + soy == 100"),   # right
    ("0.1*corn + 0.4*soy >= 0.2", "corn + soy == 1"),       # shares of one whole: right
    ("0.1*corn + 0.4*soy >= 0.3", "corn + soy == 100"),     # 0.3 is no stated percentage
])
def test_no_fix_where_it_is_right_or_another_number(protein, weight):
    assert [c for c in mix_shares(FEED, feed(protein, "0.02*corn + 0.05*soy <= 4", weight))
            if c.names == ["protein"]] == []


def test_numbers_also_stated_as_no_percentage_get_no_fix():
    # 10 and 40 are hours too, and 90 is an amount of hours as well as a share
    text = ("A phone earns a 10% margin and a tablet a 40% margin. A phone needs 10 hours of "
            "testing and a tablet 40 hours; at most 90 hours of testing are available, and at "
            "most 90% of the devices may be phones. Sell at least 50 devices.")
    f = to_formulation({"variables": {"phones": "continuous", "tablets": "continuous"},
                        "objective": {"sense": "maximize", "expression": "10*phones + 40*tablets"},
                        "constraints": {"test": "10*phones + 40*tablets <= 90",
                                        "share": "phones <= 0.9*(phones + tablets)",
                                        "n": "phones + tablets >= 50"}})
    assert mix_shares(text, f) == []


def test_without_the_mix_it_only_warns():
    f = to_formulation({"variables": {"corn": "continuous", "soy": "continuous",
                                      "oats": "continuous"},
                        "objective": {"sense": "minimize", "expression": "corn + soy + oats"},
                        "constraints": {"protein": "0.1*corn + 0.4*soy >= 0.2"}})
    (check,) = mix_shares(FEED, f)
    assert check.fix is None and "times the mix's total" in check.message


SPLIT = ("Split a budget of 10 between two projects with amounts x and y so that x + y = 10. "
         "The risk is x squared plus 2 times y squared. Minimize the risk.")


def split(budget: str = "x + y <= 10", **more: str) -> Formulation:
    return to_formulation({"variables": {"x": "continuous", "y": "continuous"},
                           "objective": {"sense": "minimize", "expression": "x^2 + 2*y^2"},
                           "constraints": {"budget": budget, **more}})


def test_a_stated_equation_replaces_the_inequality_on_the_same_sum():
    f = split()
    assert solve_formulation(f).objective == pytest.approx(0.0)
    (check,) = stated_formula_checks(SPLIT, f)
    assert check.fix == {"constraints": {"budget": "x + y == 10"}}
    assert solve_formulation(fixed(f, [check])).objective == pytest.approx(200 / 3, rel=1e-5)


def test_a_missing_one_is_added_and_a_written_one_passes():
    f = split("x >= 0")
    (check,) = stated_formula_checks(SPLIT, f)
    assert check.fix == {"constraints": {"stated": "x + y == 10"}}
    assert stated_formula_checks(SPLIT, split("10 == y + x")) == []
    assert stated_formula_checks(SPLIT, split("x + y = 10")) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("so that 2x + 3y ≤ 12.", ["2*x + 3*y <= 12"]),
    ("with x - y >= -2 and x <= 5", ["x - y >= -2", "x <= 5"]),
    ("z + w = 4", []),                      # names that are no decisions of the model
    ("the sum of x and y = 10.", []),       # y alone is not 10
    ("so that x = 5 and y = 10.", ["x == 5", "y == 10"]),
    ("it costs 3 = 3 dollars", []),
    # a leading minus is the formula's; the tail of a longer expression is none
    ("subject to: -x + y <= 2; x + y <= 6.", ["-x + y <= 2", "x + y <= 6"]),
    ("sides x and y with x*y = 32", []),
    ("with 1/2 x + y <= 4", []),
    ("with 5 - x <= 3", []),
])
def test_the_formulas_read_from_a_text(text, expected):
    assert [s.expression for s in stated_formulas(text, {"x", "y"})] == expected


def test_a_leading_minus_does_not_rewrite_another_constraint():
    f = to_formulation({"variables": {"x": "continuous", "y": "continuous"},
                        "objective": {"sense": "maximize", "expression": "3*x + 2*y"},
                        "constraints": {"c1": "-x + y <= 2", "c2": "x + y <= 6"}})
    assert stated_formula_checks("Maximize 3x + 2y subject to: -x + y <= 2; x + y <= 6.",
                                 f) == []


JUICE = ("A juice maker blends orange juice and apple juice into 500 liters of drink. At least 60% "
         "of the drink must be orange juice. Orange juice costs $2 per liter and apple juice $1 "
         "per liter. How much of each juice minimizes the cost?")


def juice(**rows: str) -> Formulation:
    base = {"total": "orange + apple == 500", "orange_share": "orange >= 0.6*(orange + apple)",
            "apple_share": "0.4*(orange + apple) <= 1"}
    return to_formulation({"variables": {"orange": "continuous", "apple": "continuous"},
                           "objective": {"sense": "minimize", "expression": "2*orange + apple"},
                           "constraints": {k: v for k, v in {**base, **rows}.items() if v}})


def test_the_rest_of_a_share_compared_with_one_is_dropped():
    f = juice()
    assert solve_formulation(f).status == "infeasible"
    (check,) = [c for c in solution_checks(JUICE, f, solve_formulation(f))
                if c.code == "share_of_one"]
    assert check.fix == {"drop": {"apple_share": "a share compared with 1, stated in "
                                                 "'orange_share'"}}
    assert solve_formulation(fixed(f, [check])).objective == pytest.approx(800.0)


@pytest.mark.parametrize("rows", [
    {"orange_share": ""},                                   # the share is stated nowhere else
    {"apple_share": "0.4*orange + 0.4*apple <= 300"},       # an amount, not 1
    {"apple_share": "0.3*(orange + apple) <= 1"},           # 30% is no share of the text
])
def test_a_share_of_one_stays_where_it_may_be_meant(rows):
    assert shares_of_one(JUICE, juice(**rows)) == []
