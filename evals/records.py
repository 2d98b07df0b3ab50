"""One result record: an item solved by one strategy, scored, ready for results.jsonl."""

from __future__ import annotations

import contextlib
import math
import time
from pathlib import Path
from typing import Any

from optiform.errors import is_fatal
from optiform.evals import provenance
from optiform.evals.datasets import Dataset
from optiform.evals.formats import Item
from optiform.evals.scoring import score
from optiform.evals.store import record_key
from optiform.evals.strategy import ItemOutcome, Strategy


def _json_number(value: float | None) -> float | str | None:
    """JSON has no NaN or infinity: those are kept as text ("nan", "inf", "-inf")."""
    if value is None or math.isfinite(value):
        return value
    return str(value)


def solve_one(
    item: Item, entry: dict[str, Any], strategy: Strategy, dataset: Dataset, folder: Path
) -> dict[str, Any]:
    """One item with one strategy, as a result record. Fatal errors propagate."""
    start = time.perf_counter()
    try:
        outcome = strategy.solve(item)
    except Exception as exc:  # a failed item must not stop the run: record it
        if is_fatal(exc):
            raise
        outcome = ItemOutcome(status="error", error=f"{type(exc).__name__}: {exc}")
    wall = outcome.wall_time if outcome.wall_time is not None else time.perf_counter() - start
    trace = outcome.trace_path
    if trace:
        with contextlib.suppress(ValueError):
            trace = str(Path(trace).resolve().relative_to(folder.resolve()))
    return {
        "key": record_key(item.id, entry["label"], entry["hash"]),
        "id": item.id,
        "dataset": dataset.name,
        "split": dataset.split,
        "strategy": entry["label"],
        "config_hash": entry["hash"],
        "status": outcome.status,
        "objective": _json_number(outcome.objective),
        "truth": item.answer,
        "disputed": item.disputed,
        **score(outcome.objective, item.answer, outcome.status),
        "repair_rounds": outcome.repair_rounds,
        "prompt_tokens": outcome.prompt_tokens,
        "completion_tokens": outcome.completion_tokens,
        "tokens": outcome.tokens,
        "wall_time": round(wall, 4),
        "trace_path": trace,
        "error": (outcome.error or None) and outcome.error[-2000:],
        "source": outcome.source,
        "fallback": outcome.fallback,
        "finished": provenance.now_iso(),
    }
