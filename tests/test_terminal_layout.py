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
