"""Rich views for answers, chat turns and progress (the CLI's face; the core never imports it)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from optiform.formulation_view import flat_values, formulation_text
from optiform.terminal_layout import Hanging, Trimmed, table_fits

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.agent.events import Event
    from optiform.conversation import Output

STATUS_STYLE = {"optimal": "bold green", "time_limit": "yellow", "not_a_problem": "yellow"}
MAX_ROWS = 30
_NODE_TEXT = {
    "intake": "reading the problem", "retrieve": "looking up insights",
    "formulate": "writing the model", "solve": "solving", "check": "checking the model",
    "select": "choosing a candidate", "repair": "repairing the model",
    "autofix": "applying sure corrections", "plain": "writing the model without insights",
    "code": "cross-checking with code", "answer": "writing the answer",
}


MODEL_HANG = 4  # a model line's continuation rows: this much deeper than the line itself


def model_hang(line: str) -> tuple[int, int]:
    """A model line's indent stays its head; its continuation rows go deeper."""
    indent = len(line) - len(line.lstrip(" "))
    return indent, indent + MODEL_HANG


def diff_hang(line: str) -> tuple[int, int]:
    """A changed model line keeps its '+ ' or '- ' beside its text; its continuation rows go
    deeper than that text, as the model panel's do."""
    return (2, 2 + MODEL_HANG) if line.startswith(("+ ", "- ")) else model_hang(line)


def bullet_hang(line: str) -> tuple[int, int]:
    """'- ' keeps its text beside it; the continuation rows start under that text."""
    return (2, 2) if line.startswith("- ") else (0, 0)


LABEL_MAX = 40  # a line's 'Label: ' up to this long keeps the column after it for its text
SENTENCE_HANG = 2  # an unlabelled sentence's continuation rows: this far in


def explanation_hang(line: str) -> tuple[int, int]:
    """An explanation line: a bullet as :func:`bullet_hang`; a line led by a short label
    ('Binding constraints (at their limit): ') goes on under the text after the label; any
    other line :data:`SENTENCE_HANG` columns in, so its rows are not read as lines of their
    own."""
    if line.startswith("- "):
        return bullet_hang(line)
    label, sep, text = line.partition(": ")
    if sep and text and len(label) + len(sep) <= LABEL_MAX:
        return len(label) + len(sep), len(label) + len(sep)
    return 0, SENTENCE_HANG


def status_line(answer: Answer) -> Text:
    style = STATUS_STYLE.get(answer.status, "bold red")
    line = Text(answer.status.replace("_", " "), style=style)
    if answer.message:
        line.append(f"  {answer.message}")
    return line


def status_view(answer: Answer) -> Hanging:
    """The status and its message, the message's rows under its start."""
    head = len(answer.status) + 2 if answer.message else 0
    return Hanging([status_line(answer)], lambda _: (head, head), fallback=SENTENCE_HANG)


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


def results_table(answer: Answer) -> Table | None:
    flat = {k: v for k, v in flat_values(answer.values).items() if abs(v) > 1e-9}
    if not flat:
        return None
    desc = {v.name: v.description for v in answer.formulation.variables} \
        if answer.formulation else {}
    shown = list(flat.items())[:MAX_ROWS]
    meanings = [desc.get(name.partition("[")[0], "") for name, _ in shown]
    title = "Decision values (non-zero)"
    table = Table(title=title, title_justify="left", min_width=len(title))  # title: one line
    # a long key folds rather than being cut; Text: 'x[north]' is no markup tag
    table.add_column("variable", overflow="fold")
    table.add_column("value", justify="right")
    described = any(meanings)  # else a column of blanks, which says nothing
    if described:
        table.add_column("meaning", style="dim")
    for (name, value), meaning in zip(shown, meanings, strict=True):
        table.add_row(Text(name), f"{value:.6g}", *([Text(meaning)] if described else []))
    if len(flat) > MAX_ROWS:
        table.add_row(f"... {len(flat) - MAX_ROWS} more", "", *([""] if described else []))
    return table


def footer(answer: Answer) -> Hanging:
    bits = [f"{answer.seconds:.2f} s",
            f"{answer.usage.prompt_tokens} prompt + {answer.usage.completion_tokens} "
            "completion tokens",
            f"confidence {answer.confidence:.2f}"]
    if answer.repair_rounds:
        bits.append(f"{answer.repair_rounds} repair round(s)")
    return Hanging([Text(" · ".join(bits), style="dim")], lambda _: (0, SENTENCE_HANG))


def formulation_panel(answer: Answer, data_width: int | None = 100) -> Panel | None:
    """The model, its long lines wrapped under their own start (constraints stay indented
    under 'subject to'); ``data_width``: see :func:`formulation_text`."""
    if answer.formulation is None:
        return None
    lines = formulation_text(answer.formulation, data_width=data_width).split("\n")
    return Panel(Hanging(map(Text, lines), model_hang), title="Model", title_align="left",
                 expand=False)


def answer_view(answer: Answer, *, model: bool = True) -> Group:
    """Status, the model as readable math, the values, the explanation, timing and tokens."""
    parts: list[Any] = [status_view(answer)]
    panel = formulation_panel(answer) if model else None
    if panel is not None:
        parts.append(panel)
    table = results_table(answer)
    if table is not None:
        parts.append(Trimmed(table))  # its title is padded to its width
    explanation = answer.explanation or ""
    if answer.message and explanation.startswith(answer.message):  # the status line said it
        explanation = explanation[len(answer.message):].strip()
    if explanation:  # a bullet keeps its text beside it, however long the name after it
        parts.append(Hanging(map(Text, explanation.split("\n")), explanation_hang,
                             fallback=SENTENCE_HANG))
    parts.append(footer(answer))
    return Group(*parts)


def print_code(console: Console, code: str, language: str) -> None:
    """Code with highlighting on a terminal; as plain text when piped (so it can be saved)."""
    if console.is_terminal:
        console.print(Syntax(code, language, word_wrap=True))
    else:
        console.out(code.rstrip("\n"), highlight=False)


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
            console.print(Text(out.text, style="yellow"))
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
    elif out.text:
        console.print(Text(out.text))


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


class Progress:
    """Progress of one turn on a (stderr) console: a spinner on a terminal, else one line per
    step. Feed it events; use it as a context manager."""

    def __init__(self, console: Console, *, enabled: bool = True) -> None:
        self.console = console
        self.enabled = enabled
        self._status: Any = None
        self._started = time.monotonic()
        self._node = ""
        self._tokens = 0

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        if self.enabled and self.console.is_terminal:
            self._status = self.console.status("starting", spinner="dots")
            self._status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def __call__(self, event: Event) -> None:
        if not self.enabled:
            return
        if event.type == "node_started" and event.node:
            self._node, self._tokens = event.node, 0
            if self._status is None:
                self.console.print(f"[dim]optiform: {_NODE_TEXT.get(event.node, event.node)}"
                                   "[/]", highlight=False)
        elif event.type == "token":
            self._tokens += max(1, len(str(event.data.get("text", ""))) // 4)
        elif event.type == "error" and event.data.get("message") and \
                not event.data.get("error"):  # a node's exception: it ends as the error line
            self.console.print(f"[yellow]note:[/] {escape(str(event.data['message']))}")
        if self._status is not None:
            what = _NODE_TEXT.get(self._node, self._node or "starting")
            tokens = f" · ~{self._tokens} tokens" if self._tokens else ""
            self._status.update(f"{what}{tokens} · {time.monotonic() - self._started:.0f} s")
