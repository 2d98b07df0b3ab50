"""π written rounded: the embedded 1.5B model writes 3.14 for π (a cylindrical can's surface
``2*3.14*r**2 + 2*3.14*r*h`` with ``3.14*r**2*h == 500``), and the answer is off by about
0.05%, which a tolerance of 1e-4 (a benchmark's, or a careful user's) counts as wrong.

The check reads the objective, the constraints and the scalar parameters for a decimal number
that is a rounding of π (3.14, 3.142, 3.1416, 3.14159, ...: within 2e-3 of π, but not π to
12 digits) where the text speaks of something round (a radius, a diameter, a circle, a
cylinder, a sphere, a cone, pi) and states no rounding of π itself ("use 3.14 for pi" keeps
3.14; so does any model of a text that gives its own π, 22/7 included). Its fix writes π in full
(3.141592653589793) in place of each such number, token for token: 13.14, 3.145 or 3.2 are
other numbers, and a number inside a quoted element name is no number.
"""

from __future__ import annotations

import math
import re

from optiform.agent import textcues
from optiform.agent.check_model import Check
from optiform.agent.reply_mends import PI_LITERAL, outside_quotes
from optiform.solvers.formulation import Formulation

_ROUND_CUES = re.compile(
    r"\b(?:pi|radius|radii|diameters?|circles?|circular|circumferences?|cylinders?|"
    r"cylindrical|spheres?|spherical|hemispheres?|hemispherical|cones?|conical|"
    r"semicircles?|semicircular|discs?|disks?)\b|π")
_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
# π given as a fraction ('take π = 22/7'), whose value no single number of the text holds
_PI_FRACTION = re.compile(r"(?<![\d.])22\s*/\s*7(?!\.?\d)")


def rounds_pi(value: float) -> bool:
    """A rounding of π: within 2e-3 of it (22/7 is 1.3e-3 off), and not π to 12 digits."""
    return 1e-12 <= abs(value - math.pi) < 2e-3


def pi_written_in_full(expression: str) -> tuple[str, list[str]]:
    """The expression with every decimal literal that rounds π written as π in full, and
    those literals as written (none: the expression unchanged). Quoted parts stay."""
    found: list[str] = []

    def full(m: re.Match[str]) -> str:
        if not rounds_pi(float(m.group(0))):
            return m.group(0)
        found.append(m.group(0))
        return PI_LITERAL

    return outside_quotes(expression, lambda part: _DECIMAL.sub(full, part)), found


def _written(literals: list[str]) -> str:
    return " and ".join(dict.fromkeys(literals))


def rounded_pi(text: str, f: Formulation) -> list[Check]:
    if not _ROUND_CUES.search(text.lower()) or _PI_FRACTION.search(text) or \
            any(rounds_pi(n.value) for n in textcues.numbers_in_text(text)):
        return []
    why = "a rounding of π the text does not give: π is written in full, " + PI_LITERAL
    out = []
    new, found = pi_written_in_full(f.objective.expression)
    if found:
        out.append(Check(
            code="rounded_pi", severity="warning", where="objective",
            fix={"objective": {"expression": new}},
            message=(f"The objective ({f.objective.expression}) writes π as "
                     f"{_written(found)}, {why}.")))
    for c in f.constraints:
        new, found = pi_written_in_full(c.expression)
        if found:
            out.append(Check(
                code="rounded_pi", severity="warning", where=f"constraint '{c.name}'",
                names=[c.name], fix={"constraints": {c.name: new}},
                message=(f"Constraint '{c.name}' ({c.expression}) writes π as "
                         f"{_written(found)}, {why}.")))
    for p in f.parameters:
        if p.value is not None and rounds_pi(p.value):
            out.append(Check(
                code="rounded_pi", severity="warning", where=f"parameter '{p.name}'",
                names=[p.name], fix={"parameters": {p.name: PI_LITERAL}},
                message=f"Parameter '{p.name}' is {p.value}, {why}."))
    return out
