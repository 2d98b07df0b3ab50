"""Learning: turn failures on a training split into solver-verified insights.

Pure orchestration over injected callables (the library never imports the agent's facade):
``solve_item(item, insights)`` solves one item with exactly the given insights in its prompt
and says whether the answer matches the ground truth; ``propose(item, outcome, shown,
feedback, right)`` diagnoses a failure (beside a right attempt, when one was found) and
proposes one insight. For each item:

1. solve it with the insights retrieval picks now; right -> it joins the regression pool;
2. wrong, with insights shown, but right without them -> misled. With ``blame`` (the default)
   the item is solved once more per shown insight with that one left out, and only the
   insights whose absence turns it right are counted as misleading it; when no single one
   does, they misled it together and all are counted (the item then says so);
3. otherwise, with ``search`` > 0, first look for a right formulation of the item: solve it up
   to ``search`` more times with sampling (``sample_item``, same insights shown) and keep the
   first attempt the ground truth accepts. The proposer is then shown that attempt beside the
   failed one, so it explains a concrete difference instead of guessing the mistake;
4. propose an insight, and keep it only when (a) retrieval picks it for this item,
   (b) re-solving with the retrieved insights turns the item correct, and (c) up to
   ``regression`` items that were right, and that retrieval would show it for, stay right
   with it (the others get the prompt they were right with); a condition that quotes the
   problem or carries its figures is refused before any solve (one such "applies when the
   townhouses earn 10%" was kept on a lucky re-solve); a rejected proposal is retried with feedback;
5. a kept insight that nearly duplicates an existing one is merged into it (provenance, and a
   "missed" count when the existing one was not retrieved for this item).

Progress is written per item to the store, keyed by run name and item id, in one transaction
with the item's insight and usage writes: a killed run resumed repeats no finished item and
counts nothing twice. Step 1 can be read from a recorded evaluation run instead of solved
again (``recorded``: item id -> outcome), when that run used the library being learned into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optiform.errors import OptiformError, is_fatal
from optiform.library.authoring import Item, SolveOutcome, specific_condition
from optiform.library.insight import Insight
from optiform.library.retrieval import Retriever
from optiform.library.store import InsightStore

SolveItem = Callable[[Any, list[Insight]], SolveOutcome]
SampleItem = Callable[[Any, list[Insight], int], SolveOutcome]  # (item, insights, seed)
Propose = Callable[[Any, SolveOutcome, list[Insight], str, SolveOutcome | None], Insight]
DUPLICATE_THRESHOLDS = {"embedding": 0.88, "keyword": 0.6}


@dataclass(frozen=True)
class ItemReport:
    item_id: str
    status: str  # correct | misled | learned | merged | rejected | error
    insight_id: str | None = None
    detail: str = ""
    resumed: bool = False


@dataclass
class LearnReport:
    items: list[ItemReport] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for r in self.items if r.status == status)

    @property
    def learned(self) -> list[str]:
        """Insights added by this call (not by an earlier run that this one resumed)."""
        return [r.insight_id for r in self.items
                if r.status == "learned" and r.insight_id and not r.resumed]

    @property
    def resumed(self) -> int:
        return sum(1 for r in self.items if r.resumed)


@dataclass
class Learner:
    store: InsightStore
    solve_item: SolveItem
    propose: Propose
    retriever: Retriever
    run: str = "default"
    k: int = 4
    attempts: int = 2
    regression: int = 6
    require_retrieval: bool = True
    blame: bool = True
    duplicate_threshold: float | None = None
    search: int = 0
    sample_item: SampleItem | None = None
    recorded: Mapping[str, SolveOutcome] = field(default_factory=dict)
    _correct: list[Any] = field(default_factory=list)
    _writes: list[Callable[[], object]] = field(default_factory=list)

    def shown_for(self, item: Item, pool: list[Insight] | None = None) -> list[Insight]:
        found = self.retriever.retrieve(item.question, self.k, pool)
        return [r.insight for r in found if r.insight is not None]

    def run_items(self, items: Iterable[Item],
                  on_item: Callable[[ItemReport], None] | None = None) -> LearnReport:
        items = list(items)
        done = self.store.progress(self.run)
        by_id = {it.id: it for it in items}
        self._correct = [by_id[i] for i, row in done.items()
                         if row.status == "correct" and i in by_id]
        report = LearnReport()
        for item in items:
            if item.id in done:
                row = done[item.id]
                rep = ItemReport(item.id, row.status, row.insight_id, row.detail, resumed=True)
            else:
                rep = self._finish(item, self.learn_one(item))
            report.items.append(rep)
            if on_item is not None:
                on_item(rep)
        return report

    def learn_one(self, item: Item) -> ItemReport:
        """What learning made of one item. An error that stops every item (the endpoint, the
        model, the sandbox) is raised, not recorded, so a resume runs the item again.

        The item's writes to the store (a new or merged insight, usage counts) are held back
        and made by :meth:`_finish` in one transaction with the item's progress row: a run
        killed between them would count its usage again when resumed."""
        self._writes = []
        try:
            return self._learn_one(item)
        except OptiformError as exc:
            self._writes = []
            if is_fatal(exc):
                raise
            return ItemReport(item.id, "error", detail=exc.message[:300])

    def _later(self, write: Callable[[], object]) -> None:
        self._writes.append(write)

    def _finish(self, item: Item, rep: ItemReport) -> ItemReport:
        """Store the item's held-back writes and its progress together (or neither)."""
        writes, self._writes = self._writes, []
        try:
            with self.store.transaction():
                for write in writes:
                    write()
                self._progress(item, rep)
        except OptiformError as exc:
            if is_fatal(exc):
                raise
            # e.g. the insight it merges into was edited meanwhile: nothing of it was stored,
            # and without a progress row a resume runs the item again
            return ItemReport(item.id, "error", detail=(
                f"not stored, so a resume runs it again: {exc.message}")[:300])
        return rep

    def _progress(self, item: Item, rep: ItemReport) -> None:
        self.store.set_progress(self.run, item.id, rep.status, insight_id=rep.insight_id,
                                detail=rep.detail)

    def _learn_one(self, item: Item) -> ItemReport:
        shown = self.shown_for(item)
        first = self.recorded.get(item.id)
        recorded = first is not None
        if first is None:
            first = self.solve_item(item, shown)
        if first.correct:
            self._correct.append(item)
            return ItemReport(item.id, "correct")
        if shown and self.solve_item(item, []).correct:
            # a recorded outcome may have come from other insights than these: blame these
            # only after a solve with them fails too
            if recorded and self.solve_item(item, shown).correct:
                self._correct.append(item)
                return ItemReport(item.id, "correct")
            return self._misled(item, shown)
        right = self._search(item, shown)
        found = ""
        if self.search > 0 and self.sample_item is not None:
            found = (f"; a right attempt was found by sampling (seed {right[0]})" if right
                     else f"; no right attempt in {self.search} samples")
        feedback = ""
        for _ in range(max(self.attempts, 1)):
            try:
                cand = self.propose(item, first, shown, feedback,
                                    right[1] if right else None)
            except OptiformError as exc:
                if is_fatal(exc):
                    raise
                feedback = f"the proposal was unusable: {exc.message[:200]}"
                continue
            feedback = self._verify(item, cand)
            if not feedback:
                return self._keep(item, cand, shown, found)
        clipped = feedback if len(feedback) <= 300 else feedback[:299] + "…"
        return ItemReport(item.id, "rejected", detail=clipped + found)

    def _search(self, item: Item, shown: list[Insight]) -> tuple[int, SolveOutcome] | None:
        """The first of ``search`` sampled attempts that is right, with its seed, or None."""
        if self.sample_item is None:
            return None
        for seed in range(1, self.search + 1):
            outcome = self.sample_item(item, shown, seed)
            if outcome.correct:
                return seed, outcome
        return None

    def _misled(self, item: Item, shown: list[Insight]) -> ItemReport:
        """Count the shown insights that misled ``item`` (right with none of them)."""
        alone: list[Insight] = []
        if self.blame and len(shown) > 1:
            alone = [ins for ins in shown
                     if self.solve_item(item, [s for s in shown if s.id != ins.id]).correct]
        elif self.blame:
            alone = list(shown)
        blamed = alone or shown
        for ins in blamed:
            self._later(lambda iid=ins.id: self.store.record_usage(iid, "misled", item.id))
        detail = ", ".join(i.id for i in blamed)
        if self.blame and not alone:
            detail += " (together: leaving out any one of them alone does not turn it right)"
        return ItemReport(item.id, "misled", detail=detail)

    def _verify(self, item: Item, cand: Insight) -> str:
        """An empty string when the candidate is verified, else why it was rejected."""
        specific = specific_condition(cand.condition, [item.question])
        if specific is not None:
            return (f"its condition is this problem, not a kind of problem: {specific}; "
                    "describe the kind of problem in general terms, without its numbers")
        gone = self._duplicate_of(cand, self.store.insights("disabled"))
        if gone is not None:  # learning it again under a new id would undo the verdict
            return (f"it repeats {gone.id}, which was disabled (it lost more items than it "
                    "won); propose a different lesson")
        pool = [*self.store.active(), cand]
        if self.require_retrieval:
            with_cand = self.shown_for(item, pool)
            if cand.id not in {i.id for i in with_cand}:
                return self._unretrieved(item, cand, pool)
        else:
            with_cand = [cand, *[i for i in self.shown_for(item) if i.id != cand.id]][: self.k]
        again = self.solve_item(item, with_cand)
        if not again.correct:
            return (f"re-solving with it still fails (status {again.status}, objective "
                    f"{again.objective}, expected {item.answer})")
        for other, shown in self._regression_items(cand, pool):
            if not self.solve_item(other, shown).correct:
                return (f"it breaks problem {other.id}, which was solved correctly before; "
                        "narrow its condition")
        return ""

    def _unretrieved(self, item: Item, cand: Insight, pool: list[Insight]) -> str:
        """Why retrieval passes the candidate over, with the figures the proposer can act on:
        its rank and score for this problem, the score it needs, and conditions that match."""
        ranked = self.retriever.rank(item.question, pool)
        where = next((n for n, (ins, _) in enumerate(ranked) if ins.id == cand.id), None)
        head = "its condition does not match this problem, so retrieval would not pick it"
        if where is None:
            return head
        threshold = self.retriever.threshold
        top = [(ins, score) for ins, score in ranked[: self.k]
               if ins.id != cand.id and score >= threshold]
        need = max(threshold, top[-1][1] if len(top) >= self.k else 0.0)
        matching = "; ".join(f'"{ins.condition.applies_when[:90]}"' for ins, _ in top[:2])
        like = f" Conditions that match it read like: {matching}." if matching else ""
        return (f"{head} (it ranks {where + 1} of {len(ranked)} for this problem, score "
                f"{ranked[where][1]:.2f}; it needs {need:.2f}).{like} Say in 'applies_when' "
                "what kind of problem this is, in the terms its text uses for its decisions, "
                "resources and limits")

    def _regression_items(self, cand: Insight, pool: list[Insight]
                          ) -> list[tuple[Item, list[Insight]]]:
        """Up to ``regression`` previously-correct items that retrieval would show the
        candidate for (the most recent first), each with what it would be shown.

        Only those can change: an item that does not retrieve the candidate gets the same
        prompt as when it was solved right, and solving it again tests nothing but chance.
        (Putting the candidate into such an item's prompt anyway tested it where it would
        never be shown, and rejected narrow insights for breaking unrelated problems.)"""
        if self.regression <= 0:
            return []
        out = []
        for it in reversed(self._correct):
            shown = self.shown_for(it, pool)
            if cand.id in {i.id for i in shown}:
                out.append((it, shown))
                if len(out) >= self.regression:
                    break
        return out

    def _keep(self, item: Item, cand: Insight, shown: list[Insight],
              found: str = "") -> ItemReport:
        dup = self._duplicate_of(cand)
        if dup is not None:
            # the candidate's text is what turned the item right: it becomes the insight's
            # (the old text joins its history), rather than being dropped for an unverified one
            def merge(dup: Insight = dup) -> None:
                revised = dup.revise(
                    reason=f"learned again on {item.id}: this text turned it right",
                    condition=cand.condition, explanation=cand.explanation,
                    example=cand.example)
                if item.id not in revised.provenance:
                    revised.provenance.append(item.id)
                self.store.save_revision(revised)  # refused when it changed meanwhile
                self.store.record_usage(dup.id, "helped", item.id)
                if dup.id not in {i.id for i in shown}:
                    self.store.record_usage(dup.id, "missed", item.id)

            self._later(merge)
            return ItemReport(item.id, "merged", dup.id,
                              detail=f"near-duplicate of {dup.id}, now in the verified "
                                     f"wording{found}")

        def add() -> None:
            self.store.add(cand.model_copy(update={"provenance": [item.id]}))
            self.store.record_usage(cand.id, "helped", item.id)

        self._later(add)
        return ItemReport(item.id, "learned", cand.id, detail=found.removeprefix("; "))

    def _duplicate_of(self, cand: Insight, among: list[Insight] | None = None
                      ) -> Insight | None:
        """The insight of ``among`` (default: the active ones) closest to the candidate, when
        it is a near-duplicate."""
        threshold = self.duplicate_threshold
        if threshold is None:
            threshold = DUPLICATE_THRESHOLDS[self.retriever.mode]
        best: tuple[float, Insight] | None = None
        for other in self.store.active() if among is None else among:
            sim = self.retriever.similarity(cand.full_text(), other.full_text())
            if sim >= threshold and (best is None or sim > best[0]):
                best = (sim, other)
        return best[1] if best else None


def learn(items: Iterable[Item], solve_item: SolveItem, propose: Propose, store: InsightStore,
          *, retriever: Retriever | None = None, run: str = "default", k: int = 4,
          attempts: int = 2, regression: int = 6, require_retrieval: bool = True,
          blame: bool = True, recorded: Mapping[str, SolveOutcome] | None = None,
          search: int = 0, sample_item: SampleItem | None = None,
          on_item: Callable[[ItemReport], None] | None = None) -> LearnReport:
    """Learn insights from ``items`` into ``store`` (see the module docstring)."""
    learner = Learner(store=store, solve_item=solve_item, propose=propose,
                      retriever=retriever or Retriever(store), run=run, k=k,
                      attempts=attempts, regression=regression,
                      require_retrieval=require_retrieval, blame=blame,
                      search=search, sample_item=sample_item, recorded=recorded or {})
    return learner.run_items(items, on_item)
