"""Rich renderings of the library for people: a taxonomy tree, counts tables, one insight."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from optiform.library.insight import Insight, InsightVersion
from optiform.terminal_layout import PROSE_WIDTH, Hanging, natural_width, table_fits

if TYPE_CHECKING:
    from optiform.library.retrieval import RetrievedInsight


def _counts(ins: Insight) -> str:
    k = ins.counts
    return (f"[green]+{k.helped}[/] [red]-{k.misled}[/] [yellow]?{k.missed}[/] "
            f"[dim]~{k.irrelevant}[/]")


COUNTS_LEGEND = ("[green]+helped[/] [red]-misled[/] [yellow]?missed[/] [dim]~irrelevant[/]")


def taxonomy_tree(insights: list[Insight], title: str = "library") -> Tree:
    """domain -> category -> label (its id where that differs, version, status, counts)."""
    root = Tree(f"[bold]{escape(title)}[/] ({len(insights)} insights; counts: {COUNTS_LEGEND})")
    grouped: dict[str, dict[str, list[Insight]]] = defaultdict(lambda: defaultdict(list))
    for ins in insights:
        grouped[ins.taxonomy.domain][ins.taxonomy.category].append(ins)
    for domain in sorted(grouped):
        d_node = root.add(f"[bold cyan]{escape(domain)}[/]")
        for category in sorted(grouped[domain]):
            c_node = d_node.add(f"[magenta]{escape(category)}[/]")
            for ins in sorted(grouped[domain][category], key=lambda i: i.taxonomy.label):
                off = " [red](disabled)[/]" if not ins.active else ""
                label = ins.taxonomy.label
                ident = f"id {ins.id}, " if ins.id != label else ""
                c_node.add(f"{escape(label)} [dim]({escape(ident)}v{ins.version})[/]{off}  "
                           f"{_counts(ins)}")
    return root


def insights_table(insights: list[Insight], width: int | None = None) -> Table:
    """A row per insight. Where the table would not fit ``width`` unfolded, a taxonomy too
    long for its column is broken after its slashes (domain/, category/, label) rather than
    folded mid-word."""
    table = _insights_table(insights, fits=None)
    if width is not None and not table_fits(table, width):
        longest = max((len(i.label) for i in insights), default=0)
        # the taxonomy column gets what the others leave
        table = _insights_table(insights, fits=width - (natural_width(table) - longest))
    return table


def _insights_table(insights: list[Insight], *, fits: int | None) -> Table:
    table = Table(title="insights", show_lines=False, caption=f"counts: {COUNTS_LEGEND}")
    # ids are whole, to be copied into show/edit/disable; the taxonomy folds instead
    table.add_column("id", no_wrap=True, min_width=max((len(i.id) for i in insights), default=2))
    table.add_column("taxonomy", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("v", justify="right")
    for col in ("+", "-", "?", "~"):
        table.add_column(col, justify="right")
    for ins in insights:
        k = ins.counts
        split = fits is not None and len(ins.label) > fits
        label = Text(ins.label.replace("/", "/\n") if split else ins.label)
        table.add_row(ins.id, label, ins.status, str(ins.version), str(k.helped),
                      str(k.misled), str(k.missed), str(k.irrelevant))
    return table


def stats_table(insights: list[Insight]) -> Table:
    """Counts by category, with a total row."""
    table = Table(title="library statistics", box=box.SIMPLE_HEAD,
                  caption=f"counts: {COUNTS_LEGEND}")
    table.add_column("domain", no_wrap=True)
    table.add_column("category", no_wrap=True)
    for col in ("active", "disabled", "+", "-", "?", "~"):
        table.add_column(col, justify="right")
    rows: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0] * 6)
    for ins in insights:
        r = rows[(ins.taxonomy.domain, ins.taxonomy.category)]
        r[0 if ins.active else 1] += 1
        k = ins.counts
        for n, v in enumerate((k.helped, k.misled, k.missed, k.irrelevant), start=2):
            r[n] += v
    total = [0] * 6
    for key in sorted(rows):
        table.add_row(*map(escape, key), *map(str, rows[key]))
        total = [a + b for a, b in zip(total, rows[key], strict=True)]
    table.add_section()
    table.add_row("[bold]total[/]", "", *(f"[bold]{v}[/]" for v in total))
    return table


def insight_view(ins: Insight) -> Panel:
    """One insight in full, with its previous versions."""
    cond = ins.condition
    body = Table.grid(padding=(0, 1))
    body.add_column(style="bold", no_wrap=True)
    body.add_column()
    body.add_row("taxonomy", ins.label)
    body.add_row("status", ins.status + f"  (version {ins.version}, updated {ins.updated_at})")
    body.add_row("applies when", Text(cond.applies_when))
    body.add_row("not when", Text(cond.not_applies_when or "-"))
    body.add_row("why", Text(ins.explanation))
    body.add_row("wrong", Text(ins.example.wrong, style="red"))
    body.add_row("right", Text(ins.example.right, style="green"))
    k = ins.counts
    body.add_row("counts", f"helped {k.helped}, misled {k.misled}, missed {k.missed}, "
                           f"irrelevant {k.irrelevant}")
    body.add_row("provenance", Text(", ".join(ins.provenance) or "-"))
    parts: list[Table | Text] = [body]
    if ins.history:
        hist = Table(title="history", title_justify="left", show_header=True)
        for col in ("v", "written", "replaced because", "what the next version changed"):
            hist.add_column(col)
        nexts = [*ins.history[1:], ins]
        for old, after in reversed(list(zip(ins.history, nexts, strict=True))):
            hist.add_row(str(old.version), old.changed_at, Text(old.reason or "-"),
                         _changes(_fields(old), _fields(after)))
        parts.append(hist)
    return Panel(Group(*parts), title=f"[bold]{escape(ins.id)}[/]", title_align="left")


_FIELDS = ("taxonomy", "applies when", "not when", "why", "wrong", "right")


def _fields(v: Insight | InsightVersion) -> tuple[str, ...]:
    return (v.taxonomy.path, v.condition.applies_when, v.condition.not_applies_when,
            v.explanation, v.example.wrong, v.example.right)


def _changes(before: tuple[str, ...], after: tuple[str, ...]) -> Text:
    """Each field a version changed, with its text before; "-" for a change of status only."""
    out = Text()
    for name, old, new in zip(_FIELDS, before, after, strict=True):
        if old != new:
            if out:
                out.append("\n")
            out.append(f"{name}: ", style="bold")
            out.append(old or "(blank)")
    return out or Text("-")


def search_table(results: list[RetrievedInsight], mode: str, threshold: float,
                 active: int = 1) -> Table:
    """The retrieved insights; ``active``: how many the library holds active."""
    table = Table(title=f"retrieved ({mode}, threshold {threshold:.2f})")
    table.add_column("score", justify="right")
    table.add_column("id", no_wrap=True, min_width=max((len(r.id) for r in results), default=2))
    table.add_column("taxonomy", overflow="fold")
    table.add_column("prompt text", max_width=PROSE_WIDTH)
    for r in results:
        table.add_row(f"{r.score:.3f}", r.id, r.label, Text(r.text))
    if not results and not active:
        table.caption = ("the library holds no active insight: `library list` "
                         "shows the disabled ones, `library import FILE` brings some")
    elif not results:
        table.caption = (f"no active insight scored {threshold:.2f} or more; a lower "
                         "--threshold shows more")
    return table


BLOCK_INDENT = "    "  # a search block's taxonomy and prompt text, under its score and id


def search_view(results: list[RetrievedInsight], mode: str, threshold: float, active: int,
                width: int) -> Table | Hanging:
    """:func:`search_table` where it fits ``width`` (:func:`table_fits`); else, where its prompt
    text column would be a few words wide and the taxonomy fold mid-word, a block per insight:
    score and id, then the taxonomy and the prompt text indented."""
    table = search_table(results, mode, threshold, active)
    if not results or table_fits(table, width):
        return table
    lines = [Text(str(table.title), style="italic")]
    for r in results:
        lines.append(Text.assemble(f"{r.score:.3f}  ", (r.id, "bold")))
        lines.append(Text.assemble(BLOCK_INDENT, (r.label, "dim")))
        lines.extend(Text.assemble(BLOCK_INDENT, part) for part in r.text.split("\n"))
    # Hanging, not Padding: a padded row would end in spaces to the full width
    return Hanging(lines, lambda line: (0, 0) if not line.startswith(BLOCK_INDENT) else
                   (len(BLOCK_INDENT), len(BLOCK_INDENT)))
