"""A shortest route written as the embedded model wrote it (recorded, 2026-12-07): a variable per
length, none per road. route_lengths (agent/shortest_paths.py) replaces it with the route's
model where its answer is not the shortest distance."""

from __future__ import annotations

import pytest

from optiform.agent.schema import to_formulation
from optiform.agent.shortest_paths import asked_route, route_lengths, shortest_distance
from optiform.solvers.api import solve_formulation

TEXT = ("Roads connect five towns A, B, C, D and E. The road lengths in km are: A to B 4, A to C "
        "2, B to C 1, B to D 5, C to D 8, C to E 10, D to E 2. Roads can be driven in either "
        "direction. Find the length of the shortest route from A to E.")
WRITTEN = {
    "variables": {"road_lengths": "continuous", "route": "integer",
                  **{f"road_lengths_{k}": "continuous" for k in range(5)}},
    "objective": {"sense": "minimize", "expression": "road_lengths"},
    "constraints": {"route": "1 <= route <= 5",
                    "route_2": " + ".join(f"road_lengths_{k}" for k in range(5)) + " == 10"}}
ARCS = {("A", "B"): 4, ("A", "C"): 2, ("B", "C"): 1, ("B", "D"): 5, ("C", "D"): 8,
        ("C", "E"): 10, ("D", "E"): 2}


def test_the_route_asked_for_and_its_length():
    assert asked_route(TEXT) == ("A", "E")
    assert asked_route("What is the cheapest path between Austin and Denver?") == (
        "Austin", "Denver")
    assert shortest_distance(ARCS, "A", "E") == 11  # A-B-D-E, the roads one way only
    assert shortest_distance(ARCS, "E", "A") is None


def test_the_recorded_model_is_replaced_by_the_route():
    f = to_formulation(WRITTEN)
    (check,) = route_lengths(TEXT, f, solve_formulation(f))
    assert "answer is 0" in check.message
    fixed = check.fix
    assert fixed["variables"]["use_C_B"] == "binary"  # either direction: both ways
    assert fixed["constraints"]["route_A"].endswith("== 1")
    assert set(fixed["drop_variables"]) == set(WRITTEN["variables"])


def test_the_agent_answers_the_shortest_route_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(10.0)  # A-C-B-D-E


def test_one_way_roads_keep_their_direction(solve_recorded):
    answer = solve_recorded(TEXT.replace("Roads can be driven in either direction. ", ""),
                            WRITTEN)
    assert answer.objective == pytest.approx(11.0)


def test_a_right_model_is_left_alone():
    written = {"variables": {f"x_{a}_{b}": "binary" for a, b in ARCS},
               "objective": {"sense": "minimize",
                             "expression": " + ".join(f"{w}*x_{a}_{b}" for (a, b), w in
                                                      ARCS.items())},
               "constraints": {"out_A": "x_A_B + x_A_C == 1", "in_E": "x_C_E + x_D_E == 1",
                               "B": "x_A_B == x_B_C + x_B_D", "C": "x_A_C + x_B_C == x_C_D + x_C_E",
                               "D": "x_B_D + x_C_D == x_D_E"}}
    text = TEXT.replace("Roads can be driven in either direction. ", "")
    f = to_formulation(written)
    assert solve_formulation(f).objective == pytest.approx(11.0)
    assert route_lengths(text, f, solve_formulation(f)) == []


@pytest.mark.parametrize("text", [
    # a tour through every town
    TEXT.replace("Find the length of the shortest route from A to E.",
                 "Find the shortest route from A to E that visits every town."),
    # amounts sent: a flow, not a route
    TEXT + " 30 units must be shipped from A to E.",
    # no route asked for
    TEXT.replace("shortest route", "number of roads"),
    # the start is not a listed place
    TEXT.replace("from A to E", "from A to F"),
])
def test_route_lengths_stays_silent_otherwise(text):
    f = to_formulation(WRITTEN)
    assert route_lengths(text, f, solve_formulation(f)) == []
