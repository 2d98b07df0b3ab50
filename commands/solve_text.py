"""``optiform solve "TEXT"`` / ``--file problem.txt``: one problem in plain language, solved.

Progress goes to stderr while the model works; stdout gets the answer (rich), only the Answer as
JSON (``--json``), or only the sections ``--show`` names (so ``--show code > model.py`` works).
Exit codes: 0 solved, 1 no solution (infeasible, unbounded, gave up; reported), 2 usage or
input error, 3 backend error (LLM, solver, sandbox), 130 interrupted.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.errors import InputError, OptiformError

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.commands.answer_view import Progress

SHOW_CHOICES = ("formulation", "answer", "code", "latex", "trace")
EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_INPUT, EXIT_BACKEND, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def exit_code_for(answer: Answer) -> int:
    """0 optimal; 1 infeasible, unbounded, stopped at the time limit or gave up (all reported);
    2 the text states no optimization problem; 3 the solver failed (as `solve --formulation`)."""
    if answer.status == "optimal":
        return EXIT_SOLVED
    if answer.status == "not_a_problem":
        return EXIT_INPUT
    if answer.status == "error":
        return EXIT_BACKEND
    return EXIT_NO_SOLUTION


def read_problem(text: str | None, file: Path | None) -> str:
    if text is not None and file is not None:
        raise InputError("give the problem as TEXT or with --file, not both",
                         hint='optiform solve "..." or optiform solve --file problem.txt')
    if file is not None:
        if str(file) == "-":
            return sys.stdin.read()
        try:
            return file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the problem file {file}: {exc}",
                             hint="pass a UTF-8 text file") from exc
    if text is None:
        raise InputError("no problem given",
                         hint='optiform solve "TEXT", --file problem.txt, or --formulation '
                              "model.json")
    return text


def data_tables(paths: Sequence[Path]) -> dict[str, Path]:
    """``--data`` files by table name (the file's stem)."""
    from optiform.agent.tables import tables_by_name

    return tables_by_name(paths)


def check_show(show: Sequence[str]) -> list[str]:
    bad = [s for s in show if s not in SHOW_CHOICES]
    if bad:
        raise InputError(f"unknown --show {bad[0]!r}", hint="choose from " +
                         ", ".join(SHOW_CHOICES))
    return list(dict.fromkeys(show))


def run(text: str | None, *, file: Path | None = None, data: Sequence[Path] = (),
        as_json: bool = False, show: Sequence[str] = (), save_code: Path | None = None,
        quiet: bool = False, **overrides: Any) -> int:
    """The text path of ``optiform solve``; returns the exit code. ``overrides``: agent
    options (``solver``, ``time_limit``, ``mip_gap``, ``samples``...); None means the
    settings' value."""
    from rich.console import Console

    from optiform.commands.answer_view import Progress
    from optiform.commands.failure import print_error

    err = Console(stderr=True, emoji=False)
    try:
        sections = check_show(show)
        if sections and as_json:
            raise InputError("--show picks sections of the text view; --json prints the "
                             "whole answer", hint="drop one of them (the JSON holds every "
                                                  "section: formulation, pyomo_script, trace)")
        problem = read_problem(text, file)
        tables = data_tables(data)
        if save_code is not None:
            from optiform.file_paths import not_an_input

            not_an_input(save_code, [p for p in (file, *data) if p is not None],
                         "--save-code", "--save-code model.py")
        answer = _solve(problem, tables, Progress(err, enabled=not quiet),
                        {k: v for k, v in overrides.items() if v is not None})
        if as_json:
            sys.stdout.write(json.dumps(answer.model_dump(mode="json"), indent=2) + "\n")
        else:
            _print(answer, sections)
    except KeyboardInterrupt:
        if as_json:  # a script reading stdout is never left with nothing
            from optiform.errors import TurnCancelled

            return_code = print_error(TurnCancelled("interrupted (Ctrl-C)",
                                                    hint="run it again to solve it"),
                                      as_json=True)
            _exit_now_if_busy()
            return return_code
        err.print("[yellow]interrupted[/]")
        _exit_now_if_busy()
        return EXIT_INTERRUPTED
    except OptiformError as exc:
        return print_error(exc, as_json=as_json)
    code = exit_code_for(answer)
    if save_code is not None:  # after the answer is shown: a bad path must not lose it
        try:
            _save_code(answer, save_code)
        except OptiformError as exc:  # on stderr: with --json, stdout holds the answer alone
            failed = print_error(exc)
            return code or failed
        if not quiet:
            err.print(f"[dim]wrote the Pyomo script to {save_code}[/]", highlight=False)
    return code


def _solve(problem: str, tables: dict[str, Path], progress: Progress,
           overrides: dict[str, Any]) -> Answer:
    from optiform.agent.llm import make_llm
    from optiform.api import Assistant
    from optiform.api_async import SerialLLM, answer_of, stream_in_worker
    from optiform.config import load_settings

    settings = load_settings()
    answer, cancel = None, threading.Event()  # Ctrl-C sets it: a running LLM call stops
    with Assistant(settings, llm=SerialLLM(make_llm(settings))) as assistant, progress as p:
        for event in stream_in_worker(
                lambda: assistant.stream(problem, tables or None, **overrides), cancel):
            if event.type == "answer":
                answer = answer_of(event)
            else:
                p(event)
    if answer is None:
        raise OptiformError("the agent stopped without an answer",
                            hint="run again with --show trace and report it")
    return answer


def _exit_now_if_busy() -> None:
    """After Ctrl-C an LLM call may still run in the graph's worker thread (it stops at its
    next token, but a constrained-JSON call has none); Python would wait for it at exit, so a
    one-shot command leaves at once instead."""
    if threading.active_count() > 1:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)


def _save_code(answer: Answer, path: Path) -> None:
    from optiform.chat_exports import export_text

    code = export_text(answer, ".py")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the Pyomo script to {path}: {exc.strerror or exc}",
                         hint="choose a path in a folder you can write to; the answer is "
                              "above") from None


def _print(answer: Answer, sections: list[str]) -> None:
    from rich.console import Console
    from rich.markup import escape

    from optiform.chat_exports import export_text, trace_summary
    from optiform.commands import answer_view as view

    out = Console(emoji=False)
    if not sections:
        out.print(view.answer_view(answer))
        return
    for section in sections:
        if section == "formulation":
            panel = view.formulation_panel(answer, data_width=None)
            out.print(panel if panel is not None else view.status_view(answer))
        elif section == "answer":
            out.print(view.answer_view(answer, model=False))
        elif section in ("code", "latex"):
            suffix, language = (".py", "python") if section == "code" else (".tex", "latex")
            try:
                text = export_text(answer, suffix)
            except OptiformError as exc:  # a model that never compiled: say so, show the rest
                Console(stderr=True, emoji=False).print(
                    f"[yellow]no {section} to show:[/] {escape(exc.message)}"
                    + (f"\n  hint: {escape(exc.hint)}" if exc.hint else ""), highlight=False)
                continue
            view.print_code(out, text, language)
        elif section == "trace":
            out.print(trace_summary(answer), highlight=False, markup=False)
