"""The graph's injected dependencies (LLM, solver, exporter, sandbox, insights) and options,
plus the one helper every node uses to call the LLM and record the call in the trace.
"""

from __future__ import annotations

import dataclasses
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.agent.budget import deadline, llm_deadline
from optiform.agent.events import emit
from optiform.agent.insights import EmptyInsightSource, InsightSource
from optiform.agent.llm import LLM, Completion, Message, Usage
from optiform.agent.prompts import estimate_tokens, messages_tokens
from optiform.errors import ConfigError, InputError, OutOfTimeError

if TYPE_CHECKING:
    from optiform.config import Settings
    from optiform.errors import LLMOutputError
    from optiform.solvers.formulation import Formulation
    from optiform.solvers.result import SolveResult

SolveFn = Callable[..., "SolveResult"]
"""``solve(formulation, *, solver, time_limit, mip_gap, data_dir) -> SolveResult``."""
ExportFn = Callable[..., str]
"""``export(formulation, data_dir=None) -> str`` (a standalone Pyomo script)."""
RunCodeFn = Callable[..., Any]
"""``run_code(code, *, data, mode, limits, solver, time_limit) -> SandboxResult``."""


def default_solve(f: Formulation, **kwargs: Any) -> SolveResult:
    from optiform.solvers.api import solve_formulation

    return solve_formulation(f, **kwargs)


def default_export(f: Formulation, data_dir: Path | None = None) -> str:
    from optiform.solvers.export_pyomo import to_pyomo_script

    return to_pyomo_script(f, data_dir=data_dir)


def default_run_code(code: str, **kwargs: Any) -> Any:
    from optiform.solvers.sandbox import run_code

    return run_code(code, **kwargs)


def sandbox_limits(values: dict[str, Any]) -> Any:
    """A ``SandboxLimits`` from plain values (None when there are none: the defaults)."""
    if not values:
        return None
    from optiform.solvers.sandbox import SandboxLimits

    return SandboxLimits(**values)


@dataclass
class Deps:
    """Everything a node needs besides the state. Tests inject fakes for each callable."""

    llm: LLM
    solve: SolveFn = default_solve
    export: ExportFn | None = default_export
    run_code: RunCodeFn | None = default_run_code
    insights: InsightSource = field(default_factory=EmptyInsightSource)
    max_repairs: int = 3
    samples: int = 1
    formulation_shape: str = "auto"
    autofix: bool = True
    mend: bool = True
    code_strategy: bool = False
    library_fallback: bool = True
    guidance: str = ""
    top_k: int = 4
    temperature: float = 0.0
    sample_temperature: float = 0.7
    seed: int = 0
    solver: str = "auto"
    time_limit: float = 60.0
    time_budget: float | None = None  # seconds per turn (agent/budget.py); None: unbounded
    mip_gap: float = 1e-6
    code_time_limit: float = 20.0
    sandbox_limits: dict[str, Any] = field(default_factory=dict)  # SandboxLimits fields
    max_problem_chars: int = 12000
    formulation_max_tokens: int = 1200
    code_max_tokens: int = 1200
    stream_tokens: bool = False

    def shape(self, *, tables: bool, text: str = "") -> str:
        return formulation_shape(self.formulation_shape, tables=tables, text=text)

    @classmethod
    def from_settings(cls, settings: Settings, *, llm: LLM, **overrides: Any) -> Deps:
        values: dict[str, Any] = {
            "max_repairs": settings.max_repairs,
            "samples": settings.samples,
            "formulation_shape": settings.formulation_shape,
            "autofix": settings.autofix,
            "mend": settings.mend,
            "code_strategy": settings.code_strategy,
            "library_fallback": settings.library_fallback,
            "guidance": guidance_text(settings),
            "top_k": settings.top_k if settings.library else 0,
            "temperature": settings.temperature,
            "seed": settings.seed,
            "solver": settings.solver,
            "time_limit": settings.time_limit,
            "time_budget": settings.time_budget,
            "mip_gap": settings.mip_gap,
            "code_time_limit": min(settings.time_limit, settings.sandbox_timeout),
            "sandbox_limits": {"wall_seconds": settings.sandbox_timeout,
                               "cpu_seconds": settings.sandbox_timeout,
                               "memory_mb": settings.sandbox_memory_mb,
                               "network": settings.sandbox_network},
            "max_problem_chars": settings.max_problem_chars,
        }
        given = {k: v for k, v in overrides.items() if v is not None}
        values.update(check_options(given, {f.name for f in dataclasses.fields(cls)} - {"llm"}))
        return cls(llm=llm, **values)


def formulation_shape(configured: str, *, tables: bool, text: str = "") -> str:
    """The shape of formulation to ask for: indexed when tables are attached (their columns
    are read as parameters) or the text asks for a decision for each pair of two groups
    (``agent.pair_text``), else the shorter scalar shape, unless configured."""
    if configured in ("scalar", "indexed"):
        return configured
    if tables:
        return "indexed"
    from optiform.agent.pair_text import pairwise

    return "indexed" if pairwise(text) else "scalar"


def guidance_text(settings: Settings) -> str:
    """The guidance for the prompts: ``settings.guidance``, else the text of
    ``settings.guidance_file``; a ConfigError naming the file when it cannot be used."""
    if settings.guidance.strip() or settings.guidance_file is None:
        return settings.guidance.strip()
    from optiform.config import GUIDANCE_MAX_CHARS

    path = settings.guidance_file
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the guidance file {path}: {exc}",
                         hint="give the path of a text file, such as the best.txt of "
                              "`optiform tune`, or unset OPTIFORM_GUIDANCE_FILE") from exc
    if len(text) > GUIDANCE_MAX_CHARS:
        raise ConfigError(f"the guidance file {path} holds {len(text)} characters; at most "
                         f"{GUIDANCE_MAX_CHARS} fit in every prompt",
                         hint="shorten it to a few sentences")
    return text


def check_options(options: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """``options`` as the settings of the same names read them (``"2"`` -> 2, ``"no"`` ->
    False); an InputError for an option the agent does not know, or a value such a setting
    would refuse (``max_repairs="x"`` failed deep in the graph)."""
    out = dict(options)
    from typing import Annotated, get_args

    from pydantic import TypeAdapter, ValidationError

    from optiform.config import Settings

    for name, value in options.items():
        if name not in known:
            from optiform.solvers.expr import suggest

            close = suggest(name, sorted(known))
            raise InputError(f"unknown option {name!r}",
                             hint=f"did you mean {close!r}?" if close
                             else "options: " + ", ".join(sorted(known)))
        spec = Settings.model_fields.get(name)
        if spec is None:
            continue
        if isinstance(value, bool) and bool not in (get_args(spec.annotation)
                                                    or (spec.annotation,)):
            raise InputError(f"option {name}={value!r}: {name} is not a yes-or-no setting",
                             hint=spec.description)  # True would have been read as 1
        try:
            kind = Annotated[spec.annotation, *spec.metadata] if spec.metadata \
                else spec.annotation
            out[name] = TypeAdapter(kind).validate_python(value)
        except ValidationError as exc:
            raise InputError(f"option {name}={value!r}: {exc.errors()[0]['msg']}",
                             hint=spec.description) from None
    return out


def _stream_accepts_schema(llm: LLM) -> bool:
    try:
        return "schema" in inspect.signature(llm.stream).parameters
    except (TypeError, ValueError):
        return False


def call_llm(deps: Deps, node: str, messages: list[Message], *, started: float,
             schema: dict[str, Any] | None = None, temperature: float | None = None,
             seed: int | None = None, max_tokens: int = 1024,
             attempt: int | None = None) -> tuple[Completion, dict[str, Any]]:
    """Call the LLM (streaming tokens as events when asked) and return the completion and its
    trace step. LLM errors propagate: the caller decides which ones a repair can fix."""
    temp = deps.temperature if temperature is None else temperature
    seed = deps.seed if seed is None else seed
    emit("llm_call", node, prompt_tokens=messages_tokens(messages), attempt=attempt)
    t0 = time.perf_counter()
    with llm_deadline(deadline(started, deps.time_budget)):
        if deps.stream_tokens and (schema is None or _stream_accepts_schema(deps.llm)):
            completion = _streamed(deps, node, messages, schema, temp, seed, max_tokens)
        else:
            completion = deps.llm.complete(messages, schema=schema, temperature=temp,
                                           max_tokens=max_tokens, seed=seed)
            if deps.stream_tokens:
                emit("token", node, text=completion.text)
    seconds = time.perf_counter() - t0
    step = {
        "node": node, "kind": "llm", "at": round(time.time() - started - seconds, 4),
        "seconds": round(seconds, 4), "attempt": attempt,
        "messages": [m.model_dump() for m in messages], "reply": completion.text,
        "usage": completion.usage.model_dump(),
        "detail": {"model": completion.model, "temperature": temp, "seed": seed,
                   "schema": schema is not None, "finish_reason": completion.finish_reason},
    }
    return completion, step


def _streamed(deps: Deps, node: str, messages: list[Message], schema: dict[str, Any] | None,
              temperature: float, seed: int, max_tokens: int) -> Completion:
    kwargs: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed}
    if schema is not None:
        kwargs["schema"] = schema
    pieces = []
    for piece in deps.llm.stream(messages, **kwargs):
        pieces.append(piece)
        emit("token", node, text=piece)
    text = "".join(pieces)
    data = None
    if schema is not None:
        from optiform.agent.jsonout import parse_json

        data = parse_json(text)
    usage = Usage(prompt_tokens=messages_tokens(messages), completion_tokens=estimate_tokens(text))
    return Completion(text=text, data=data, usage=usage, model=getattr(deps.llm, "name", ""))


def step(node: str, kind: str, *, started: float, seconds: float = 0.0, **fields: Any
         ) -> dict[str, Any]:
    """A trace step dict for things other than LLM calls."""
    return {"node": node, "kind": kind, "at": round(time.time() - started - seconds, 4),
            "seconds": round(seconds, 4), **fields}


def failed_call_step(node: str, exc: LLMOutputError, *, started: float, attempt: int | None,
                     detail: dict[str, Any]) -> dict[str, Any]:
    """The trace note of an LLM call whose answer was unusable: its tokens and seconds count."""
    usage = exc.usage.model_dump() if hasattr(exc.usage, "model_dump") else None
    if isinstance(exc, OutOfTimeError):
        detail = {**detail, "time_budget_cut": True}
    return step(node, "note", started=started, seconds=exc.latency, attempt=attempt,
                usage=usage, detail={**detail, "message": exc.message})
