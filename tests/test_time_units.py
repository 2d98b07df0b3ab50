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


MACHINES = ("A company makes desks and bookcases on two machines. A desk needs 30 minutes on "
            "machine 1 and 20 minutes on machine 2; a bookcase needs 15 minutes on machine 1 and "
            "40 minutes on machine 2. Each machine runs at most 8 hours a day. A desk earns $25 "
            "and a bookcase $30. How many of each should be made each day to maximize profit?")


def desks(**extra: str) -> Formulation:
    """What the embedded model wrote for MACHINES (recorded, 2026-12-07): the hours in minutes,
    and the 8 hours once more as a limit on desks and on bookcases."""
    return to_formulation({"variables": {"desks": "integer", "bookcases": "integer"},
                           "objective": {"sense": "maximize",
                                         "expression": "25*desks + 30*bookcases"},
                           "constraints": {"machine_1": "30*desks + 15*bookcases <= 480",
                                           "machine_2": "20*desks + 40*bookcases <= 480",
                                           "machine_1_limit": "desks <= 8",
                                           "machine_2_limit": "bookcases <= 8", **extra}})


def test_hours_read_as_a_limit_on_a_count_are_dropped():
    from optiform.agent.time_units import time_bounds

    checks = time_bounds(MACHINES, desks())
    assert [c.fix for c in checks] == [
        {"drop": {"machine_1_limit": "8 hours, used in 'machine_1'"}},
        {"drop": {"machine_2_limit": "8 hours, used in 'machine_1'"}}]
    fixed = to_formulation(apply_fixes(desks().model_dump(),
                                       [c for c in solution_checks(MACHINES, desks(), None)
                                        if c.fix]))
    assert solve_formulation(fixed).objective == pytest.approx(480.0)


@pytest.mark.parametrize(("text", "machine_1"), [
    # the hours not used elsewhere: the bound may be all the model has of them
    (MACHINES, "30*desks + 15*bookcases <= 500"),
    # 8 stated as a count too
    (MACHINES.replace("A desk earns", "At most 8 desks can be sold. A desk earns"),
     "30*desks + 15*bookcases <= 480"),
])
def test_time_bounds_stay_silent_otherwise(text, machine_1):
    from optiform.agent.time_units import time_bounds

    f = desks(machine_1=machine_1, machine_2="20*desks + 40*bookcases <= 500")
    assert time_bounds(text, f) == []


@pytest.mark.parametrize("text", [
    # desks alone use machine 1, an hour each: desks <= 8 is machine 1
    MACHINES.replace("A desk needs 30 minutes on machine 1", "A desk needs 1 hour on machine 1"),
    # the decisions are hours ('$20 an hour'): a bound of 8 hours on one of them may be right
    MACHINES.replace("A desk earns $25", "Machine time costs $20 an hour. A desk earns $25"),
])
def test_time_bounds_stay_silent_where_the_text_speaks_of_one_hour(text):
    from optiform.agent.time_units import time_bounds

    assert time_bounds(text, desks()) == []
