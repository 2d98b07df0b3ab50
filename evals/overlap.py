"""Problems that data sets share word for word, across splits and across data sets.

The public benchmarks are not disjoint: NLP4LP's train split holds 38 of NL4Opt's 64 test
problems verbatim, and OptiBench's test split holds 117 of NL4Opt's 149 train problems (both
measured 2026-12-06 on ../shared/benchmarks). Learning or tuning on such a train item is
learning on a test item, and a test item that is also a train item is not held out. Two texts
are the same problem when they are equal after case, spacing and punctuation (but not
comparison and arithmetic signs) are dropped (:func:`normalize`); there is no near-duplicate
search, so a reworded problem is not caught.

Pure logic (:func:`normalize`, :func:`shared`, :func:`held_out`) apart from the loading of the
known data sets (:func:`load_splits`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optiform.errors import EvalError

if TYPE_CHECKING:
    from optiform.evals.formats import Item

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?|[<>=+\-*/%≤≥]")


def normalize(text: str) -> str:
    """The words, numbers and operators of ``text``, lower case, one space apart."""
    return " ".join(_WORD.findall(text.lower()))


def shared(items: Iterable[Item], others: Iterable[Item]) -> dict[str, str]:
    """``{id of an item: id of the same problem among others}`` for every item that has one."""
    index: dict[str, str] = {}
    for other in others:
        index.setdefault(normalize(other.question), other.id)
    out: dict[str, str] = {}
    for item in items:
        twin = index.get(normalize(item.question))
        if twin is not None:
            out[item.id] = twin
    return out


@dataclass(frozen=True)
class Split:
    """One split of a known data set, with its items."""

    dataset: str
    split: str
    items: list[Item]
    path: Path | None = None  # the file it was read from

    @property
    def name(self) -> str:
        return f"{self.dataset}:{self.split}"


def parse_split(spec: str) -> tuple[str, str]:
    """``"nl4opt:train"`` -> ("nl4opt", "train"); an EvalError for any other shape."""
    name, sep, split = spec.partition(":")
    if not sep or not name or not split:
        raise EvalError(f"{spec!r} does not name a split",
                        hint="write DATASET:SPLIT, e.g. nl4opt:train")
    return name, split


def load_splits(configured: Path | None = None, *, only: str | None = None,
                names: Iterable[str] = (), problems: list[str] | None = None) -> list[Split]:
    """Splits of the known data sets: those ``names`` gives (``DATASET:SPLIT``; an EvalError
    for one that cannot be read), or every split called ``only``, or all of them; a found
    split that cannot be read is then left out and named in ``problems``."""
    from optiform.evals.datasets import known_datasets, load_dataset

    wanted = [parse_split(n) for n in names]
    named = bool(wanted)
    if not named:
        known = known_datasets(configured)
        wanted = [(d, s) for d, splits in known.items() for s in splits
                  if only is None or s == only]
    out: list[Split] = []
    for d, s in wanted:
        try:
            data = load_dataset(d, s, configured=configured)
        except EvalError as exc:
            if named:
                raise
            if problems is not None:
                problems.append(f"{d}:{s} ({exc.message})")
            continue
        out.append(Split(d, s, data.items, data.path.resolve()))
    return out


def held_out(items: list[Item], splits: Iterable[Split],
             own: Path | None = None) -> tuple[list[Item], dict[str, list[str]]]:
    """``items`` less those that are items of ``splits`` (the split read from ``own``, the
    items' own file, is not compared), and for each split the ids it shares with ``items``."""
    found: dict[str, list[str]] = {}
    dropped: set[str] = set()
    for split in splits:
        if own is not None and split.path == own.resolve():
            continue
        common = shared(items, split.items)
        if common:
            found[split.name] = sorted(common)
            dropped.update(common)
    return [i for i in items if i.id not in dropped], found


def describe(found: dict[str, list[str]]) -> str:
    """``"nl4opt:test 38, optibench:test 117"``."""
    return ", ".join(f"{name} {len(ids)}" for name, ids in found.items())
