"""Run-away replies: a generation that repeats one stretch of tokens over and over.

A small model sometimes falls into a loop (``"days_off": "sum(s) == 2", "days_off": ...`` or
``per_week_per_week_per_week...``) and keeps going until the token limit: minutes of CPU for
a reply that is thrown away. A tail made of the same stretch (up to ``max_period`` tokens)
repeated at least ``min_repeats`` times over at least ``min_span`` tokens is such a loop; the
spans are long enough that a real answer (a list of numbers, similar constraint lines that
differ in a digit) does not match. Pure functions of token ids.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_PERIOD = 64
MIN_REPEATS = 4
MIN_SPAN = 128


def loop_period(tokens: Sequence[int], *, max_period: int = MAX_PERIOD,
                min_repeats: int = MIN_REPEATS, min_span: int = MIN_SPAN) -> int | None:
    """The length of the stretch the tail of ``tokens`` repeats, or None when it does not."""
    tail = list(tokens[-(max(max_period * min_repeats, min_span) + max_period):])
    for p in range(1, max_period + 1):
        span = max(p * min_repeats, min_span)
        if span + p > len(tail):
            break
        if tail[-span:] == tail[-span - p:-p]:
            return p
    return None


class LoopWatch:
    """Feeds tokens one by one; ``add`` says when the reply has run into a loop (checked
    every ``every`` tokens, so watching costs little)."""

    def __init__(self, every: int = 8) -> None:
        self.tokens: list[int] = []
        self.every = every
        self.period: int | None = None

    def add(self, token: int) -> bool:
        self.tokens.append(token)
        if len(self.tokens) % self.every == 0:
            self.period = loop_period(self.tokens)
        return self.period is not None
