"""What the runner needs from a way of solving an item, and the registry of strategies.

A strategy is built once per run from a :class:`StrategySpec` (name + options, written
``agent`` or ``agent:samples=3,max_repairs=1`` on the command line) and a
:class:`StrategyContext` (the shared LLM, settings and trace folder). ``solve(item)`` returns
an :class:`ItemOutcome`; it should not raise for a failed item (the runner records an
exception as an ``error`` outcome anyway).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from optiform.errors import EvalError
from optiform.evals.formats import Item

#: Outcome statuses: the solver's vocabulary, plus ``error`` (code failed or the agent gave
#: up), ``no_code`` (the reply held no program) and ``timeout`` (the sandbox wall limit).
OUTCOME_STATUSES = (
    "optimal",
    "infeasible",
    "unbounded",
    "infeasible_or_unbounded",
    "time_limit",
    "error",
    "no_code",
    "timeout",
)


class ItemOutcome(BaseModel):
    status: str
    objective: float | None = None
    repair_rounds: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_time: float | None = None
    """Seconds; the runner measures it when the strategy leaves it None."""
    trace_path: str | None = None
    error: str | None = None
    source: str | None = None
    """How the answer was made, for strategies that say (the agent: formulate, repair,
    autofix, plain (the library fallback's first model), code)."""
    fallback: bool = False
    """The agent's answer came from the library fallback (a chain without insights)."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class Strategy(Protocol):
    def solve(self, item: Item) -> ItemOutcome: ...


@dataclass
class StrategyContext:
    llm: Any
    settings: Any
    trace_dir: Path
    executor: Callable[..., Any] | None = None
    """Runs code in the sandbox (``run_code``); None means optiform's own sandbox."""


StrategyFactory = Callable[["StrategySpec", StrategyContext], Strategy]

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass(frozen=True)
class StrategySpec:
    name: str
    options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, text: str) -> StrategySpec:
        """``name`` or ``name:key=value,key=value`` (values: ints, floats, true/false, text)."""
        name, _, rest = text.strip().partition(":")
        name = name.strip().lower()
        if not _NAME.match(name):
            raise EvalError(f"bad strategy {text!r}", hint="write NAME or NAME:key=value,...")
        options: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in rest.split(","))):
            key, eq, value = part.partition("=")
            if not eq or not key.strip():
                raise EvalError(f"bad strategy option {part!r} in {text!r}", hint="key=value")
            options[key.strip().replace("-", "_")] = _parse_value(value.strip())
        return cls(name, tuple(sorted(options.items())))

    def with_defaults(self, defaults: dict[str, Any]) -> StrategySpec:
        # a whole float as an int: --time-budget 120 is the same strategy as time_budget=120
        merged = {k: whole(v) for k, v in defaults.items() if v is not None}
        merged.update(dict(self.options))
        return StrategySpec(self.name, tuple(sorted(merged.items())))

    @property
    def opts(self) -> dict[str, Any]:
        return dict(self.options)

    @property
    def label(self) -> str:
        if not self.options:
            return self.name
        return self.name + ":" + ",".join(f"{k}={_show(v)}" for k, v in self.options)

    def config_hash(self, extra: dict[str, Any]) -> str:
        """Short hash of everything that changes this strategy's answers."""
        payload = {"strategy": self.name, "options": self.opts, **extra}
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def _parse_value(text: str) -> Any:
    low = text.lower()
    if low in ("true", "on", "yes"):
        return True
    if low in ("false", "off", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def whole(value: Any) -> Any:
    """A float with no fraction as an int (120.0 -> 120); anything else as it is."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _baseline(name: str) -> StrategyFactory:
    def factory(spec: StrategySpec, ctx: StrategyContext) -> Strategy:
        from optiform.evals.baselines import make_baseline

        return make_baseline(name, spec, ctx)

    return factory


def _agent(spec: StrategySpec, ctx: StrategyContext) -> Strategy:
    from optiform.evals.agent_strategy import AgentStrategy

    return AgentStrategy(spec, ctx)


STRATEGIES: dict[str, StrategyFactory] = {
    "standard": _baseline("standard"),
    "cot": _baseline("cot"),
    "retry": _baseline("retry"),
    "agent": _agent,
}

#: Options each built-in strategy takes from the run's --samples/--max-repairs/... flags.
AGENT_OPTIONS = ("samples", "max_repairs", "code_strategy", "time_budget")


def build_strategy(
    spec: StrategySpec,
    ctx: StrategyContext,
    factories: dict[str, StrategyFactory] | None = None,
) -> Strategy:
    return strategy_factory(spec, factories)(spec, ctx)


def strategy_factory(spec: StrategySpec,
                     factories: dict[str, StrategyFactory] | None = None) -> StrategyFactory:
    """The factory of a strategy name; an EvalError naming the known ones when there is none
    (checked before a run writes anything to its folder)."""
    table = {**STRATEGIES, **(factories or {})}
    factory = table.get(spec.name)
    if factory is None:
        raise EvalError(
            f"unknown strategy {spec.name!r}", hint=f"choose from: {', '.join(sorted(table))}"
        )
    return factory
