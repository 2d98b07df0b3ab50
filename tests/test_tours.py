"""A shortest tour of four listed cities as the embedded model wrote it (recorded, 2026-12-07).
tour_lengths (agent/tours.py) writes the tour model (Miller-Tucker-Zemlin) where the model's
answer is not the shortest tour found by trying every order."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.schema import to_formulation
from optiform.agent.tours import shortest_tour, tour_distances, tour_lengths
from optiform.solvers.api import solve_formulation

TEXT = ("A salesman must visit four cities A, B, C and D once each and return to the city he "
        "started from. The distances are: A to B 10, A to C 15, A to D 20, B to C 35, B to D 25 "
        "and C to D 30. What is the length of the shortest tour?")
# the embedded model's reply (recorded, 2026-12-07): a variable per city, each 1, and the
# distances summed over them (165)
WRITTEN = {"variables": dict.fromkeys("ABCD", "integer"),
           "objective": {"sense": "minimize",
                         "expression": "10*A + 15*B + 20*C + 25*D + 35*B + 30*C + 30*D"},
           "constraints": {**{f"visit_{c}": f"{c} == 1" for c in "ABCD"},
                           **{f"return_{c}": f"{c} == 1" for c in "ABCD"},
                           "total_distance": "10*A + 15*B + 20*C + 25*D + 35*B + 30*C + 30*D "
                                             "<= 400"}}


def test_the_distances_and_the_shortest_tour():
    distances = tour_distances(TEXT)
    assert distances["B", "A"] == distances["A", "B"] == 10 and len(distances) == 12
    assert shortest_tour(distances) == 80  # A-B-D-C-A


def test_the_tour_model_replaces_a_model_without_legs():
    f = to_formulation(WRITTEN)
    (check,) = tour_lengths(TEXT, f, solve_formulation(f))
    assert "shortest takes 80" in check.message and "answer is 165" in check.message
    fixed = to_formulation(apply_fixes(f.model_dump(), [check]))
    result = solve_formulation(fixed)
    assert result.objective == pytest.approx(80.0)
    legs = {k for k, v in result.values.items() if k.startswith("go_") and v > 0.5}
    assert len(legs) == 4


def test_the_agent_answers_from_the_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(80.0)


@pytest.mark.parametrize("text", [
    TEXT.replace(" and return to the city he started from", "").replace("tour", "route"),
    TEXT.replace(" and C to D 30", ""),  # a pair without its distance
    TEXT.replace("B to D 25", "B to D 25, D to B 26"),  # a pair listed twice
])
def test_tour_lengths_stays_silent_otherwise(text):
    f = to_formulation(WRITTEN)
    assert tour_lengths(text, f, solve_formulation(f)) == []


DISTANCES = ("The distances are: A to B 10, A to C 15, A to D 20, B to C 35, B to D 25 and C "
             "to D 30. ")
VISIT = "A salesman must visit four cities A, B, C and D once each and return to the start. "


@pytest.mark.parametrize("text, answer", [
    # a path from A that ends at D (75), not a tour
    ("A courier plans a tour that visits each of four shops A, B, C and D once, starting at A and "
     "ending at D; he does not need to return to A. " + DISTANCES + "What is the shortest such "
     "route?", 75),
    (VISIT + DISTANCES + "What is the length of the longest possible tour?", 100),
    (VISIT + DISTANCES + "How many different tours are there?", 3),
    (VISIT + DISTANCES + "Fuel costs $2 per km. What is the least fuel cost of a tour?", 160),
    ("Two vans leave depot A; together they must visit each of the shops B, C and D once and "
     "return to the depot. " + DISTANCES + "What is the shortest total distance driven?", 90),
    (VISIT + "C must be visited right after A. " + DISTANCES + "What is the length of the "
     "shortest tour?", 95),
])
def test_a_right_answer_to_another_ask_is_left_alone(text, answer):
    f = to_formulation({"variables": {"z": "continuous"},
                        "objective": {"sense": "minimize", "expression": "z"},
                        "constraints": {"c": f"z >= {answer}"}})
    assert tour_lengths(text, f, solve_formulation(f)) == []


def test_the_count_of_places_in_digits_is_no_other_number():
    f = to_formulation(WRITTEN)
    (check,) = tour_lengths(TEXT.replace("four cities", "4 cities"), f, solve_formulation(f))
    assert "shortest takes 80" in check.message
    assert tour_distances(TEXT.replace(" and return to", " before returning to"))  # no order
    assert tour_distances(TEXT.replace("once each and return to the city he started from",
                                       "once each, returning to the start after visiting all"))
