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
LIMIT_HELP = "First N items only (of those left after test duplicates are left out)."


def keep_option() -> Any:
    return typer.Option(False, "--keep-test-duplicates", help=KEEP_OPTION_HELP)


def train_items(dataset: str, split: str, limit: int | None, configured: Path | None, *,
                keep_test_duplicates: bool, console: Any) -> list[Item]:
    """The first ``limit`` items of the split that are not test items elsewhere (all of them
    with ``keep_test_duplicates``); a note names what was left out."""
    from optiform.commands.answer_view import note_view, warning_view
    from optiform.errors import EvalError
    from optiform.evals.datasets import load_dataset, window
    from optiform.evals.overlap import describe, held_out, load_splits

    data = load_dataset(dataset, split, configured=configured)
    items = data.items
    if not keep_test_duplicates:
        problems: list[str] = []
        kept, found = held_out(items, load_splits(configured, only="test", problems=problems),
                               own=data.path)
        for problem in problems:
            console.print(warning_view(f"could not compare with the test split {problem}; "
                                       "its problems are not left out"))
        if not kept:
            raise EvalError(f"all {len(items)} items of {dataset}:{split} are test items of "
                            f"other data sets ({describe(found)})",
                            hint="use another split, or pass --keep-test-duplicates")
        if found:
            console.print(note_view(f"left out {len(items) - len(kept)} of {len(items)} items "
                                    f"that are test items word for word ({describe(found)}); "
                                    "--keep-test-duplicates keeps them"))
        items = kept
    return window(items, limit=limit)
