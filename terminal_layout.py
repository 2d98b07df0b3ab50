"""How the CLI's rich output fits a terminal's width.

Three rules, each in one place: a long line wraps with a hanging indent (:class:`Hanging`),
so its continuation rows never start at column 0 under the lines around it; a table is
printed as a table only where it fits the width with its cells whole (:func:`table_fits`),
else its caller prints a block per row; and no row ends in spaces (:class:`Trimmed`), which a
copy from the terminal or a pipe would carry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

PROSE_WIDTH = 60  # a table's column of sentences wraps at this width (Column(max_width=))
_UNLIMITED = 10_000  # wide enough for any table's cells on one line


class Hanging:
    """Lines that wrap with a hanging indent: ``rule(line)`` gives (head, hang), the first
    row keeps the line's first ``head`` characters (an indent, a bullet) beside the start of
    its text, and the rows after it start ``hang`` columns in. A word longer than a row folds
    where it is rather than leaving the head alone on its row.

    With ``fallback``, a line whose longest word would not fit a row at ``hang`` (a name under
    a label that leaves it half the width) wraps as a whole instead, its rows after the first
    ``fallback`` columns in, so the word stays whole where it fits there."""

    def __init__(self, lines: Iterable[Text], rule: Callable[[str], tuple[int, int]],
                 fallback: int | None = None) -> None:
        self.lines = list(lines)
        self.rule = rule
        self.fallback = fallback

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, Text("\n").join(self.lines))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for line in self.lines:
            yield from self._rows(console, line, width)

    def _rows(self, console: Console, line: Text, width: int) -> list[Text]:
        head_len, hang = self.rule(line.plain)
        head, rest = line[:head_len], line[head_len:]
        room = width - cell_len(head.plain)
        if line.cell_len <= width or room < 10 or not rest.plain:
            return [line]
        hang = min(hang, width // 2)  # a narrow panel keeps room for the text
        if self.fallback is not None and hang > self.fallback and \
                max(map(cell_len, rest.plain.split()), default=0) > width - hang:
            head, rest, hang = line[:0], line, self.fallback
            room = width
        first = rest.wrap(console, room, overflow="fold")[0]
        remainder = rest[len(first.plain):]
        remainder = remainder[len(remainder.plain) - len(remainder.plain.lstrip(" ")):]
        rows = [Text.assemble(head, first)]
        if remainder.plain:
            rows.extend(Text.assemble(" " * hang, row)
                        for row in remainder.wrap(console, width - hang, overflow="fold"))
        for row in rows:
            row.rstrip()
        return rows


class Trimmed:
    """``renderable`` with the spaces at the end of its rows left out: rich pads a table's
    title and caption to the table's width, and a borderless table's rows, its blank section
    rows and a tree's wrapped label (the space it broke at) too. Nothing it shows changes:
    a space that shows (a background, an underline) stays."""

    def __init__(self, renderable: RenderableType) -> None:
        self.renderable = renderable

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.renderable)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in console.render_lines(self.renderable, options, pad=False):
            yield from _rstrip(line)
            yield Segment.line()


def _rstrip(line: list[Segment]) -> list[Segment]:
    """``line`` less the spaces at its end that do not show."""
    line = list(line)
    while line and not line[-1].control and not _shows_blank(line[-1].style):
        text = line[-1].text.rstrip(" ")
        if text:
            line[-1] = Segment(text, line[-1].style)
            break
        line.pop()
    return line


def _shows_blank(style: Style | None) -> bool:
    """Whether a space in ``style`` is seen: a background, reverse video or a line."""
    return style is not None and bool(style.bgcolor or style.reverse or style.underline or
                                      style.underline2 or style.strike or style.overline)


def natural_width(renderable: RenderableType) -> int:
    """The columns ``renderable`` takes with nothing folded: a table's cells each on one line,
    a column with a ``max_width`` (prose, :data:`PROSE_WIDTH`) at that width."""
    console = Console(width=_UNLIMITED)
    return console.measure(renderable, options=console.options).maximum


def table_fits(table: RenderableType, width: int) -> bool:
    """Whether ``table`` fits ``width`` columns as it is: the one rule for a table or a block
    per row. Below it a column would fold its cells mid-word or be a few letters wide."""
    return natural_width(table) <= width
