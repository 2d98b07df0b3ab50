"""``optiform chat [--thread ID | --continue] [--data FILE]``: a conversation that refines
one model (``--data`` and ``/data`` attach tables to the next message).

The logic lives in ``optiform.conversation`` (tested without a terminal); this is the face:
prompt_toolkit input with history in the user data directory (plain line reading when stdin is
not a terminal), rich output, progress on stderr. Ctrl-C cancels the current turn (or clears the
line at the prompt); Ctrl-D leaves.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from optiform.api import Assistant

HISTORY_FILE = "chat_history.txt"
PROMPT = "optiform> "


def register(app: typer.Typer) -> None:
    @app.command("chat")
    def chat(
        thread: str | None = typer.Option(None, "--thread", "-t", metavar="ID",
                                          help="Continue (or start) the thread with this id."),
        continue_: bool = typer.Option(False, "--continue", "-c",
                                       help="Continue the most recent thread."),
        data: list[Path] = typer.Option([], "--data", help="A table for the first message "
                                        "(repeatable): CSV, TSV or JSON; /data FILE in the "
                                        "chat attaches more.", dir_okay=False),
    ) -> None:
        """Chat about one model: state a problem, then change it turn by turn."""
        raise typer.Exit(run_chat(thread=thread, resume=continue_, data=data))


def _line_reader(history_path: Path) -> Callable[[], str]:
    """prompt_toolkit on a terminal; plain lines from stdin otherwise (pipes, tests)."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        try:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory
        except ImportError:  # the 'chat' extra is not installed: plain input()
            return lambda: input(PROMPT)
        history_path.parent.mkdir(parents=True, exist_ok=True)
        session: PromptSession[str] = PromptSession(history=FileHistory(str(history_path)))
        return lambda: session.prompt(PROMPT)

    def read() -> str:
        line = sys.stdin.readline()
        if not line:
            raise EOFError
        return line.rstrip("\n")

    return read


def run_chat(*, thread: str | None = None, resume: bool = False,
             data: list[Path] | None = None) -> int:
    from rich.console import Console

    from optiform.agent.llm import make_llm
    from optiform.api import Assistant
    from optiform.api_async import SerialLLM
    from optiform.chat_store import ChatStore
    from optiform.commands.answer_view import Progress, answer_view
    from optiform.commands.chat_view import (
        banner_view,
        pending_view,
        print_output,
        waiting_view,
    )
    from optiform.commands.failure import print_error
    from optiform.config import load_settings
    from optiform.conversation import ChatSession
    from optiform.errors import OptiformError

    out, err = Console(emoji=False), Console(stderr=True, emoji=False)
    if thread is not None and resume:
        err.print("[red]error:[/] use --thread ID or --continue, not both")
        return 2
    try:
        settings = load_settings()
        # SerialLLM: an LLM call still running after Ctrl-C stops at its next token and
        # never overlaps the next turn's call
        assistant = Assistant(settings, llm=SerialLLM(make_llm(settings)))
        store = ChatStore.default(settings.data_dir)
    except OptiformError as exc:
        return print_error(exc)
    try:
        try:
            session = ChatSession(assistant, store, thread, resume_latest=resume)
            if data:
                session.attach(list(data))
        except OptiformError as exc:
            return print_error(exc)
        if resume and not session.continued:
            out.print("[dim]no earlier thread to continue: this is a new one[/]")
        answers = session.answers()
        out.print(banner_view(session.thread_id, len(answers)))
        if answers:
            out.print(answer_view(answers[-1]))
        if session.pending:
            out.print(pending_view(p.name for p in session.pending.values()))
        read = _line_reader(settings.data_dir / HISTORY_FILE)
        while True:
            try:
                line = read()
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            cancel = threading.Event()
            if session.waits(line):
                err.print(waiting_view("waiting for the cancelled turn to stop: its model "
                                       "call ends at its next token, or its next batch of "
                                       "the prompt (Ctrl-C leaves the wait)"))
            try:
                if line.strip().startswith("/"):
                    output = session.handle(line)
                else:
                    with Progress(err) as progress:
                        output = session.handle(line, on_event=progress, cancel=cancel)
            except KeyboardInterrupt:
                cancel.set()
                out.print("[yellow]cancelled[/] (the model is as it was before this turn)")
                continue
            print_output(out, output)
            if output.kind == "quit":
                break
    finally:
        _let_a_cancelled_turn_end(assistant, err)
        assistant.close()
        store.close()
    return 0


def _let_a_cancelled_turn_end(assistant: Assistant, err: Console,
                              timeout: float = 120.0) -> None:
    """A turn cancelled with Ctrl-C runs on until its LLM call stops (at its next token, or
    its next batch of the prompt); leaving under it would close the thread's memory while the
    turn still writes to it."""
    running = assistant.running()
    if not running:
        return
    from optiform.commands.chat_view import waiting_view

    err.print(waiting_view("waiting for the cancelled turn to stop before leaving (Ctrl-C "
                           "again leaves at once)"))
    try:
        for thread_id in running:
            assistant.wait_idle(thread_id, timeout)
    except KeyboardInterrupt:
        pass

