"""rounded_pi (agent/rounded_pi.py): 3.14 written for π in a model of something round, where
the text gives no value of π, is written in full by autofix; other numbers stay."""

from __future__ import annotations

import math

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.rounded_pi import pi_written_in_full, rounded_pi
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation

CAN = ("A company makes a closed cylindrical can that must hold 500 cubic centimeters. Choose "
       "its radius and height to minimize the metal used, its surface area.")
WRITTEN = {"variables": {"r": "continuous", "h": "continuous"},
           "objective": {"sense": "minimize", "expression": "2*3.14*r**2 + 2*3.14*r*h"},
           "constraints": {"volume": "3.14*r**2*h == 500"}}
PI = "3.141592653589793"
# a closed cylinder of volume V has the least surface at r = (V/(2π))^(1/3), h = 2r
RADIUS = (500 / (2 * math.pi)) ** (1 / 3)
AREA = 3 * (2 * math.pi) ** (1 / 3) * 500 ** (2 / 3)


def can(objective: str = WRITTEN["objective"]["expression"],
        volume: str = WRITTEN["constraints"]["volume"]):
    return to_formulation({**WRITTEN, "objective": {"sense": "minimize", "expression": objective},
                           "constraints": {"volume": volume}})


def test_3_14_in_the_can_is_written_as_pi_in_full():
    objective, volume = rounded_pi(CAN, can())
    assert (objective.code, objective.severity, objective.where) == \
        ("rounded_pi", "warning", "objective")
    assert objective.fix == {"objective": {"expression": f"2*{PI}*r**2 + 2*{PI}*r*h"}}
    assert volume.where == "constraint 'volume'" and volume.names == ["volume"]
    assert volume.fix == {"constraints": {"volume": f"{PI}*r**2*h == 500"}}
    assert "Constraint 'volume'" in volume.message and "3.14" in volume.message and \
        "in full" in volume.message


def test_the_fixed_can_solves_to_the_exact_optimum():
    f = can()
    written = solve_formulation(f)
    assert written.status == "optimal"
    assert abs(written.objective - AREA) / AREA > 1e-4  # off by about 1.7e-4
    fixes = [c for c in solution_checks(CAN, f, None) if c.fix]
    assert {c.code for c in fixes} == {"rounded_pi"}
    result = solve_formulation(to_formulation(apply_fixes(f.model_dump(), fixes)))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(AREA, rel=1e-6)
    assert (result.values["r"], result.values["h"]) == \
        pytest.approx((RADIUS, 2 * RADIUS), rel=1e-4)


@pytest.mark.parametrize("written", ["3.142", "3.1416", "3.14159", "3.141593", "3.14159265"])
def test_other_roundings_are_written_in_full(written):
    (check,) = rounded_pi(CAN, can(objective="2*r**2 + 2*r*h", volume=f"{written}*r**2*h == 500"))
    assert check.fix == {"constraints": {"volume": f"{PI}*r**2*h == 500"}}


@pytest.mark.parametrize("text", [
    "Use 3.14 for pi. " + CAN,
    CAN + " Take π as 3.1416.",
    # π as a fraction: 3.1429 is the model's 22/7
    CAN + " Take π = 22/7.",
    "Using pi = 22 / 7, " + CAN,
    # nothing round: 3.14 is a number of the model's own
    "A shop sells tea and coffee; a cup of tea earns $2 and coffee $3. Maximize profit.",
])
def test_a_text_that_gives_its_pi_or_speaks_of_nothing_round_gets_no_check(text):
    assert rounded_pi(text, can()) == []


def test_other_numbers_are_left_alone():
    for expression in ("13.14*r**2*h == 500", "3.145*r**2*h == 500", "3.2*r**2*h == 500",
                       f"{PI}*r**2*h == 500", "3.14e0*r**2*h == 500", "r + 314 <= 500.14"):
        assert pi_written_in_full(expression) == (expression, [])
    assert pi_written_in_full("x['3.14'] + 3.14*y <= 1") == (f"x['3.14'] + {PI}*y <= 1", ["3.14"])
    assert rounded_pi(CAN, can(objective=f"2*{PI}*r**2 + 2*{PI}*r*h",
                               volume="13.14*r**2*h + 3.145*r <= 500")) == []


def test_a_parameter_of_3_14_is_set_to_pi():
    f = to_formulation({"parameters": [{"name": "p", "value": 3.14}],
                        "variables": WRITTEN["variables"],
                        "objective": {"sense": "minimize",
                                      "expression": "2*p*r**2 + 2*p*r*h"},
                        "constraints": {"volume": "p*r**2*h == 500"}})
    (check,) = rounded_pi(CAN, f)
    assert check.where == "parameter 'p'" and check.fix == {"parameters": {"p": PI}}
    fixed = to_formulation(apply_fixes(f.model_dump(), [check]))
    assert fixed.parameter("p").value == math.pi
    assert solve_formulation(fixed).objective == pytest.approx(AREA, rel=1e-6)


def test_the_agent_writes_pi_in_full_without_an_llm_round():
    llm = FakeLLM([WRITTEN])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(CAN)
    assert len(llm.requests) == 1 and answer.repair_rounds == 0
    assert answer.source == "autofix" and answer.status == "optimal"
    assert answer.objective == pytest.approx(AREA, rel=1e-6)
    assert answer.formulation.constraints[0].expression == f"{PI}*r**2*h == 500"
    assert "rounded_pi" not in {c.code for c in answer.checks}
