"""open_top (agent/open_top.py): an open-top box whose surface the model writes with a lid."""

from __future__ import annotations

import ast
import re

import pytest

from optiform.agent.checks import solution_checks
from optiform.agent.open_top import open_top, polynomial
from optiform.agent.schema import to_formulation
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("An open-top box with a square base must hold 32 cubic meters. Find the base side and "
        "the height that use the least amount of material for the base and the four sides.")


def box(objective: str, volume: str = "base_side*base_side*height = 32",
        sense: str = "minimize", **more: str) -> Formulation:
    names = set(re.findall(r"[A-Za-z_]\w*", volume))
    return to_formulation({"variables": dict.fromkeys(sorted(names), "continuous"),
                           "objective": {"sense": sense, "expression": objective},
                           "constraints": {"volume": volume, **more}})


def test_polynomial_reads_products_powers_and_signs():
    def poly(text):
        return polynomial(ast.parse(text, mode="eval").body)

    assert poly("2*x*x + 4*x*h") == {("x", "x"): 2.0, ("h", "x"): 4.0}
    assert poly("x**2*h - (3 - y)/2") == {("h", "x", "x"): 1.0, (): -1.5, ("y",): 0.5}
    assert poly("sqrt(x)") is None and poly("x/y") is None and poly("x**0.5") is None


def test_the_lid_is_taken_off_and_the_box_solves_to_48():
    f = box("2*base_side*base_side + 4*base_side*height")
    assert solve_formulation(f).objective == pytest.approx(60.4762, rel=1e-4)
    checks = solution_checks(TEXT, f, solve_formulation(f))
    (check,) = [c for c in checks if c.code == "open_top"]
    assert check.fix == {"objective": {"expression": "base_side*base_side + 4*base_side*height"}}
    assert "counts the base twice (2*base_side*base_side)" in check.message
    after = box(check.fix["objective"]["expression"])
    assert solve_formulation(after).objective == pytest.approx(48.0, rel=1e-5)
    assert open_top(TEXT, after) == []


@pytest.mark.parametrize(("objective", "volume", "expected"), [
    ("2*x^2 + 4*x*h", "x^2*h >= 32", "x*x + 4*h*x"),
    ("2*l*w + 2*l*height + 2*w*height", "l*w*height == 32", "l*w + 2*height*l + 2*height*w"),
    ("6*x*x + 12*x*h", "x*x*h == 32", "3*x*x + 12*h*x"),   # one price for all of it
])
def test_other_writings(objective, volume, expected):
    (check,) = open_top(TEXT, box(objective, volume))
    assert check.fix == {"objective": {"expression": expected}}


def test_a_material_limit_in_a_constraint():
    text = ("A box without a lid and with a square base is made from 48 square meters of "
            "sheet metal. Maximize its volume.")
    f = box("x*x*h", "x*x*h >= 0", sense="maximize", sheet="2*x*x + 4*x*h <= 48")
    (check,) = open_top(text, f)
    assert check.fix == {"constraints": {"sheet": "x*x + 4*h*x <= 48"}}


@pytest.mark.parametrize(("text", "objective"), [
    (TEXT.replace("An open-top box", "A closed box"), "2*x*x + 4*x*h"),   # it has a lid
    (TEXT, "x*x + 4*x*h"),                                                 # right already
    (TEXT, "3*x*x + 4*x*h"),          # the base priced apart: not one material
    (TEXT, "2*x*x + 4*x*h + 5*x"),    # another term
])
def test_no_check(text, objective):
    assert open_top(text, box(objective, "x*x*h == 32")) == []


def test_a_rectangular_box_needs_a_side_named_for_height():
    assert open_top(TEXT, box("2*a*b + 2*a*c + 2*b*c", "a*b*c == 32")) == []
