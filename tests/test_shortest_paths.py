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


def _undirected_model(arcs, start, end):
    """The right shortest-path model with every road usable both ways."""
    use = {}
    for a, b in arcs:
        use[a, b], use[b, a] = f"x_{a}_{b}", f"x_{b}_{a}"
    nodes = sorted({n for arc in arcs for n in arc})
    constraints = {
        f"n_{n}": (" + ".join(v for (a, _), v in use.items() if a == n) + " - (" +
                   " + ".join(v for (_, b), v in use.items() if b == n) +
                   f") == {1 if n == start else -1 if n == end else 0}") for n in nodes}
    return {"variables": dict.fromkeys(use.values(), "binary"), "constraints": constraints,
            "objective": {"sense": "minimize", "expression": " + ".join(
                f"{arcs.get((a, b), arcs.get((b, a)))}*{v}" for (a, b), v in use.items())}}


@pytest.mark.parametrize("two_way", ["All roads are bidirectional.", "Roads are not one-way.",
                                     "You can drive any road in either of its two directions.",
                                     ""])
def test_a_right_model_with_two_way_roads_is_left_alone(two_way):
    # roads are often two-way however the text says it (or without a word of it): a model
    # whose answer is the two-way distance (10) is not replaced by the one-way route (11)
    text = TEXT.replace("Roads can be driven in either direction.", two_way)
    f = to_formulation(_undirected_model(ARCS, "A", "E"))
    result = solve_formulation(f)
    assert result.objective == pytest.approx(10.0)
    assert route_lengths(text, f, result) == []
    # stated one-way, the two-way answer is wrong
    one_way = TEXT.replace("Roads can be driven in either direction.", "All roads are one-way.")
    assert route_lengths(one_way, f, result)


def test_thousands_are_read_whole():
    text = ("A courier walks between buildings. Distances in meters: A to B 1,200, A to C 800, "
            "B to D 400, C to D 1,500, D to E 300, C to E 2,100. Find the shortest route from A "
            "to E.")
    arcs = {("A", "B"): 1200, ("A", "C"): 800, ("B", "D"): 400, ("C", "D"): 1500,
            ("D", "E"): 300, ("C", "E"): 2100}
    f = to_formulation(_undirected_model(arcs, "A", "E"))
    result = solve_formulation(f)
    assert result.objective == pytest.approx(1900.0)
    assert route_lengths(text, f, result) == []


def test_a_length_written_otherwise_silences_the_check():
    # 'the road between Park and Office is 2 km' is no arc read: the network read is not whole
    text = ("Find the shortest route from Home to Office. Home to Mall 3 km, Home to Park 5 km, "
            "Mall to Park 1 km, and the road between Park and Office is 2 km long, while Mall to "
            "Office 7 km.")
    arcs = {("Home", "Mall"): 3, ("Home", "Park"): 5, ("Mall", "Park"): 1, ("Park", "Office"): 2,
            ("Mall", "Office"): 7}
    f = to_formulation(_undirected_model(arcs, "Home", "Office"))
    result = solve_formulation(f)
    assert result.objective == pytest.approx(6.0)
    assert route_lengths(text, f, result) == []
