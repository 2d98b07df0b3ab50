"""Rich views of the chat: a turn's output (print_output), its banner, the tables waiting,
errors, model changes, /formulation, /help, /threads and /trace, its plain replies, and its
dim waiting lines. An answer itself is drawn by :mod:`answer_view`."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from optiform.commands.answer_view import (
    MODEL_HANG,
    SENTENCE_HANG,
    answer_view,
    explanation_hang,
    model_hang,
    print_code,
    sentence_view,
)
from optiform.terminal_layout import Hanging, Trimmed, table_fits

if TYPE_CHECKING:
    from optiform.conversation import Output


def diff_hang(line: str) -> tuple[int, int]:
    """A changed model line keeps its '+ ' or '- ' beside its text; its continuation rows go
    deeper than that text, as the model panel's do."""
    return (2, 2 + MODEL_HANG) if line.startswith(("+ ", "- ")) else model_hang(line)


MOVES_HEAD = "Answer: "


def moves_view(moves: list[str]) -> Hanging:
    """How a follow-up moved the answer ('Answer: objective: … → …; wheat: …'), its rows under
    the first move."""
    head = len(MOVES_HEAD)
    return Hanging([Text(MOVES_HEAD + "; ".join(moves), style="cyan")], lambda _: (head, head),
                   fallback=SENTENCE_HANG)


BANNER_HEAD = "optiform chat · "


def banner_view(thread_id: str, turns: int) -> Hanging:
    """The chat's first line: its thread, its turns and how to go on; its rows after the
    first go on under 'thread', not at column 0."""
    head = len(BANNER_HEAD)
    line = Text.assemble(("optiform chat", "bold"), " · thread ", (thread_id, "cyan"),
                         f" · {turns} turn(s) · /help for commands, Ctrl-D to leave")
    return Hanging([line], lambda _: (head, head))


PENDING_HEAD = "tables for the next message: "


def pending_view(names: Iterable[str]) -> Hanging:
    """The tables that wait for the next message (``--data``), dim, their rows under the
    first name."""
    head = len(PENDING_HEAD)
    return Hanging([Text(PENDING_HEAD + ", ".join(names), style="dim")],
                   lambda _: (head, head), fallback=SENTENCE_HANG)


def waiting_view(text: str) -> Hanging:
    """A dim sentence on stderr: waiting for a cancelled turn to stop."""
    return sentence_view(text, style="dim")


def reply_view(text: str) -> Hanging:
    """A plain reply ('wrote the trace to …', 'switched to thread …', /data's tables): a
    line led by a short label (a table's 'crops.csv: ', 'waiting for the next message: ')
    goes on under the text after it, any other line :data:`SENTENCE_HANG` columns in, as in
    an answer's explanation (:func:`explanation_hang`). A line with a word too long for a
    row under its label (a path) goes on :data:`SENTENCE_HANG` columns in too, the word
    folded only where it is longer than such a row."""
    return Hanging(map(Text, text.split("\n")), explanation_hang, fallback=SENTENCE_HANG)


def trace_step_hang(line: str) -> tuple[int, int]:
    """A /trace step ('   0.24s  check  check  0.01s  checks: …'): its time keeps the first
    row's start, its rows after it go on under the node, clear of the times' column."""
    when = line.lstrip(" ").split(" ", 1)[0]
    head = len(line) - len(line.lstrip(" ")) + len(when) + 2
    return head, head


def trace_view(text: str) -> Group:
    """/trace without a file (chat_exports.trace_summary): its first line, a sentence, then
    a line per step, each wrapped as :func:`trace_step_hang` says."""
    first, *steps = text.split("\n")
    return Group(sentence_view(first), Hanging(map(Text, steps), trace_step_hang))


ERROR_HEADS = ("error: ", "  hint: ")


def error_hang(line: str) -> tuple[int, int]:
    """A chat error's lines: 'error: ' and '  hint: ' keep their text beside them, its rows
    going on under that text; any other line (the tables still waiting) goes on
    :data:`SENTENCE_HANG` columns in."""
    head = next((len(h) for h in ERROR_HEADS if line.startswith(h)), None)
    return (head, head) if head is not None else (0, SENTENCE_HANG)


def error_view(text: str) -> Hanging:
    """An error in the chat ('error: ...', then its '  hint: ...'), wrapped as
    :func:`error_hang` says: a name too long for a row folds under the text rather than
    going on at the hint's column. A command's error outside the chat is one line, never
    wrapped (commands/failure.py)."""
    first, *rest = text.split("\n")
    lines = [Text.assemble(("error:", "red"), " ", first), *map(Text, rest)]
    return Hanging(lines, error_hang)


def diff_view(lines: Iterable[str]) -> Hanging:
    """The model's changed lines, added green and removed red, long ones hanging (diff_hang)."""
    return Hanging((Text(line, style="green" if line.startswith("+") else
                         "red" if line.startswith("-") else "") for line in lines), diff_hang)


def model_view(text: str) -> Hanging:
    """/formulation: the model as plain lines, long ones hanging as in the model panel."""
    return Hanging(map(Text, text.split("\n")), model_hang)


def print_output(console: Console, out: Output) -> None:
    """Render one chat Output."""
    if out.kind in ("turn", "undo"):
        if out.kind == "undo":
            console.print(sentence_view(out.text, style="yellow"))
        if out.diff:
            console.print(Panel(diff_view(out.diff), title="Model changes", title_align="left",
                                expand=False))
        elif out.previous is not None and out.answer is not None:
            console.print(Text("The model did not change.", style="dim"))
        if out.moves:
            console.print(moves_view(out.moves))
        if out.answer is not None:
            console.print(answer_view(out.answer, model=out.previous is None))
    elif out.kind == "code":
        print_code(console, out.text, out.language)
    elif out.kind == "error":
        console.print(error_view(out.text))
    elif out.kind == "threads":
        console.print(threads_view(out, console.width))
    elif out.kind == "help":
        console.print(help_view(out.text))
    elif out.kind == "formulation":
        console.print(model_view(out.text))
    elif out.kind == "trace":
        console.print(trace_view(out.text))
    elif out.text:
        console.print(reply_view(out.text))


def help_view(text: str) -> Hanging:
    """/help: a description too long for its row goes on under itself, not under the
    commands."""
    from optiform.conversation import help_column

    column = help_column()
    return Hanging(map(Text, text.split("\n")),
                   lambda line: (column, column) if line.startswith("/") else (0, 0))


def _thread_rows(out: Output) -> list[tuple[str, str, str, str, str]]:
    """/threads: (mark, id, turns, updated, title) a thread; '*' marks the chat's own."""
    rows = []
    for t in out.threads:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(t.updated))
        rows.append(("*" if t.id == out.text else "", t.id, str(t.turn_count), when,
                     t.title.strip()))  # a title cut at 60 letters may end in a space
    if out.text and all(t.id != out.text for t in out.threads):  # after /new: no turn yet
        rows.append(("*", out.text, "0", "-", "(this thread: new, no turn yet)"))
    return rows


def threads_table(out: Output) -> Table:
    table = Table(title="Threads", title_justify="left")
    for column in ("", "id", "turns", "updated", "title"):
        table.add_column(column)
    for row in _thread_rows(out):
        table.add_row(*map(Text, row))  # Text: a title such as 'x[1] ...' is no markup
    return table


THREAD_INDENT = 4  # a thread block's title, under its id


def threads_view(out: Output, width: int) -> Trimmed | Hanging:
    """/threads: the table where it fits ``width`` (table_fits), else a block per thread: the
    mark, the id, its turns and when it was last updated, then its title indented (the
    table's title column was a few words wide at 80 columns)."""
    table = threads_table(out)
    if table_fits(table, width):
        return Trimmed(table)
    lines = [Text("Threads", style="italic")]
    for mark, thread_id, turns, when, title in _thread_rows(out):
        head = Text.assemble(f"{mark or ' '} ", (thread_id, "bold"),
                             f"  {turns} turn{'' if turns == '1' else 's'}")
        if when != "-":
            head.append(f"  {when}")
        lines.append(head)
        if title:
            lines.append(Text(" " * THREAD_INDENT + title))
    # a title's rows under itself; a head's (a long id) under the titles
    return Hanging(lines, lambda line: (THREAD_INDENT, THREAD_INDENT)
                   if line.startswith(" " * THREAD_INDENT) else (2, THREAD_INDENT))
