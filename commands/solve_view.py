"""Rich rendering of a SolveResult: status, objective, values, shadow prices, conflict,
warnings, timing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.text import Text

MAX_ROWS = 40

_STYLE = {"optimal": "bold green", "infeasible": "bold red", "unbounded": "bold red",
          "infeasible_or_unbounded": "bold red", "time_limit": "bold yellow",
          "error": "bold red"}


_MESSAGES = {
    "infeasible": "no point satisfies every constraint",
    "unbounded": "the objective improves without limit (a missing constraint or bound?)",
    "infeasible_or_unbounded": "infeasible or unbounded: the solver could not tell which",
    "time_limit": "stopped at the time limit",
}


def value_rows(values: dict[str, Any]) -> list[tuple[str, str, float]]:
    """(variable, index key, value) for every value, scalars with an empty key."""
    rows: list[tuple[str, str, float]] = []
    for name, v in values.items():
        if isinstance(v, dict):
            rows.extend((name, key, x) for key, x in v.items() if x is not None)
        elif v is not None:
            rows.append((name, "", v))
    return rows


def _fmt(x: float) -> str:
    return f"{x + 0.0:.10g}"  # + 0.0: a solver's -0.0 prints as 0


def conflict_text(names: list[str], width: int) -> Text:
    """The IIS on one line where it fits ``width``, else a constraint per line: a terminal
    would fold the one line in the middle of a name."""
    from rich.text import Text

    line = "conflicting constraints (IIS): " + ", ".join(names)
    if len(line) > width:
        line = "conflicting constraints (IIS):" + "".join(f"\n  {n}" for n in names)
    return Text(line, style="red")


def render_result(console: Any, result: Any, *, title: str = "", prices: str = "") -> None:
    """``prices``: the line of shadow prices of a formulation or a file (agent.shadow_prices,
    agent.file_prices), printed under the values as the answer's explanation prints it."""
    from rich.table import Table
    from rich.text import Text

    from optiform.commands.answer_view import SENTENCE_HANG, explanation_hang
    from optiform.terminal_layout import Hanging

    status = result.status.value
    head = Text()
    if title:
        head.append(f"{title}\n", style="dim")  # Text: no markup in file names
    head.append("status     ")
    head.append(status, style=_STYLE.get(status, "bold"))
    if result.solver:
        head.append(f"   ({result.solver})", style="dim")
    if result.objective is not None:
        head.append(f"\nobjective  {_fmt(result.objective)}", style="bold")
        gap = (result.stats or {}).get("mip_gap")
        if isinstance(gap, float) and gap > 1e-6:  # above HiGHS's own default
            bound = result.stats.get("mip_dual_bound")
            said = (f"{gap:.2%}: optimal only within this gap; the best bound is "
                    f"{_fmt(bound)}" if math.isfinite(gap) else "no bound proven")
            head.append(f"\nmip gap    {said}", style="yellow")
    console.print(head)
    message = result.message or _MESSAGES.get(status, "")
    if message and status != "optimal":
        # wrapped between words on a terminal; piped, a line per message (for grep)
        console.print(Text(message), highlight=False, soft_wrap=not console.is_terminal)
    rows = value_rows(result.values)
    if rows:
        shown = rows
        note = ""
        if len(rows) > MAX_ROWS:
            shown = [r for r in rows if abs(r[2]) > 1e-9]
            note = f"{len(rows) - len(shown)} zero values not shown"
            if len(shown) > MAX_ROWS:
                note = (f"showing {MAX_ROWS} of {len(shown)} nonzero values; "
                        "--json prints them all")
                shown = shown[:MAX_ROWS]
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        # a long key folds rather than being cut with "…": the rows must tell apart
        table.add_column("variable", overflow="fold")
        table.add_column("index", overflow="fold")
        table.add_column("value", justify="right")
        for name, key, x in shown:
            table.add_row(Text(name), Text(key), _fmt(x))
        console.print(table)
        if note:
            console.print(note, style="dim")
    if prices:  # under the text after 'Shadow prices: ', as in the answer
        console.print(Hanging([Text(prices)], explanation_hang, fallback=SENTENCE_HANG))
    if result.conflict:
        width = console.width if console.is_terminal else 10**9  # piped: one line
        console.print(conflict_text(result.conflict, width), highlight=False, soft_wrap=True)
    for w in result.warnings:
        console.print(Text(f"warning: {w}", style="yellow"), highlight=False,
                      soft_wrap=not console.is_terminal)
    stats = result.stats or {}
    size = ""
    if stats.get("variables") is not None:
        size = f"{stats.get('kind', 'model')} with {stats['variables']} variables and " \
               f"{stats.get('constraints', 0)} constraints; "
    console.print(f"{size}build {result.build_time:.3f}s, solve {result.solve_time:.3f}s",
                  style="dim", highlight=False)
