"""time_units (agent/time_units.py): minutes per unit against a limit in hours."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.schema import to_formulation
from optiform.agent.time_units import time_units
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("A bakery sells muffins for $3 and croissants for $4. A muffin needs 0.2 kg of flour and "
        "10 minutes of oven time; a croissant needs 0.3 kg of flour and 15 minutes of oven "
        "time. There are 30 kg of flour and 40 hours of oven time. At least 20 croissants must "
        "be made. How many of each maximize revenue?")


def bakery(oven: str = "10*muffins + 15*croissants <= 40") -> Formulation:
    return to_formulation({"variables": {"muffins": "integer", "croissants": "integer"},
                           "objective": {"sense": "maximize",
                                         "expression": "3*muffins + 4*croissants"},
                           "constraints": {"flour": "0.2*muffins + 0.3*croissants <= 30",
                                           "oven_time": oven, "least": "croissants >= 20"}})


def test_hours_are_written_in_minutes_and_the_bakery_earns_440():
    f = bakery()
    assert solve_formulation(f).status == "infeasible"
    (check,) = [c for c in solution_checks(TEXT, f, solve_formulation(f))
                if c.code == "time_units"]
    assert check.fix == {"constraints": {
        "oven_time": "10 * muffins + 15 * croissants <= 40*60"}}
    after = to_formulation(apply_fixes(f.model_dump(), [check]))
    assert solve_formulation(after).objective == pytest.approx(440.0)


@pytest.mark.parametrize("oven", ["10*muffins + 15*croissants <= 2400",    # right already
                                  "10*muffins + 15*croissants <= 40*60",
                                  "muffins/6 + croissants/4 <= 40"])       # hours throughout
def test_one_unit_throughout_gets_no_check(oven):
    assert time_units(TEXT, bakery(oven)) == []


def test_a_number_stated_in_two_units_gets_no_check():
    text = TEXT.replace("There are 30 kg", "A batch rests 10 hours. There are 30 kg")
    assert time_units(text, bakery()) == []
