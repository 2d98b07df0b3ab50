"""Plain-text views of a formulation and of how an answer changed, for the CLI and chat.

One line per model element (objective, each constraint, variable, parameter, set), in a fixed
order, so a line diff between two formulations (``difflib``) reads as "what changed":
a constraint added, a bound moved, a variable made integer. Pure functions, no I/O.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable
from typing import Any

from optiform.solvers.formulation import Formulation

_OPS = ((r"<=", "≤"), (r">=", "≥"), (r"!=", "≠"))
_FOR = re.compile(r"\bfor (\w+) in (\w+)")
MAX_MOVES = 12


def pretty(expression: str) -> str:
    """An expression with math symbols: ≤ ≥ ≠ and 'for i ∈ I'."""
    out = expression
    for op, sym in _OPS:
        out = out.replace(op, sym)
    return _FOR.sub(r"for \1 ∈ \2", out)


def _clip(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def _number(x: float | None) -> str:
    if x is None:
        return "none"
    if math.isfinite(x) and abs(x - round(x)) <= 1e-9 * max(1.0, abs(x)):
        return str(round(x))
    return f"{x:.6g}"


def _index(names: list[str]) -> str:
    return f"[{', '.join(names)}]" if names else ""


def formulation_lines(f: Formulation, *, data_width: int | None = None) -> list[str]:
    """The model as readable lines. The objective, constraints and variables are always whole
    (a reader needs all of a constraint); ``data_width`` clips the data lines, parameter values
    and set members, which can run to thousands of characters and would bury the model in an
    answer's summary (None: whole, for diffs, ``/formulation`` and ``--show formulation``)."""
    obj = f.objective
    lines = [f"{obj.sense} {pretty(obj.expression)}", "subject to"]
    if not f.constraints:
        lines.append("  (no constraints)")
    for c in f.constraints:
        head = f"{c.name}[{pretty(c.for_each).replace(' in ', ' ∈ ')}]" if c.for_each \
            else c.name
        lines.append(f"  {head}: {pretty(c.expression)}")
    lines.append("variables")
    for v in f.variables:
        bounds = []
        if v.lb is None:
            bounds.append("free")
        elif v.lb != 0 or v.ub is None:
            bounds.append(f"≥ {_number(v.lb)}")
        if v.ub is not None:
            bounds.append(f"≤ {_number(v.ub)}")
        if v.domain == "binary":
            bounds = []
        spec = " ".join(bounds)
        kind = "" if v.domain == "continuous" else f"{', ' if spec else ' '}{v.domain}"
        note = f"  ({v.description})" if v.description else ""
        lines.append(f"  {v.name}{_index(v.index)}{' ' + spec if spec else ''}{kind}" + note)
    if f.parameters:
        lines.append("parameters")
    for p in f.parameters:
        if p.value is not None:
            value = _number(p.value)
        elif p.source is not None:
            value = f"{p.source.file}:{p.source.column}"
        else:
            value = json.dumps(p.values, separators=(", ", ": "))
        lines.append(_clip(f"  {p.name}{_index(p.index)} = {value}", data_width))
    if f.sets:
        lines.append("sets")
    for s in f.sets:
        if s.source is not None:
            members = f"{s.source.file}:{s.source.column}"
        else:
            members = "{" + ", ".join(json.dumps(e) if isinstance(e, list) else str(e)
                                      for e in s.elements) + "}"
        lines.append(_clip(f"  {s.name} = {members}", data_width))
    return lines


def formulation_text(f: Formulation, *, data_width: int | None = 100) -> str:
    return "\n".join(formulation_lines(f, data_width=data_width))


def formulation_diff(old: Formulation | None, new: Formulation | None) -> list[str]:
    """Changed lines, '-' removed and '+' added (no context, no headers); empty if the same."""
    a = formulation_lines(old) if old is not None else []
    b = formulation_lines(new) if new is not None else []
    out = []
    for line in difflib.unified_diff(a, b, lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        out.append(line[0] + " " + line[1:].lstrip())
    return out


def flat_values(values: dict[str, Any]) -> dict[str, float]:
    """``{"x": {"a": 1}}`` -> ``{"x[a]": 1.0}``; non-numbers left out."""
    flat: dict[str, float] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(f"{prefix}[{k}]" if "[" not in prefix else f"{prefix[:-1]},{k}]", sub)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat[prefix] = float(v)

    for name, v in values.items():
        walk(name, v)
    return flat


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-7, abs_tol=1e-9)


def answer_moves(old: Any, new: Any, *, limit: int = MAX_MOVES) -> list[str]:
    """How the answer moved between two Answers: status, objective, changed values."""
    out: list[str] = []
    if old.status != new.status:
        out.append(f"status: {old.status} → {new.status}")
    if old.objective is not None and new.objective is not None:
        if not _close(old.objective, new.objective):
            delta = new.objective - old.objective
            pct = f", {delta / abs(old.objective):+.1%}" if old.objective else ""
            out.append(f"objective: {_number(old.objective)} → {_number(new.objective)} "
                       f"({'+' if delta > 0 else ''}{_number(delta)}{pct})")
        else:
            out.append(f"objective unchanged: {_number(new.objective)}")
    elif new.objective is not None:
        out.append(f"objective: {_number(new.objective)}")
    out.extend(_value_moves(flat_values(old.values or {}), flat_values(new.values or {}),
                            limit))
    return out


def _value_moves(a: dict[str, float], b: dict[str, float], limit: int) -> list[str]:
    moves: list[str] = []
    for key in _ordered(a, b):
        if key in a and key in b:
            if not _close(a[key], b[key]):
                moves.append(f"{key}: {_number(a[key])} → {_number(b[key])}")
        elif key in b:
            if abs(b[key]) > 1e-9:
                moves.append(f"{key}: new, {_number(b[key])}")
        elif abs(a[key]) > 1e-9:
            moves.append(f"{key}: gone (was {_number(a[key])})")
    if len(moves) > limit:
        moves = [*moves[:limit], f"... and {len(moves) - limit} more values changed"]
    return moves


def _ordered(a: Iterable[str], b: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*a, *b]))
