"""Cancellation of a running turn: a flag in a context variable.

``optiform.api_async`` sets the flag around a turn's iteration (LangGraph's worker threads
copy the context, so the nodes see it too); the embedded model checks it between generated
tokens and between the batches in which it reads a prompt, PDHG between its checks, SCIP in an
event handler (solvers/pyomo_backend.py: its ``optimize()`` holds the GIL, so no watcher thread
runs), and HiGHS is told to stop by :func:`stop_when_cancelled`'s watcher. A solver run in
the main thread stops at Ctrl-C through :func:`ctrl_c_stops`. A module of the
lowest layer, beside errors.py, so that the solvers can read it too.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar

from optiform.errors import TurnCancelled

cancel_flag: ContextVar[threading.Event | None] = ContextVar("optiform_cancel", default=None)
# set by `solve --formulation` and `--mps` alone: there Ctrl-C ends the solve with its best
# point; everywhere else (a turn, an eval, learning, the Python API) it stops the whole job
ctrl_c_keeps_result: ContextVar[bool] = ContextVar("optiform_ctrl_c_keeps", default=False)


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


@contextmanager
def keep_result_on_ctrl_c() -> Iterator[None]:
    """Within the block, a Ctrl-C during a solve ends that solve, which returns its best point
    (status time_limit), instead of stopping the caller: for a command that solves one model
    and prints it."""
    token = ctrl_c_keeps_result.set(True)
    try:
        yield
    finally:
        ctrl_c_keeps_result.reset(token)


class CtrlC:
    """Whether Ctrl-C was pressed during a :func:`ctrl_c_stops` block."""

    def __init__(self) -> None:
        self.pressed = False


@contextmanager
def ctrl_c_stops(stop: Callable[[], object]) -> Iterator[CtrlC]:
    """A solver run in the main thread, where Python's Ctrl-C would wait until the solver
    returns (its time limit): for the block, Ctrl-C calls ``stop`` (the solver's own
    interrupt, which runs at its next callback). After the block the Ctrl-C is raised, unless
    :func:`keep_result_on_ctrl_c` keeps the solver's result. In another thread nothing
    changes: the main thread sees the Ctrl-C and sets the turn's flag, which the solver
    watches."""
    state = CtrlC()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def interrupt(signum: int, frame: object) -> None:
        state.pressed = True
        stop()

    previous = signal.signal(signal.SIGINT, interrupt)
    try:
        yield state
    finally:  # a handler set outside Python reads as None: Python's own then
        signal.signal(signal.SIGINT, signal.default_int_handler if previous is None
                      else previous)
    if state.pressed and not ctrl_c_keeps_result.get():
        raise KeyboardInterrupt
