"""The fence_sides check (agent/fence_sides.py): a rectangle the text fences on fewer than
four sides (a barn wall, a river, a corner), written with the whole perimeter."""

from __future__ import annotations

import pytest

from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.fence_sides import fence_cue, fence_sides
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation

BARN = ("A farmer wants to fence a rectangular pen next to his barn. The barn wall forms one "
        "side of the pen, so only the other three sides need fencing. He has 40 meters of "
        "fence. What dimensions maximize the area of the pen?")
PLAIN = ("A farmer has 40 meters of fencing to enclose a rectangular pen. What dimensions "
         "maximize the area of the pen?")
CORNER = ("A rectangular garden sits in the corner between two walls of a house, so only two "
          "sides need fencing. There are 24 m of fencing. Maximize the area of the garden.")
CLOCKS = ("A shop makes wall clocks and desk clocks. Each wall clock earns $30 and each desk "
          "clock $20. It can make at most 40 clocks a day. Maximize profit.")


def pen(*constraints: str, objective: str = "length*width", sense: str = "maximize",
        names: tuple[str, ...] = ("length", "width"), **params: float):
    return to_formulation({
        "parameters": params,
        "variables": dict.fromkeys(names, "continuous"),
        "objective": {"sense": sense, "expression": objective},
        "constraints": {f"c{i}" if i else "fence": c for i, c in enumerate(constraints)}})


def test_the_whole_perimeter_by_a_barn_wall_is_flagged_with_the_cue():
    (check,) = fence_sides(BARN, pen("2*length + 2*width <= 40"))
    assert check.code == "fence_sides" and check.severity == "warning"
    assert check.where == "constraint 'fence'" and check.names == ["fence"]
    assert "Constraint 'fence' (2*length + 2*width <= 40)" in check.message
    assert '"three sides"' in check.message and "only the other three sides" in check.message
    assert "length + 2*width <= 40 if that side is a length" in check.message
    assert "2*length + width <= 40 if it is a width" in check.message
    assert "fence_sides" in {c.code for c in solution_checks(BARN, pen("2*length + 2*width <= 40"),
                                                             None)}


@pytest.mark.parametrize("full", ["2*(length + width) <= 40", "40 >= 2*length + 2*width",
                                  "length + width <= 20", "2*length + 2*width <= fence_total",
                                  "2*length + 2*width == 40"])
def test_every_writing_of_the_whole_perimeter_is_flagged(full):
    (check,) = fence_sides(BARN, pen(full, fence_total=40))
    assert "length + 2*width <= 40" in check.message or \
        "length + 2*width == 40" in check.message


@pytest.mark.parametrize("three", ["length + 2*width <= 40", "2*length + width <= 40",
                                   "40 >= width + 2*length"])
def test_three_sides_are_left_alone(three):
    assert fence_sides(BARN, pen(three)) == []


def test_four_sides_are_left_alone_where_the_text_fences_four():
    assert fence_cue(PLAIN) is None
    assert fence_sides(PLAIN, pen("2*length + 2*width <= 40")) == []
    four = BARN.replace("so only the other three sides need fencing", "and all four sides "
                        "need fencing").replace("The barn wall forms one side of the pen, ", "")
    assert fence_sides(four, pen("2*length + 2*width <= 40")) == []


def test_a_wall_that_is_no_side_of_a_fence_is_no_cue():
    assert fence_cue(CLOCKS) is None
    f = pen("wall_clocks + desk_clocks <= 40", objective="30*wall_clocks + 20*desk_clocks",
            names=("wall_clocks", "desk_clocks"))
    assert fence_sides(CLOCKS, f) == []
    # 'drivers' holds 'river', and a triangle has three sides
    assert fence_cue("The vans need fencing off from the drivers' area.") is None
    assert fence_cue("A triangular plot has three sides to fence with 90 m of fencing.") is None
    assert fence_cue("A pen is fenced with 40 m of fence. One side must be at least 5 m.") is None
    # 'next to his barn' leaves open whether the barn is a side
    assert fence_cue("A farmer fences a rectangular pen next to his barn with 40 m of fence.") \
        is None


@pytest.mark.parametrize("text", [
    "A rancher has 500 ft of fencing to enclose a rectangular pasture that borders a straight "
    "river. Maximize the area.",
    "A rectangular garden is built against the side of a building with 60 m of fencing.",
    "Sam wants a rectangular dog run. One side is an existing fence, and he has 30 m of new "
    "fencing for the rest.",
    "The side facing the lake does not need to be fenced. 120 m of fencing is available.",
    "A rectangular plot is fenced on three sides; the fourth side is a river.",
])
def test_the_cue_is_read_in_several_wordings(text):
    cue = fence_cue(text)
    assert cue is not None and cue.unfenced == 1 and cue.phrase in text.lower()


def test_no_verdict_where_equal_coefficients_may_be_right():
    divided = BARN.replace("He has", "A fence parallel to the barn divides it into two pens. "
                           "He has")
    priced = ("A rectangular yard is fenced on three sides with 40 m of fence, the side "
              "opposite the house at $10 per meter and the other two at $5 per meter.")
    for text in (divided, priced):
        assert fence_cue(text) is None
        assert fence_sides(text, pen("2*length + 2*width <= 40")) == []


def test_four_side_variables_and_a_fence_objective_are_flagged():
    four = pen("north + south + east + west <= 40", objective="north*east",
               names=("north", "south", "east", "west"))
    (check,) = fence_sides(BARN, four)
    assert "adds north, south, east, west" in check.message and "out of the sum" in check.message
    assert fence_sides(BARN, pen("north + south + east <= 40", objective="north*east",
                                 names=("north", "south", "east", "west"))) == []
    least = ("A rectangular pasture of 1800 square meters borders a river; no fence is needed "
             "along the river. Minimize the length of fencing needed.")
    (check,) = fence_sides(least, pen("length*width >= 1800", objective="2*length + 2*width",
                                      sense="minimize"))
    assert check.where == "objective" and check.names == []
    assert "borders a river" in check.message and "length + 2*width if" in check.message
    assert fence_sides(least, pen("length*width >= 1800", objective="length + 2*width",
                                  sense="minimize")) == []


def test_a_perimeter_tied_by_the_text_number_or_a_fence_total():
    assert fence_sides(BARN, pen("2*x + 2*y <= 40", objective="x*y", names=("x", "y")))
    assert fence_sides(BARN, pen("perimeter == 2*length + 2*width", "perimeter <= 40",
                                 names=("length", "width", "perimeter")))
    # two dimensions alike that are no fence: neither the name nor the number say fence
    assert fence_sides(BARN, pen("length + 2*width <= 40", "length + width >= 10")) == []


def test_at_a_corner_each_dimension_counts_once():
    (check,) = fence_sides(CORNER, pen("2*length + 2*width <= 24"))
    assert "two sides need no fence" in check.message and "length + width <= 24" in check.message
    assert fence_sides(CORNER, pen("length + width <= 12"))
    assert fence_sides(CORNER, pen("length + width <= 24")) == []


FULL = {"variables": {"length": "continuous", "width": "continuous"},
        "objective": {"sense": "maximize", "expression": "length*width"},
        "constraints": {"fence": "2*length + 2*width <= 40"}}
THREE = {**FULL, "constraints": {"fence": "length + 2*width <= 40"}}


def solve(llm: FakeLLM, **settings):
    return Assistant(load_settings(library=False, **settings), llm=llm, solve=solve_formulation,
                     export=None).solve(BARN)


def test_the_warning_reaches_the_repair_prompt_and_the_answer():
    llm = FakeLLM([FULL, THREE])
    answer = solve(llm)
    assert len(llm.requests) == 2 and answer.repair_rounds == 1
    repair = llm.requests[1]["messages"][-1].content
    assert "Constraint 'fence' (2*length + 2*width <= 40)" in repair and "three sides" in repair
    assert answer.status == "optimal" and answer.objective == pytest.approx(200.0)
    assert "fence_sides" not in {c.code for c in answer.checks}
    # a model that keeps the whole perimeter: the answer carries the warning, less confident
    kept = solve(FakeLLM([FULL], default=FULL), max_repairs=1)
    clean = solve(FakeLLM([THREE]))
    assert kept.objective == pytest.approx(100.0)
    assert "fence_sides" in {c.code for c in kept.checks}
    assert kept.confidence < clean.confidence


@pytest.mark.parametrize(("text", "names", "line"), [
    ("A farm along a river grows corn and wheat on 100 acres, all of it fenced. Corn earns "
     "$50 an acre and wheat $40. Maximize profit.", ("corn", "wheat"), "corn + wheat <= 100"),
    ("A rancher's pasture, which backs onto a river, is fenced and holds at most 50 animals. "
     "A cow earns $300 and a sheep $120. Maximize profit.", ("cows", "sheep"),
     "cows + sheep <= 50"),
])
def test_two_amounts_alike_are_no_sides_of_a_rectangle(text, names, line):
    assert fence_cue(text) is not None  # the text does say a side needs no fence
    f = pen(line, objective=f"3*{names[0]} + {names[1]}", names=names)
    assert fence_sides(text, f) == []


def test_sides_named_as_lengths_need_no_area_in_the_model():
    # a linear model of the fence alone: the names say these are the sides
    f = pen("2*length + 2*width <= 40", "length >= 5", objective="length + width")
    assert fence_sides(BARN, f)
    assert fence_sides(BARN, pen("2*a + 2*b <= 40", objective="a + b", names=("a", "b"))) == []
