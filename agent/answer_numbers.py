"""Numbers as an answer writes them (its message, explanation and shadow prices): a whole
number without decimals, anything else to six significant digits."""

from __future__ import annotations


def fmt(x: float | None) -> str:
    """``x`` as an answer shows it: ``none`` for no number, a whole one (to a relative 1e-6)
    without decimals, else six significant digits."""
    if x is None:
        return "none"
    if abs(x - round(x)) <= 1e-6 * max(1.0, abs(x)):
        return str(round(x))
    return f"{x:.6g}"
