"""Learning and evolution with a scripted agent and the FakeLLM as proposer and rewriter.

The scripted agent solves an item correctly when the explanation of some shown insight holds
the item's ``needs`` marker (or it needs none) and no shown insight holds its ``breaker``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from optiform.agent.fake import FakeLLM
from optiform.errors import OptiformError
from optiform.library.authoring import (
    LLMProposer,
    LLMRewriter,
    SolveOutcome,
    insight_from_proposal,
)
from optiform.library.evolve import evolve
from optiform.library.insight import Condition, Example, Insight, Taxonomy
from optiform.library.learn import Learner, learn
from optiform.library.retrieval import Retriever
from optiform.library.store import InsightStore


@dataclass
class Item:
    id: str
    question: str
    answer: float = 1.0
    needs: str | None = None
    breaker: str | None = None
    raises: bool = False


@dataclass
class ScriptedSolver:
    calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def __call__(self, item: Item, insights: list[Insight]) -> SolveOutcome:
        self.calls.append((item.id, tuple(i.id for i in insights)))
        if item.raises:
            raise OptiformError("the agent failed")
        text = " ".join(i.explanation for i in insights)
        ok = (item.needs is None or item.needs in text) and not (
            item.breaker is not None and item.breaker in text)
        return SolveOutcome(correct=ok, status="optimal", objective=item.answer if ok else 0.0,
                            trace=f"formulation of {item.id}")


def proposal(applies: str, explanation: str, label: str = "lesson") -> dict[str, str]:
    return {"diagnosis": "a limit was written as ==", "domain": "general",
            "category": "constraints", "label": label, "applies_when": applies,
            "not_applies_when": "", "explanation": explanation,
            "wrong": "x + y == 40", "right": "x + y <= 40"}


def make(iid: str, applies: str, explanation: str, not_applies: str = "") -> Insight:
    return Insight(id=iid, taxonomy=Taxonomy(category="constraints", label=iid),
                   condition=Condition(applies_when=applies, not_applies_when=not_applies),
                   explanation=explanation, example=Example(wrong="x == 1", right="x <= 1"))


GOOD1 = Item("good1", "A farmer plants wheat and corn on 100 acres of land.")
GOOD2 = Item("good2", "A tailor sews shirts and pants from cloth and pays sales tax on its "
             "goods.", breaker="BREAKER")
FIXABLE = Item("fixable", "A bakery bakes bread and cakes; the oven is available for at most "
               "40 hours a week.", needs="FIX-OVEN")
UNFIXABLE = Item("unfixable", "A zoo feeds lions and tigers with meat deliveries.",
                 needs="NEVER")
BREAKS = Item("breaks", "A store pays sales tax on imported goods and domestic goods.",
              needs="FIX-TAX")


@pytest.fixture
def store(tmp_path: Path) -> InsightStore:
    s = InsightStore(tmp_path / "lib.sqlite", seed=False)
    yield s
    s.close()


def scripted_proposals() -> FakeLLM:
    return FakeLLM([
        proposal("an oven or machine is available for a limited number of hours",
                 "Oven hours are a capacity limit. FIX-OVEN", label="oven-hours"),
        proposal("satellites orbit distant planets", "Orbits. WRONGFIX", label="orbits"),
        proposal("a zoo feeds big cats with deliveries of meat",
                 "Zoo feed deliveries. WRONGFIX", label="zoo-feed"),
        proposal("a business pays sales tax on its goods", "Tax per unit. FIX-TAX BREAKER",
                 label="sales-tax"),
        proposal("a business pays sales tax on its goods", "Tax per unit. FIX-TAX",
                 label="sales-tax"),
    ])


def test_learning_keeps_verified_and_rejects_unverified(store: InsightStore) -> None:
    llm = scripted_proposals()
    solver = ScriptedSolver()
    report = learn([GOOD1, GOOD2, FIXABLE, UNFIXABLE, BREAKS], solver, LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="t", attempts=2)
    status = {r.item_id: r.status for r in report.items}
    assert status == {"good1": "correct", "good2": "correct", "fixable": "learned",
                      "unfixable": "rejected", "breaks": "learned"}
    kept = {i.taxonomy.label: i for i in store.insights()}
    assert set(kept) == {"oven-hours", "sales-tax"}
    # the insight that broke a previously-correct item was rejected; its clean retry was kept
    assert "BREAKER" not in kept["sales-tax"].explanation
    assert kept["oven-hours"].provenance == ["fixable"]
    assert kept["oven-hours"].counts.helped == 1
    # the rejection reasons were fed back to the next proposal
    prompts = [r["messages"][1].content for r in llm.requests]
    assert "retrieval would not pick it" in prompts[2]
    # with the figures to act on: where it ranks for this problem and the score it needs
    assert re.search(r"it ranks \d+ of \d+ for this problem, score [\d.-]+; it needs [\d.]+",
                     prompts[2])
    assert "breaks problem good2" in prompts[4]
    assert "still fails" in report.items[3].detail
    # the breaking candidate was re-solved on good2 with it in the prompt
    assert any(item == "good2" and len(ids) == 1 for item, ids in solver.calls[5:])


def test_regression_check_replays_only_items_that_would_be_shown_the_insight(
        store: InsightStore) -> None:
    # the tailor breaks with FIX-TAX in its prompt, but retrieval never shows a sales-tax
    # lesson for tailoring: its prompt does not change, so it is not solved again and does not
    # stand in the way (it used to be forced into the prompt, rejecting narrow insights)
    tailor = Item("tailor", "A tailor sews shirts and pants from cloth.", breaker="FIX-TAX")
    solver = ScriptedSolver()
    llm = FakeLLM([proposal("a business pays sales tax on its goods", "Tax per unit. FIX-TAX",
                            label="sales-tax")])
    report = learn([tailor, BREAKS], solver, LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="t", attempts=1)
    assert [r.status for r in report.items] == ["correct", "learned"]
    assert [c for c in solver.calls if c[0] == "tailor"] == [("tailor", ())]
    # a right item that does retrieve it is replayed, and its breaking rejects the insight
    taxed = Item("taxed", "A tailor pays sales tax on its goods.", breaker="FIX-TAX")
    fresh = InsightStore(store.path.with_name("other.sqlite"), seed=False)
    try:
        again = learn([taxed, BREAKS], ScriptedSolver(), LLMProposer(FakeLLM([proposal(
            "a business pays sales tax on its goods", "Tax per unit. FIX-TAX",
            label="sales-tax")])), fresh, retriever=Retriever(fresh, mode="keyword"),
            run="t", attempts=1)
    finally:
        fresh.close()
    assert [r.status for r in again.items] == ["correct", "rejected"]
    assert "it breaks problem taxed" in again.items[1].detail


def test_an_unretrieved_proposal_is_told_which_conditions_match(store: InsightStore) -> None:
    store.add(make("oven-cap", "a bakery bakes bread and cakes in an oven", "Oven advice."))
    llm = FakeLLM([proposal("satellites orbit distant planets", "Orbits. FIX-OVEN")])
    report = learn([FIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="u", attempts=1)
    assert report.items[0].status == "rejected"
    assert ('read like: "a bakery bakes bread and cakes in an oven"' in report.items[0].detail
            and "it ranks 2 of 2" in report.items[0].detail)


def test_an_unretrieved_proposal_below_the_top_k_is_told_the_kth_score(
        store: InsightStore) -> None:
    for n in range(3):
        store.add(make(f"oven-{n}", f"a bakery bakes bread and cakes in an oven {n}",
                       "Oven advice."))
    llm = FakeLLM([proposal("satellites orbit distant planets", "Orbits. FIX-OVEN")])
    report = learn([FIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="k", attempts=1, k=2)
    detail = report.items[0].detail
    assert "it ranks 4 of 4 for this problem" in detail
    # it needs the second insight's score, well above the threshold
    need = float(re.search(r"it needs ([\d.]+)", detail).group(1))
    assert need > Retriever(store, mode="keyword").threshold + 0.1


def test_learning_is_resumable(store: InsightStore) -> None:
    items = [GOOD1, FIXABLE]
    first = learn(items, ScriptedSolver(), LLMProposer(scripted_proposals()), store,
                  retriever=Retriever(store, mode="keyword"), run="r")
    assert [r.status for r in first.items] == ["correct", "learned"]
    solver = ScriptedSolver()
    again = learn([*items, GOOD2], solver, LLMProposer(FakeLLM([])), store,
                  retriever=Retriever(store, mode="keyword"), run="r")
    assert [r.resumed for r in again.items] == [True, True, False]
    assert [c[0] for c in solver.calls] == ["good2"]
    assert len(store.insights()) == 1


def test_a_right_sampled_attempt_is_shown_to_the_proposer(store: InsightStore) -> None:
    seeds: list[tuple[str, int]] = []

    def sample(item: Item, insights: list[Insight], seed: int) -> SolveOutcome:
        seeds.append((item.id, seed))
        ok = item.id == "fixable" and seed == 2
        return SolveOutcome(correct=ok, status="optimal", objective=1.0 if ok else 0.0,
                            trace=f"sampled formulation {seed} of {item.id}")

    llm = scripted_proposals()
    report = learn([FIXABLE, UNFIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="s", attempts=1,
                   search=3, sample_item=sample)
    # sampling stops at the first right attempt; an item with none uses all three samples
    assert seeds == [("fixable", 1), ("fixable", 2), ("unfixable", 1), ("unfixable", 2),
                     ("unfixable", 3)]
    fixed, unfixed = report.items
    assert fixed.status == "learned" and "found by sampling (seed 2)" in fixed.detail
    assert unfixed.status == "rejected" and "no right attempt in 3 samples" in unfixed.detail
    first, second = (r["messages"][1].content for r in llm.requests)
    assert "A correct attempt" in first and "sampled formulation 2 of fixable" in first
    assert "formulation of fixable" in first  # the failed attempt beside it
    assert "A correct attempt" not in second


def test_without_a_sampler_learning_proposes_from_the_failure_alone(
        store: InsightStore) -> None:
    llm = scripted_proposals()
    report = learn([FIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="n", search=3)
    assert report.items[0].status == "learned" and report.items[0].detail == ""
    assert "A correct attempt" not in llm.requests[0]["messages"][1].content


def test_misleading_insights_are_counted_not_relearned(store: InsightStore) -> None:
    store.add(make("bad-hint", "a bakery bakes bread and cakes in an oven", "BREAKER advice"))
    item = Item("bread", "A bakery bakes bread and cakes in one oven.", breaker="BREAKER")
    llm = FakeLLM([])
    report = learn([item], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="m")
    assert report.items[0].status == "misled"
    assert store.get("bad-hint").counts.misled == 1
    assert [e.item_id for e in store.usage_events("bad-hint")] == ["bread"]
    assert llm.requests == []


def test_a_run_killed_before_an_item_is_recorded_counts_nothing_of_it(
        store: InsightStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.add(make("bad-hint", "a bakery bakes bread and cakes in an oven", "BREAKER advice"))
    item = Item("bread", "A bakery bakes bread and cakes in one oven.", breaker="BREAKER")
    real = store.set_progress

    def killed(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C between the usage count and the progress row

    monkeypatch.setattr(store, "set_progress", killed)
    with pytest.raises(KeyboardInterrupt):
        learn([item], ScriptedSolver(), LLMProposer(FakeLLM([])), store,
              retriever=Retriever(store, mode="keyword"), run="m")
    assert store.get("bad-hint").counts.misled == 0 and store.usage_events() == []
    monkeypatch.setattr(store, "set_progress", real)
    report = learn([item], ScriptedSolver(), LLMProposer(FakeLLM([])), store,
                   retriever=Retriever(store, mode="keyword"), run="m")  # the resume
    assert report.items[0].status == "misled" and not report.items[0].resumed
    assert store.get("bad-hint").counts.misled == 1  # once, not twice


def test_a_merge_into_an_insight_edited_meanwhile_is_recorded_as_an_error(
        store: InsightStore) -> None:
    store.add(make("oven-limit", "oven hours are limited", "Oven hours."))
    learner = Learner(store=store, solve_item=ScriptedSolver(), propose=LLMProposer(FakeLLM()),
                      retriever=Retriever(store, mode="keyword"), duplicate_threshold=0.0,
                      run="e")
    rep = learner._keep(FIXABLE, make("dup-1", "oven hours are limited", "Oven hours."), [])
    store.set_status("oven-limit", "disabled")  # by hand, while the item was being solved
    got = learner._finish(FIXABLE, rep)
    assert got.status == "error" and "changed meanwhile" in got.detail
    assert store.get("oven-limit").status == "disabled"
    assert store.get("oven-limit").counts.helped == 0
    assert "fixable" not in store.progress("e")  # a resume runs it again


@pytest.mark.parametrize(("good_text", "blame", "blamed", "together"), [
    ("Oven advice.", True, {"hint-bad"}, False),  # only hint-bad's absence turns it right
    ("BREAKER too.", True, {"hint-bad", "hint-good"}, True),  # either one alone breaks it
    ("Oven advice.", False, {"hint-bad", "hint-good"}, False),  # no leave-one-out asked for
])
def test_a_misled_item_is_counted_against_the_insights_whose_absence_turns_it_right(
        store: InsightStore, good_text: str, blame: bool, blamed: set, together: bool) -> None:
    store.add(make("hint-good", "a bakery bakes bread and cakes in an oven", good_text))
    store.add(make("hint-bad", "a bakery bakes bread and cakes", "BREAKER advice"))
    item = Item("bread", "A bakery bakes bread and cakes in one oven.", breaker="BREAKER")
    retriever = Retriever(store, mode="keyword")
    assert {r.id for r in retriever.retrieve(item.question)} == {"hint-good", "hint-bad"}
    solver = ScriptedSolver()
    report = learn([item], solver, LLMProposer(FakeLLM([])), store, retriever=retriever,
                   run="b", blame=blame)
    (rep,) = report.items
    assert rep.status == "misled" and set(rep.detail.split(" (")[0].split(", ")) == blamed
    assert ("together" in rep.detail) is together
    assert {i.id for i in store.insights() if i.counts.misled} == blamed
    # shown, none, then (with blame) each one left out
    assert len(solver.calls) == (4 if blame else 2)


def test_near_duplicate_is_merged(store: InsightStore) -> None:
    store.add(make("oven-limit", "an oven or machine is available for a limited number of hours",
                   "Oven hours are a capacity limit."))
    llm = FakeLLM([proposal("an oven or machine is available for a limited number of hours",
                            "Oven hours are a capacity limit. FIX-OVEN", label="oven-again")])
    report = learn([FIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="d")
    assert report.items[0].status == "merged" and report.items[0].insight_id == "oven-limit"
    assert [i.id for i in store.insights()] == ["oven-limit"]
    merged = store.get("oven-limit")
    assert merged.provenance == ["fixable"] and merged.counts.helped == 1
    assert merged.counts.missed == 0  # it was shown for this item
    # the verified wording is the insight's now, the old one its history: the item is right
    # with what the library holds, not with a text that had already failed it
    assert merged.explanation.endswith("FIX-OVEN") and merged.version == 2
    assert merged.history[0].explanation == "Oven hours are a capacity limit."
    assert ScriptedSolver()(FIXABLE, [merged]).correct


def test_a_near_duplicate_of_a_disabled_insight_is_not_learned_again(
        store: InsightStore) -> None:
    store.add(make("oven-limit", "an oven or machine is available for a limited number of hours",
                   "Oven hours are a capacity limit."))
    store.set_status("oven-limit", "disabled")  # as verify leaves one that lost
    llm = FakeLLM([proposal("an oven or machine is available for a limited number of hours",
                            "Oven hours are a capacity limit. FIX-OVEN", label="oven-again")])
    report = learn([FIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="d", attempts=1)
    assert report.items[0].status == "rejected"
    assert "it repeats oven-limit, which was disabled" in report.items[0].detail
    assert [i.id for i in store.insights()] == ["oven-limit"]


def test_merge_counts_missed_when_not_retrieved(store: InsightStore) -> None:
    existing = store.add(make("oven-limit", "oven hours are limited", "Oven hours."))
    learner = Learner(store=store, solve_item=ScriptedSolver(), propose=LLMProposer(FakeLLM()),
                      retriever=Retriever(store, mode="keyword"), duplicate_threshold=0.0)
    rep = learner._keep(FIXABLE, make("dup-1", "oven hours are limited", "Oven hours."), [])
    assert rep.status == "merged" and rep.insight_id == existing.id
    assert store.get("oven-limit").counts.missed == 0  # held back until the item is finished
    learner._finish(FIXABLE, rep)
    assert store.get("oven-limit").counts.missed == 1
    assert store.progress("default")["fixable"].status == "merged"


def test_an_error_that_stops_every_item_is_raised_not_recorded(store: InsightStore) -> None:
    from optiform.errors import LLMConnectionError

    def down(item: Item, insights: list[Insight]) -> SolveOutcome:
        raise LLMConnectionError("cannot reach the endpoint")

    with pytest.raises(LLMConnectionError):
        learn([GOOD1, FIXABLE], down, LLMProposer(FakeLLM()), store,
              retriever=Retriever(store, mode="keyword"), run="down")
    assert store.progress("down") == {}  # a resume, with the endpoint back, runs them
    report = learn([GOOD1], ScriptedSolver(), LLMProposer(FakeLLM()), store,
                   retriever=Retriever(store, mode="keyword"), run="down")
    assert [r.status for r in report.items] == ["correct"] and not report.items[0].resumed


def test_agent_errors_and_bad_proposals_do_not_stop_learning(store: InsightStore) -> None:
    broken = Item("broken", "An airline schedules crews.", raises=True)
    llm = FakeLLM([{"label": "missing fields"}, {"label": "still missing"}])
    report = learn([broken, UNFIXABLE], ScriptedSolver(), LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="e")
    assert [r.status for r in report.items] == ["error", "rejected"]
    assert "unusable" in report.items[1].detail
    assert store.progress("e")["broken"].status == "error"


def test_insight_from_proposal_validates() -> None:
    ins = insight_from_proposal(proposal("a", "b", label="My Label"), "item-1")
    assert ins.taxonomy.label == "my-label" and ins.provenance == ["item-1"]
    assert ins.id.startswith("my-label-")
    with pytest.raises(OptiformError, match="incomplete"):
        insight_from_proposal({"category": "constraints"}, "x")


# -- evolution ---------------------------------------------------------------------------

HELPED = Item("helped", "A mill grinds wheat into flour with limited mill hours.", needs="MARK")
MISLED = Item("misled", "A mill rents out its storage rooms to farmers by the month.",
              breaker="MARK")


def _evolve_setup(store: InsightStore) -> None:
    store.add(make("hint-a", "a mill with limited hours grinds or rents", "Mill time. MARK"))
    store.add_provenance("hint-a", ["helped"])
    store.record_usage("hint-a", "helped", "helped")
    store.record_usage("hint-a", "misled", "misled")


def test_evolution_keeps_an_improving_rewrite(store: InsightStore) -> None:
    _evolve_setup(store)
    llm = FakeLLM([{"applies_when": "a mill with limited hours grinds grain",
                    "not_applies_when": "a mill that rents storage rooms to farmers"}])
    report = evolve(store, {i.id: i for i in (HELPED, MISLED)}, ScriptedSolver(),
                    LLMRewriter(llm), retriever=Retriever(store, mode="keyword"), margin=1)
    (rep,) = report.rewrites
    assert rep.kept and (rep.won, rep.lost) == (1, 0)
    assert (rep.old_score, rep.new_score, rep.replayed) == (1, 2, 2)
    got = store.get("hint-a")
    assert got.version == 2 and got.history[0].condition.not_applies_when == ""
    assert "storage rooms" in got.condition.not_applies_when
    assert "replay 1 -> 2" in got.history[0].reason
    assert got.counts.misled == 0 and got.counts.helped == 1
    assert "rents out its storage" in llm.requests[0]["messages"][1].content


def test_evolution_does_not_undo_a_status_change_made_during_its_replay(
        store: InsightStore) -> None:
    _evolve_setup(store)
    llm = FakeLLM([{"applies_when": "a mill with limited hours grinds grain",
                    "not_applies_when": "a mill that rents storage rooms to farmers"}])
    solver = ScriptedSolver()

    def replay(item: Item, insights: list[Insight]) -> SolveOutcome:
        if not solver.calls:
            store.set_status("hint-a", "disabled")  # someone disables it meanwhile
        return solver(item, insights)

    report = evolve(store, {i.id: i for i in (HELPED, MISLED)}, replay, LLMRewriter(llm),
                    retriever=Retriever(store, mode="keyword"), margin=1)
    (rep,) = report.rewrites
    assert not rep.kept and "not saved" in rep.detail and "changed meanwhile" in rep.detail
    got = store.get("hint-a")
    assert got.status == "disabled" and got.condition.not_applies_when == ""


def test_evolution_drops_a_rewrite_that_does_not_score_better(store: InsightStore) -> None:
    _evolve_setup(store)
    llm = FakeLLM([{"applies_when": "a bakery bakes bread",
                    "not_applies_when": "a mill grinds wheat or rents storage rooms"}])
    report = evolve(store, {i.id: i for i in (HELPED, MISLED)}, ScriptedSolver(),
                    LLMRewriter(llm), retriever=Retriever(store, mode="keyword"))
    (rep,) = report.rewrites
    assert not rep.kept and rep.old_score == 1 and rep.new_score == 1
    got = store.get("hint-a")
    assert got.version == 1 and got.counts.misled == 1


MISLED2 = Item("misled2", "A mill leases its storage rooms to traders by the year.",
               breaker="MARK")


@pytest.mark.parametrize(("rewrite", "kept", "split"), [
    # both misled items leave its retrieval, the helped one keeps it: won 2, lost 0
    ({"applies_when": "a mill with limited hours grinds grain",
      "not_applies_when": "a mill that rents or leases storage rooms"}, True, (2, 0)),
    # nobody retrieves it any more: the misled items are won, the helped one is lost
    ({"applies_when": "satellites orbit planets", "not_applies_when": ""}, False, (2, 1)),
])
def test_evolution_keeps_a_rewrite_only_by_the_margin(store: InsightStore, rewrite: dict,
                                                      kept: bool, split: tuple) -> None:
    _evolve_setup(store)
    store.record_usage("hint-a", "misled", "misled2")
    items = {i.id: i for i in (HELPED, MISLED, MISLED2)}
    report = evolve(store, items, ScriptedSolver(), LLMRewriter(FakeLLM([rewrite])),
                    retriever=Retriever(store, mode="keyword"))
    (rep,) = report.rewrites
    assert (rep.kept, (rep.won, rep.lost)) == (kept, split)
    assert rep.new_score - rep.old_score == split[0] - split[1]
    if not kept:
        assert "replay gained 1, under the margin of 2 (won 2, lost 1)" in rep.detail
    assert store.get("hint-a").version == (2 if kept else 1)


def test_evolution_broadens_a_missed_insight(store: InsightStore) -> None:
    store.add(make("hint-a", "satellites orbit planets", "Mill time. MARK"))
    store.record_usage("hint-a", "missed", "helped")
    llm = FakeLLM([{"applies_when": "a mill with limited hours grinds grain into flour",
                    "not_applies_when": ""}])
    solver = ScriptedSolver()
    report = evolve(store, {"helped": HELPED}, solver, LLMRewriter(llm),
                    retriever=Retriever(store, mode="keyword"), margin=1)
    assert report.kept == ["hint-a"]
    assert store.get("hint-a").condition.applies_when.startswith("a mill with limited")
    assert store.get("hint-a").counts.missed == 0


def test_evolution_skips_insights_without_affected_items(store: InsightStore) -> None:
    _evolve_setup(store)
    llm = FakeLLM([])
    report = evolve(store, {}, ScriptedSolver(), LLMRewriter(llm),
                    retriever=Retriever(store, mode="keyword"))
    assert not report.rewrites[0].kept and "none of the items" in report.rewrites[0].detail
    assert llm.requests == []


def test_recorded_first_outcomes_replace_the_first_solve(store: InsightStore) -> None:
    solver = ScriptedSolver()
    recorded = {"good1": SolveOutcome(correct=True, status="optimal", objective=1.0),
                "fixable": SolveOutcome(correct=False, status="optimal", objective=0.0,
                                        trace="recorded trace of fixable")}
    llm = scripted_proposals()
    report = learn([GOOD1, FIXABLE], solver, LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="rec", recorded=recorded)
    assert [r.status for r in report.items] == ["correct", "learned"]
    # no first solve: fixable was solved to verify the proposal; good1 (a farm) would not be
    # shown the oven lesson, so it is not replayed as a regression check
    assert [c[0] for c in solver.calls] == ["fixable"]
    assert len(solver.calls[0][1]) == 1
    assert "recorded trace of fixable" in llm.requests[0]["messages"][1].content


def test_a_recorded_failure_blames_the_shown_insights_only_after_a_solve_with_them(
        store: InsightStore) -> None:
    store.add(make("harmless", "a farmer plants wheat and corn on acres of land", "Acres."))
    solver = ScriptedSolver()  # good1 is right with or without `harmless`
    recorded = {"good1": SolveOutcome(correct=False, status="optimal", objective=0.0)}
    report = learn([GOOD1], solver, LLMProposer(FakeLLM()), store,
                   retriever=Retriever(store, mode="keyword"), run="rec2", recorded=recorded)
    assert [r.status for r in report.items] == ["correct"]  # the record had other insights
    assert store.get("harmless").counts.misled == 0
    assert ("good1", ("harmless",)) in solver.calls


def test_every_free_text_field_of_a_proposal_is_capped_within_the_token_budget() -> None:
    # three proposals on NL4Opt train were cut off at 700 tokens (2026-12-05): the caps keep
    # the whole reply within the budget under constrained decoding
    import json

    from optiform.agent.jsonout import check_answer
    from optiform.library.prompts import PROPOSE_SCHEMA, REWRITE_SCHEMA

    free = {name: field for name, field in PROPOSE_SCHEMA["properties"].items()
            if "enum" not in field}
    assert all("maxLength" in f for f in free.values())
    # about 3.5 characters a token, plus the keys and punctuation
    assert sum(f["maxLength"] for f in free.values()) / 3.5 + 100 < LLMProposer(
        FakeLLM()).max_tokens
    assert all("maxLength" in f for f in REWRITE_SCHEMA["properties"].values())
    long = {"diagnosis": "x" * 401, "category": "constraints", "label": "a",
            "applies_when": "b", "explanation": "c", "wrong": "d", "right": "e"}
    _, errors = check_answer(json.dumps(long), PROPOSE_SCHEMA)
    assert errors and "diagnosis" in " ".join(errors)
    grammar = pytest.importorskip("llama_cpp.llama_grammar")
    assert "root ::=" in grammar.json_schema_to_gbnf(json.dumps(PROPOSE_SCHEMA))


SIDE = Item("side", "A mill rents out its storage rooms to farmers by the week.", needs="MARK")


def test_evolution_replays_items_whose_retrieval_the_rewrite_shifts(store: InsightStore) -> None:
    # nobody reported on `side`, but the rewrite drops hint-a from its retrieval, and it needs it
    _evolve_setup(store)
    rewrite = {"applies_when": "a mill with limited hours grinds grain",
               "not_applies_when": "a mill that rents storage rooms to farmers"}
    retriever = Retriever(store, mode="keyword")
    items = {i.id: i for i in (HELPED, MISLED, SIDE)}
    assert [r.id for r in retriever.retrieve(SIDE.question)] == ["hint-a"]
    report = evolve(store, items, ScriptedSolver(), LLMRewriter(FakeLLM([rewrite])),
                    retriever=retriever)
    (rep,) = report.rewrites
    assert not rep.kept and rep.shifted == 1 and rep.replayed == 3
    assert (rep.old_score, rep.new_score) == (2, 2)
    assert "the rewrite changes the prompt of 1 other items, 1 replayed" in rep.detail
    assert store.get("hint-a").version == 1
    # replaying no shifted item judges on the reported items alone and keeps it
    report = evolve(store, items, ScriptedSolver(), LLMRewriter(FakeLLM([rewrite])),
                    retriever=retriever, shifted=0, margin=1)
    (rep,) = report.rewrites
    assert rep.kept and (rep.old_score, rep.new_score, rep.replayed) == (1, 2, 2)
    assert rep.shifted == 1


RESTAURANT = Item("curry", "An Indian restaurant makes goat and chicken curry in batches.",
                  breaker="MARK")


def test_a_condition_that_quotes_a_problem_is_found() -> None:
    from optiform.library.keywords import quoted_run

    sources = [RESTAURANT.question]
    assert quoted_run("not when an Indian restaurant makes goat and chicken curry",
                      sources) == "an indian restaurant makes goat and"
    # a kind of problem, and shared runs made of stop words, are not quotes
    assert quoted_run("a kitchen cooks several dishes in batches", sources) is None
    assert quoted_run("and it is in the one of them", ["and it is in the one of them"]) is None


def test_the_rewriter_is_told_once_when_its_condition_quotes_a_problem() -> None:
    insight = make("hint-a", "a mill with limited hours", "Mill time.")
    quoting = {"applies_when": "a mill with limited hours",
               "not_applies_when": "an Indian restaurant makes goat and chicken curry"}
    general = {"applies_when": "a mill with limited hours",
               "not_applies_when": "cooking dishes to order"}
    llm = FakeLLM([quoting, general])
    got = LLMRewriter(llm)(insight, [RESTAURANT.question], [])
    assert got.not_applies_when == "cooking dishes to order"
    assert "quotes a problem" in llm.requests[1]["messages"][1].content
    with pytest.raises(OptiformError, match="quotes a problem it was given"):
        LLMRewriter(FakeLLM([quoting, quoting]))(insight, [RESTAURANT.question], [])


def test_the_rewriter_is_told_once_when_it_gives_back_the_condition_unchanged() -> None:
    insight = make("hint-a", "a mill with limited hours", "Mill time.")
    same = {"applies_when": "a mill with limited hours", "not_applies_when": ""}
    narrowed = {"applies_when": "a mill with limited hours",
                "not_applies_when": "the mill rents out space instead of grinding"}
    llm = FakeLLM([same, narrowed])
    got = LLMRewriter(llm)(insight, [MISLED.question], [])
    assert got.not_applies_when == "the mill rents out space instead of grinding"
    assert "unchanged" in llm.requests[1]["messages"][1].content
    assert "not_applies_when' what the problems it misled" in llm.requests[1]["messages"][1].content
    # unchanged twice: given back as it is, for evolve to report, after two requests
    llm = FakeLLM([same, same])
    assert LLMRewriter(llm)(insight, [], [HELPED.question]) == insight.condition
    assert len(llm.requests) == 2 and "Broaden" in llm.requests[1]["messages"][1].content


@pytest.mark.parametrize(("problem", "not_when", "why"), [
    (RESTAURANT.question, "an Indian restaurant makes goat and chicken curry",
     'it quotes the problem ("an indian restaurant makes goat and")'),
    ("A restaurant cooks 35 batches of curry a week.", "a kitchen cooks 35 batches",
     "it carries the problem's figures (35)"),
])
def test_evolution_drops_a_rewrite_that_describes_its_problems_unreplayed(
        store: InsightStore, problem: str, not_when: str, why: str) -> None:
    _evolve_setup(store)
    store.record_usage("hint-a", "misled", "curry")

    class Specific:
        def __call__(self, insight: Insight, misled: list[str], missed: list[str]) -> Condition:
            return Condition(applies_when="a mill with limited hours grinds grain",
                             not_applies_when=not_when)

    solver = ScriptedSolver()
    curry = Item("curry", problem, breaker="MARK")
    report = evolve(store, {i.id: i for i in (HELPED, MISLED, curry)}, solver, Specific(),
                    retriever=Retriever(store, mode="keyword"), confirm=False)
    (rep,) = report.rewrites
    assert not rep.kept and f"the rewrite describes the problems it was given: {why}" \
        in rep.detail
    assert solver.calls == [] and store.get("hint-a").version == 1


def test_evolution_rewrites_only_the_insight_whose_absence_turns_a_misled_item_right(
        store: InsightStore) -> None:
    # both hints are shown to `oven` and both are reported as misleading it (it went right
    # with no insight), but only hint-b's explanation breaks it
    oven = Item("oven", "A bakery has limited oven hours and bakes bread.", breaker="BREAK-B")
    store.add(make("hint-a", "a bakery with limited oven hours", "Oven time."))
    store.add(make("hint-b", "a bakery bakes bread", "Bread. BREAK-B"))
    for iid in ("hint-a", "hint-b"):
        store.record_usage(iid, "misled", "oven")
    retriever = Retriever(store, mode="keyword")
    assert {r.id for r in retriever.retrieve(oven.question)} == {"hint-a", "hint-b"}
    rewrite = {"applies_when": "a ship carries containers", "not_applies_when": ""}
    solver = ScriptedSolver()
    report = evolve(store, {"oven": oven}, solver, LLMRewriter(FakeLLM([rewrite])),
                    retriever=retriever, margin=1)
    by_id = {r.insight_id: r for r in report.rewrites}
    assert "not what misled them" in by_id["hint-a"].detail and not by_id["hint-a"].kept
    assert by_id["hint-b"].kept
    assert "it alone misleads 1 of the 1 reported" in by_id["hint-b"].detail
    assert store.get("hint-a").version == 1 and store.get("hint-b").version == 2
    # the full prompt is solved once (memoized), each leave-one-out once
    full = [c for c in solver.calls if set(c[1]) == {"hint-a", "hint-b"}]
    # then without a, without b; the rewritten library shows it (hint-a,) again: memoized
    assert len(full) == 1 and len(solver.calls) == 3


def test_placeholders_and_lead_ins_in_a_not_when_are_dropped() -> None:
    from optiform.library.authoring import clean_unless

    # as written by the 1.5B rewriter on NL4Opt train (2026-12-05)
    assert clean_unless("not stated") == "" and clean_unless("(not stated)") == ""
    assert clean_unless(None) == "" and clean_unless("None.") == ""
    assert clean_unless("does not apply when the quantity is divisible: kilograms") == (
        "the quantity is divisible: kilograms")
    assert clean_unless("time per unit is given directly") == "time per unit is given directly"
    got = LLMRewriter(FakeLLM([{"applies_when": "a multiple of two quantities",
                                "not_applies_when": "not stated"}]))(
        make("times", "a multiple", "Twice."), [], [])
    assert got.not_applies_when == ""


# -- verification ------------------------------------------------------------------------

@pytest.mark.parametrize(("margin", "disabled"), [(1, True), (2, False)])
def test_verify_disables_a_learned_insight_that_loses_more_items_than_it_wins(
        store: InsightStore, margin: int, disabled: bool) -> None:
    from optiform.library.verify import verify

    _evolve_setup(store)  # hint-a, learned from `helped`: its MARK helps one, breaks two
    store.add(make("seed-hint", "a mill with limited hours", "Mill hours.").model_copy(
        update={"provenance": ["seed"]}))
    retriever = Retriever(store, mode="keyword")
    solver = ScriptedSolver()
    items = {i.id: i for i in (HELPED, MISLED, MISLED2, GOOD1)}
    (rep,) = verify(store, items, solver, retriever=retriever, margin=margin)
    assert rep.insight_id == "hint-a"  # the seed insight is not verified by default
    assert (rep.shown, rep.replayed, rep.won, rep.lost) == (3, 3, 1, 2)
    assert rep.disabled is disabled
    got = store.get("hint-a")
    assert got.status == ("disabled" if disabled else "active")
    # an item counts once per outcome: the setup had counted `helped` and one misled item
    assert (got.counts.helped, got.counts.misled) == (1, 2)
    if disabled:
        assert got.version == 2 and "won 1, lost 2 of 3 replayed" in got.history[-1].reason
    else:
        assert "under the margin of 2" in rep.detail
    # without hint-a, retrieval shows the seed insight in its place
    assert ("misled", ("seed-hint",)) in solver.calls


def test_verify_keeps_a_winner_and_refuses_a_disabled_insight(store: InsightStore) -> None:
    from optiform.errors import LibraryError
    from optiform.library.verify import verify

    store.add(make("hint-a", "a mill with limited hours grinds grain", "Mill time. MARK"))
    retriever = Retriever(store, mode="keyword")
    (rep,) = verify(store, {"helped": HELPED}, ScriptedSolver(), retriever=retriever)
    assert not rep.disabled and (rep.won, rep.lost) == (1, 0) and rep.detail.startswith("kept")
    verify(store, {"helped": HELPED}, ScriptedSolver(), retriever=retriever)  # once more
    assert store.get("hint-a").counts.helped == 1  # the same item is not counted twice
    store.set_status("hint-a", "disabled")
    with pytest.raises(LibraryError, match="disabled"):
        verify(store, {"helped": HELPED}, ScriptedSolver(), ids=["hint-a"], retriever=retriever)


def test_a_proposal_that_carries_the_problems_figures_is_refused_before_any_solve(
        store: InsightStore) -> None:
    item = Item("homes", "A family invests $600,000 in apartments and townhouses. Apartments "
                "earn 10% and townhouses earn 15%.", needs="FIX-RATE")
    llm = FakeLLM([
        proposal("the problem states that the townhouses earn 10%", "Rates. FIX-RATE"),
        proposal("money is split between investments that earn different yearly rates",
                 "Rates. FIX-RATE", label="investment-rates"),
    ])
    solver = ScriptedSolver()
    report = learn([item], solver, LLMProposer(llm), store,
                   retriever=Retriever(store, mode="keyword"), run="f", attempts=2)
    assert report.items[0].status == "learned"
    assert [i.taxonomy.label for i in store.insights()] == ["investment-rates"]
    second = llm.requests[1]["messages"][1].content
    assert "carries the problem's figures (10)" in second and "without its numbers" in second
    # the refused proposal cost no solve: the first solve, the one with no insight shown
    # (none were), then only the re-solve with the kept one
    assert [ids for _, ids in solver.calls] == [(), (store.insights()[0].id,)]


def test_specific_conditions_are_found() -> None:
    from optiform.library.authoring import specific_condition
    from optiform.library.keywords import copied_numbers

    problem = "It has $600,000 to invest; apartments earn 10% and at most 2.5 tons ship."
    assert copied_numbers("returns like 10% or 600,000 dollars, 2.5 tons, 7 days", [problem]) \
        == ["10", "2.5", "600000"]
    assert copied_numbers("one of 2 products", [problem]) == []  # single digits are words
    # written differently, the same figure; lists and round numbers are not figures
    assert copied_numbers("earns 10.0% on 1,000.50 dollars", ["10% of 1000.5"]) \
        == ["10", "1000.5"]
    assert copied_numbers("items 1,2,3", ["it ships 123 items"]) == []
    assert copied_numbers("per hour of 60 minutes, out of 100%", ["60 minutes, 100%"]) == []
    # a rewrite may keep the figures of the condition it replaces
    assert copied_numbers("grinds 40 tons", ["40 tons"], known="mills of 40 tons") == []
    before = Condition(applies_when="a mill of 40 tons")
    assert specific_condition(Condition(applies_when="a mill of 40 tons, not 55 tons"),
                              ["it mills 40 or 55 tons"], before) == \
        "it carries the problem's figures (55)"
    general = Condition(applies_when="money is split between investments with yearly rates")
    assert specific_condition(general, [problem]) is None
    assert "figures (10)" in specific_condition(
        Condition(applies_when="investments earn 10%"), [problem])
    assert "quotes the problem" in specific_condition(
        Condition(applies_when="general", not_applies_when="it has $600,000 to invest; "
                  "apartments earn returns"), [problem])
    # a formula of the problem's own names is no kind of problem (learned on NLP4LP A160)
    assert specific_condition(Condition(applies_when="elephants <= cows",
                                        not_applies_when="elephants > cows"), [problem]) == \
        "it is a formula (elephants <= cows), not a description of a kind of problem"
    assert specific_condition(Condition(
        applies_when="a limit is written as == where the text says at most, so <= is meant"),
        [problem]) is None


def test_verify_disables_a_learned_insight_that_is_its_own_problem_without_replay(
        store: InsightStore) -> None:
    from optiform.library.verify import verify

    item = Item("homes", "Apartments earn 10% and townhouses earn 15%.")
    store.add(make("homes-rate", "the townhouses earn 10%", "Rates.").model_copy(
        update={"provenance": ["homes"]}))
    solver = ScriptedSolver()
    (rep,) = verify(store, {"homes": item}, solver, retriever=Retriever(store, mode="keyword"))
    assert rep.disabled and rep.replayed == 0 and "figures (10)" in rep.detail
    assert solver.calls == []
    got = store.get("homes-rate")
    assert got.status == "disabled" and "not a kind of problem" in got.history[-1].reason


def test_verify_checks_a_condition_only_against_the_problem_it_was_learned_from(
        store: InsightStore) -> None:
    from optiform.library.verify import verify

    # a seed insight's example figure that a merged item repeats is not its own problem, and
    # a learned one is checked against its first item only
    store.add(make("seed-hours", "a machine runs at most 40 hours", "Hours.").model_copy(
        update={"provenance": ["seed", "hours"]}))
    store.add(make("learned-rate", "yields of 15% or so", "Rates.").model_copy(
        update={"provenance": ["first", "hours"]}))
    items = {"hours": Item("hours", "A machine runs 40 hours; bonds yield 15%."),
             "first": Item("first", "Two funds are offered.")}
    reports = verify(store, items, ScriptedSolver(), retriever=Retriever(store, mode="keyword"))
    assert [r.insight_id for r in reports] == ["learned-rate"]  # the seed one is not verified
    assert not reports[0].disabled and store.get("seed-hours").status == "active"


@pytest.mark.parametrize("job", ["verify", "evolve"])
def test_an_unreachable_endpoint_stops_verify_and_evolve(store: InsightStore, job: str) -> None:
    """Every insight would fail alike: the job stops at the first, and records nothing."""
    from optiform.errors import LLMConnectionError
    from optiform.library.verify import verify

    _evolve_setup(store)
    before = store.export_data()

    def down(item: Item, insights: list[Insight]) -> SolveOutcome:
        raise LLMConnectionError("cannot reach http://127.0.0.1:9/v1")

    items = {i.id: i for i in (HELPED, MISLED)}
    retriever = Retriever(store, mode="keyword")
    with pytest.raises(LLMConnectionError):
        if job == "verify":
            verify(store, items, down, retriever=retriever)
        else:
            llm = FakeLLM([{"applies_when": "a mill with limited hours grinds grain",
                            "not_applies_when": "a mill that rents storage rooms"}] * 3)
            evolve(store, items, down, LLMRewriter(llm), retriever=retriever, margin=1)
    assert store.export_data() == before
