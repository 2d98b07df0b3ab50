"""PNG plots of a report: accuracy by strategy, seconds per item, tokens per item.

matplotlib (the ``plots`` extra) is imported here, with the Agg backend, only when called.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLORS = ("#2b6cb0", "#68a0d8", "#b5d0ec", "#d69e2e")


def _series(summary: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(display label, dataset, strategy label, stats) for every bar group."""
    several = len(summary["groups"]) > 1
    out = []
    for group in summary["groups"]:
        for label, stats in group["strategies"].items():
            name = f"{group['dataset']}\n{label}" if several else label
            out.append((name, group["dataset"], label, stats))
    return out


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def write_plots(summary: dict[str, Any], records: list[dict[str, Any]], out: Path) -> list[Path]:
    plt = _pyplot()
    series = _series(summary)
    if not series:
        return []
    paths = [
        _accuracy(plt, summary, series, out / "accuracy.png"),
        _distribution(plt, series, records, "wall_time", "seconds per item",
                      "Time per item", out / "time_per_item.png"),
        _distribution(plt, series, records, "tokens", "tokens per item (prompt + completion)",
                      "Tokens per item", out / "tokens_per_item.png"),
    ]
    return paths


def _accuracy(plt: Any, summary: dict[str, Any], series: list[Any], path: Path) -> Path:
    tols = summary["tolerances"]
    metrics = [(f"correct @ {t}", lambda s, t=t: s["accuracy"][t]) for t in tols]
    metrics.append(("executed", lambda s: s["execution_rate"]))
    width = 0.8 / len(metrics)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.9 * len(series) + 2), 4.2), dpi=120)
    for m, (name, get) in enumerate(metrics):
        xs = [i + (m - (len(metrics) - 1) / 2) * width for i in range(len(series))]
        values = [100 * (get(s[3]) or 0.0) for s in series]
        bars = ax.bar(xs, values, width, label=name, color=COLORS[m % len(COLORS)],
                      hatch="//" if name == "executed" else None, edgecolor="white")
        for bar, value in zip(bars, values, strict=True):
            ax.annotate(f"{value:.0f}", (bar.get_x() + bar.get_width() / 2, value),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 1),
                        textcoords="offset points")
    ax.set_xticks(range(len(series)))
    ax.set_xticklabels([f"{s[0]}\n(n={s[3]['n']})" for s in series], fontsize=9)
    ax.set_ylim(0, 110)
    ax.set_ylabel("% of items")
    ax.set_title("Accuracy by strategy")
    ax.legend(fontsize=8, ncol=len(metrics), loc="upper center", frameon=False,
              bbox_to_anchor=(0.5, -0.18))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _distribution(plt: Any, series: list[Any], records: list[dict[str, Any]], field: str,
                  ylabel: str, title: str, path: Path) -> Path:
    data = []
    for _, dataset, label, _stats in series:
        values = [float(r.get(field) or 0.0) for r in records
                  if str(r.get("dataset")) == dataset and str(r.get("strategy")) == label]
        data.append(values or [0.0])
    fig, ax = plt.subplots(figsize=(max(5.0, 1.5 * len(series) + 2), 4.0), dpi=120)
    box = ax.boxplot(data, patch_artist=True, showmeans=True, widths=0.5,
                     meanprops={"marker": "D", "markerfacecolor": "white",
                                "markeredgecolor": "black", "markersize": 5})
    for patch in box["boxes"]:
        patch.set_facecolor(COLORS[1])
    ax.set_xticks(range(1, len(series) + 1))
    ax.set_xticklabels([s[0] for s in series], fontsize=9)
    positive = [v for values in data for v in values if v > 0]
    if positive and max(positive) / max(min(positive), 1e-9) > 100:
        ax.set_yscale("log")
    for i, values in enumerate(data, 1):
        mean = sum(values) / len(values)
        ax.annotate(f"mean {mean:,.1f}", (i + 0.27, mean), xytext=(2, 0),
                    textcoords="offset points", fontsize=7, va="center")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def write_comparison(title: str, groups: dict[str, list[Any]], path: Path,
                     target: float | None = None) -> Path:
    """One panel a data set, one bar a strategy (accuracy, with its executed rate as a tick).

    ``groups`` maps a panel name to its bars (:class:`optiform.evals.compare.Bar`); ``target``
    (points over each panel's first bar) draws a dashed line where the target lies.
    """
    import textwrap

    plt = _pyplot()
    keys: list[str] = []  # a bar's colour follows the first word of its label, e.g. "(a)"
    for bars in groups.values():
        keys += [k for k in (b.label.split()[0] for b in bars) if k not in keys]
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups) + 0.6, 4.6), dpi=120,
                             sharey=True, squeeze=False)
    for ax, (panel, bars) in zip(axes[0], groups.items(), strict=True):
        xs = list(range(len(bars)))
        values = [100 * b.accuracy for b in bars]
        colors = [COLORS[keys.index(b.label.split()[0]) % len(COLORS)] for b in bars]
        drawn = ax.bar(xs, values, 0.62, color=colors, edgecolor="white")
        ax.scatter(xs, [100 * b.executed for b in bars], marker="_", s=420, color="black",
                   zorder=3, label="executed")
        for bar, b in zip(drawn, bars, strict=True):
            ax.annotate(f"{100 * b.accuracy:.1f}\n{b.commit}",
                        (bar.get_x() + bar.get_width() / 2, 100 * b.accuracy),
                        ha="center", va="bottom", fontsize=7, xytext=(0, 1),
                        textcoords="offset points")
        if target is not None:
            ax.axhline(values[0] + target, color="#c53030", linestyle="--", linewidth=1,
                       label=f"first + {target:g} points")
        ax.set_xticks(xs)
        ax.set_xticklabels([textwrap.fill(b.label, 12) for b in bars], fontsize=8)
        ax.set_title(f"{panel} (n={bars[0].n})", fontsize=10)
        ax.set_ylim(0, 115)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("% of items correct")
    axes[0][0].legend(fontsize=7, loc="upper left", frameon=False, ncol=2)
    fig.suptitle(textwrap.fill(title, 100), fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
