"""The fence_prices check (agent/fence_prices.py): a rectangle fenced at one price on one side
and another on the other three, written with the side opposite the priced one forgotten."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.fence_prices import fence_prices, side_prices
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation

TEXT = ("A rectangular pen must enclose 1000 square meters. Fencing costs $8 per meter for the "
        "front side and $5 per meter for the other three sides. What dimensions minimize the "
        "cost of the fence?")
# what the embedded 1.5B model wrote: the back side (length long, at $5) forgotten, 565.69
WRITTEN = {"variables": {"length": "continuous", "width": "continuous"},
           "objective": {"sense": "minimize", "expression": "8*length + 5*(2*width)"},
           "constraints": {"area": "length*width == 1000"}}
# 13*length + 10*width with length*width = 1000: 2*sqrt(130000) at length 27.735, width 36.056
BEST = 721.1102550927978


def pen(objective: str, *constraints: str, sense: str = "minimize",
        names: tuple[str, ...] = ("length", "width"), **params: float):
    rows = constraints or (f"{names[0]}*{names[1]} == 1000",)
    return to_formulation({
        "parameters": params,
        "variables": dict.fromkeys(names, "continuous"),
        "objective": {"sense": sense, "expression": objective},
        "constraints": {f"c{i}" if i else "area": c for i, c in enumerate(rows)}})


def solved(f, checks):
    return solve_formulation(to_formulation(apply_fixes(f.model_dump(),
                                                        [c for c in checks if c.fix])))


def test_the_forgotten_back_side_is_fixed_and_the_cost_is_right():
    f = to_formulation(WRITTEN)
    (check,) = fence_prices(TEXT, f)
    assert check.code == "fence_prices" and check.severity == "warning"
    assert check.where == "objective" and check.names == []
    assert check.fix == {"objective": {"expression": "(8 + 5)*length + 2*5*width"}}
    assert "weighs length by 8 and width by 10" in check.message
    assert "the front side at 8 and the other three sides at 5" in check.message
    assert "costs 8 + 5 = 13" in check.message
    checks = solution_checks(TEXT, f, None)
    assert "fence_prices" in {c.code for c in checks}
    result = solved(f, checks)
    assert result.status.value == "optimal"
    assert result.objective == pytest.approx(BEST, rel=1e-3)
    assert result.values["length"] == pytest.approx(27.735, rel=1e-3)
    assert result.values["width"] == pytest.approx(36.056, rel=1e-3)
    # the wrong model answers less: the cost of a fence with a side missing
    assert solve_formulation(f).objective == pytest.approx(565.685, rel=1e-3)


@pytest.mark.parametrize(("objective", "names"), [
    ("13*length + 10*width", ("length", "width")),
    ("10*width + 13*length", ("length", "width")),
    ("8*length + 5*length + 5*2*width", ("length", "width")),
    ("8*length + 5*(length + 2*width)", ("length", "width")),
    ("8*x + 5*x + 10*y", ("x", "y")),
    ("8*x + 5*(x + 2*y)", ("x", "y")),
    ("10*x + 13*y", ("x", "y")),  # the front along y
])
def test_the_right_weighting_in_any_form_is_left_alone(objective, names):
    assert fence_prices(TEXT, pen(objective, names=names)) == []


@pytest.mark.parametrize(("objective", "fixed"), [
    ("8*length + 10*width", "(8 + 5)*length + 2*5*width"),
    ("13*length + 5*width", "(8 + 5)*length + 2*5*width"),
    ("8*length + 5*width", "(8 + 5)*length + 2*5*width"),
    ("16*length + 10*width", "(8 + 5)*length + 2*5*width"),
    ("10*length + 8*width", "2*5*length + (8 + 5)*width"),
    ("8*length + 10*width + 50", "(8 + 5)*length + 2*5*width + 50"),
    ("(8*length + 2*5*width)", "((8 + 5)*length + 2*5*width)"),
    ("8*length + 10*width - 2*gate", "(8 + 5)*length + 2*5*width - 2*gate"),
])
def test_each_miscount_is_fixed_on_the_variable_that_carries_the_front_price(objective, fixed):
    (check,) = fence_prices(TEXT, pen(objective, gate=3))
    assert check.fix == {"objective": {"expression": fixed}}


def test_prices_held_in_parameters_are_read():
    f = pen("front_cost*length + 2*side_cost*width", front_cost=8, side_cost=5)
    (check,) = fence_prices(TEXT, f)
    assert check.fix == {"objective": {"expression":
                                       "(front_cost + side_cost)*length + 2*side_cost*width"}}
    right = pen("(front_cost + side_cost)*length + 2*side_cost*width", front_cost=8,
                side_cost=5)
    assert fence_prices(TEXT, right) == []


def test_no_fix_where_the_front_cannot_be_told_or_the_sum_is_not_plain():
    mixed = fence_prices(TEXT, pen("8*length + 5*(length + width)"))
    (check,) = mixed
    assert check.fix is None and "length carries the price of the front side" in check.message
    assert "weigh length by 13 and width by 10" in check.message
    # $10 and $5: 10*length + 10*width reads as the front along either (10 and 2*5)
    ten = TEXT.replace("$8", "$10")
    (check,) = fence_prices(ten, pen("10*length + 10*width"))
    assert check.fix is None
    assert "if the front side runs along length" in check.message
    # coefficients that hold a price but read as no miscount of it
    (check,) = fence_prices(TEXT, pen("10*length + 10*width"))
    assert check.fix is None
    # coefficients that hold no price: no telling that this is the fence's cost
    assert fence_prices(TEXT, pen("2*length + 2*width")) == []


@pytest.mark.parametrize(("text", "phrase"), [
    ("A rectangular garden must enclose 1000 square meters. The front costs $8 per meter and "
     "the other three sides cost $5 per meter. Minimize the cost of the fence.", "the front"),
    ("A rectangular lot of 1000 square feet is to be fenced. Fencing for the side along the "
     "road costs 8 dollars per foot; fencing for the other three sides costs 5 dollars per "
     "foot. Find the dimensions that minimize the cost.", "the side along the road"),
    ("A rectangular field of 1000 m2 is fenced. The north side costs $8/m while the remaining "
     "three sides cost $5/m. Find the least cost.", "the north side"),
    ("A rectangular yard of 1000 square feet is enclosed by a fence. One side costs $8 per "
     "foot and the rest of the fence costs $5 per foot. Minimize the cost of fencing.",
     "one side"),
    ("A rectangular pen of 1000 square meters is fenced. The side facing the street costs $8 "
     "per meter, the other sides $5 per meter. What is the minimum cost?",
     "the side facing the street"),
])
def test_the_prices_are_read_in_several_wordings(text, phrase):
    prices = side_prices(text)
    assert prices is not None and (prices.high, prices.rest, prices.priced) == (8, 5, 1)
    assert prices.phrase == phrase
    (check,) = fence_prices(text, to_formulation(WRITTEN))
    assert check.fix == {"objective": {"expression": "(8 + 5)*length + 2*5*width"}}


@pytest.mark.parametrize("text", [
    # equal prices on all four sides
    TEXT.replace("$8", "$5"),
    "A rectangular pen of 1000 square meters is fenced at $5 per meter. Minimize the cost.",
    # no 'other sides': two sides priced apart
    "A rectangular pen of 1000 m2 is fenced. The front costs $8 per meter and the back costs "
    "$5 per meter. Minimize the cost.",
    # a wall for one side leaves two other sides
    "A rectangular pen of 1000 m2 is fenced. The barn wall forms one side. The front costs $8 "
    "per meter and the other sides cost $5 per meter. Minimize the cost.",
    "A rectangular pen of 1000 m2 is fenced. The front costs $8 per meter and the other two "
    "sides cost $5 per meter. Minimize the cost.",
    # inner fences, a third price
    TEXT.replace("What", "A fence parallel to the front divides the pen. What"),
    TEXT.replace("three sides.", "three sides, and a gate costs $2 per meter."),
])
def test_no_check_without_one_side_priced_apart_from_the_other_three(text):
    assert side_prices(text) is None
    assert fence_prices(text, to_formulation(WRITTEN)) == []


def test_two_amounts_are_no_sides_of_a_rectangle():
    f = pen("8*corn + 10*wheat", "corn + wheat >= 10", names=("corn", "wheat"))
    assert fence_prices(TEXT, f) == []


def test_two_opposite_sides_priced_apart():
    text = ("A rectangular lot must enclose 1000 square meters. The front and back cost $8 per "
            "meter and the two other sides cost $5 per meter. Minimize the cost of the fence.")
    prices = side_prices(text)
    assert prices is not None and prices.priced == 2 and prices.phrase == "the front and back"
    (check,) = fence_prices(text, pen("8*length + 5*width"))
    assert check.fix == {"objective": {"expression": "2*8*length + 2*5*width"}}
    assert fence_prices(text, pen("16*length + 10*width")) == []
    assert fence_prices(text, pen("2*8*length + 2*5*width")) == []


BUDGET = ("A rectangular pen is fenced for $8 per meter on the front side and $5 per meter on "
          "the other three sides. The budget for fencing is $2000. What dimensions maximize "
          "the area?")


@pytest.mark.parametrize(("line", "fixed"), [
    ("8*length + 10*width <= 2000", "(8 + 5)*length + 2*5*width <= 2000"),
    ("2000 >= 8*length + 2*5*width", "2000 >= (8 + 5)*length + 2*5*width"),
    ("8*length + 10*width <= budget", "(8 + 5)*length + 2*5*width <= budget"),
])
def test_a_budget_on_the_fence_cost_is_fixed(line, fixed):
    f = pen("length*width", line, sense="maximize", budget=2000)
    f = to_formulation({**f.model_dump(), "constraints": [{"name": "budget",
                                                           "expression": line}]})
    (check,) = fence_prices(BUDGET, f)
    assert check.where == "constraint 'budget'" and check.names == ["budget"]
    assert check.fix == {"constraints": {"budget": fixed}}
    result = solved(f, [check])
    assert result.objective == pytest.approx(2000**2 / (4 * 13 * 10), rel=1e-3)
    assert fence_prices(BUDGET, pen("length*width", "13*length + 10*width <= 2000",
                                    sense="maximize")) == []


def test_the_agent_answers_the_pen_from_the_recorded_reply():
    llm = FakeLLM([WRITTEN])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(TEXT)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == pytest.approx(BEST, rel=1e-3)
    assert answer.formulation.objective.expression == "(8 + 5)*length + 2*5*width"
    assert "fence_prices" not in {c.code for c in answer.checks}
