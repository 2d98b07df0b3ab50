"""Paired comparison of two strategies on the same items (pure).

Two runs on the same 64 items differ in a handful of items; whether that handful says more
than noise is a question for the items that changed, not for the two accuracies: the exact
McNemar test is a two-sided sign test over the discordant items.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb


def sign_test_p(wins: int, losses: int) -> float:
    """Two-sided exact p of ``wins`` against ``losses`` under a fair coin (1.0 for none)."""
    if wins < 0 or losses < 0:
        raise ValueError("wins and losses are counts")
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(comb(n, j) for j in range(min(wins, losses) + 1))
    return min(1.0, 2 * tail / 2**n)


@dataclass(frozen=True)
class Paired:
    """``other`` against ``base`` on the items both ran."""

    shared: int
    wins: int  # right with other, wrong with base
    losses: int  # wrong with other, right with base

    @property
    def p(self) -> float:
        return sign_test_p(self.wins, self.losses)


def paired(base_items: set[str], base_right: set[str],
           other_items: set[str], other_right: set[str]) -> Paired:
    shared = base_items & other_items
    return Paired(shared=len(shared),
                  wins=len((other_right - base_right) & shared),
                  losses=len((base_right - other_right) & shared))
