"""The first outcomes of learning, read from a recorded evaluation run (``library learn
--from-run DIR``) instead of solving every item again.

Learning starts by solving each item with the insights retrieval picks; an ``optiform eval
run`` of the plain ``agent`` strategy on the same split, with the same library, did exactly
that and saved each item's status, objective and trace. Only those rows are used: a run with
agent options (another library, the library off, more samples) solved a different agent.
A row answered by the library fallback (a chain written without the insights, after none
written with them reached the solver) says nothing of the insights: its item is solved again,
as learning solves, without the fallback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.errors import LibraryError

if TYPE_CHECKING:
    from optiform.library.authoring import SolveOutcome

STRATEGY = "agent"  # the label of the default agent in a run


def recorded_outcomes(run_dir: Path, items: list[Any]) -> dict[str, SolveOutcome]:
    """Item id -> the outcome the run recorded for it, for the ``items`` the run holds
    (scored again against each item's answer). A LibraryError when the folder is no run or
    holds no row of the default agent."""
    from types import SimpleNamespace

    from optiform.agent.state import Trace
    from optiform.commands.library_jobs import trace_text
    from optiform.evals.scoring import is_correct
    from optiform.evals.store import load_results
    from optiform.library.authoring import SolveOutcome

    results = run_dir / "results.jsonl"
    if not results.is_file():
        raise LibraryError(f"{run_dir} holds no results.jsonl",
                           hint="pass the --out folder of an `optiform eval run`")
    rows = {r["id"]: r for r in load_results(results) if r.get("strategy") == STRATEGY}
    if not rows:
        raise LibraryError(f"{results} has no rows of the default '{STRATEGY}' strategy",
                           hint="learn without --from-run, or run `optiform eval run "
                                "--strategy agent` on the split first")
    if items and not any(item.id in rows for item in items):
        ran = _run_info(run_dir).get("dataset") or {}
        raise LibraryError(f"{run_dir} holds none of the {len(items)} items to learn from "
                           f"(it ran {ran.get('name', '?')}:{ran.get('split', '?')})",
                           hint="pass the folder of a run of this data set and split")
    out: dict[str, SolveOutcome] = {}
    for item in items:
        row = rows.get(item.id)
        if row is None:
            continue
        status, objective = str(row.get("status") or "error"), row.get("objective")
        trace = None
        if row.get("trace_path") and (run_dir / row["trace_path"]).is_file():
            try:
                trace = Trace.model_validate_json((run_dir / row["trace_path"]).read_text())
            except ValueError:
                trace = None  # a broken trace file costs only the diagnosis its detail
        if row.get("fallback") or (trace is not None and
                                   any(s.node == "plain" for s in trace.steps)):
            continue
        answer = SimpleNamespace(status=status, objective=objective, message=row.get("error"),
                                 formulation=_answered(trace, objective), trace=trace,
                                 checks=None)
        out[item.id] = SolveOutcome(correct=is_correct(objective, item.answer, status),
                                    status=status, objective=objective, trace=trace_text(answer))
    return out


def _run_info(run_dir: Path) -> dict[str, Any]:
    import json

    try:
        info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def library_note(run_dir: Path, library: dict[str, Any] | None) -> str | None:
    """A note when the run's default agent retrieved from another library than ``library``
    (``evals.provenance.library_info`` of the library learning uses) or from none: its
    first outcomes are then not what learning would get. A library that learning has grown
    since the run differs too, which the note says."""
    from optiform.evals.provenance import library_text

    entries = [e for e in _run_info(run_dir).get("strategies") or []
               if isinstance(e, dict) and e.get("label") == STRATEGY and "library" in e]
    if not entries:
        return None
    ran = entries[0]["library"]
    if (ran or {}).get("sha256") == (library or {}).get("sha256"):
        return None
    return (f"the run retrieved from {library_text(ran)}; learning retrieves from "
            f"{library_text(library)}: the recorded outcomes are another library's (or this "
            "one's before the insights learned since)")


def _answered(trace: Any, objective: float | None) -> Any:
    """The formulation of the attempt whose solve gave the answer's objective, when the trace
    shows one (else None, and the trace's last formulation is used)."""
    if trace is None or objective is None:
        return None
    from optiform.solvers.formulation import Formulation

    written = {s.attempt: s.formulation for s in trace.steps
               if s.formulation is not None and s.attempt is not None}
    for s in reversed(trace.steps):
        result = s.result or {}
        if s.kind == "solve" and result.get("objective") == objective and s.attempt in written:
            try:
                return Formulation.model_validate(written[s.attempt])
            except ValueError:
                return None
    return None
