"""Verification: replay the items an insight is shown for, with and without it.

``learn`` keeps an insight when re-solving its own item with it turns that item right and a few
items that were right (6 by default) stay right. An insight with a broad condition enters the
prompts of many more problems than that: the one insight learned on NL4Opt train,
``percentage-of-total``, enters the top 4 of 19 of the 64 NL4Opt test problems, and all 5
items on which that library's answers differ from the seed library's were lost (the README's
issue-7 measure). On the 24 NL4Opt train items it is shown for it wins 1 and loses 3; 6 of
those 24 drawn at random miss all 3 losers about 4 times in 10.

``verify`` judges each chosen insight (by default the learned ones, not the seed) on a data
set, by the items whose retrieved insights include it: each is solved with the library as it
is and with the insight left out of the library (retrieval then shows the next one in its
place). Items it turns right are counted as helped, items it turns wrong as misled, and it is
disabled, with the reason in its history, when it loses at least ``margin`` more items than it
wins. An insight whose condition quotes the problem it was learned from, or carries its
figures, is disabled without replay: it describes that problem, not a kind of problem. Like
``evolve``, pure orchestration over an injected ``solve_item``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optiform.errors import LibraryError, OptiformError, is_fatal
from optiform.library.authoring import Item, SolveOutcome, specific_condition
from optiform.library.insight import Insight
from optiform.library.replay import Replays
from optiform.library.retrieval import Retriever
from optiform.library.store import InsightStore

SolveItem = Callable[[Any, list[Insight]], SolveOutcome]


@dataclass(frozen=True)
class VerifyReport:
    insight_id: str
    shown: int  # items of the data set whose retrieved insights include it
    replayed: int
    won: int  # right with it, wrong without it
    lost: int  # and the reverse
    disabled: bool
    detail: str = ""


def is_learned(insight: Insight) -> bool:
    """Whether ``insight`` came from learning or an import, not from the seed library (a seed
    insight that absorbed a learned near-duplicate still starts its provenance with "seed")."""
    return insight.provenance[:1] != ["seed"]


@dataclass
class Verifier(Replays):
    store: InsightStore
    items: Mapping[str, Item]
    solve_item: SolveItem
    retriever: Retriever
    k: int = 4
    margin: int = 2
    max_items: int | None = None
    _memo: dict[tuple[str, tuple[str, ...]], bool] = field(default_factory=dict)

    def verify_one(self, insight: Insight) -> VerifyReport:
        # the item it was learned from (merged near-duplicates came later, with their own
        # wording); an insight learned from no item of this data set is not checked
        origin = insight.provenance[0] if is_learned(insight) and insight.provenance else None
        sources = [self.items[origin].question] if origin in self.items else []
        specific = specific_condition(insight.condition, sources) if sources else None
        if specific is not None:
            reason = ("verify: disabled; its condition is the problem it was learned from, "
                      f"not a kind of problem: {specific}")
            self._disable(insight, reason)
            return VerifyReport(insight.id, 0, 0, 0, 0, True,
                                f"disabled: its condition is the problem it was learned from "
                                f"({specific}); not replayed")
        pool = self.store.active()
        without = [i for i in pool if i.id != insight.id]
        shown_with = {iid: self._shown(item, pool) for iid, item in self.items.items()}
        hits = [iid for iid, shown in shown_with.items()
                if any(s.id == insight.id for s in shown)]
        chosen = hits if self.max_items is None else hits[: self.max_items]
        won: list[str] = []
        lost: list[str] = []
        try:
            for iid in chosen:
                item = self.items[iid]
                right_with = self._solved(item, shown_with[iid])
                right_without = self._solved(item, self._shown(item, without))
                if right_with and not right_without:
                    won.append(iid)
                elif right_without and not right_with:
                    lost.append(iid)
        except OptiformError as exc:
            if is_fatal(exc):  # the endpoint, the model: every insight would fail alike
                raise
            return VerifyReport(insight.id, len(hits), 0, 0, 0, False,
                                f"replay failed: {exc.message}")
        counted = {(e.outcome, e.item_id) for e in self.store.usage_events(insight.id)}
        for outcome, iids in (("helped", won), ("misled", lost)):
            for iid in iids:  # a second verify run counts nothing twice
                if (outcome, iid) not in counted:
                    self.store.record_usage(insight.id, outcome, iid)
        split = f"won {len(won)}, lost {len(lost)} of {len(chosen)} replayed"
        if not hits:
            return VerifyReport(insight.id, 0, 0, 0, 0, False,
                                "retrieval shows it for none of these items")
        disabled = len(lost) - len(won) >= max(self.margin, 1)
        if disabled:
            reason = (f"verify: disabled; shown for {len(hits)} items, {split}"
                      + (f" ({', '.join(lost[:5])} lost)" if lost else ""))
            self._disable(insight, reason)
        verdict = (f"disabled: it loses {len(lost) - len(won)} more items than it wins"
                   if disabled else
                   "kept" if len(won) >= len(lost) else
                   f"kept: it loses {len(lost) - len(won)} more, under the margin of "
                   f"{self.margin}")
        return VerifyReport(insight.id, len(hits), len(chosen), len(won), len(lost), disabled,
                            f"{verdict} ({split})")

    def _disable(self, insight: Insight, reason: str) -> None:
        current = self.store.get(insight.id)
        self.store.save_revision(
            current.revise(reason=reason).model_copy(update={"status": "disabled"}))

    def run(self, insights: list[Insight],
            on_report: Callable[[VerifyReport], None] | None = None) -> list[VerifyReport]:
        reports = []
        for insight in insights:
            rep = self.verify_one(insight)
            reports.append(rep)
            if on_report is not None:
                on_report(rep)
        return reports


def verify(store: InsightStore, items: Mapping[str, Item], solve_item: SolveItem, *,
           ids: list[str] | None = None, retriever: Retriever | None = None, k: int = 4,
           margin: int = 2, max_items: int | None = None,
           on_report: Callable[[VerifyReport], None] | None = None) -> list[VerifyReport]:
    """Verify the insights ``ids`` (default: the active learned ones) on ``items``."""
    chosen = ([store.get(i) for i in ids] if ids else
              [i for i in store.active() if is_learned(i)])
    for ins in chosen:
        if ins.status != "active":
            raise LibraryError(f"insight {ins.id!r} is {ins.status}",
                               hint=f"`optiform library enable {ins.id}` first")
    verifier = Verifier(store=store, items=items, solve_item=solve_item,
                        retriever=retriever or Retriever(store), k=k, margin=margin,
                        max_items=max_items)
    return verifier.run(chosen, on_report)
