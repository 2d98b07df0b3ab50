"""Keyword similarity: the retrieval fallback when no sentence model is available.

TF-IDF cosine with BM25-style saturation of term counts, over word unigrams (lightly stemmed,
stop words dropped) and word bigrams (so "at least" and "no more" survive as cues). Pure
functions; the IDF comes from the insight texts being ranked.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from decimal import Decimal

_WORD = re.compile(r"[a-z0-9]+")
_STOP_TEXT = (
    "a an and are as at be by can do does for from has have he her his how i if in into is it "
    "its of on or our she should so that the their them then there these they this those to "
    "us was we were what when where which while who will with would you your"
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
_K1 = 1.2


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def features(text: str) -> Counter[str]:
    words = [_stem(w) for w in _WORD.findall(text.lower().replace("%", " percent "))]
    grams: Counter[str] = Counter(w for w in words if w not in STOP_WORDS and len(w) > 1)
    for a, b in itertools.pairwise(words):
        if not (a in STOP_WORDS and b in STOP_WORDS):
            grams[f"{a}_{b}"] += 1
    return grams


class KeywordIndex:
    """IDF over a corpus of short texts; cosine similarity of saturated TF-IDF vectors."""

    def __init__(self, corpus: list[str]) -> None:
        self.docs = [features(t) for t in corpus]
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {g: math.log((n + 1) / (c + 0.5)) + 1.0 for g, c in df.items()}
        self._default_idf = math.log((n + 1) / 0.5) + 1.0
        self.doc_vecs = [self._vector(d) for d in self.docs]

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        vec = {g: (tf * (_K1 + 1) / (tf + _K1)) * self.idf.get(g, self._default_idf)
               for g, tf in grams.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {g: v / norm for g, v in vec.items()}

    def query(self, text: str) -> list[float]:
        """Cosine similarity of ``text`` with every corpus document, in corpus order.

        The text's vector keeps only terms the corpus knows, so a long problem text is not
        penalized for its many words that no insight mentions."""
        known = Counter({g: c for g, c in features(text).items() if g in self.idf})
        q = self._vector(known)
        return [sum(w * d.get(g, 0.0) for g, w in q.items()) for d in self.doc_vecs]


def token_similarity(a: str, b: str) -> float:
    """Jaccard similarity of unigram sets: a cheap duplicate check."""
    fa = {g for g in features(a) if "_" not in g}
    fb = {g for g in features(b) if "_" not in g}
    if not fa or not fb:
        return 0.0
    return len(fa & fb) / len(fa | fb)


def quoted_run(text: str, sources: list[str], *, min_words: int = 6,
               min_content: int = 4) -> str | None:
    """The first run of at least ``min_words`` consecutive words of ``text`` (with at least
    ``min_content`` that are not stop words) that also occurs in one of ``sources``, or None.

    A condition is meant to describe a kind of problem; one that quotes the problems it was
    shown (a small rewriter's way of excluding them: "not when an Indian restaurant makes goat
    and chicken curry, ...") matches those problems and nothing like them."""
    words = _WORD.findall(text.lower())
    grams = {" ".join(src[i: i + min_words])
             for src in (_WORD.findall(s.lower()) for s in sources)
             for i in range(len(src) - min_words + 1)}
    for i in range(len(words) - min_words + 1):
        run = words[i: i + min_words]
        if (sum(w not in STOP_WORDS for w in run) >= min_content
                and " ".join(run) in grams):
            return " ".join(run)
    return None


_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(\s*%)?")
# Round numbers a general condition may name ("per hour of 60 minutes", "out of 100").
_COMMON = frozenset({"10", "12", "24", "30", "52", "60", "100", "365", "1000"})


def _value(raw: str) -> str:
    """``raw`` as a plain decimal: "1,000.50" -> "1000.5", "10.0" -> "10"."""
    return format(Decimal(raw.replace(",", "")).normalize(), "f")


def _figures(text: str) -> set[str]:
    """The figures of ``text``: percentages (but 100%), decimals, and whole numbers of two
    digits or more that are not round ones (:data:`_COMMON`); single digits read as words."""
    out = set()
    for raw, percent in _NUMBER.findall(text):
        value = _value(raw)
        if percent:
            if value != "100":
                out.add(value)
        elif "." in raw or (len(value) >= 2 and value not in _COMMON):
            out.add(value)
    return out


def copied_numbers(text: str, sources: list[str], known: str = "") -> list[str]:
    """The figures of ``text`` ("15%", "600,000", "2.5"; see :func:`_figures`) that one of
    ``sources`` also holds and ``known`` does not, sorted. A condition that carries a
    problem's figures ("applies when the townhouses earn 10%") describes that problem, not a
    kind of problem; ``known`` is the text it had before (a rewrite may keep its figures)."""
    seen = {_value(raw) for src in sources for raw, _ in _NUMBER.findall(src)}
    before = {_value(raw) for raw, _ in _NUMBER.findall(known)}
    return sorted((_figures(text) & seen) - before)
