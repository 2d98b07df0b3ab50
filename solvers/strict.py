"""Strict inequalities on integer-valued rows. ``a·x < b`` has a next value below ``b`` only when
``a·x`` moves in steps: integer variables and rational coefficients, whose common denominator D
makes ``D·a·x`` an integer. Then ``a·x < b`` is ``a·x <= (ceil(D·b) - 1) / D``; any other row
is solved as non-strict (a continuous model has no strict bounds)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction

import numpy as np

MAX_DENOMINATOR = 10**6
NON_STRICT = ("strict inequality treated as non-strict (only a row of integer variables with "
              "rational coefficients has a next value below its bound)")


def common_denominator(values: Iterable[float]) -> int | None:
    """The least D with D·v an integer for every v (each a ratio of integers up to
    MAX_DENOMINATOR, to 1e-12), or None."""
    d = 1
    for v in np.unique(np.asarray(list(values), dtype=float)):
        if not math.isfinite(v):
            return None
        f = Fraction(float(v)).limit_denominator(MAX_DENOMINATOR)
        if abs(float(f) - v) > 1e-12 * max(1.0, abs(v)):
            return None
        d = math.lcm(d, f.denominator)
        if d > MAX_DENOMINATOR:
            return None
    return d
