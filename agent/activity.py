"""Which constraints bind at a solution: each constraint evaluated at the solver's values.

Used only for the answer's explanation. It walks the checked expression trees from
``solvers.validate.parse_model`` (nothing is eval'd) with plain Python numbers; a constraint
that cannot be evaluated (an unusual construct) is simply left out of the report.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optiform.solvers.formulation import Formulation

TOL = 1e-6
_FUNCS = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "abs": abs}


@dataclass(frozen=True)
class Row:
    constraint: str
    key: str  # index key such as "P1" or "a,b"; "" for a scalar constraint
    lhs: float
    rhs: float
    op: str
    slack: float

    @property
    def binding(self) -> bool:
        return self.op != "==" and abs(self.slack) <= TOL * (1.0 + abs(self.lhs) + abs(self.rhs))

    @property
    def label(self) -> str:
        return f"{self.constraint}[{self.key}]" if self.key else self.constraint


class _Unsupported(Exception):
    pass


class _Eval:
    def __init__(self, f: Formulation, values: dict[str, Any], data: Any) -> None:
        self.values = values
        self.data = data
        self.params = {p.name: p for p in f.parameters}
        self.vars = {v.name for v in f.variables}
        self.arity = {name: (len(s[0]) if s and isinstance(s[0], tuple) else 1)
                      for name, s in ((n, sd.elements) for n, sd in data.sets.items())}

    def iterate(self, gens: list[ast.comprehension], env: dict[str, Any]
                ) -> Iterator[dict[str, Any]]:
        if not gens:
            yield env
            return
        g, rest = gens[0], gens[1:]
        for elem in self.iterable(g.iter, env):
            inner = dict(env)
            if isinstance(g.target, ast.Name):
                inner[g.target.id] = elem
            elif isinstance(g.target, ast.Tuple):
                parts = elem if isinstance(elem, tuple) else (elem,)
                if len(parts) != len(g.target.elts):
                    raise _Unsupported
                inner.update({t.id: p for t, p in zip(g.target.elts, parts, strict=True)
                              if isinstance(t, ast.Name)})
            if all(self.value(c, inner) for c in g.ifs):
                yield from self.iterate(rest, inner)

    def iterable(self, node: ast.expr, env: dict[str, Any]) -> list[Any]:
        if isinstance(node, ast.Name) and node.id in self.data.sets:
            return list(self.data.sets[node.id].elements)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                node.func.id == "range":
            bounds = [int(self.value(a, env)) for a in node.args]
            return list(range(*bounds))
        raise _Unsupported

    def value(self, node: ast.expr, env: dict[str, Any]) -> Any:
        match node:
            case ast.Constant(value=v):
                return v
            case ast.Name(id=name):
                if name in env:
                    return env[name]
                if name in self.params:
                    return float(self.data.params[name])
                if name in self.vars:
                    return float(self.values.get(name) or 0.0)
                raise _Unsupported
            case ast.Subscript(value=ast.Name(id=name), slice=sl):
                parts = [self.value(e, env) for e in
                         (sl.elts if isinstance(sl, ast.Tuple) else [sl])]
                return self.subscript(name, parts)
            case ast.UnaryOp(op=op, operand=x):
                v = self.value(x, env)
                return -v if isinstance(op, ast.USub) else (not v if isinstance(op, ast.Not)
                                                            else v)
            case ast.BinOp(left=a, op=op, right=b):
                x, y = self.value(a, env), self.value(b, env)
                ops = {ast.Add: lambda: x + y, ast.Sub: lambda: x - y, ast.Mult: lambda: x * y,
                       ast.Div: lambda: x / y, ast.Pow: lambda: x ** y}
                return ops[type(op)]()
            case ast.BoolOp(op=op, values=vs):
                results = [bool(self.value(v, env)) for v in vs]
                return all(results) if isinstance(op, ast.And) else any(results)
            case ast.Compare(left=a, ops=ops, comparators=cs):
                items = [self.value(a, env), *(self.value(c, env) for c in cs)]
                cmp = {ast.Eq: lambda p, q: p == q, ast.NotEq: lambda p, q: p != q,
                       ast.Lt: lambda p, q: p < q, ast.LtE: lambda p, q: p <= q,
                       ast.Gt: lambda p, q: p > q, ast.GtE: lambda p, q: p >= q}
                return all(cmp[type(o)](p, q) for o, p, q in zip(ops, items, items[1:],
                                                                  strict=False))
            case ast.Call(func=ast.Name(id=fn), args=args):
                return self.call(fn, args, env)
        raise _Unsupported

    def call(self, fn: str, args: list[ast.expr], env: dict[str, Any]) -> Any:
        if fn in ("sum", "min", "max") and len(args) == 1 and \
                isinstance(args[0], (ast.GeneratorExp, ast.ListComp)):
            gen = args[0]
            items = [self.value(gen.elt, e) for e in self.iterate(gen.generators, env)]
            return {"sum": sum, "min": min, "max": max}[fn](items) if items or fn == "sum" \
                else 0.0
        if fn == "len" and len(args) == 1 and isinstance(args[0], ast.Name):
            return len(self.data.sets[args[0].id].elements)
        vals = [self.value(a, env) for a in args]
        if fn in ("min", "max"):
            return min(vals) if fn == "min" else max(vals)
        if fn in _FUNCS and len(vals) == 1:
            return _FUNCS[fn](vals[0])
        raise _Unsupported

    def subscript(self, name: str, parts: list[Any]) -> float:
        if name in self.vars:
            table = self.values.get(name) or {}
            return float(table.get(_key(parts), 0.0)) if isinstance(table, dict) else 0.0
        if name not in self.params:
            raise _Unsupported
        pos, i = [], 0
        for set_name in self.params[name].index:
            width = self.arity.get(set_name, 1)
            elem = parts[i] if width == 1 else tuple(parts[i:i + width])
            i += width
            where = self.data.sets[set_name].lookup.get(elem)
            if where is None:
                raise _Unsupported
            pos.append(where)
        return float(self.data.params[name][tuple(pos)])


def _key(parts: list[Any]) -> str:
    """The values key of a binding, as the solvers write it (values.element_text)."""
    from optiform.solvers.values import element_text

    flat: list[Any] = []
    for p in parts:
        flat.extend(p if isinstance(p, tuple) else [p])
    return element_text(tuple(int(p) if isinstance(p, float) and p.is_integer() else p
                              for p in flat))


_OPS = {ast.LtE: "<=", ast.Lt: "<=", ast.GtE: ">=", ast.Gt: ">=", ast.Eq: "=="}


def constraint_rows(f: Formulation, values: dict[str, Any], data_dir: Path | None = None,
                    limit: int = 500) -> list[Row]:
    """Every constraint row's left side, right side and slack at ``values`` (at most
    ``limit`` rows); empty when the model's data cannot be loaded."""
    from optiform.errors import OptiformError
    from optiform.solvers.data import load_data
    from optiform.solvers.validate import parse_model

    try:
        parsed = parse_model(f)
        ev = _Eval(f, values, load_data(f, data_dir))
    except (OptiformError, ValueError, KeyError):
        return []
    rows: list[Row] = []
    for pc in parsed.constraints:
        mine: list[Row] = []
        try:
            for env in ev.iterate(pc.generators, {}):
                key = _key([env[t] for g in pc.generators for t in _targets(g.target)])
                items = [ev.value(pc.body.left, env),
                         *(ev.value(c, env) for c in pc.body.comparators)]
                for op, lhs, rhs in zip(pc.body.ops, items, items[1:], strict=False):
                    sym = _OPS[type(op)]
                    slack = rhs - lhs if sym == "<=" else lhs - rhs
                    mine.append(Row(pc.name, key, float(lhs), float(rhs), sym, float(slack)))
                if len(rows) + len(mine) >= limit:
                    break
        except (_Unsupported, ArithmeticError, KeyError, IndexError, TypeError, ValueError):
            continue
        rows.extend(mine)
        if len(rows) >= limit:
            break
    return rows[:limit]


def _targets(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple):
        return [t.id for t in target.elts if isinstance(t, ast.Name)]
    return []


def binding_constraints(f: Formulation, values: dict[str, Any],
                        data_dir: Path | None = None) -> list[str]:
    """Labels of the inequality rows that hold with equality at the solution."""
    return [r.label for r in constraint_rows(f, values, data_dir) if r.binding]
