"""Async twins of ``Assistant.solve`` / ``Assistant.stream``, cancellation, and an LLM gate.

The agent is synchronous (LangGraph nodes call a blocking LLM and blocking solvers), so
:func:`astream` runs it in a worker thread and hands its events to the event loop through a
queue. When the consumer stops (its task is cancelled, the generator is closed, an HTTP client
goes away) a cancel flag is set; the worker checks it at every event, i.e. between agent steps
and between LLM tokens, and stops there with :class:`~optiform.errors.TurnCancelled` instead
of running to the end for nobody.

:class:`SerialLLM` wraps one LLM shared by concurrent callers (the embedded model can only run
one request at a time): calls queue on a lock and never fail because it is busy; a queued call
whose turn was cancelled leaves the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from optiform.cancellation import cancel_flag, cancelled, raise_if_cancelled
from optiform.errors import OptiformError, TurnCancelled

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.agent.events import Event
    from optiform.agent.llm import LLM, Completion, Message
    from optiform.api import Assistant

_POLL_SECONDS = 0.1


def iter_cancellable(events: Iterator[Event], flag: threading.Event) -> Iterator[Event]:
    """``events`` until ``flag`` is set; then the generator is closed (the graph stops) and
    TurnCancelled is raised. Runs the iteration with ``flag`` visible to :func:`cancelled`
    (also in the graph's worker threads, which copy the context). Leaving early for any other
    reason (Ctrl-C, the consumer closing) sets ``flag`` too, so work still running in a worker
    thread (an LLM call through :class:`SerialLLM`) stops at its next token."""
    token = cancel_flag.set(flag)
    try:
        for event in events:
            if flag.is_set():
                raise TurnCancelled("the turn was cancelled", hint="ask again")
            yield event
    except BaseException:
        flag.set()
        raise
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()
        with contextlib.suppress(ValueError):  # closed from another context
            cancel_flag.reset(token)


def stream_in_worker(events: Callable[[], Iterator[Event]],
                     flag: threading.Event | None = None) -> Iterator[Event]:
    """Iterate ``events()`` in a worker thread and yield its events here. The caller never
    blocks in the graph's own waits (which a signal cannot interrupt), so Ctrl-C reaches it
    at once; leaving early sets ``flag``, and the agent stops at its next step."""
    flag = flag or threading.Event()
    handoff: queue.Queue[tuple[str, Any]] = queue.Queue()

    def work() -> None:
        try:
            for event in iter_cancellable(events(), flag):
                handoff.put(("event", event))
        except BaseException as exc:  # handed to the caller, raised there
            handoff.put(("error", exc))
        else:
            handoff.put(("done", None))

    threading.Thread(target=work, name="optiform-turn", daemon=True).start()
    finished = False
    try:
        while True:
            try:
                kind, item = handoff.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if kind == "event":
                yield item
            elif kind == "error":
                finished = True
                raise item
            else:
                finished = True
                return
    finally:
        if not finished:
            flag.set()


async def astream(assistant: Assistant, text: str, data: Mapping[str, Any] | None = None,
                  thread_id: str | None = None, *, tokens: bool = True,
                  **overrides: Any) -> AsyncIterator[Event]:
    """``assistant.stream(...)`` for asyncio code: the same events, the last one the answer.
    Closing or cancelling the consumer cancels the agent at its next step."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    flag = threading.Event()

    def put(kind: str, item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item))

    def work() -> None:
        try:
            events = assistant.stream(text, data, thread_id, tokens=tokens, **overrides)
            for event in iter_cancellable(events, flag):
                put("event", event)
        except BaseException as exc:  # handed to the consumer, raised there
            put("error", exc)
        else:
            put("done", None)

    worker = threading.Thread(target=work, name="optiform-turn", daemon=True)
    worker.start()
    try:
        while True:
            kind, item = await queue.get()
            if kind == "event":
                yield item
            elif kind == "error":
                raise item
            else:
                return
    finally:
        flag.set()


async def asolve(assistant: Assistant, text: str, data: Mapping[str, Any] | None = None,
                 thread_id: str | None = None, **overrides: Any) -> Answer:
    """``assistant.solve(...)`` for asyncio code; cancelling the awaiting task stops the agent
    at its next step."""
    answer = None
    async for event in astream(assistant, text, data, thread_id, tokens=False, **overrides):
        if event.type == "answer":
            answer = answer_of(event)
    if answer is None:
        raise OptiformError("the agent stopped without an answer",
                            hint="save the trace with --show trace and report it")
    return answer


def answer_of(event: Event) -> Answer | None:
    """The Answer an 'answer' event carries (None for other events)."""
    if event.type != "answer":
        return None
    from optiform.agent.answer import Answer

    value = getattr(event, "answer", None)
    if value is None:
        value = event.data.get("answer")
    if isinstance(value, Answer):
        return value
    return Answer.model_validate(value) if value is not None else None


class SerialLLM:
    """One LLM shared by concurrent callers, one call at a time (FIFO-ish on a lock)."""

    def __init__(self, inner: LLM, lock: threading.Lock | None = None) -> None:
        self.inner = inner
        self.name = inner.name
        self._lock = lock or threading.Lock()
        try:
            params = inspect.signature(inner.stream).parameters
            self._stream_schema = "schema" in params
        except (TypeError, ValueError):
            self._stream_schema = False

    def _acquire(self) -> None:
        while not self._lock.acquire(timeout=_POLL_SECONDS):
            raise_if_cancelled()
        if cancelled():
            self._lock.release()
            raise_if_cancelled()

    def complete(self, messages: list[Message], **kwargs: Any) -> Completion:
        self._acquire()
        try:
            return self.inner.complete(messages, **kwargs)
        finally:
            self._lock.release()

    def stream(self, messages: list[Message], *, schema: dict[str, Any] | None = None,
               **kwargs: Any) -> Iterator[str]:
        self._acquire()
        try:
            if schema is not None and not self._stream_schema:
                yield self.inner.complete(messages, schema=schema, **kwargs).text
                return
            extra = {"schema": schema} if schema is not None else {}
            for piece in self.inner.stream(messages, **extra, **kwargs):
                raise_if_cancelled()
                yield piece
        finally:
            self._lock.release()
