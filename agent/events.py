"""Events streamed while the graph runs: node started/finished, LLM tokens, the answer.

Nodes emit through LangGraph's custom stream writer; outside a streaming run the writer is a
no-op, so nodes can emit unconditionally and stay testable alone.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field

EventType = Literal["node_started", "node_finished", "token", "llm_call", "attempt", "answer",
                    "error"]


class Event(BaseModel):
    type: EventType
    node: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    time: float = Field(default_factory=time.time)
    answer: Any = Field(None, exclude=True, description="The Answer, on the final event.")

    def __str__(self) -> str:
        extra = ""
        if self.type == "token":
            extra = repr(self.data.get("text", ""))
        elif self.data:
            extra = " ".join(f"{k}={v}" for k, v in self.data.items()
                             if isinstance(v, (str, int, float, bool)) and k != "text")
        return f"{self.type}{f' [{self.node}]' if self.node else ''} {extra}".rstrip()


def emit(type_: EventType, node: str | None = None, **data: Any) -> None:
    """Send one event to the stream of the running graph, if anyone is listening."""
    try:
        from langgraph.config import get_stream_writer

        writer = get_stream_writer()
    except RuntimeError:
        return
    writer({"type": type_, "node": node, "data": data, "time": time.time()})


def traced_node(name: str) -> Callable[[Callable[..., dict[str, Any]]],
                                       Callable[..., dict[str, Any]]]:
    """Wrap a node so it emits node_started / node_finished with its duration."""

    def wrap(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(fn)
        def node(state: Any, runtime: Any) -> dict[str, Any]:
            emit("node_started", name)
            t0 = time.perf_counter()
            try:
                update = fn(state, runtime)
            except Exception as exc:
                emit("error", name, message=str(exc), error=type(exc).__name__)
                raise
            emit("node_finished", name, seconds=round(time.perf_counter() - t0, 4))
            return update

        return node

    return wrap
