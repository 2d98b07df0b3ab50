"""An economic order quantity written as the embedded model wrote it (recorded, 2026-12-07): the
ordering cost linear in the order quantity, which is pinned to the year's demand. order_costs
(agent/order_quantities.py) counts the orders as demand over quantity."""

from __future__ import annotations

import pytest

from optiform.agent.order_quantities import order_costs, order_data
from optiform.agent.schema import to_formulation

TEXT = ("A shop sells 1200 units of a product a year. Each order it places costs $50, and "
        "holding one unit in stock for a year costs $3. The average stock is half the order "
        "quantity. What order quantity minimizes the total yearly ordering and holding cost?")
WRITTEN = {"variables": {"order_quantity": "integer"},
           "objective": {"sense": "minimize",
                         "expression": "50*order_quantity + 3*order_quantity/2"},
           "constraints": {"order_quantity": "order_quantity == 1200"}}


def test_the_order_data_are_read():
    assert order_data(TEXT) == (1200, 50, 3)
    assert order_data("Annual demand is 2,400 units. The ordering cost is $100 and the holding "
                      "cost is $2 per unit per year. Find the economic order quantity.") == (
        2400, 100, 2)
    assert order_data("A store sells 600 units a month. It costs $30 to place an order, and "
                      "keeping a unit in stock costs $0.50 per month. What lot size minimizes "
                      "cost?") == (600, 30, 0.5)


def test_the_recorded_objective_is_replaced_and_the_pin_dropped():
    (check,) = order_costs(TEXT, to_formulation(WRITTEN))
    assert check.fix["objective"] == {
        "expression": "50*1200/order_quantity + 3*order_quantity/2"}
    assert check.fix["drop"] == {"order_quantity": "pins the order quantity to the whole demand"}


def test_the_agent_answers_the_economic_order_quantity_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(600.0, rel=1e-6)
    assert answer.values["order_quantity"] == pytest.approx(200.0, rel=1e-4)


def test_a_right_objective_and_a_storage_limit_are_left_alone():
    right = {**WRITTEN, "objective": {"sense": "minimize",
                                      "expression": "60000/order_quantity + 1.5*order_quantity"}}
    assert order_costs(TEXT, to_formulation(right)) == []
    limited = {**WRITTEN, "constraints": {"storage": "order_quantity <= 150"}}
    (check,) = order_costs(TEXT, to_formulation(limited))
    assert "drop" not in check.fix  # a limit of the text's stays


@pytest.mark.parametrize("text", [
    TEXT.replace("for a year", "for a month"),  # holding per month, demand per year
    # no order quantity asked
    TEXT.replace("The average stock is half the order quantity. What order quantity", "What"),
    TEXT.replace("Each order it places costs $50, and h", "H"),  # no cost of an order
])
def test_order_costs_stays_silent_otherwise(text):
    assert order_costs(text, to_formulation(WRITTEN)) == []


@pytest.mark.parametrize("written", [
    # the number of orders a year as the one variable, 1/n written as a power
    {"variables": {"orders": "continuous"},
     "objective": {"sense": "minimize", "expression": "50*orders + 1800*orders**-1"},
     "constraints": {}},
    {"variables": {"order_quantity": "continuous"},
     "objective": {"sense": "minimize",
                   "expression": "60000*order_quantity**(-1) + 1.5*order_quantity"},
     "constraints": {}},
])
def test_a_quantity_in_a_negative_power_is_divided_by(written):
    assert order_costs(TEXT, to_formulation(written)) == []


def test_no_objective_from_a_zero_demand_or_cost():
    assert order_data(TEXT.replace("1200 units", "0 units")) is None
    assert order_data(TEXT.replace("costs $50", "costs $0")) is None
