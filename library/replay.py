"""Replaying items with a chosen set of insights: what evolve and verify share.

A mixin for dataclasses that hold ``retriever``, ``k``, ``solve_item`` and a ``_memo`` dict:
retrieval over a given pool, and solving an item once per distinct prompt (insight ids and
contents), so that a prompt replayed twice costs one solve.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from optiform.library.authoring import Item, SolveOutcome
from optiform.library.insight import Insight
from optiform.library.retrieval import Retriever


class Replays:
    retriever: Retriever
    k: int
    solve_item: Callable[[Any, list[Insight]], SolveOutcome]
    _memo: dict[tuple[str, tuple[str, ...]], bool]

    def _shown(self, item: Item, pool: list[Insight]) -> list[Insight]:
        found = self.retriever.retrieve(item.question, self.k, pool)
        return [r.insight for r in found if r.insight is not None]

    @staticmethod
    def _key(shown: list[Insight]) -> tuple[str, ...]:
        return tuple(f"{i.id}@{i.content_hash()}" for i in shown)

    def _solved(self, item: Item, shown: list[Insight]) -> bool:
        key = (item.id, self._key(shown))
        if key not in self._memo:
            self._memo[key] = self.solve_item(item, shown).correct
        return self._memo[key]

    def _correct(self, item: Item, pool: list[Insight]) -> bool:
        return self._solved(item, self._shown(item, pool))
