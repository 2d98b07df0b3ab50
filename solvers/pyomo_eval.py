"""The scalar evaluator: walks a checked expression tree into a number or a Pyomo expression.

Loops run as Python loops over the bindings of their generators; names become Pyomo variable
data, parameter floats or the element values of the loop variables. Used by the general
(nonlinear) route, where the vectorized compiler of ``linear.py`` does not apply.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from optiform.errors import FormulationError
from optiform.solvers.data import ModelData
from optiform.solvers.expr import subscript_groups, target_names

Env = dict[str, Any]
ZERO_DENOMINATOR = "can be 0"
MAX_BINDINGS = 5_000_000  # loop bindings one expression may visit on this (Python) route


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def pyomo_abs(e: Any) -> Any:
    """|e| as a plain unary function node: SCIP's direct interface lacks AbsExpression."""
    if is_number(e):
        return abs(e)
    from pyomo.core.expr.numeric_expr import UnaryFunctionExpression

    return UnaryFunctionExpression((e,), "abs", abs)


def pyomo_max(items: list[Any]) -> Any:
    """max of expressions, exactly: max(a, b) = (a + b + |a - b|) / 2."""
    out = items[0]
    for e in items[1:]:
        out = max(out, e) if is_number(out) and is_number(e) else \
            (out + e + pyomo_abs(out - e)) / 2
    return out


def pyomo_min(items: list[Any]) -> Any:
    """min of expressions, exactly: min(a, b) = (a + b - |a - b|) / 2."""
    out = items[0]
    for e in items[1:]:
        out = min(out, e) if is_number(out) and is_number(e) else \
            (out + e - pyomo_abs(out - e)) / 2
    return out


class ScalarEvaluator:
    """Evaluates one expression text (``where``/``text`` name it in errors)."""

    def __init__(self, data: ModelData, vardata: dict[str, np.ndarray],
                 var_index: dict[str, list[str]], param_index: dict[str, list[str]],
                 where: str, text: str, warnings: list[str] | None = None) -> None:
        self.warnings = warnings if warnings is not None else []
        self._denominators: set[str] = set()  # denominators already checked for 0
        self._domains: set[str] = set()  # log and sqrt calls already checked
        self.data = data
        self.vardata = vardata  # variable -> object array of Pyomo VarData, set positions
        self.var_index = var_index
        self.param_index = param_index
        self.where = where
        self.text = text
        self.visited = 0

    def fail(self, msg: str, token: str | None = None, env: Env | None = None,
             hint: str | None = None) -> FormulationError:
        if env:
            msg += " when " + ", ".join(f"{k}={v!r}" for k, v in env.items())
        return FormulationError(msg, where=self.where, expression=self.text, token=token,
                                hint=hint)

    # -- loops ----------------------------------------------------------------------------

    def bindings(self, gens: list[ast.comprehension], env: Env) -> Iterator[Env]:
        """Every binding of the generators (in order, conditions applied), as new envs."""
        if not gens:
            yield env
            return
        g, rest = gens[0], gens[1:]
        names = target_names(g.target)
        for e in self.iter_elements(g.iter, env):
            self.visited += 1
            if self.visited > MAX_BINDINGS:
                raise self.fail(f"more than {MAX_BINDINGS:,} loop bindings",
                                hint="the general (nonlinear) route loops in Python; "
                                "make the model smaller")
            if len(names) == 1:
                inner = {**env, names[0]: e}
            else:
                if not isinstance(e, tuple) or len(e) != len(names):
                    raise self.fail(f"cannot unpack {e!r} into {len(names)} names", env=env)
                inner = {**env, **dict(zip(names, e, strict=True))}
            if all(self.condition(c, inner) for c in g.ifs):
                yield from self.bindings(rest, inner)

    def iter_elements(self, node: ast.expr, env: Env) -> list[Any]:
        if isinstance(node, ast.Name):
            return self.data.sets[node.id].elements
        bounds = []
        for a in node.args:  # type: ignore[attr-defined]
            v = self.value(a, env)
            if not is_number(v) or not float(v).is_integer():
                raise self.fail("range() bounds must be integers", token=ast.unparse(a),
                                env=env)
            bounds.append(int(v))
        if len(range(*bounds)) > MAX_BINDINGS:
            raise self.fail(f"range() with more than {MAX_BINDINGS:,} elements",
                            token=ast.unparse(node))
        return list(range(*bounds))

    # -- conditions and element values --------------------------------------------------

    def condition(self, node: ast.expr, env: Env) -> bool:
        if isinstance(node, ast.BoolOp):
            vals = (self.condition(v, env) for v in node.values)
            return all(vals) if isinstance(node.op, ast.And) else any(vals)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not self.condition(node.operand, env)
        if isinstance(node, ast.Compare):
            left = self.raw(node.left, env)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right = self.raw(right_node, env)
                if not _compare(op, left, right, self, env):
                    return False
                left = right
            return True
        raise self.fail("a condition must be a comparison such as i != j",
                        token=ast.unparse(node))

    def raw(self, node: ast.expr, env: Env) -> Any:
        """An element value or a number (for conditions and subscripts)."""
        if isinstance(node, ast.Name) and node.id in env:
            return env[node.id]
        if isinstance(node, ast.Constant):
            return node.value
        v = self.value(node, env)
        if not is_number(v):
            raise self.fail("conditions and subscripts cannot depend on variables",
                            token=ast.unparse(node))
        return v

    def positions(self, parts: list[ast.expr], sets: list[str], env: Env) -> tuple[int, ...]:
        """Set positions of a subscript; a tuple set takes one part or its components."""
        arity = {s: _arity(self.data.sets[s].elements) for s in sets}
        pos = []
        for group, s in zip(subscript_groups(parts, sets, arity), sets, strict=True):
            keys = [_key(self.raw(p, env)) for p in group]
            v = keys[0] if len(keys) == 1 else tuple(keys)
            i = self.data.sets[s].lookup.get(v)
            if i is None:
                raise self.fail(f"index {v!r} is not an element of set '{s}'",
                                token=", ".join(ast.unparse(p) for p in group), env=env,
                                hint="add a condition to for_each (e.g. 'if t > 1')")
            pos.append(i)
        return tuple(pos)

    # -- values -----------------------------------------------------------------------------

    def value(self, node: ast.expr, env: Env) -> Any:
        match node:
            case ast.Constant(value=str() as s):
                raise self.fail(f"text {s!r} used as a number", token=s)
            case ast.Constant(value=v):
                return float(v)
            case ast.Name(id=name):
                return self._name(name, env)
            case ast.Subscript():
                return self._subscript(node, env)
            case ast.BinOp(left=a, op=op, right=b):
                return self._binop(op, self.value(a, env), self.value(b, env), node, env)
            case ast.UnaryOp(op=ast.USub(), operand=a):
                return -self.value(a, env)
            case ast.UnaryOp(operand=a):
                return self.value(a, env)
            case ast.Call():
                return self._call(node, env)
        raise self.fail(f"{type(node).__name__} cannot be used as a number",
                        token=ast.unparse(node))

    def _name(self, name: str, env: Env) -> Any:
        if name in env:
            v = env[name]
            if not is_number(v):
                raise self.fail(f"element {v!r} of '{name}' is not a number", token=name)
            return float(v)
        if name in self.data.params:
            return float(self.data.params[name])
        return self.vardata[name].reshape(-1)[0]

    def _subscript(self, node: ast.Subscript, env: Env) -> Any:
        name = node.value.id  # type: ignore[attr-defined]
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name in self.data.params:
            pos = self.positions(parts, self.param_index[name], env)
            v = float(self.data.params[name][pos])
            if math.isnan(v):
                raise self.fail(f"no value given for {ast.unparse(node)}", env=env,
                                hint="give the missing value or skip it with a condition")
            return v
        return self.vardata[name][self.positions(parts, self.var_index[name], env)]

    def _binop(self, op: ast.operator, a: Any, b: Any, node: ast.AST, env: Env) -> Any:
        try:
            if isinstance(op, ast.Add):
                out = a + b
            elif isinstance(op, ast.Sub):
                out = a - b
            elif isinstance(op, ast.Mult):
                out = a * b
            elif isinstance(op, ast.Div):
                if is_number(b) and b == 0:
                    raise self.fail("division by zero", token=ast.unparse(node), env=env)
                if not is_number(b):
                    self._check_denominator(b, node)
                out = a / b
            else:
                out = a ** (int(b) if is_number(b) and float(b).is_integer() else b)
        except (OverflowError, ZeroDivisionError, ValueError) as exc:
            raise self.fail(f"cannot compute {ast.unparse(node)} ({exc})", env=env) from None
        if isinstance(out, complex) or (is_number(out) and not math.isfinite(out)):
            raise self.fail(f"{ast.unparse(node)} is not a finite real number", env=env)
        return out

    def _check_denominator(self, b: Any, node: ast.AST) -> None:
        """Warn (once per denominator text) when a denominator with variables can be 0: the
        solver may then call the model infeasible, which would be false."""
        text = ast.unparse(node.right) if isinstance(node, ast.BinOp) else ast.unparse(node)
        if text in self._denominators:
            return
        self._denominators.add(text)
        from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr

        try:
            lo, hi = compute_bounds_on_expr(b)
        except Exception:  # a node fbbt does not know (our abs): no verdict, no warning
            return
        if (lo is None or lo <= 0) and (hi is None or hi >= 0):
            self.warnings.append(
                f"{self.where}: the denominator {text} {ZERO_DENOMINATOR} (its variables' "
                "bounds allow it); bound it away from 0 or multiply through, else the solver "
                "may call the model infeasible")

    def _check_domain(self, v: Any, node: ast.Call, fn: str) -> None:
        """Warn (once per text) when the bounds of log's argument allow 0 or less, or sqrt's
        less than 0: at such a point the function is undefined, and a solver may then report
        a point that is no optimum (min log(x) over 0 <= x <= 2 came back x = 2), or a wrong
        status."""
        text = ast.unparse(node)
        if text in self._domains:  # not the denominators': y / log(x) needs both checks
            return
        self._domains.add(text)
        from pyomo.contrib.fbbt.fbbt import compute_bounds_on_expr

        try:
            lo, _hi = compute_bounds_on_expr(v)
        except Exception:  # a node fbbt does not know: no verdict, no warning
            return
        if lo is None or (lo <= 0 if fn == "log" else lo < 0):
            where = "0 or less" if fn == "log" else "below 0"
            self.warnings.append(
                f"{self.where}: the argument of {text} can be {where} (its variables' bounds "
                f"allow it), where {fn} is undefined; give it a lower bound inside its domain "
                "(e.g. lb 1e-6), else the solver may report a wrong optimum or status")

    def _call(self, node: ast.Call, env: Env) -> Any:
        import pyomo.environ as pyo

        fn = node.func.id  # type: ignore[attr-defined]
        args = node.args
        if fn == "len":
            return float(len(self.data.sets[args[0].id]))  # type: ignore[attr-defined]
        if fn == "sum" and isinstance(args[0], ast.Name):
            return self._sum_all(args[0].id)
        if len(args) == 1 and isinstance(args[0], (ast.GeneratorExp, ast.ListComp)):
            gen = args[0]
            items = [self.value(gen.elt, b) for b in self.bindings(list(gen.generators), env)]
            if fn == "sum":
                return _quicksum(items)
            if not items:
                raise self.fail(f"{fn}() over no elements", token=fn, env=env)
            return pyomo_min(items) if fn == "min" else pyomo_max(items)
        vals = [self.value(a, env) for a in args]
        if fn in ("min", "max"):
            return pyomo_min(vals) if fn == "min" else pyomo_max(vals)
        v = vals[0]
        if fn == "abs":
            return pyomo_abs(v)
        if not is_number(v):
            if fn in ("log", "sqrt"):
                self._check_domain(v, node, fn)
            return {"exp": pyo.exp, "log": pyo.log, "sqrt": pyo.sqrt}[fn](v)
        try:
            return {"exp": math.exp, "log": math.log, "sqrt": math.sqrt}[fn](v)
        except (ValueError, OverflowError):
            raise self.fail(f"{fn}({v:g}) is not defined", token=fn, env=env) from None

    def _sum_all(self, name: str) -> Any:
        if name in self.data.params:
            arr = self.data.params[name]
            if np.isnan(arr).any():
                raise self.fail(f"parameter '{name}' has missing values", token=name)
            return float(arr.sum())
        return _quicksum(list(self.vardata[name].reshape(-1)))


def _key(v: Any) -> Any:
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _arity(elements: list[Any]) -> int:
    return len(elements[0]) if elements and isinstance(elements[0], tuple) else 1


def _quicksum(items: list[Any]) -> Any:
    if not items:
        return 0.0
    if all(is_number(i) for i in items):
        return float(sum(items))
    from pyomo.environ import quicksum

    return quicksum(items)


def _compare(op: ast.cmpop, a: Any, b: Any, ev: ScalarEvaluator, env: Env) -> bool:
    try:
        match op:
            case ast.Eq():
                return bool(a == b)
            case ast.NotEq():
                return bool(a != b)
            case ast.Lt():
                return bool(a < b)
            case ast.LtE():
                return bool(a <= b)
            case ast.Gt():
                return bool(a > b)
            case ast.GtE():
                return bool(a >= b)
    except TypeError:
        raise ev.fail(f"cannot compare {a!r} with {b!r}", env=env) from None
    raise ev.fail(f"comparison {type(op).__name__} is not allowed in a condition")
