"""Comparisons across recorded reports: one figure and one table for bars from many runs.

An ablation is often measured in several runs (at different commits, on different data sets).
A comparison spec (JSON) names each bar: the panel it belongs to (usually the data set), its
label, the ``summary.json`` of the report it comes from, and the strategy label inside it.
:func:`load_bars` reads the figures; :func:`markdown_table` renders them; the figure itself is
drawn by :func:`optiform.evals.plots.write_comparison`. Everything is read from committed
report files, so the figure can be redrawn without the run folders.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from optiform.errors import EvalError
from optiform.evals.stats import Paired, paired


@dataclass(frozen=True)
class Bar:
    panel: str
    label: str
    accuracy: float
    executed: float
    right: int
    n: int
    commit: str
    source: str
    items: frozenset[str] | None = None  # the items run, and those right (reports since 2026-12-05)
    right_items: frozenset[str] | None = None
    dataset: str = ""  # the data set and split of the report group the bar comes from
    split: str = ""


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvalError(f"{what} {path} does not exist",
                        hint="paths in a comparison spec are relative to the spec file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        hint = ("write it again (`optiform eval report RUN --out DIR`)" if what != \
                "comparison spec" else 'fix the JSON: {"title": ..., "bars": [{"panel": ..., '
                '"label": ..., "summary": ..., "strategy": ...}]}')
        raise EvalError(f"{what} {path} cannot be read: {exc}", hint=hint) from None


def _commit_of(summary: dict[str, Any], strategy: str) -> str:
    for run in summary.get("runs", []):
        strategies = (run.get("config") or {}).get("strategies") or []
        libraries = run.get("libraries") or {}
        if strategy in strategies or strategy in libraries:
            return str(((run.get("git") or {}).get("commit") or "")[:7])
    runs = summary.get("runs") or [{}]
    return str(((runs[0].get("git") or {}).get("commit") or "")[:7])


def load_bars(spec_path: Path) -> tuple[str, list[Bar]]:
    """(title, bars) of the comparison spec at ``spec_path``.

    The spec: ``{"title": str, "bars": [{"panel", "label", "summary", "strategy"}, ...]}``
    with ``summary`` relative to the spec's folder.
    """
    spec = _read_json(spec_path, "comparison spec")
    if not isinstance(spec, dict) or not isinstance(spec.get("bars"), list) or not spec["bars"]:
        raise EvalError(f"comparison spec {spec_path} has no list of bars",
                        hint='write {"title": ..., "bars": [{"panel": ..., "label": ..., '
                             '"summary": ..., "strategy": ...}]}')
    bars: list[Bar] = []
    for i, entry in enumerate(spec["bars"]):
        missing = [k for k in ("panel", "label", "summary", "strategy")
                   if not isinstance(entry, dict) or not isinstance(entry.get(k), str)]
        if missing:
            raise EvalError(f"bar {i + 1} of {spec_path} lacks {', '.join(missing)}",
                            hint="every bar names panel, label, summary and strategy")
        path = (spec_path.parent / entry["summary"]).resolve()
        summary = _read_json(path, "summary")
        primary = str(summary.get("primary", ""))
        groups = [g for g in summary.get("groups", [])
                  if entry["strategy"] in g.get("strategies", {})]
        found = [g["strategies"][entry["strategy"]] for g in groups]
        if not found:
            known = sorted({s for g in summary.get("groups", []) for s in g.get("strategies", {})})
            raise EvalError(f"{path} has no strategy {entry['strategy']!r}",
                            hint=f"it has: {', '.join(known) or 'none'}")
        stats = found[0]
        bars.append(Bar(
            panel=entry["panel"], label=entry["label"],
            accuracy=float(stats["accuracy"][primary]), executed=float(stats["execution_rate"]),
            right=int(stats["correct"][primary]), n=int(stats["n"]),
            commit=_commit_of(summary, entry["strategy"]), source=entry["summary"],
            items=frozenset(stats["items"]) if "items" in stats else None,
            right_items=frozenset(stats["right_items"]) if "right_items" in stats else None,
            dataset=str(groups[0].get("dataset", "")), split=str(groups[0].get("split", "")),
        ))
    return str(spec.get("title") or "Comparison"), bars


def panels(bars: list[Bar]) -> dict[str, list[Bar]]:
    """Bars grouped by panel, in the order they first appear."""
    out: dict[str, list[Bar]] = {}
    for bar in bars:
        out.setdefault(bar.panel, []).append(bar)
    return out


def paired_with(base: Bar, bar: Bar) -> Paired | None:
    """``bar`` against ``base`` item by item, when both reports list their items."""
    if None in (base.items, base.right_items, bar.items, bar.right_items):
        return None
    return paired(set(base.items or ()), set(base.right_items or ()),
                  set(bar.items or ()), set(bar.right_items or ()))


def _percent(rate: float) -> str:
    return "n/a" if math.isnan(rate) else f"{100 * rate:.1f}%"


def _paired_cells(base: Bar, bar: Bar) -> str:
    pair = paired_with(base, bar)
    if pair is None:
        return "n/a | n/a"
    if pair.shared == 0:  # two bars on different items: nothing to pair
        return "no item in common | n/a"
    return f"+{pair.wins} / -{pair.losses} of {pair.shared} | {pair.p:.2f}"


def without(bar: Bar, leave_out: frozenset[str]) -> Bar | None:
    """``bar`` counted on its items less ``leave_out`` (for instance those that a train split
    holds too); None for a report that does not list its items, or when none is left."""
    if not leave_out:
        return bar
    if bar.items is None or bar.right_items is None:
        return None
    items = bar.items - leave_out
    if items == bar.items:
        return bar
    if not items:
        return None
    right = bar.right_items & items
    return replace(bar, items=items, right_items=right, n=len(items), right=len(right),
                   accuracy=len(right) / len(items), executed=float("nan"))


def held_out_bars(bars: list[Bar], leave_out: dict[tuple[str, str], frozenset[str]]
                  ) -> tuple[list[Bar], list[Bar]]:
    """Every bar counted without the items ``leave_out`` names for its data set and split,
    and the bars that cannot be counted so (their report lists no items, none is left, or
    their panel's first bar is such a one: the others would have nothing to be paired with)."""
    kept: list[Bar] = []
    dropped: list[Bar] = []
    for group in panels(bars).values():
        counted = [without(b, leave_out.get((b.dataset, b.split), frozenset())) for b in group]
        for bar, cut in zip(group, counted, strict=True):
            if cut is None or counted[0] is None:
                dropped.append(bar)
            else:
                kept.append(cut)
    return kept, dropped


def markdown_table(bars: list[Bar]) -> str:
    """One row a bar, and for every bar after a panel's first its difference to that first:
    in points, in items won and lost on the items both ran, and the exact McNemar p of that
    (two-sided; "n/a" for a report written before reports listed their items). An
    execution rate that is not known (a bar counted on some of its items) shows as "n/a"."""
    lines = ["| data set | strategy | correct | vs first row | items won / lost | p (paired) "
             "| executed | commit |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for panel, group in panels(bars).items():
        base = group[0]
        for j, bar in enumerate(group):
            delta = "" if j == 0 else f"{100 * (bar.accuracy - base.accuracy):+.1f}"
            pair = " | " if j == 0 else _paired_cells(base, bar)
            lines.append(f"| {panel} | {bar.label} | {100 * bar.accuracy:.1f}% "
                         f"({bar.right}/{bar.n}) | {delta} | {pair} | "
                         f"{_percent(bar.executed)} | {bar.commit} |")
    return "\n".join(lines) + "\n"
