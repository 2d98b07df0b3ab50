"""The chat logic, apart from any terminal: turns, slash commands, undo, threads.

A :class:`ChatSession` talks to an :class:`~optiform.api.Assistant` in one thread. The first
turn states a problem; every later turn is sent to the agent in the same thread, so it is
formulated as a revision of the previous model ("add a constraint that at most 40 acres are
corn"). Each turn's Output carries the answer, a line diff of the formulation and how the answer
moved. Turns are kept in a :class:`~optiform.chat_store.ChatStore`; ``/undo`` marks the last
one undone and rewinds the agent's thread history to the turn before it.

The face (``commands/chat.py``) renders Outputs; tests drive this module directly.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from optiform.chat_exports import (
    ANSWER_SUFFIX,
    EXPORT_SUFFIXES,
    export_file,
    export_text,
    suffix_of,
    trace_summary,
)
from optiform.chat_store import (
    ChatStore,
    ThreadInfo,
    TurnRecord,
    check_thread_id,
    new_thread_id,
)
from optiform.errors import OptiformError
from optiform.formulation_view import answer_moves, formulation_diff, formulation_text

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.agent.events import Event
    from optiform.api import Assistant

OutputKind = Literal["turn", "undo", "text", "help", "formulation", "code", "error", "threads",
                     "trace", "quit"]

COMMANDS: dict[str, str] = {
    "formulation": "show the current model",
    "code": "show the standalone Pyomo script of the current model",
    "latex": "show the current model in LaTeX",
    "export": "write the model (.json .py .tex .md .lp .mps) or the answer (.answer.json)",
    "trace": "summarize the last turn's trace, or save it as JSON to FILE",
    "data": "attach tables (.csv .tsv .json .txt) to the next message; '/data clear' drops "
            "them",
    "undo": "drop the last turn; the next one revises the model before it",
    "new": "start a new thread",
    "threads": "list recent threads, or switch to thread ID",
    "help": "this list",
    "quit": "leave (Ctrl-D works too)",
}


@dataclass
class Output:
    """What one line of input produced, for the face to render."""

    kind: OutputKind
    text: str = ""
    language: str = ""  # for kind 'code': python, latex, json
    answer: Answer | None = None
    previous: Answer | None = None
    diff: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    turn: int = 0
    threads: list[ThreadInfo] = field(default_factory=list)


ARGUMENTS = {"export": "FILE", "trace": "[FILE]", "threads": "[ID]", "data": "[FILE...]"}


HELP_NOTE = ("Anything else is a message: the first states a problem, the next ones change it. "
             "Ctrl-C cancels a turn.")


def help_rows() -> list[tuple[str, str]]:
    """Each command as ('/name ARGS', what it does)."""
    return [(f"/{name} {ARGUMENTS[name]}" if name in ARGUMENTS else f"/{name}", what)
            for name, what in COMMANDS.items()]


def help_column() -> int:
    """Where help_text() starts the descriptions."""
    return max(len(usage) for usage, _ in help_rows()) + 2


def help_text() -> str:
    width = help_column()
    return "\n".join([*(f"{usage:<{width}}{what}" for usage, what in help_rows()), HELP_NOTE])


def load_answer(record: TurnRecord) -> Answer:
    from optiform.agent.answer import Answer

    return Answer.model_validate_json(record.answer_json)


class ChatSession:
    """One conversation: ``handle(line)`` -> Output. Not thread-safe; one per user."""

    def __init__(self, assistant: Assistant, store: ChatStore, thread_id: str | None = None,
                 *, resume_latest: bool = False) -> None:
        self.assistant = assistant
        self.store = store
        self.continued = False  # resume_latest found a thread to continue
        if thread_id is None and resume_latest:
            latest = store.latest_thread()
            thread_id = latest.id if latest else None
            self.continued = latest is not None
        self.thread_id = check_thread_id(thread_id) if thread_id is not None \
            else new_thread_id()
        self.pending: dict[str, Path] = {}  # tables for the next message (/data)
        self.inputs: set[Path] = set()  # every table file attached in this session

    def close(self) -> None:
        """Close the chat store (the Assistant stays open: it may serve other sessions)."""
        self.store.close()

    def __enter__(self) -> ChatSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- state ----------------------------------------------------------------------------

    def turns(self) -> list[TurnRecord]:
        return self.store.turns(self.thread_id)

    def answers(self) -> list[Answer]:
        return [load_answer(t) for t in self.turns()]

    def current(self) -> Answer | None:
        last = self.store.last_turn(self.thread_id)
        return load_answer(last) if last is not None else None

    def _model_answer(self) -> Answer:
        for answer in reversed(self.answers()):
            if answer.formulation is not None:
                return answer
        raise OptiformError("there is no model in this thread yet",
                            hint="describe an optimization problem first")

    # -- input ----------------------------------------------------------------------------

    def waits(self, line: str) -> bool:
        """Whether ``line`` must first wait for a turn of this thread that is still running
        (one cancelled with Ctrl-C ends only when its LLM call does): a turn or /undo."""
        text = line.strip()
        if not text or (text.startswith("/") and text[1:].split(" ")[0].lower() != "undo"):
            return False
        return self.assistant.busy(self.thread_id)

    def handle(self, line: str, on_event: Callable[[Event], None] | None = None,
               cancel: threading.Event | None = None) -> Output:
        """A slash command or a turn. Setting ``cancel`` (or Ctrl-C) stops a turn at the
        agent's next step; a cancelled turn leaves the thread as it was."""
        text = line.strip()
        if not text:
            return Output("text")
        try:
            if text.startswith("/"):
                name, _, arg = text[1:].partition(" ")
                return self.command(name.lower(), arg.strip())
            return self.ask(text, on_event, cancel)
        except OptiformError as exc:
            waiting = (f"\n(the tables {', '.join(self.pending)} still wait for the next "
                       "message; /data clear drops them)") if self.pending and \
                not text.startswith("/") else ""
            return Output("error", text=str(exc) + waiting)
        except OSError as exc:  # /export or /trace to a place that cannot be written
            where = exc.filename or "the file"
            return Output("error", text=f"cannot write {where}: "
                                        f"{exc.strerror or exc}\n  hint: choose a file in a "
                                        "folder you can write to")

    def ask(self, text: str, on_event: Callable[[Event], None] | None = None,
            cancel: threading.Event | None = None) -> Output:
        """One turn: stream the agent in this thread, then record the answer."""
        from optiform.api_async import answer_of, stream_in_worker

        answer = None
        tables = dict(self.pending) or None
        for event in stream_in_worker(
                lambda: self.assistant.stream(text, tables, thread_id=self.thread_id), cancel):
            if event.type == "answer":
                answer = answer_of(event)
            elif on_event is not None:
                on_event(event)
        if answer is None:
            raise OptiformError("the agent stopped without an answer",
                                hint="/trace shows the last complete turn")
        self.pending = {}  # the thread keeps them: later turns read them too
        return self.record(text, answer)

    def attach(self, paths: list[str | Path]) -> list[dict[str, object]]:
        """Check table files and hold them for the next message; their previews."""
        import tempfile

        from optiform.agent.tables import prepare_tables, tables_by_name

        tables = tables_by_name(paths)
        with tempfile.TemporaryDirectory(prefix="optiform-data-") as scratch:
            previews = prepare_tables(tables, Path(scratch))  # a broken table: an error now
        self.pending.update(tables)
        self.inputs.update(Path(p).resolve() for p in tables.values())
        return previews

    def record(self, text: str, answer: Answer) -> Output:
        """Store a finished turn and describe how it changed the model and the answer."""
        previous = self.current()
        history_len = len(self.assistant.history(self.thread_id))
        self.store.create_thread(self.thread_id)
        seq = self.store.add_turn(self.thread_id, text, answer.model_dump_json(), history_len)
        return Output("turn", answer=answer, previous=previous, turn=seq,
                      **_changes(previous, answer))

    # -- slash commands -------------------------------------------------------------------

    def command(self, name: str, arg: str) -> Output:
        handler = getattr(self, f"_cmd_{name}", None) if name in COMMANDS else None
        if handler is None:
            return Output("error", text=f"unknown command /{name}; /help lists them")
        return handler(arg)

    def _cmd_help(self, arg: str) -> Output:
        return Output("help", text=help_text())  # the face lays it out as columns

    def _cmd_quit(self, arg: str) -> Output:
        return Output("quit")

    def _cmd_formulation(self, arg: str) -> Output:
        answer = self._model_answer()
        assert answer.formulation is not None
        return Output("formulation",  # the face wraps its long lines under their own start
                      text=formulation_text(answer.formulation, data_width=None))

    def _cmd_code(self, arg: str) -> Output:
        return Output("code", text=export_text(self._model_answer(), ".py"), language="python")

    def _cmd_latex(self, arg: str) -> Output:
        return Output("code", text=export_text(self._model_answer(), ".tex"), language="latex")

    def _cmd_export(self, arg: str) -> Output:
        if not arg:
            raise OptiformError("/export needs a file name",
                                hint="e.g. /export model.json (" + " ".join(EXPORT_SUFFIXES)
                                + ")")
        path = self._not_an_input(_one_path(arg), "/export")
        answer = self.current() if suffix_of(path) == ANSWER_SUFFIX else self._model_answer()
        if answer is None:
            raise OptiformError("there is no answer to export yet", hint="ask something first")
        return Output("text", text=f"wrote {export_file(answer, path)}")

    def _not_an_input(self, path: Path, command: str) -> Path:
        """``path``, unless it is a table attached in this session: writing there would
        replace the data the thread's turns were solved with."""
        from optiform.file_paths import not_an_input

        return not_an_input(path, self.inputs, command, f"{command} model.json")

    def _cmd_trace(self, arg: str) -> Output:
        answer = self.current()
        if answer is None:
            raise OptiformError("there is no turn to trace yet", hint="ask something first")
        if arg:
            path = answer.save_trace(self._not_an_input(_one_path(arg), "/trace"))
            return Output("text", text=f"wrote the trace to {path}")
        return Output("trace", text=trace_summary(answer))  # the face wraps its steps

    def _cmd_data(self, arg: str) -> Output:
        if arg.strip().lower() == "clear":
            dropped = self._drop_pending()
            return Output("text", text=("dropped " + ", ".join(dropped)) if dropped else
                          "no tables were waiting")
        if arg:
            previews = self.attach(_split(arg))
            lines = [f"{p['file']}: {', '.join(map(str, p['columns']))} ({p['n_rows']} rows)"
                     for p in previews]
            return Output("text", text="\n".join(
                [*lines, "the next message sends them; later turns in this thread read them "
                         "too"]))
        if not self.pending:
            return Output("text", text="no tables wait for the next message; /data FILE "
                                       "attaches one (earlier turns' tables stay in the "
                                       "thread)")
        return Output("text", text="waiting for the next message: " + ", ".join(
            str(p) for p in self.pending.values()))

    def _cmd_undo(self, arg: str) -> Output:
        undone = self.store.undo(self.thread_id)
        if undone is None:
            return Output("error", text="nothing to undo in this thread")
        before = self.store.last_turn(self.thread_id)
        keep = before.history_len if before is not None else 0
        self.assistant.set_history(self.thread_id,
                                   self.assistant.history(self.thread_id)[:keep])
        removed, restored = load_answer(undone), load_answer(before) if before else None
        text = (f"undid turn {undone.seq}: {undone.text!r}"
                + (f"; back to turn {before.seq}" if before else "; the thread is empty"))
        return Output("undo", text=text, answer=restored, previous=removed,
                      turn=before.seq if before else 0, **_changes(removed, restored))

    def _cmd_new(self, arg: str) -> Output:
        self.thread_id = new_thread_id()
        return Output("text", text=f"new thread {self.thread_id}" + self._dropped_note())

    def _drop_pending(self) -> list[str]:
        """Forget the tables waiting for the next message; their names."""
        dropped, self.pending = list(self.pending), {}
        return dropped

    def _dropped_note(self) -> str:
        """Tables attached in one thread are not sent to another: a note when some go."""
        dropped = self._drop_pending()
        return f" (the tables waiting, {', '.join(dropped)}, were dropped)" if dropped else ""

    def _cmd_threads(self, arg: str) -> Output:
        if arg:
            info = self.store.get_thread(arg)
            if info is None:
                raise OptiformError(f"no thread {arg!r}", hint="/threads lists them")
            self.thread_id = info.id
            return Output("text", text=f"switched to thread {info.id} ({info.turn_count} turns)"
                          + self._dropped_note())
        return Output("threads", threads=self.store.list_threads(), text=self.thread_id)


def _split(arg: str) -> list[str]:
    """File names as a shell would split them; an unbalanced quote is an error, not a crash."""
    try:
        return shlex.split(arg)
    except ValueError as exc:
        raise OptiformError(f"cannot read the file names in {arg!r}: {exc}",
                            hint="quote a whole name that holds a space or a quote: "
                                 "\"O'Neil.csv\"") from None


def _one_path(arg: str) -> Path:
    """The one file name in ``arg``, its ``~`` expanded: a file in a folder that exists (no
    folders are made)."""
    from optiform.config_paths import expand_home

    parts = _split(arg)
    if len(parts) != 1:
        raise OptiformError(f"expected one file name, got {arg!r}",
                            hint="quote a name with spaces")
    try:
        path = expand_home(parts[0])
    except ValueError as exc:  # '~nosuchuser/m.json'
        raise OptiformError(str(exc), hint="write the path out in full") from None
    if path.is_dir():
        raise OptiformError(f"{path} is a folder", hint=f"give a file name, e.g. "
                                                        f"{path / 'model.json'}")
    if path.parent.exists() and not path.parent.is_dir():
        raise OptiformError(f"{path.parent} is a file, not a folder",
                            hint="write the file somewhere else")
    if not path.parent.is_dir():
        raise OptiformError(f"there is no folder {path.parent}",
                            hint="make it first, or write the file somewhere else")
    return path


def _changes(old: Answer | None, new: Answer | None) -> dict[str, list[str]]:
    if old is None or new is None:
        return {"diff": [], "moves": []}
    return {"diff": formulation_diff(old.formulation, new.formulation),
            "moves": answer_moves(old, new)}
