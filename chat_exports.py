"""What an answer can be written out as, by file suffix, and a short text view of its trace.

Shared by chat's ``/code /latex /export /trace``, ``optiform solve --show`` and
``--save-code``. The model exporters themselves live in ``solvers/`` (imported when used).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.errors import InputError, OptiformError

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.solvers.formulation import Formulation

ANSWER_SUFFIX = ".answer.json"


def _pyomo(answer: Answer, f: Formulation) -> str:
    if answer.pyomo_script:
        return answer.pyomo_script
    from optiform.solvers.export_pyomo import to_pyomo_script

    return to_pyomo_script(f)


def _latex(answer: Answer, f: Formulation) -> str:
    from optiform.solvers.render import to_latex

    return to_latex(f)


def _markdown(answer: Answer, f: Formulation) -> str:
    from optiform.solvers.render import to_markdown

    return to_markdown(f)


def _json(answer: Answer, f: Formulation) -> str:
    return f.to_json() + "\n"


_EXPORTERS: dict[str, Callable[[Answer, Formulation], str]] = {
    ".json": _json, ".py": _pyomo, ".tex": _latex, ".md": _markdown,
}
_FILE_WRITERS = {".lp": "write_lp", ".mps": "write_mps"}  # solvers.export_files, via HiGHS
EXPORT_SUFFIXES: tuple[str, ...] = (*_EXPORTERS, *_FILE_WRITERS, ANSWER_SUFFIX)


def suffix_of(path: str | Path) -> str:
    name = Path(path).name.lower()
    return ANSWER_SUFFIX if name.endswith(ANSWER_SUFFIX) else Path(name).suffix


def export_text(answer: Answer, suffix: str) -> str:
    """The answer's model in the format ``suffix`` names (``.answer.json``: the whole answer)."""
    if suffix == ANSWER_SUFFIX:
        return answer.model_dump_json(indent=2) + "\n"
    exporter = _EXPORTERS.get(suffix)
    if exporter is None:
        where = "a file" if suffix in _FILE_WRITERS else "text"
        raise InputError(f"cannot export {suffix or 'without a suffix'!r} as {where}",
                         hint="use one of: " + " ".join(EXPORT_SUFFIXES))
    if answer.formulation is None:
        raise OptiformError("this answer has no formulation to export",
                            hint="the turn did not produce a model; revise the problem")
    try:
        return exporter(answer, answer.formulation)
    except OptiformError:
        raise
    except Exception as exc:  # an exporter bug is reported, not a traceback
        raise OptiformError(f"exporting to {suffix} failed: {type(exc).__name__}: {exc}",
                            hint="export the formulation as .json instead") from exc


def export_file(answer: Answer, path: str | Path) -> Path:
    """Write the answer's model (or, for ``*.answer.json``, the whole answer) to ``path``."""
    target = Path(path).expanduser()
    suffix = suffix_of(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    writer = _FILE_WRITERS.get(suffix)
    if writer is None:
        target.write_text(export_text(answer, suffix), encoding="utf-8")
        return target
    if answer.formulation is None:
        raise OptiformError("this answer has no formulation to export",
                            hint="the turn did not produce a model; revise the problem")
    from optiform.solvers import export_files

    return getattr(export_files, writer)(answer.formulation, target)


def _checks_note(checks: list[dict[str, Any]]) -> str:
    """'checks: invalid (unknown name 'demnd'), unused_numbers': each check's code, and the
    first words of the first error, which is what the next repair was told."""
    codes = ", ".join(dict.fromkeys(str(c.get("code")) for c in checks))
    error = next((c for c in checks if c.get("severity") == "error"), None)
    if error is None:
        return f"checks: {codes}"
    first = str(error.get("message", "")).splitlines()[0] if error.get("message") else ""
    return f"checks: {codes}; {error.get('code')}: {first[:70]}"


def trace_summary(answer: Answer) -> str:
    """One line per trace step: when, node, kind, seconds, tokens, outcome."""
    calls = answer.trace.llm_calls
    lines = [f"{len(answer.trace.steps)} steps, {calls} LLM call{'' if calls == 1 else 's'}, "
             f"{answer.usage.prompt_tokens} prompt + {answer.usage.completion_tokens} "
             f"completion tokens, {answer.seconds:.2f} s"]
    for s in answer.trace.steps:
        bits = [f"{s.at:7.2f}s", f"{s.node:<10}", f"{s.kind:<8}", f"{s.seconds:6.2f}s"]
        if s.usage is not None:
            bits.append(f"{s.usage.prompt_tokens}+{s.usage.completion_tokens} tok")
        if s.result:
            bits.append(f"status={s.result.get('status')} objective={s.result.get('objective')}")
        if s.checks:
            bits.append(_checks_note(s.checks))
        note = s.detail.get("message") or s.detail.get("status")
        if note:
            bits.append(str(note).splitlines()[0][:80])
        lines.append("  ".join(bits))
    return "\n".join(lines)
