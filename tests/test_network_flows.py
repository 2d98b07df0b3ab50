"""A maximum flow written as the embedded model wrote it (recorded, 2026-12-07): one variable per
node. node_variables (agent/network_flows.py) replaces it with the flows on the arcs."""

from __future__ import annotations

import pytest

from optiform.agent.network_flows import listed_arcs, node_variables
from optiform.agent.schema import to_formulation

TEXT = ("A water network sends water from a source S to a city T through pipes. The pipe "
        "capacities in thousands of liters per hour are: S to A 10, S to B 8, A to B 2, A to T "
        "7, B to T 9. What is the largest flow of water that can reach the city per hour?")
WRITTEN = {
    "variables": dict.fromkeys(["S", "A", "B", "T"], "integer"),
    "objective": {"sense": "maximize", "expression": "S + A + B + T"},
    "constraints": {"flow_to_A": "S + A <= 10", "flow_to_B": "S + B <= 8",
                    "flow_to_A_to_B": "A + B <= 2", "flow_to_A_to_T": "A + T <= 7",
                    "flow_to_B_to_T": "B + T <= 9"}}


def test_the_arcs_are_read_with_their_numbers():
    assert listed_arcs(TEXT) == {("S", "A"): 10, ("S", "B"): 8, ("A", "B"): 2, ("A", "T"): 7,
                                 ("B", "T"): 9}
    assert listed_arcs("Ship from Austin to Boston 300 units.") == {}  # one arc: no network


def test_node_variables_are_replaced_by_the_maximum_flow():
    (check,) = node_variables(TEXT, to_formulation(WRITTEN))
    assert check.fix["objective"] == {"sense": "maximize", "expression": "flow_S_A + flow_S_B"}
    assert check.fix["constraints"]["balance_A"] == "flow_S_A == flow_A_B + flow_A_T"
    assert check.fix["constraints"]["capacity_B_T"] == "flow_B_T <= 9"
    assert set(check.fix["drop_variables"]) == {"S", "A", "B", "T"}


def test_the_agent_solves_the_flow_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(16.0)


@pytest.mark.parametrize(("text", "variables"), [
    # flows on arcs already
    (TEXT, {"flow_S_A": "continuous", "flow_A_T": "continuous"}),
    # distances between towns, a warehouse opened in some: one variable per node is right
    ("A company will open warehouses in some of the cities A, B and C. Distances: A to B 10, B "
     "to C 8, A to C 5 miles. At least two must open.", {"A": "binary", "B": "binary",
                                                         "C": "binary"}),
    # no network in the text
    ("A shop sells A and B. A earns 3 and B 5. At most 10 of A.", {"A": "integer"}),
])
def test_node_variables_stay_silent_otherwise(text, variables):
    f = to_formulation({**WRITTEN, "variables": variables,
                        "objective": {"sense": "maximize", "expression": " + ".join(variables)},
                        "constraints": {}})
    assert node_variables(text, f) == []


def test_no_fix_without_a_largest_flow_or_one_source():
    text = TEXT.replace("What is the largest flow of water", "How much water")
    (check,) = node_variables(text, to_formulation(WRITTEN))
    assert check.fix is None and "flow_A_B" in check.message
    two_sources = TEXT.replace("A to B 2", "C to B 2")
    (check,) = node_variables(two_sources, to_formulation(WRITTEN))
    assert check.fix is None
