"""conditional_minimum (agent/conditional_minimums.py): 'if X is produced at all, at least 50
tons' written as X >= 50 in every plan."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.conditional_minimums import conditional_minimums
from optiform.agent.schema import to_formulation
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("A chemical plant can run product X and product Y. If X is produced at all, at least 50 "
        "tons of it must be made; the same holds for Y with at least 40 tons. X earns $30 per "
        "ton and Y $45 per ton. Each ton of X uses 2 hours of reactor time and each ton of Y "
        "uses 4 hours; 260 reactor hours are available. At most 60 tons of Y can be sold. "
        "Maximize profit.")


def plant(**rows: str) -> Formulation:
    base = {"reactor_time": "2*X + 4*Y <= 260", "Y_sales": "Y <= 60", "X_min": "X >= 50",
            "Y_min": "Y >= 40"}
    return to_formulation({"variables": {"X": "continuous", "Y": "continuous"},
                           "objective": {"sense": "maximize", "expression": "30*X + 45*Y"},
                           "constraints": {k: v for k, v in {**base, **rows}.items() if v}})


def test_both_minimums_get_a_switch_and_the_plan_makes_no_y():
    f = plant()
    assert solve_formulation(f).objective == pytest.approx(3300.0)  # 50 of X, 40 of Y
    found = [c for c in solution_checks(TEXT, f, solve_formulation(f))
             if c.code == "conditional_minimum"]
    assert [c.fix for c in found] == [
        {"constraints": {"X_min": "X >= 50*X_on", "X_min_on": "X <= 130*X_on"},
         "variables": {"X_on": "binary"}},
        {"constraints": {"Y_min": "Y >= 40*Y_on", "Y_min_on": "Y <= 60*Y_on"},
         "variables": {"Y_on": "binary"}}]
    after = to_formulation(apply_fixes(f.model_dump(), found))
    result = solve_formulation(after)
    assert result.objective == pytest.approx(3900.0)
    assert (result.values["X"], result.values["Y"]) == pytest.approx((130.0, 0.0))


def test_without_a_bound_on_the_decision_it_only_warns():
    f = to_formulation({"variables": {"X": "continuous"},
                        "objective": {"sense": "minimize", "expression": "X"},
                        "constraints": {"X_min": "X >= 50"}})
    (check,) = conditional_minimums(TEXT, f)
    assert check.fix is None and "X <= M*X_on" in check.message


@pytest.mark.parametrize("text", [
    TEXT.replace("If X is produced at all, at least", "At least").replace(
        "the same holds for Y with at least", "Y needs at least"),
    "The tank must at all times hold at least 50 tons. Minimize cost.",
])
def test_a_minimum_that_always_holds_gets_no_check(text):
    assert conditional_minimums(text, plant()) == []


def test_other_wordings_of_the_condition():
    for text in ("X is made in batches: either none or at least 50 tons.",
                 "If any X is made, a minimum of 50 tons is needed.",
                 "At least 50 tons of X must be made if X is produced at all."):
        assert [c.names for c in conditional_minimums(text, plant(Y_min=""))] == [["X_min"]]


def test_a_condition_of_a_later_clause_is_not_the_earlier_minimums():
    text = ("The plant must make at least 50 tons of X, and if Y is produced at all, at least "
            "40 tons of Y must be made. Maximize profit.")
    assert [c.names for c in conditional_minimums(text, plant())] == [["Y_min"]]


def test_a_condition_of_another_clause_is_not_the_number_s():
    text = ("If Y is made at all, at least 40 tons of Y must be made; X needs at least 50 tons. "
            "Maximize profit.")
    assert [c.names for c in conditional_minimums(text, plant())] == [["Y_min"]]
