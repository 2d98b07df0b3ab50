"""terminal_layout: the one rule for a table or blocks (table_fits), checked against what rich
prints at that width."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from optiform.terminal_layout import PROSE_WIDTH, natural_width, table_fits

SENTENCE = ("Formulations sampled for self-consistency votes; the answer most of them agree on "
            "is kept, the others are shown in the trace.")


def _table() -> Table:
    table = Table(title="t")
    table.add_column("name", overflow="fold")
    table.add_column("value", overflow="fold")
    table.add_column("meaning", max_width=PROSE_WIDTH)
    table.add_row("warehouse_north_distribution_center", "120.5", Text(SENTENCE))
    table.add_row("short", "x[1]", Text("Short."))
    return table


def _rows(width: int) -> list[str]:
    console = Console(record=True, width=width)
    console.print(_table())
    return [line for line in console.export_text().splitlines() if line.startswith("│")]


def test_a_table_fits_exactly_where_its_cells_stay_whole() -> None:
    fits = natural_width(_table())
    assert len(SENTENCE) > PROSE_WIDTH  # the prose wraps at its width, whatever the room
    for width in (fits, fits + 1, 1000):
        assert table_fits(_table(), width)
        rows = _rows(width)
        assert any("│ warehouse_north_distribution_center │" in row for row in rows)
        assert max(len(row) for row in rows) == fits  # the table takes no more than that
        assert len(rows) == 2 + len(SENTENCE) // PROSE_WIDTH  # the sentence's rows, no more
    assert not table_fits(_table(), fits - 1)  # rich would squeeze the prose below its width
    assert not table_fits(_table(), 80)
    assert not any("warehouse_north_distribution_center" in row for row in _rows(80))  # folded


@pytest.mark.parametrize("width", [80, 100])
def test_a_table_of_short_cells_fits_a_narrow_terminal(width: int) -> None:
    table = Table()
    table.add_column("id")
    table.add_column("n", justify="right")
    table.add_row("a", "1")
    assert natural_width(table) < 80 and table_fits(table, width)


@pytest.mark.parametrize("width", [80, 100])
def test_hanging_falls_back_where_a_word_would_fold_under_its_hang(width: int) -> None:
    """A row under a label leaves the text width - hang columns: a name longer than that goes
    on ``fallback`` columns in, whole, rather than folded mid-word; shorter ones stay under
    the label's text."""
    from optiform.terminal_layout import Hanging

    label = "Binding constraints (at their limit): "
    name = "n" * (width - len(label) + 5)  # too long for a row under the label, not for one
    rule = lambda _: (len(label), len(label))  # noqa: E731
    for fallback, where in ((None, len(label)), (2, 2)):
        console = Console(record=True, width=width)
        console.print(Hanging([Text(f"{label}labor; {name}.")], rule, fallback=fallback))
        rows = console.export_text().splitlines()
        assert rows[0] == f"{label}labor;" and rows[1][:where].isspace() and rows[1][where] != " "
        assert (f"{name}." in rows[1]) == (fallback is not None)  # folded without it
    short = Hanging([Text(f"{label}{'labor; ' * 20}end.")], rule, fallback=2)
    console = Console(record=True, width=width)
    console.print(short)
    rows = console.export_text().splitlines()
    assert len(rows) > 1 and all(row.startswith(" " * len(label)) and row[len(label)] != " "
                                 for row in rows[1:])


def _printed(renderable: object, width: int) -> list[str]:
    console = Console(record=True, width=width)
    console.print(renderable)
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 100])
def test_trimmed_leaves_out_the_spaces_rich_pads_rows_with(width: int) -> None:
    """A table's centred or left title and its caption are padded to its width, a borderless
    table's rows and blank section rows too, and a tree's wrapped label keeps the space it
    broke at: Trimmed prints the same rows without them."""
    from rich import box
    from rich.tree import Tree

    from optiform.terminal_layout import Trimmed

    table = Table(title="library statistics", box=box.SIMPLE_HEAD, caption="counts: +helped")
    table.add_column("domain")
    table.add_column("category")
    table.add_column("n", justify="right")
    table.add_row("transportation", "constraints", "5")
    table.add_section()
    table.add_row("total", "", "5")
    left = Table(title="Threads and more", title_justify="left")
    left.add_column("id")
    left.add_row("t1")
    tree = Tree("library")
    tree.add("profit-is-price-minus-cost (id profit-from-price-and-cost, v1)  "
             + "+0 -0 ?0 ~0 " * (width // 12))
    for renderable in (table, left, tree):
        plain, trimmed = _printed(renderable, width), _printed(Trimmed(renderable), width)
        assert any(line != line.rstrip() for line in plain)  # what rich does
        assert trimmed == [line.rstrip() for line in plain]  # the same look, less the pad
        assert natural_width(Trimmed(renderable)) == natural_width(renderable)
    title = _printed(Trimmed(table), width)[0]
    assert title.endswith(" library statistics") and title.startswith("    ")  # centred


def test_trimmed_keeps_a_space_that_shows() -> None:
    from optiform.terminal_layout import Trimmed

    console = Console(record=True, width=20, force_terminal=True, color_system="standard")
    console.print(Trimmed(Text.assemble("a  ", ("  ", "on red"), "  ")))
    assert console.export_text().splitlines() == ["a    "]  # the red blank, not the pad
