"""revenue_objective (agent/revenue_objectives.py): the quantity sold maximized where the text
asks for revenue, as the embedded model wrote it (recorded, 2026-12-07)."""

from __future__ import annotations

import pytest

from optiform.agent.revenue_objectives import quantity_formulas, revenue_objectives
from optiform.agent.schema import to_formulation

TEXT = ("A store sells a gadget. If the price is p dollars, it sells 100 - 2p gadgets. What "
        "price maximizes revenue?")
WRITTEN = {"variables": {"p": "continuous"},
           "objective": {"sense": "maximize", "expression": "100 - 2*p"},
           "constraints": {"revenue": "100 - 2*p >= 0"}}


def test_quantity_formulas_read_a_number_and_a_multiple_of_a_name():
    assert quantity_formulas(TEXT) == [("p", {"": 100.0, "p": -2.0})]
    assert quantity_formulas("The demand is 500 - 10*x units a week.") == [
        ("x", {"": 500.0, "x": -10.0})]
    assert quantity_formulas("It sells 100 gadgets at 2 dollars.") == []


def test_the_quantity_maximized_for_revenue_becomes_price_times_quantity():
    (check,) = revenue_objectives(TEXT, to_formulation(WRITTEN))
    assert check.fix == {"objective": {"expression": "p*(100 - 2*p)"}}


@pytest.mark.parametrize(("text", "objective"), [
    (TEXT, "p*(100 - 2*p)"),  # revenue already
    (TEXT.replace("revenue", "the number sold"), "100 - 2*p"),  # what is asked
    (TEXT, "100 - 3*p"),  # not the text's formula
    # revenue named in passing, the units sold asked for
    ("A firm sells units at $40 each. With an advertising spend of p thousand dollars it sells "
     "100 + 5p units. Revenue minus advertising is its profit. How much should it spend to "
     "maximize the units sold?", "100 + 5*p"),
])
def test_revenue_objectives_stay_silent_otherwise(text, objective):
    f = to_formulation({**WRITTEN, "objective": {"sense": "maximize", "expression": objective}})
    assert revenue_objectives(text, f) == []


def test_the_agent_solves_the_price_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(1250.0, rel=1e-5)
    assert answer.values["p"] == pytest.approx(25.0, rel=1e-4)
