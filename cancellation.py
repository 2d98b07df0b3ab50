"""Cancellation of a running turn: a flag in a context variable.

``optiform.api_async`` sets the flag around a turn's iteration (LangGraph's worker threads
copy the context, so the nodes see it too); the embedded model checks it between generated
tokens and between the batches in which it reads a prompt, PDHG between its checks, SCIP in an
event handler (solvers/pyomo_backend.py: its ``optimize()`` holds the GIL, so no watcher thread
runs), and HiGHS is told to stop by :func:`stop_when_cancelled`'s watcher. A module of the
lowest layer, beside errors.py, so that the solvers can read it too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from optiform.errors import TurnCancelled

cancel_flag: ContextVar[threading.Event | None] = ContextVar("optiform_cancel", default=None)


def current_flag() -> threading.Event | None:
    """The cancel flag of the turn running in this context (for a watcher thread, which does
    not share the context)."""
    return cancel_flag.get()


def cancelled() -> bool:
    """True when the turn running in this context was asked to stop."""
    flag = current_flag()
    return flag is not None and flag.is_set()


def raise_if_cancelled() -> None:
    if cancelled():
        raise TurnCancelled("the turn was cancelled", hint="ask again to start a new turn")


@contextmanager
def stop_when_cancelled(stop: Callable[[], object], every: float = 0.2) -> Iterator[None]:
    """While the block runs (a solver's solve that releases the GIL, which no Python signal
    reaches), watch the cancel flag of the turn in this context (none outside a turn) from a
    thread of its own, and call ``stop`` once it is set: again at the next look while
    ``stop`` returns False (the solver has not begun)."""
    flag = current_flag()
    if flag is None:
        yield
        return
    done = threading.Event()

    def watch() -> None:
        while not done.wait(every):
            if flag.is_set():
                with suppress(Exception):  # the solver may be between states: no harm
                    if stop() is not False:
                        return

    watcher = threading.Thread(target=watch, name="optiform-cancel-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        watcher.join(1.0)
