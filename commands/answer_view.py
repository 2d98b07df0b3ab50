"""Rich views for answers and progress (the CLI's face; the core never imports it); the
chat's own views are in :mod:`chat_view`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from optiform.formulation_view import flat_values, formulation_text
from optiform.terminal_layout import Hanging, Trimmed

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.agent.events import Event

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


def note_view(message: str) -> Hanging:
    """A note ('note: ...': a node's error in a turn that goes on, the items a job leaves
    out), its rows under its text, or :data:`SENTENCE_HANG` columns in where a word (a path)
    would not fit there."""
    return _labelled("note", message)


def warning_view(message: str) -> Hanging:
    """A warning ('warning: ...': a test split that could not be read, a job on a split that
    is not train), laid out as :func:`note_view`."""
    return _labelled("warning", message)


def _labelled(label: str, message: str) -> Hanging:
    head = len(label) + 2  # 'label: '
    return Hanging([Text.assemble((f"{label}:", "yellow"), " ", message)],
                   lambda _: (head, head), fallback=SENTENCE_HANG)


def sentence_view(text: str, style: str = "") -> Hanging:
    """A sentence of the CLI's own ('first outcomes of … read from <path>'), its rows after
    the first :data:`SENTENCE_HANG` columns in."""
    return Hanging([Text(text, style=style)], lambda _: (0, SENTENCE_HANG))


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
            self.console.print(note_view(str(event.data["message"])))
        if self._status is not None:
            what = _NODE_TEXT.get(self._node, self._node or "starting")
            tokens = f" · ~{self._tokens} tokens" if self._tokens else ""
            self._status.update(f"{what}{tokens} · {time.monotonic() - self._started:.0f} s")
