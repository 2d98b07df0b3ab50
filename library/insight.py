"""The Insight: one solver-verified modeling lesson, with its usage counts and history.

An insight says *when* it applies (and when it does not), *why*, and shows a wrong and a right
formulation fragment in optiform's formulation language. Examples are written as parts joined by
`` ; ``; a part is an expression (``x + y <= 100``), a constraint with an index head
(``for_each "t in T": inv[t] == inv[t-1] + make[t] - sell[t]``), a variable declaration
(``var trucks: integer``) or an objective (``maximize: sum(p[i] * x[i] for i in I)``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Outcome = Literal["helped", "misled", "missed", "irrelevant"]
OUTCOMES: tuple[Outcome, ...] = ("helped", "misled", "missed", "irrelevant")
InsightStatus = Literal["active", "disabled"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "insight"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Taxonomy(_Model):
    """Where an insight sits: domain (e.g. ``general``), category (``constraints``), label."""

    domain: str = Field("general", min_length=1)
    category: str = Field(min_length=1)
    label: str = Field(min_length=1)

    @field_validator("domain", "category", "label", mode="before")
    @classmethod
    def _slug(cls, v: object) -> object:
        if not isinstance(v, str):
            return v
        if not any(ch.isalnum() for ch in v):  # "最小化" is a name (its slug: "insight")
            raise ValueError(f"{v!r} has no letter or digit to name it by")
        return slugify(v)

    @property
    def path(self) -> str:
        return f"{self.domain}/{self.category}/{self.label}"

    @classmethod
    def parse(cls, path: str) -> Taxonomy:
        parts = [p.strip() for p in path.split("/")]
        if not all(parts):  # "a//b" or "/a/b": a part left out, not a shorter path
            raise ValueError(f"taxonomy {path!r} has an empty part; it must look like "
                             "'domain/category/label' (or 'category/label' for the domain "
                             "'general')")
        if len(parts) == 2:
            parts = ["general", *parts]
        if len(parts) != 3:
            raise ValueError(f"taxonomy {path!r} must look like 'domain/category/label'")
        return cls(domain=parts[0], category=parts[1], label=parts[2])


class Condition(_Model):
    applies_when: str = Field(min_length=1, description="Cues in a problem that call for it.")
    not_applies_when: str = Field("", description="Look-alike cues where it must not be used.")


class Example(_Model):
    wrong: str = Field(min_length=1, description="The mistaken formulation fragment.")
    right: str = Field(min_length=1, description="The corrected fragment.")


_MOST = 2**53  # well inside SQLite's 64-bit integers, and exact in any JSON reader


class Counts(_Model):
    helped: int = Field(0, ge=0, le=_MOST)
    misled: int = Field(0, ge=0, le=_MOST)
    missed: int = Field(0, ge=0, le=_MOST)
    irrelevant: int = Field(0, ge=0, le=_MOST)

    @property
    def total(self) -> int:
        return self.helped + self.misled + self.missed + self.irrelevant


class InsightVersion(_Model):
    """A snapshot of an insight's content before an edit."""

    version: int = Field(ge=1, le=_MOST)
    taxonomy: Taxonomy
    condition: Condition
    explanation: str
    example: Example
    changed_at: str
    reason: str = ""


class Insight(_Model):
    id: str = Field(min_length=1, max_length=80)
    taxonomy: Taxonomy
    condition: Condition
    explanation: str = Field(min_length=1)
    example: Example
    counts: Counts = Field(default_factory=Counts)
    provenance: list[str] = Field(default_factory=list, description="Item ids it came from.")
    status: InsightStatus = "active"
    version: int = Field(1, ge=1, le=_MOST)
    history: list[InsightVersion] = Field(default_factory=list)
    created_at: str = Field(default_factory=now_iso)
    updated_at: str = Field(default_factory=now_iso)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _SLUG.match(v):
            raise ValueError(f"insight id {v!r} must be lowercase letters, digits and '-'")
        return v

    @property
    def label(self) -> str:
        return self.taxonomy.path

    @property
    def active(self) -> bool:
        return self.status == "active"

    def match_text(self) -> str:
        """What retrieval compares a problem against: the label words and the condition."""
        words = self.taxonomy.label.replace("-", " ")
        return f"{words}. {self.condition.applies_when}"

    def full_text(self) -> str:
        """Everything a duplicate check compares."""
        return " ".join([self.match_text(), self.explanation, self.example.right])

    def content_hash(self) -> str:
        return text_hash(self.full_text() + "|" + self.condition.not_applies_when)

    def snapshot(self, reason: str) -> InsightVersion:
        """This version's content, for the history of the next one."""
        return InsightVersion(
            version=self.version, taxonomy=self.taxonomy, condition=self.condition,
            explanation=self.explanation, example=self.example, changed_at=self.updated_at,
            reason=reason)

    def revise(self, *, reason: str, taxonomy: Taxonomy | None = None,
               condition: Condition | None = None, explanation: str | None = None,
               example: Example | None = None) -> Insight:
        """A new version with the given parts replaced; the current content joins history."""
        snapshot = self.snapshot(reason)
        return self.model_copy(update={
            "taxonomy": taxonomy or self.taxonomy,
            "condition": condition or self.condition,
            "explanation": explanation if explanation is not None else self.explanation,
            "example": example or self.example,
            "version": self.version + 1,
            "history": [*self.history, snapshot],
            "updated_at": now_iso(),
        }, deep=True)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def new_insight_id(taxonomy: Taxonomy) -> str:
    """A readable, unique id: the label and a short random suffix."""
    return f"{taxonomy.label[:40].rstrip('-')}-{uuid.uuid4().hex[:6]}"


def render_prompt(insight: Insight, max_chars: int = 340) -> str:
    """A compact rendering for prompts (~80 tokens): condition, wrong vs right, why.

    The embedded model reads about 40 tokens a second, so every insight must stay short. The
    examples (the part small models copy from) and the condition come first; the explanation
    fills the room that is left; the condition is clipped only as a last resort.
    """
    cond = insight.condition
    head = f"{insight.taxonomy.label}: use when {cond.applies_when.rstrip('.')}"
    unless = f"; not when {cond.not_applies_when.rstrip('.')}" if cond.not_applies_when else ""
    ex = f". Wrong: {insight.example.wrong} Right: {insight.example.right}"
    core = head + unless + ex
    room = max_chars - len(core) - len(" Why: ")
    if room >= len(insight.explanation):
        return f"{core} Why: {insight.explanation}"
    if room >= 40:
        return f"{core} Why: {_clip(insight.explanation, room)}"
    if len(core) <= max_chars:
        return core
    room = max_chars - len(unless + ex)
    if room >= 60:
        return _clip(head, room) + unless + ex
    return _clip(head + ex, max_chars)


def _clip(text: str, n: int) -> str:
    if len(text) <= n:
        return text
    cut = text[: max(n - 1, 0)].rsplit(" ", 1)[0]
    return cut + "…"
