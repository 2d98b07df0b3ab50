"""Retrieval: which insights a problem calls for.

Each active insight's condition is scored against the problem text. With sentence embeddings
(MiniLM, the default when installed) the score is the best cosine between the "applies when"
text and any clause of the problem (or the whole text), plus half the keyword score (a hybrid:
cues such as "at least" or "40%" are lexical). Without embeddings, or when asked, the keyword
score alone is used (TF-IDF cosine over the label words and the condition). An insight whose
"does not apply when" text matches the problem better than its "applies when" text is pushed
down by the difference. The top k at or above a threshold are returned, each rendered
compactly for prompts; optionally an LLM confirms each candidate's condition.

``LibraryInsightSource`` is what the agent's graph is handed (the agent never imports this
package); ``FixedInsightSource`` hands the agent an exact list (learning and evolution use it).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from optiform.errors import LibraryError, LLMError
from optiform.library.embeddings import Embedder, MiniLMEmbedder, embed_cached, embeddings_available
from optiform.library.insight import OUTCOMES, Insight, render_prompt
from optiform.library.keywords import KeywordIndex, token_similarity

if TYPE_CHECKING:
    import numpy as np

    from optiform.agent.llm import LLM
    from optiform.config import Settings
    from optiform.library.store import InsightStore

log = logging.getLogger(__name__)

Mode = Literal["auto", "embedding", "keyword"]
DEFAULT_THRESHOLDS = {"embedding": 0.35, "keyword": 0.08}
KEYWORD_WEIGHT = 0.5  # embedding mode adds this much of the keyword score (a hybrid)
# problem texts whose embedded clauses a retriever keeps, oldest dropped first: a train split
# (149-169 items) fits, and at most 61 vectors of 384 floats a text bound it to ~24 MB
QUERY_CACHE = 256
NEGATIVE_WEIGHT = 1.0  # how hard a better-matching "does not apply when" pushes down
_CLAUSE = re.compile(r"(?<=[.!?;,:])\s+")


def clauses(text: str, min_words: int = 3, limit: int = 60) -> list[str]:
    """The text cut at punctuation into clauses of a few words (cues are local)."""
    parts = [p.strip() for p in _CLAUSE.split(text)]
    return [p for p in parts if len(p.split()) >= min_words][:limit]


@dataclass(frozen=True)
class RetrievedInsight:
    """One retrieved insight, ready for a prompt."""

    id: str
    label: str
    text: str
    score: float
    insight: Insight | None = None

    @classmethod
    def of(cls, insight: Insight, score: float) -> RetrievedInsight:
        return cls(id=insight.id, label=insight.label, text=render_prompt(insight),
                   score=round(float(score), 4), insight=insight)


class Retriever:
    """Ranks insights for a problem text. ``mode``: auto (embeddings when installed), or forced."""

    def __init__(self, store: InsightStore | None = None, *, mode: Mode = "auto",
                 embedder: Embedder | None = None, threshold: float | None = None,
                 llm: LLM | None = None, llm_check: bool = False,
                 check_system: str | None = None) -> None:
        self.store = store
        self.requested: Mode = mode
        self._embedder = embedder
        self._threshold = threshold
        self.llm = llm
        self.llm_check = llm_check and llm is not None
        self.check_system = check_system  # the agent's system prompt, for the prefix cache
        self._queries: dict[str, np.ndarray] = {}  # problem text -> its embedded clauses

    @property
    def mode(self) -> Literal["embedding", "keyword"]:
        if self.requested == "keyword":
            return "keyword"
        if self._embedder is not None or self.requested == "embedding":
            return "embedding"
        return "embedding" if embeddings_available() else "keyword"

    @property
    def threshold(self) -> float:
        return self._threshold if self._threshold is not None else DEFAULT_THRESHOLDS[self.mode]

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = MiniLMEmbedder()
        return self._embedder

    def _pool(self, pool: list[Insight] | None) -> list[Insight]:
        if pool is not None:
            return [i for i in pool if i.active]
        if self.store is None:
            raise LibraryError("the retriever has neither a store nor a pool of insights")
        return self.store.active()

    def _query_vectors(self, text: str) -> np.ndarray | None:
        """The problem's clauses and whole text embedded, or None in keyword mode."""
        if self.mode != "embedding":
            return None
        if text in self._queries:
            return self._queries[text]
        try:
            vectors = self.embedder.embed([*clauses(text), text])
        except LibraryError:
            if self.requested == "embedding":
                raise
            log.warning("sentence model unavailable; using keyword retrieval")
            self.requested = "keyword"
            return None
        if len(self._queries) >= QUERY_CACHE:
            self._queries.pop(next(iter(self._queries)))
        self._queries[text] = vectors
        return vectors

    def _similarities(self, text: str, query: np.ndarray | None, docs: list[str],
                      kw_docs: list[str]) -> list[float]:
        """Keyword cosine of ``text`` with ``kw_docs``; with embeddings (``query``), plus the
        best cosine between each doc and any clause of the text or the whole text."""
        keyword = KeywordIndex(kw_docs).query(text)
        if query is None:
            return keyword
        best = (embed_cached(self.embedder, docs, self.store) @ query.T).max(axis=1)
        return [float(b) + KEYWORD_WEIGHT * kw for b, kw in zip(best, keyword, strict=True)]

    def rank(self, text: str, pool: list[Insight] | None = None) -> list[tuple[Insight, float]]:
        """Every active insight with its score, best first."""
        insights = self._pool(pool)
        if not insights or not text.strip():
            return []
        query = self._query_vectors(text)
        scores = self._similarities(text, query, [i.condition.applies_when for i in insights],
                                    [i.match_text() for i in insights])
        with_neg = [n for n, i in enumerate(insights) if i.condition.not_applies_when.strip()]
        if with_neg:
            negs = [insights[n].condition.not_applies_when for n in with_neg]
            neg_scores = self._similarities(text, query, negs, negs)
            for n, neg in zip(with_neg, neg_scores, strict=True):
                scores[n] -= NEGATIVE_WEIGHT * max(0.0, neg - scores[n])
        return sorted(zip(insights, scores, strict=True), key=lambda p: (-p[1], p[0].id))

    def retrieve(self, text: str, k: int = 4,
                 pool: list[Insight] | None = None) -> list[RetrievedInsight]:
        """The top ``k`` insights scoring at least the threshold; with the LLM check on, those
        of them whose condition the LLM confirms.

        A rejected insight is not replaced by the next one down the ranking: a small model
        confirms most conditions it is shown, so a replacement would usually pass, and a
        less similar insight is the likelier to mislead. The check costs at most ``k`` calls.
        """
        if k <= 0:
            return []
        top = [(ins, score) for ins, score in self.rank(text, pool)
               if score >= self.threshold][:k]
        return [RetrievedInsight.of(ins, score) for ins, score in top
                if not self.llm_check or self._confirmed(text, ins)]

    def _confirmed(self, text: str, insight: Insight) -> bool:
        from optiform.library.prompts import CHECK_SCHEMA, check_messages

        assert self.llm is not None
        try:
            reply = self.llm.complete(check_messages(text, insight, self.check_system),
                                      schema=CHECK_SCHEMA,
                                      temperature=0.0, max_tokens=16)
        except LLMError as exc:
            log.warning("insight check failed (%s); keeping %s", exc.message, insight.id)
            return True
        data = reply.data if isinstance(reply.data, dict) else {}
        applies = data.get("applies", True) is not False
        if not applies and self.store is not None:
            self.store.record_usage(insight.id, "irrelevant")
        return applies

    def similarity(self, a: str, b: str) -> float:
        """How alike two insight texts are (for merging near-duplicates), in [0, 1]."""
        if self.mode == "embedding":
            try:
                va, vb = embed_cached(self.embedder, [a, b], self.store)
                return float(va @ vb)
            except LibraryError:
                if self.requested == "embedding":
                    raise
        return token_similarity(a, b)


class LibraryInsightSource:
    """The insight source the agent is handed: retrieves from the store, records usage."""

    def __init__(self, store: InsightStore | None = None, *, settings: Settings | None = None,
                 retriever: Retriever | None = None, llm: LLM | None = None,
                 item_id: str | None = None, check_system: str | None = None) -> None:
        self._store = store
        self._settings = settings
        self._retriever = retriever
        self._llm = llm
        self._check_system = check_system
        self.item_id = item_id

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def store(self) -> InsightStore:
        if self._store is None:
            from optiform.library.store import InsightStore, default_store_path

            self._store = InsightStore(default_store_path(self._settings))
        return self._store

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            s = self._settings
            self._retriever = Retriever(
                self.store,
                mode=getattr(s, "library_retrieval", "auto") if s else "auto",
                threshold=getattr(s, "library_threshold", None) if s else None,
                llm=self._llm,
                llm_check=bool(getattr(s, "library_llm_check", False)) if s else False,
                check_system=self._check_system,
            )
        return self._retriever

    def retrieve(self, problem_text: str, k: int = 4) -> list[RetrievedInsight]:
        return self.retriever.retrieve(problem_text, k)

    def record_usage(self, insight_id: str, outcome: str, item_id: str | None = None) -> None:
        """Count an outcome judged against ground truth (helped, misled, missed, irrelevant).

        The agent also reports run-level outcomes ("solved", "failed") that say nothing about
        whether an insight was right for the problem; those are not counted.
        """
        if outcome not in OUTCOMES:
            log.debug("usage outcome %r of %s not counted", outcome, insight_id)
            return
        self.store.record_usage(insight_id, outcome, item_id or self.item_id)  # type: ignore[arg-type]


class FixedInsightSource:
    """Hands the agent exactly the given insights (all of them, whatever ``k``)."""

    def __init__(self, insights: list[Insight]) -> None:
        self.insights = list(insights)
        self.usage: list[tuple[str, str]] = []

    def retrieve(self, problem_text: str, k: int = 4) -> list[RetrievedInsight]:
        return [RetrievedInsight.of(i, 1.0) for i in self.insights]

    def record_usage(self, insight_id: str, outcome: str, item_id: str | None = None) -> None:
        self.usage.append((insight_id, outcome))
