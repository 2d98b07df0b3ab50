"""The per-problem time budget (``Settings.time_budget``): how long one turn may take.

Once the budget is spent no new LLM call starts (no repair round, extra sample, retry, mend or
code cross-check), and the answer is the best model written so far. The solver gets at most
what is left (never less than ``MIN_SOLVE_SECONDS``). A generation of the embedded model that is
running when the budget runs out is stopped at its next token (finish reason ``time_budget``),
like a reply cut off at the token limit, and a call due to start past the deadline returns at
once; a request to an OpenAI-compatible endpoint already sent finishes, bounded by
``request_timeout``, but none is sent or retried past the deadline.

The deadline of the call in flight travels in a context variable, set by ``call_llm`` around
one LLM call, so that the backends need no new argument in the LLM protocol.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

MIN_SOLVE_SECONDS = 2.0  # a solve started after the deadline still gets this long
FINISH_REASON = "time_budget"  # a generation stopped at the deadline

_DEADLINE: ContextVar[float | None] = ContextVar("optiform_llm_deadline", default=None)


def deadline(started: float, budget: float | None) -> float | None:
    """The ``time.time()`` at which a turn that began at ``started`` is out of time."""
    return None if budget is None else started + budget


def seconds_left(started: float, budget: float | None, now: float | None = None
                 ) -> float | None:
    """Seconds of the budget left (0 when spent); None when there is no budget."""
    end = deadline(started, budget)
    if end is None:
        return None
    return max(0.0, end - (time.time() if now is None else now))


def spent(started: float, budget: float | None, now: float | None = None) -> bool:
    left = seconds_left(started, budget, now)
    return left is not None and left <= 0.0


def capped(limit: float, started: float, budget: float | None) -> float:
    """``limit`` (a solver's or the sandbox's time limit) cut to what is left of the budget,
    but never below ``MIN_SOLVE_SECONDS``."""
    left = seconds_left(started, budget)
    if left is None:
        return limit
    return min(limit, max(left, MIN_SOLVE_SECONDS))


@contextmanager
def llm_deadline(at: float | None) -> Iterator[None]:
    """Within this block, a backend that can stop a generation stops it at ``at``."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def llm_deadline_passed(now: float | None = None) -> bool:
    """Whether the LLM call in flight has run past its deadline (False without one)."""
    at = _DEADLINE.get()
    return at is not None and (time.time() if now is None else now) >= at
