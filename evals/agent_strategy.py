"""The ``agent`` strategy: optiform's full graph through the public ``Assistant``.

Options (``agent:samples=3,max_repairs=1,code_strategy=on`` or the run's --samples,
--max-repairs and --code-strategy flags) are any Settings fields, applied as overrides.
One Assistant per worker thread, all sharing the run's LLM.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from optiform.errors import EvalError, OptiformError, is_fatal
from optiform.evals.baselines import safe_name
from optiform.evals.formats import Item
from optiform.evals.strategy import ItemOutcome, StrategyContext, StrategySpec


def settings_with(settings: Any, options: dict[str, Any]) -> Any:
    """``settings`` with ``options`` applied, validated field by field."""
    from optiform.config import Settings, load_settings

    fields = Settings.model_fields
    unknown = sorted(set(options) - set(fields))
    if unknown:
        raise EvalError(
            f"agent option(s) {', '.join(unknown)} are not settings",
            hint="use settings names such as samples, max_repairs, code_strategy, library",
        )
    from pydantic import ValidationError

    from optiform.errors import ConfigError

    merged = settings.model_dump() if settings is not None else {}
    merged.update(options)
    try:
        return Settings.model_validate(merged) if settings is not None else load_settings(
            **options)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        raise EvalError(f"invalid agent option {name}={options.get(name, '')!s}: "
                        f"{first['msg']}", hint=f"e.g. agent:{name}=... with a value of "
                                                "its type (`optiform model settings` lists "
                                                "them)") from None
    except ConfigError as exc:  # load_settings names the setting already
        if not any(f"'{name}'" in exc.message for name in options):
            raise  # the environment or the config file, not an option of this strategy
        raise EvalError(f"invalid agent option: {exc.message.removeprefix('invalid setting ')}",
                        hint="`optiform model settings` lists the settings and their "
                             "values") from None


class AgentStrategy:
    def __init__(self, spec: StrategySpec, ctx: StrategyContext) -> None:
        from optiform.agent.deps import guidance_text

        self.settings = settings_with(ctx.settings, spec.opts)
        guidance_text(self.settings)  # an unreadable guidance file stops the run, not each item
        self.llm = ctx.llm
        self.trace_dir = ctx.trace_dir
        self._local = threading.local()

    def _assistant(self) -> Any:
        assistant = getattr(self._local, "assistant", None)
        if assistant is None:
            from optiform.api import Assistant

            assistant = Assistant(settings=self.settings, llm=self.llm)
            self._local.assistant = assistant
        return assistant

    def solve(self, item: Item) -> ItemOutcome:
        start = time.perf_counter()
        try:
            answer = self._assistant().solve(item.question)
        except OptiformError as exc:
            if is_fatal(exc):
                raise
            return ItemOutcome(
                status="error", error=str(exc), wall_time=time.perf_counter() - start
            )
        wall = time.perf_counter() - start
        trace_path = None
        save = getattr(answer, "save_trace", None)
        if callable(save):
            self.trace_dir.mkdir(parents=True, exist_ok=True)
            path = self.trace_dir / f"{safe_name(item.id)}.json"
            save(path)
            trace_path = str(path)
        status = getattr(answer.status, "value", answer.status)
        usage = getattr(answer, "usage", None)
        objective = answer.objective
        return ItemOutcome(
            status=str(status),
            objective=float(objective) if objective is not None else None,
            repair_rounds=int(getattr(answer, "repair_rounds", 0) or 0),
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            wall_time=wall,
            trace_path=trace_path,
            error=_answer_error(answer, str(status)),
            source=str(getattr(answer, "source", "") or "") or None,
            fallback=bool(getattr(answer, "fallback", False)),
        )


def _answer_error(answer: Any, status: str) -> str | None:
    if status == "optimal":
        return None
    for attr in ("error", "message"):
        value = getattr(answer, attr, None)
        if value:
            return str(value)
    return None
