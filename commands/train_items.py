"""The items a learning or tuning job runs on: a train split less the problems that are test
items of any known data set (the benchmarks share problems across data sets; see
:mod:`optiform.evals.overlap`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from optiform.evals.formats import Item

KEEP_OPTION_HELP = ("Keep items that are test items of another data set, word for word "
                    "(left out by default: learning on them is learning on a test split).")


def keep_option() -> Any:
    return typer.Option(False, "--keep-test-duplicates", help=KEEP_OPTION_HELP)


def train_items(dataset: str, split: str, limit: int | None, configured: Path | None, *,
                keep_test_duplicates: bool, console: Any) -> list[Item]:
    """The first ``limit`` items of the split that are not test items elsewhere (all of them
    with ``keep_test_duplicates``); a note names what was left out."""
    from optiform.evals.datasets import load_dataset, window
    from optiform.evals.overlap import describe, held_out, load_splits

    items = load_dataset(dataset, split, configured=configured).items
    if not keep_test_duplicates:
        kept, found = held_out(items, load_splits(configured, only="test"),
                               skip=f"{dataset}:{split}")
        if found:
            console.print(f"[yellow]note:[/] left out {len(items) - len(kept)} of {len(items)} "
                          f"items that are test items word for word ({describe(found)}); "
                          "--keep-test-duplicates keeps them")
        items = kept
    return window(items, limit=limit)
