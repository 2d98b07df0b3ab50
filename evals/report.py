"""Reports over one or more run folders: summary.json, report.md and PNG plots.

``summarize`` and ``render_markdown`` are pure; ``write_report`` reads the folders and
writes the files.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from optiform.errors import EvalError, OptiformError
from optiform.evals.provenance import library_text
from optiform.evals.scoring import PRIMARY, TOLERANCES
from optiform.evals.stats import paired
from optiform.evals.store import ResultStore
from optiform.evals.strategy import whole


def _mean_median(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"mean": None, "median": None}
    return {"mean": statistics.fmean(values), "median": statistics.median(values)}


def strategy_stats(records: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(records)
    correct = {t.name: sum(bool(r.get("correct_at", {}).get(t.name)) for r in records)
               for t in TOLERANCES}
    undisputed = [r for r in records if not r.get("disputed")]
    executed = sum(bool(r.get("executed")) for r in records)
    return {
        "n": n,
        "correct": correct,
        "accuracy": {k: (v / n if n else None) for k, v in correct.items()},
        "n_undisputed": len(undisputed),
        "accuracy_undisputed": (
            sum(bool(r.get("correct")) for r in undisputed) / len(undisputed)
            if undisputed else None
        ),
        "executed": executed,
        "execution_rate": executed / n if n else None,
        "status": dict(Counter(str(r.get("status")) for r in records).most_common()),
        # how each answer was made, where the strategy says (records before 2026-12-06 do not)
        "answer_sources": dict(Counter(str(r["source"]) for r in records
                                       if r.get("source")).most_common()),
        "fallbacks": sum(bool(r.get("fallback")) for r in records),
        "tokens": _mean_median([float(r.get("tokens") or 0) for r in records]),
        "seconds": _mean_median([float(r.get("wall_time") or 0) for r in records]),
        "repair_rounds": _mean_median([float(r.get("repair_rounds") or 0) for r in records]),
        # per item, for paired comparisons across reports (`eval compare`)
        "items": sorted(str(r.get("id")) for r in records),
        "right_items": sorted(str(r.get("id")) for r in records
                              if r.get("correct_at", {}).get(PRIMARY)),
    }


def differences(by_label: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Items run by two or more strategies whose correctness differs between them."""
    table: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    truth: dict[str, Any] = {}
    for label, records in by_label.items():
        for r in records:
            table[r["id"]][label] = {
                "correct": bool(r.get("correct")), "objective": r.get("objective"),
                "status": r.get("status"),
            }
            truth[r["id"]] = r.get("truth")
    out = []
    for item_id, results in table.items():
        if len(results) > 1 and len({v["correct"] for v in results.values()}) > 1:
            out.append({"id": item_id, "truth": truth[item_id], "results": results})
    return out


def source_of(item_id: str) -> str:
    """The data set an item id names (``"nl4opt:F017"`` -> ``"nl4opt"``; ``""`` for none)."""
    name, sep, _ = item_id.partition(":")
    return name if sep else ""


def paired_rows(stats: dict[str, dict[str, Any]],
                only: set[str] | None = None) -> list[dict[str, Any]]:
    """Each strategy after the first against the first, on the items both ran (within
    ``only`` when given): won, lost and the sign test's p."""
    labels = list(stats)
    if len(labels) < 2:
        return []
    base = stats[labels[0]]

    def sets(s: dict[str, Any]) -> tuple[set[str], set[str]]:
        items, right = set(s["items"]), set(s["right_items"])
        return (items & only, right & only) if only is not None else (items, right)

    rows = []
    for label in labels[1:]:
        result = paired(*sets(base), *sets(stats[label]))
        rows.append({"strategy": label, "base": labels[0], "shared": result.shared,
                     "wins": result.wins, "losses": result.losses, "p": result.p})
    return rows


def by_source(stats: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per data set the item ids name, when a run mixes several (a JSONL of items drawn from
    more than one data set): each strategy's right/ran there, and the paired rows."""
    ids = {i for s in stats.values() for i in s["items"]}
    sources = sorted({source_of(i) for i in ids})
    if len(sources) < 2:
        return []
    out = []
    for source in sources:
        mine = {i for i in ids if source_of(i) == source}
        out.append({
            "source": source or "(no prefix)",
            "strategies": {label: {"n": len(mine & set(s["items"])),
                                   "right": len(mine & set(s["right_items"]))}
                           for label, s in stats.items()},
            "paired": paired_rows(stats, only=mine),
        })
    return out


def summarize(records: list[dict[str, Any]], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Everything report.md shows, as data: per data set and split, per strategy."""
    groups: dict[tuple[str, str], dict[str, list[dict[str, Any]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for r in records:
        groups[(str(r.get("dataset")), str(r.get("split")))][str(r.get("strategy"))].append(r)
    # the order the runs declared (the first strategy given is the one others are paired
    # with), not the order results came in, which --workers leaves to the clock
    declared = list(dict.fromkeys(label for run in runs for label in run.get("labels") or []))
    rank = {label: n for n, label in enumerate(declared)}
    out_groups = []
    for (dataset, split), found in sorted(groups.items()):
        by_label = {label: found[label] for label in
                    sorted(found, key=lambda lb: (rank.get(lb, len(rank)), list(found).index(lb)))}
        stats = {label: strategy_stats(rs) for label, rs in by_label.items()}
        out_groups.append({
            "dataset": dataset,
            "split": split,
            "strategies": stats,
            "differences": differences(by_label),
            "paired": paired_rows(stats),
            "sources": by_source(stats),
        })
    return {
        "tolerances": [t.name for t in TOLERANCES],
        "primary": PRIMARY,
        "runs": runs,
        "groups": out_groups,
    }


# -- markdown -------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _value(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def command_line(config: dict[str, Any]) -> str:
    """The `optiform eval run` command that reproduces a recorded config."""
    parts = ["optiform eval run", f"--dataset {config.get('dataset')}"]
    if config.get("split") and config["split"] != "test":
        parts.append(f"--split {config['split']}")
    if config.get("skip"):
        parts.append(f"--skip {config['skip']}")
    if config.get("limit"):
        parts.append(f"--limit {config['limit']}")
    parts += [f"--strategy {s}" for s in config.get("strategies", [])]
    for key in ("workers", "samples", "max_repairs", "time_budget"):
        value = whole(config.get(key))
        if value is not None and not (key == "workers" and value == 1):
            parts.append(f"--{key.replace('_', '-')} {value}")
    if config.get("code_strategy") is not None:
        parts.append("--code-strategy" if config["code_strategy"] else "--no-code-strategy")
    for key in ("backend", "model"):
        if config.get(key):
            parts.append(f"--{key} {config[key]}")
    parts += [f"--held-out-from {s}" for s in config.get("held_out_from") or []]
    return " ".join(parts)


def _paired_cells(row: dict[str, Any]) -> str:
    return f"{row['shared']} | {row['wins']} | {row['losses']} | {row['p']:.2f}"


def _source_order() -> tuple[str, ...]:
    """The agent's attempt sources, in the order its state declares them."""
    from typing import get_args

    from optiform.agent.state import AttemptSource

    return get_args(AttemptSource)


def _sources_markdown(group: dict[str, Any]) -> list[str]:
    """How each strategy's answers were made, when the records say (the agent's): a table of
    items by the step that made the answer, and how many came from the library fallback."""
    found = {k for s in group["strategies"].values() for k in s.get("answer_sources") or {}}
    if not found:
        return []
    order = _source_order()
    cols = [k for k in order if k in found] + sorted(found - set(order))
    lines = ["", "Answers by the step that made them (items, a failed one by its closest "
             "attempt; items with no answer at all, such as errors, are not counted). "
             "Fallback: made without the library's insights, after no model written with "
             "them reached the solver (its first model is `plain`, its repairs `repair`):", "",
             "| strategy | " + " | ".join(cols) + " | fallback |",
             "|---|" + "---:|" * (len(cols) + 1)]
    for label, s in group["strategies"].items():
        got = s.get("answer_sources") or {}
        lines.append(f"| {label} | " + " | ".join(str(got.get(k, 0)) for k in cols)
                     + f" | {s.get('fallbacks', 0)} |")
    return lines


def _paired_markdown(group: dict[str, Any]) -> list[str]:
    """The paired table against the first strategy, and the per-source table of a mixed run."""
    rows = group.get("paired") or []
    if not rows:
        return []
    lines = ["", f"Paired against `{rows[0]['base']}` (won: right here and wrong there; "
                 "p: two-sided sign test on the items that differ):", "",
             "| strategy | items both ran | won | lost | p |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {r['strategy']} | {_paired_cells(r)} |" for r in rows]
    sources = group.get("sources") or []
    if sources:
        labels = list(group["strategies"])
        against = ("won / lost against the first" if len(labels) == 2
                   else "won / lost of each later column against the first")
        lines += ["", "By the data set each item id names:", "",
                  "| data set | " + " | ".join(labels) + f" | {against} |",
                  "|---|" + "---:|" * len(labels) + "---|"]
        for src in sources:
            cells = [f"{c['right']}/{c['n']}" for c in src["strategies"].values()]
            pairs = ", ".join(f"{r['wins']} / {r['losses']} (p {r['p']:.2f})"
                              for r in src["paired"])
            lines.append(f"| {src['source']} | " + " | ".join(cells) + f" | {pairs} |")
    return lines


def render_markdown(summary: dict[str, Any], plots: list[str] | None = None) -> str:
    tols = summary["tolerances"]
    lines = ["# Evaluation report", ""]
    for run in summary["runs"]:
        git = run.get("git") or {}
        commit = (git.get("commit") or "")[:10] + (" (dirty)" if git.get("dirty") else "")
        lines += [
            f"- `{run.get('folder')}`: model `{run.get('model')}`, started {run.get('created')},"
            f" commit {commit or 'unknown'}",
            f"  - `{command_line(run.get('config') or {})}`",
        ]
        for label, library in (run.get("libraries") or {}).items():
            lines.append(f"  - {label}: experience library: {library_text(library)}")
        lines += [f"  - note: {note}" for note in run.get("notes") or []]
    lines.append("")
    header_tols = " | ".join(f"acc@{t}" for t in tols)
    for group in summary["groups"]:
        lines += [f"## {group['dataset']} ({group['split']})", ""]
        lines += [
            f"| strategy | items | {header_tols} | acc@{tols[0]} w/o disputed | executed "
            "| tokens/item mean / median | s/item mean / median | repairs/item |",
            "|---|---:|" + "---:|" * len(tols) + "---:|---:|---:|---:|---:|",
        ]
        for label, s in group["strategies"].items():
            accs = " | ".join(
                f"**{_pct(s['accuracy'][t])}** ({s['correct'][t]}/{s['n']})" if t == tols[0]
                else f"{_pct(s['accuracy'][t])}" for t in tols
            )
            lines.append(
                f"| {label} | {s['n']} | {accs} | {_pct(s['accuracy_undisputed'])} "
                f"({s['n_undisputed']}) | {_pct(s['execution_rate'])} "
                f"| {_num(s['tokens']['mean'], 0)} / {_num(s['tokens']['median'], 0)} "
                f"| {_num(s['seconds']['mean'])} / {_num(s['seconds']['median'])} "
                f"| {_num(s['repair_rounds']['mean'], 2)} |"
            )
        statuses = sorted({k for s in group["strategies"].values() for k in s["status"]})
        lines += ["", "Status breakdown (items):", "",
                  "| strategy | " + " | ".join(statuses) + " |",
                  "|---|" + "---:|" * len(statuses)]
        for label, s in group["strategies"].items():
            lines.append(f"| {label} | "
                         + " | ".join(str(s["status"].get(k, 0)) for k in statuses) + " |")
        lines += _sources_markdown(group)
        lines += _paired_markdown(group)
        diffs = group["differences"]
        labels = list(group["strategies"])
        if len(labels) > 1:
            lines += ["", f"Items whose correctness differs between strategies: {len(diffs)}", ""]
            if diffs:
                lines += ["| item | truth | " + " | ".join(labels) + " |",
                          "|---|---:|" + "---|" * len(labels)]
                for d in diffs:
                    cells = []
                    for label in labels:
                        res = d["results"].get(label)
                        if res is None:
                            cells.append("")
                            continue
                        mark = "ok" if res["correct"] else "wrong"
                        cells.append(f"{mark}: {_value(res['objective'])} ({res['status']})")
                    lines.append(f"| {d['id']} | {_value(d['truth'])} | " + " | ".join(cells)
                                 + " |")
        lines.append("")
    lines += [
        f"Correct at `{tols[0]}`: |pred - truth| <= 1e-4 (|truth| + 1); `1e-6` the same form; "
        "`rel5%`: within 5% of the truth. A problem with no optimum counts as correct only when "
        "reported infeasible. Executed: the run ended with a solver answer.",
        "",
    ]
    for plot in plots or []:
        lines += [f"![{Path(plot).stem}]({plot})", ""]
    return "\n".join(lines)


# -- files ----------------------------------------------------------------------------------


def load_runs(folders: list[Path]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(records, runs)`` of several run folders."""
    records: list[dict[str, Any]] = []
    runs: list[dict[str, Any]] = []
    for folder in folders:
        store = ResultStore(folder)
        info = store.read_run()
        runs.append({
            "folder": str(folder), "model": info.get("model"), "created": info.get("created"),
            "git": info.get("git"), "config": info.get("config"),
            "dataset": info.get("dataset", {}).get("name"),
            "libraries": {e["label"]: e["library"] for e in info.get("strategies", [])
                          if "library" in e},
            "notes": info.get("notes", []),
            "skipped_records": (info.get("dataset") or {}).get("skipped_records") or [],
            "labels": [e["label"] for e in info.get("strategies", []) if "label" in e]
            or _labels(info.get("config") or {}),
        })
        records.extend(store.load())
    if not records:
        raise EvalError("no results recorded yet in " + ", ".join(map(str, folders)),
                        hint="run `optiform eval run` (or resume) first")
    _no_item_twice(records, runs)
    return records, runs


def _labels(config: dict[str, Any]) -> list[str]:
    """The strategy labels a recorded config makes (run flags such as --max-repairs are
    part of an agent's label), for a run.json that lists no strategies."""
    from optiform.evals.runner import RunConfig

    try:
        return [spec.label for spec in RunConfig.model_validate(config).specs()]
    except (ValueError, OptiformError):
        return list(config.get("strategies") or [])


def _no_item_twice(records: list[dict[str, Any]], runs: list[dict[str, Any]]) -> None:
    """Several folders are pooled into one report only when no item of a strategy is in two
    of them: the same item counted twice would move the accuracy without a word."""
    if len(runs) < 2:
        return
    seen: dict[tuple[Any, ...], int] = {}
    for n, r in enumerate(records):
        key = (r.get("dataset"), r.get("split"), r.get("strategy"), r.get("id"))
        if key in seen:
            dataset, split, strategy, item = key
            raise EvalError(
                f"item {item} of {dataset}:{split} is recorded for strategy {strategy!r} more "
                "than once in these folders; a pooled report would count it twice",
                hint="report each run on its own (--out another folder), or put side by side "
                     "with `optiform eval compare`; pool only runs of different items or "
                     "strategies")
        seen[key] = n


def write_report(folders: list[Path], out: Path, *, plots: bool = True) -> dict[str, Any]:
    """Write summary.json, report.md and (when matplotlib is there) PNG plots into ``out``.

    Returns ``{"summary", "files", "warnings"}``.
    """
    records, runs = load_runs(folders)
    summary = summarize(records, runs)
    out.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    warnings: list[str] = []
    plot_names: list[str] = []
    if plots:
        try:
            from optiform.evals.plots import write_plots

            written = write_plots(summary, records, out)
            files += written
            plot_names = [p.name for p in written]
        except ImportError as exc:
            warnings.append(f"no plots: {exc} (install optiform[plots])")
    for run in runs:
        left_out = run["skipped_records"]
        if left_out:
            warnings.append(f"{run['folder']}: {len(left_out)} record(s) of the dataset were "
                            f"left out, e.g. {left_out[0]}")
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
    report_path = out / "report.md"
    report_path.write_text(render_markdown(summary, plot_names), encoding="utf-8")
    return {"summary": summary, "files": [summary_path, report_path, *files],
            "warnings": warnings}
