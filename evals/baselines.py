"""The baselines of the literature: ask for a Pyomo program and run it in the sandbox.

- ``standard``: one prompt, the program run once;
- ``cot``: the same, reasoning step by step before the program;
- ``retry``: ``standard`` plus up to 3 retries (option ``retries``) fed the error message.

Each item's exchange (messages, replies, code, sandbox results) is saved as a JSON trace.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from optiform.agent.llm import Message, Usage
from optiform.errors import EvalError, SandboxError
from optiform.evals import prompts
from optiform.evals.formats import Item
from optiform.evals.strategy import ItemOutcome, StrategyContext, StrategySpec

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_SOLVER_STATUSES = {"optimal", "infeasible", "unbounded", "infeasible_or_unbounded", "time_limit"}


def extract_code(reply: str) -> str | None:
    """The program in a model reply: the last fenced Python block (an unclosed fence runs to
    the end, as when the reply was cut off); a reply with no fence that starts like Python
    counts as code. None when there is no code."""
    blocks = [
        (lang.lower(), body) for lang, body in _FENCE.findall(reply) if body.strip()
    ]
    python = [body for lang, body in blocks if lang in ("python", "py", "python3", "")]
    if python:
        with_model = [b for b in python if "model" in b]
        return (with_model or python)[-1].strip() + "\n"
    stripped = reply.strip()
    if "```" not in stripped and re.match(r"^(import |from \w|#|model\s*=)", stripped):
        return stripped + "\n"
    return None


def safe_name(item_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", item_id).strip("_") or "item"


def interpret(result: Any) -> tuple[str, float | None, str | None]:
    """``(status, objective, error)`` from a sandbox result (``SandboxResult``)."""
    sandbox_status = getattr(result, "status", "error")
    if sandbox_status != "ok":
        message = getattr(result, "message", "") or sandbox_status
        body = getattr(result, "result", None) or {}
        trace = body.get("traceback") if isinstance(body, dict) else None
        error = f"{sandbox_status}: {message}" + _more(message, trace)
        return ("timeout" if sandbox_status == "timeout" else "error"), None, error
    body = getattr(result, "result", None) or {}
    status = str(body.get("status", "error"))
    objective = body.get("objective")
    if status in _SOLVER_STATUSES:
        try:
            value = float(objective) if objective is not None else None
        except (TypeError, ValueError):
            value = None
        return status, value, None
    message = body.get("message") or "the program failed"
    trace = body.get("traceback")
    return "error", None, str(message) + _more(str(message), trace)


def _more(message: str, trace: Any) -> str:
    """The traceback to add to a message, unless the message holds it already (the sandbox
    puts the frames in both): the retry prompt is read by a slow model."""
    if not trace or "Traceback (most recent call last)" in message:
        return ""
    return f"\n{trace}"


def default_executor(settings: Any) -> Callable[[str], Any]:
    """optiform's sandbox, run in script mode with the run's time limit."""

    def run(code: str) -> Any:
        from optiform.solvers.sandbox import run_code

        limit = float(getattr(settings, "time_limit", 20.0) or 20.0)
        return run_code(code, mode="script", time_limit=min(limit, 60.0))

    return run


class CodeBaseline:
    """Prompt -> program -> sandbox, with ``retries`` more rounds fed the error."""

    def __init__(
        self,
        llm: Any,
        prompt: Callable[[str], list[Message]],
        *,
        executor: Callable[[str], Any],
        trace_dir: Path,
        retries: int = 0,
        max_tokens: int = 1024,
        temperature: float = 0.0,
        seed: int | None = 0,
    ) -> None:
        self.llm = llm
        self.prompt = prompt
        self.executor = executor
        self.trace_dir = trace_dir
        self.retries = retries
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.seed = seed

    def solve(self, item: Item) -> ItemOutcome:
        start = time.perf_counter()
        messages = self.prompt(item.question)
        usage = Usage()
        attempts: list[dict[str, Any]] = []
        status, objective, error = "error", None, None
        for attempt in range(self.retries + 1):
            completion = self.llm.complete(
                messages, temperature=self.temperature, max_tokens=self.max_tokens,
                seed=self.seed,
            )
            usage = usage + completion.usage
            code = extract_code(completion.text)
            record: dict[str, Any] = {"reply": completion.text, "code": code}
            if code is None:
                status, objective, error = "no_code", None, "the reply holds no program"
            else:
                try:
                    result = self.executor(code)
                except SandboxError:  # cannot isolate code at all: stop the run, not the item
                    raise
                except Exception as exc:  # the sandbox itself failed: record, go on
                    result = None
                    status, objective, error = "error", None, f"{type(exc).__name__}: {exc}"
                else:
                    status, objective, error = interpret(result)
                    record["sandbox"] = _jsonable(result)
            record.update(status=status, objective=objective, error=error)
            attempts.append(record)
            if status not in ("error", "no_code", "timeout") or attempt == self.retries:
                break
            messages = [
                *messages,
                Message(role="assistant", content=completion.text),
                prompts.retry_prompt(error or status),
            ]
        trace_path = self._save_trace(item, messages, attempts)
        return ItemOutcome(
            status=status,
            objective=objective,
            repair_rounds=len(attempts) - 1,
            prompt_tokens=usage.prompt_tokens,
            completion_tokens=usage.completion_tokens,
            wall_time=time.perf_counter() - start,
            trace_path=str(trace_path),
            error=error,
        )

    def _save_trace(self, item: Item, messages: list[Message], attempts: list[Any]) -> Path:
        self.trace_dir.mkdir(parents=True, exist_ok=True)
        path = self.trace_dir / f"{safe_name(item.id)}.json"
        data = {
            "item": item.id,
            "messages": [m.model_dump() for m in messages],
            "attempts": attempts,
        }
        path.write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        return path


def _jsonable(result: Any) -> Any:
    if result is None:
        return None
    dump = getattr(result, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    return {"status": getattr(result, "status", None), "result": getattr(result, "result", None),
            "message": getattr(result, "message", None)}


_PROMPTS: dict[str, Callable[[str], list[Message]]] = {
    "standard": prompts.standard_prompt,
    "retry": prompts.standard_prompt,
    "cot": prompts.cot_prompt,
}


def make_baseline(name: str, spec: StrategySpec, ctx: StrategyContext) -> CodeBaseline:
    opts = spec.opts
    unknown = set(opts) - {"retries", "max_tokens"}
    if unknown:
        raise EvalError(
            f"strategy {name!r} takes no option {', '.join(sorted(unknown))}",
            hint="baselines take retries= (retry only) and max_tokens=",
        )
    retries = int(opts.get("retries", 3)) if name == "retry" else 0
    if "retries" in opts and name != "retry":
        raise EvalError(f"only the 'retry' strategy takes retries= (not {name!r})")
    settings = ctx.settings
    return CodeBaseline(
        ctx.llm,
        _PROMPTS[name],
        executor=ctx.executor or default_executor(settings),
        trace_dir=ctx.trace_dir,
        retries=retries,
        max_tokens=int(opts.get("max_tokens", 1536 if name == "cot" else 1024)),
        temperature=float(getattr(settings, "temperature", 0.0)),
        seed=getattr(settings, "seed", 0),
    )
