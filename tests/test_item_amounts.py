"""Amounts listed per item ('Each bowl of soup contains ... 70 mg of sodium') and the
objective they determine when the goal names one of them."""

from __future__ import annotations

from optiform.agent.fake import FakeLLM
from optiform.agent.item_amounts import item_amounts, item_objective
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation

DIET = ("A patient eats only soup and rice. Each bowl of soup contains 300 calories, 12 grams of "
        "protein, and 70 mg of sodium. Each plate of rice contains 200 calories, 4 grams of "
        "protein and 10 mg of sodium. He must eat at least 1500 calories and 40 grams of "
        "protein. How many of each should he eat to minimize his sodium intake?")


def diet(objective: str, **constraints: str) -> dict:
    return {"variables": {"soup": "integer", "rice": "integer"},
            "objective": {"sense": "minimize", "expression": objective},
            "constraints": constraints or {"calories": "300*soup + 200*rice >= 1500",
                                           "protein": "12*soup + 4*rice >= 40"}}


def test_each_items_amounts_are_read_by_what_they_measure():
    table = item_amounts(DIET)
    assert table["bowl of soup"] == {"calory": 300.0, "protein": 12.0, "sodium": 70.0}
    assert table["plate of rice"] == {"calory": 200.0, "protein": 4.0, "sodium": 10.0}
    profit = item_amounts("Each chair yields a profit of $45. Each table yields a profit of $80.")
    assert profit == {"chair": {"profit": 45.0}, "table": {"profit": 80.0}}


def test_an_objective_missing_an_item_or_swapping_amounts_is_rewritten():
    for wrong in ("70*rice", "10*soup + 70*rice", "70*soup"):
        found = item_objective(DIET, to_formulation(diet(wrong)))
        assert found is not None and found.expression == "70*soup + 10*rice", wrong
    assert item_objective(DIET, to_formulation(diet("70*soup + 10*rice"))) is None


def test_no_rewrite_when_the_goal_names_no_listed_amount_or_names_are_swapped_throughout():
    time_goal = DIET.replace("minimize his sodium intake", "minimize the total time spent")
    assert item_objective(time_goal, to_formulation(diet("70*rice"))) is None
    # the model read soup as rice and rice as soup everywhere: consistent, left alone
    swapped = diet("10*soup + 70*rice", calories="200*soup + 300*rice >= 1500",
                   protein="4*soup + 12*rice >= 40")
    assert item_objective(DIET, to_formulation(swapped)) is None


def test_the_rewritten_objective_is_applied_without_an_llm_round():
    llm = FakeLLM([diet("70*rice")])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(DIET)
    assert len(llm.requests) == 1 and answer.repair_rounds == 0
    # 10 plates of rice (2,000 calories, 40 g protein, 100 mg sodium); one bowl of soup
    # still needs 7 plates for the protein: 140 mg
    assert answer.status == "optimal" and answer.objective == 100.0
