"""What the agent needs from an experience library: a small protocol, and an empty default.

agent/ never imports library/; api.py plugs a library in through :class:`InsightSource`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class InsightLike(Protocol):
    """One retrieved insight: ``text`` is ready to put into a prompt."""

    id: str
    label: str
    text: str
    score: float


@runtime_checkable
class InsightSource(Protocol):
    """Anything that returns the insights most relevant to a problem text.

    A source may also define ``record_usage(insight_id, outcome)``; the agent calls it after a
    turn with outcome ``"solved"`` or ``"failed"`` when it exists.
    """

    def retrieve(self, problem_text: str, k: int = 4) -> list[Any]: ...


class EmptyInsightSource:
    """The default source: no insights."""

    def retrieve(self, problem_text: str, k: int = 4) -> list[Any]:
        return []


def insight_dict(obj: Any) -> dict[str, Any]:
    """A retrieved insight as a JSON-able dict for the state and the trace."""
    return {
        "id": str(getattr(obj, "id", "")),
        "label": str(getattr(obj, "label", "")),
        "text": str(getattr(obj, "text", "")),
        "score": float(getattr(obj, "score", 0.0) or 0.0),
    }


def record_usage(source: Any, insight_ids: list[str], outcome: str) -> None:
    """Tell the source how a turn that used these insights ended, when it wants to know."""
    hook = getattr(source, "record_usage", None)
    if not callable(hook):
        return
    for insight_id in insight_ids:
        hook(insight_id, outcome)
