"""The vectorized evaluator: walks a checked expression tree into array-valued Lin/Quad values.

Each loop (a ``for_each`` variable or a generator inside ``sum``) gets its own array axis; the
evaluator binds loop names to arrays of element values laid along their axis. Anything that is
not affine (or quadratic in an objective) raises ``NonLinear`` and the caller takes the
general route (Pyomo) instead.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from optiform.errors import FormulationError
from optiform.solvers import algebra as al
from optiform.solvers.algebra import Lin, NonLinear, Val
from optiform.solvers.data import ModelData
from optiform.solvers.expr import subscript_groups, target_names

MAX_AXES = 48
MAX_RANGE = 1_000_000  # elements of one range()
MAX_CELLS = 50_000_000  # bindings of the loops open at once (the size of the arrays built)


@dataclass
class VarBlock:
    name: str
    index: list[str]
    base: int
    shape: tuple[int, ...]
    integer: bool
    labels: list[list[Any]] = field(default_factory=list)  # elements of each index set

    @cached_property
    def keys(self) -> list[str]:
        """Index keys in column order: elements joined by ','."""
        from optiform.solvers.values import product_keys

        return product_keys(self.labels) if self.index else [""]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 1


@dataclass
class Loop:
    """A bound loop variable: element values along an axis (or a tuple component of them)."""

    axis: int
    values: np.ndarray  # element values laid along ``axis``
    set_name: str | None  # the set looped over, when its positions equal the axis positions
    component: int = -1  # for (i, j) in A: which tuple component of ``tuple_set`` this is
    tuple_set: str | None = None


@dataclass
class Axes:
    """Axis numbers of one expression tree, assigned before evaluation."""

    of: dict[int, int] = field(default_factory=dict)  # id(node) -> axis
    count: int = 0

    def assign(self, node: ast.AST) -> int:
        self.of[id(node)] = self.count
        self.count += 1
        return self.count - 1


def count_axes(nodes: list[ast.AST], axes: Axes | None = None) -> Axes:
    axes = axes or Axes()
    for root in nodes:
        for node in ast.walk(root):
            sum_all = (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                       and node.func.id == "sum" and len(node.args) == 1
                       and isinstance(node.args[0], ast.Name))
            if isinstance(node, ast.comprehension) or sum_all:
                axes.assign(node)
    if axes.count > MAX_AXES:
        raise NonLinear("too many nested loops for the vectorized route")
    return axes


class Evaluator:
    def __init__(self, data: ModelData, blocks: dict[str, VarBlock], axes: Axes,
                 where: str, text: str, param_index: dict[str, list[str]]) -> None:
        self.data = data
        self.param_index = param_index
        self.blocks = blocks
        self.axes = axes
        self.nd = axes.count
        self.where = where
        self.text = text
        self.sizes = [1] * self.nd
        self.loops: dict[str, Loop] = {}
        # undefined values met while evaluating (message, where): read only on the error path
        self.issues: list[tuple[str, np.ndarray]] = []

    def fail(self, msg: str, token: str | None = None,
             hint: str | None = None) -> FormulationError:
        return FormulationError(msg, where=self.where, expression=self.text, token=token,
                                hint=hint)

    # -- loops ----------------------------------------------------------------------------

    def bind(self, gen: ast.comprehension) -> tuple[int, np.ndarray]:
        """Bind a generator's target names; return (axis, condition mask)."""
        axis = self.axes.of[id(gen)]
        elements, set_name = self._iter_elements(gen.iter)
        n = len(elements)
        self.sizes[axis] = n
        open_axes = {loop.axis for loop in self.loops.values()} | {axis}
        if int(np.prod([self.sizes[a] for a in open_axes], dtype=float)) > MAX_CELLS:
            raise self.fail(f"the nested loops here have more than {MAX_CELLS:,} combinations",
                            token=ast.unparse(gen.iter))
        names = target_names(gen.target)
        if len(names) == 1:
            vals = _obj_array(elements)
            self.loops[names[0]] = Loop(axis, al.along(vals, axis, self.nd), set_name)
        else:
            for c, name in enumerate(names):
                comp = _obj_array([e[c] for e in elements])
                self.loops[name] = Loop(axis, al.along(comp, axis, self.nd), None, c,
                                        set_name)
        mask = np.ones((1,) * self.nd, dtype=bool)
        for cond in gen.ifs:
            mask = mask & self.condition(cond)
        return axis, mask

    def _iter_elements(self, node: ast.expr) -> tuple[list[Any], str | None]:
        if isinstance(node, ast.Name):
            return self.data.sets[node.id].elements, node.id
        args = [self.scalar_int(a) for a in node.args]  # type: ignore[attr-defined]
        if len(range(*args)) > MAX_RANGE:
            raise self.fail(f"range() with more than {MAX_RANGE:,} elements",
                            token=ast.unparse(node))
        return list(range(*args)), None

    def scalar_int(self, node: ast.expr) -> int:
        v = self.value(node)
        if not (isinstance(v, Lin) and v.is_const and v.const.size == 1):
            raise self.fail("range() bounds must be numbers, not loop variables or "
                            "variables", token=ast.unparse(node),
                            hint="to run up to a loop variable, filter its set: "
                                 "'sum(x[s] for s in T if s <= t)'")
        f = float(v.const.reshape(-1)[0])
        if not np.isfinite(f) or not f.is_integer() or bool(np.any(v.bad)):
            raise self.fail(f"range() bound {f:g} is not an integer", token=ast.unparse(node))
        return int(f)

    def unbind(self, gen: ast.comprehension, saved: dict[str, Loop]) -> None:
        for name in target_names(gen.target):
            if name in saved:
                self.loops[name] = saved[name]
            else:
                self.loops.pop(name, None)

    # -- values ---------------------------------------------------------------------------

    def condition(self, node: ast.expr) -> np.ndarray:
        """Where a condition holds. A parameter with no value makes a comparison undecided;
        ``and``/``or`` read their operands left to right as Python does (an earlier one that
        is surely false, or surely true, decides, so the SCIP route, which runs Python, reads
        it alike); a condition left undecided anywhere is an error, never a silent False that
        would drop the rows it guards."""
        before = len(self.issues)
        mask, unknown = self._condition(node)
        if np.any(unknown):
            missing = next((m for m, _ in self.issues[before:] if "no value" in m),
                           "a value it reads is missing")
            raise self.fail(f"{missing}, so the condition '{ast.unparse(node)}' cannot be "
                            "decided for every element", token=ast.unparse(node)[:40],
                            hint="give the parameter a value for every element the condition "
                                 "reads, or test first what decides it ('if has[i] == 1 and "
                                 "p[i] > 0')")
        return mask

    def _condition(self, node: ast.expr) -> tuple[np.ndarray, np.ndarray]:
        """(holds, undecided) of a condition, as arrays over the loop axes."""
        if isinstance(node, ast.BoolOp):
            conj = isinstance(node.op, ast.And)
            out, unknown, open_ = np.asarray(conj), np.asarray(False), np.asarray(True)
            for operand in node.values:  # left to right, as Python short-circuits
                x, u = self._condition(operand)
                unknown = unknown | (open_ & u)  # read only where no earlier one decided
                out = (out & x) if conj else (out | x)
                # and: goes on where this one is surely true; or: where surely false
                open_ = open_ & ~u & (x if conj else ~x)
            return out, unknown
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            out, unknown = self._condition(node.operand)
            return ~out, unknown
        if isinstance(node, ast.Compare):
            left, unknown = self._raw_with_bad(node.left)
            out = np.asarray(True)
            for op, right_node in zip(node.ops, node.comparators, strict=True):
                right, bad = self._raw_with_bad(right_node)
                unknown = unknown | bad
                try:
                    out = out & _compare(op, left, right)
                except TypeError:
                    raise self.fail("cannot compare text with a number here",
                                    token=ast.unparse(node)[:40]) from None
                left = right
            return np.asarray(out, dtype=bool), np.asarray(unknown, dtype=bool)
        raise self.fail("a condition must be a comparison such as i != j",
                        token=ast.unparse(node))

    def _raw_with_bad(self, node: ast.expr) -> tuple[np.ndarray, np.ndarray]:
        """``raw`` and where its value is missing (a parameter with no value there)."""
        looped = isinstance(node, ast.Name) and node.id in self.loops
        if looped or isinstance(node, ast.Constant):
            return self.raw(node), np.asarray(False)
        v = self.value(node)
        if not (isinstance(v, Lin) and v.is_const):
            raise self.fail("conditions and subscripts cannot depend on variables",
                            token=ast.unparse(node))
        return v.const, np.asarray(v.bad, dtype=bool)

    def raw(self, node: ast.expr) -> np.ndarray:
        """Element values (for conditions and subscripts), numbers as float arrays."""
        if isinstance(node, ast.Name) and node.id in self.loops:
            return self.loops[node.id].values
        if isinstance(node, ast.Constant):
            return np.asarray(node.value, dtype=object if isinstance(node.value, str) else float)
        v = self.value(node)
        if not (isinstance(v, Lin) and v.is_const):
            raise self.fail("conditions and subscripts cannot depend on variables",
                            token=ast.unparse(node))
        return v.const

    def value(self, node: ast.expr) -> Val:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                raise self.fail(f"text {node.value!r} used as a number", token=node.value)
            return al.const(float(node.value))
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.BinOp):
            a, b = self.value(node.left), self.value(node.right)
            if isinstance(node.op, ast.Add):
                return al.add(a, b)
            if isinstance(node.op, ast.Sub):
                return al.sub(a, b)
            if isinstance(node.op, ast.Mult):
                return al.mul(a, b)
            if isinstance(node.op, ast.Div):
                return al.div(a, b)
            return al.power(a, b, summed_axes=self._has_summed(a))
        if isinstance(node, ast.UnaryOp):
            v = self.value(node.operand)
            return al.neg(v) if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Call):
            return self._call(node)
        raise NonLinear(f"{type(node).__name__} in an algebraic expression")

    def _has_summed(self, v: Val) -> bool:
        bound = {loop.axis for loop in self.loops.values()}
        lin = v.lin if isinstance(v, al.Quad) else v
        for _, col in lin.terms:
            for ax in range(col.ndim):
                if col.shape[ax] > 1 and ax not in bound:
                    return True
        return False

    def _name(self, name: str) -> Val:
        if name in self.loops:
            vals = self.loops[name].values
            try:
                return al.const(vals.astype(float))
            except (TypeError, ValueError):
                raise self.fail(f"element of '{name}' is text, not a number",
                                token=name) from None
        if name in self.data.params:
            arr = self.data.params[name]
            return al.const(np.nan_to_num(arr), np.isnan(arr))
        block = self.blocks[name]
        return al.var(np.asarray(block.base).reshape((1,) * self.nd))

    def _positions(self, node: ast.expr, set_name: str) -> tuple[np.ndarray, np.ndarray]:
        sd = self.data.sets[set_name]
        if isinstance(node, ast.Name) and node.id in self.loops:
            loop = self.loops[node.id]
            if loop.set_name == set_name:
                n = len(sd)
                return (al.along(np.arange(n), loop.axis, self.nd), np.asarray(False))
        if isinstance(node, ast.Tuple):
            raise self.fail("nested tuples are not supported in subscripts")
        if isinstance(node, ast.Constant) and _key(node.value) not in sd.lookup:
            from optiform.solvers.expr import suggest

            raise FormulationError(
                f"{node.value!r} is not an element of set '{set_name}'", where=self.where,
                expression=self.text, token=repr(node.value),
                suggestion=suggest(str(node.value), [str(e) for e in sd.elements]))
        vals = self.raw(node)
        lookup = sd.lookup
        flat = vals.reshape(-1)
        pos = np.fromiter((lookup.get(_key(v), -1) for v in flat), dtype=np.int64,
                          count=flat.size).reshape(vals.shape)
        return self._checked(pos, ast.unparse(node), set_name)

    def _checked(self, pos: np.ndarray, text: str, set_name: str
                 ) -> tuple[np.ndarray, np.ndarray]:
        bad = pos < 0
        if bad.any():
            self.issues.append((f"{text} is not an element of set '{set_name}'", bad))
        return np.where(bad, 0, pos), bad

    def _tuple_positions(self, parts: list[ast.expr], set_name: str
                         ) -> tuple[np.ndarray, np.ndarray]:
        """Positions in a set of tuples from its components, e.g. f[i, j] for (i, j) in A."""
        sd = self.data.sets[set_name]
        loops = [self.loops.get(p.id) if isinstance(p, ast.Name) else None for p in parts]
        if all(lp is not None and lp.tuple_set == set_name and lp.component == c
               and lp.axis == loops[0].axis for c, lp in enumerate(loops)):  # type: ignore
            return al.along(np.arange(len(sd)), loops[0].axis, self.nd), np.asarray(False)
        comps = np.broadcast_arrays(*(self.raw(p) for p in parts))
        lookup = sd.lookup
        flats = [c.reshape(-1) for c in comps]
        keys = zip(*flats, strict=True)
        pos = np.fromiter((lookup.get(tuple(_key(v) for v in key), -1) for key in keys),
                          dtype=np.int64, count=flats[0].size).reshape(comps[0].shape)
        text = "(" + ", ".join(ast.unparse(p) for p in parts) + ")"
        return self._checked(pos, text, set_name)

    def _grouped_positions(self, parts: list[ast.expr], index: list[str]
                           ) -> list[tuple[np.ndarray, np.ndarray]]:
        """One (positions, bad) per index set; tuple sets may take their components unpacked."""
        arity = {s: _arity(self.data.sets[s].elements) for s in index}
        return [self._positions(group[0], s) if len(group) == 1
                else self._tuple_positions(group, s)
                for group, s in zip(subscript_groups(parts, index, arity), index, strict=True)]

    def _subscript(self, node: ast.Subscript) -> Val:
        name = node.value.id  # type: ignore[attr-defined]
        parts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if name in self.data.params:
            index = self.param_index[name]
            pos_bad = self._grouped_positions(parts, index)
            bad = np.asarray(False)
            for _, b in pos_bad:
                bad = bad | b
            arr = self.data.params[name][tuple(p for p, _ in pos_bad)]
            missing = np.isnan(arr) & ~bad
            if missing.any():
                self.issues.append((f"{ast.unparse(node)} has no value", missing))
            return al.const(np.nan_to_num(arr), bad | missing)
        block = self.blocks[name]
        col = np.asarray(block.base)
        bad = np.asarray(False)
        strides = _strides(block.shape)
        for (pos, b), stride in zip(self._grouped_positions(parts, block.index), strides,
                                    strict=True):
            col = col + pos * stride
            bad = bad | b
        col = np.asarray(col).reshape((1,) * (self.nd - np.ndim(col)) + np.shape(col))
        return al.var(col, bad)

    def _call(self, node: ast.Call) -> Val:
        fn = node.func.id  # type: ignore[attr-defined]
        args = node.args
        if fn == "len":
            return al.const(float(len(self.data.sets[args[0].id])))  # type: ignore[attr-defined]
        if fn == "sum" and isinstance(args[0], ast.Name):
            return self._sum_all(node, args[0].id)
        if fn in ("sum", "min", "max") and len(args) == 1 \
                and isinstance(args[0], (ast.GeneratorExp, ast.ListComp)):
            return self._reduce(fn, args[0])
        vals = [self.value(a) for a in args]
        if not all(isinstance(v, Lin) and v.is_const for v in vals):
            raise NonLinear(f"{fn}() of an expression with variables")
        arrs = [v.const for v in vals]  # type: ignore[union-attr]
        bad = np.asarray(False)
        for v in vals:
            bad = bad | v.bad  # type: ignore[union-attr]
        with np.errstate(all="ignore"):
            if fn == "min":
                out = np.minimum.reduce(np.broadcast_arrays(*arrs))
            elif fn == "max":
                out = np.maximum.reduce(np.broadcast_arrays(*arrs))
            else:
                out = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "abs": np.abs}[fn](arrs[0])
        finite = np.isfinite(out)
        return al.const(np.where(finite, out, 0.0), bad | ~finite)

    def _sum_all(self, node: ast.Call, name: str) -> Val:
        axis = self.axes.of[id(node)]
        if name in self.data.params:
            arr = self.data.params[name]
            missing = np.asarray(bool(np.isnan(arr).any()))
            if missing:
                self.issues.append((f"parameter '{name}' has missing values", missing))
            return al.const(np.nansum(arr), missing)
        block = self.blocks[name]
        self.sizes[axis] = block.size
        cols = al.along(block.base + np.arange(block.size), axis, self.nd)
        return al.reduce_sum(al.var(cols), axis, block.size, np.asarray(True))

    def _reduce(self, fn: str, gen: ast.GeneratorExp | ast.ListComp) -> Val:
        saved = dict(self.loops)
        bound: list[tuple[int, np.ndarray]] = []
        mask = np.asarray(True)
        for g in gen.generators:
            axis, m = self.bind(g)
            mask = mask & m
            bound.append((axis, mask))
        body = self.value(gen.elt)
        for axis, _ in reversed(bound):
            size = self.sizes[axis]
            if fn == "sum":
                body = al.reduce_sum(body, axis, size, mask)
                mask = mask.any(axis=axis, keepdims=True) if mask.ndim > axis else mask
            else:
                if not (isinstance(body, Lin) and body.is_const):
                    raise NonLinear(f"{fn}() over an expression with variables")
                if size == 0:  # numpy has no max of nothing; neither has the model
                    raise self.fail(f"{fn}() over no elements: its set is empty",
                                    token=ast.unparse(gen)[:40],
                                    hint="give the set elements, or write the bound "
                                         "without it")
                fill = np.inf if fn == "min" else -np.inf
                full = al._expand(np.where(mask, body.const, fill), axis, size)
                red = full.min(axis=axis, keepdims=True) if fn == "min" else \
                    full.max(axis=axis, keepdims=True)
                bad = al._expand(body.bad & mask, axis, size).any(axis=axis, keepdims=True)
                body = al.const(np.where(np.isfinite(red), red, 0.0), bad | ~np.isfinite(red))
                mask = mask.any(axis=axis, keepdims=True) if mask.ndim > axis else mask
        for g in gen.generators:
            self.unbind(g, saved)
        return body


def _compare(op: ast.cmpop, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        match op:
            case ast.Eq():
                return np.asarray(a == b)
            case ast.NotEq():
                return np.asarray(a != b)
            case ast.Lt():
                return np.asarray(a < b)
            case ast.LtE():
                return np.asarray(a <= b)
            case ast.Gt():
                return np.asarray(a > b)
            case ast.GtE():
                return np.asarray(a >= b)
    raise FormulationError(f"comparison {type(op).__name__} is not allowed in a condition")


def _key(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def _arity(elements: list[Any]) -> int:
    return len(elements[0]) if elements and isinstance(elements[0], tuple) else 1


def _obj_array(elements: list[Any]) -> np.ndarray:
    if elements and all(isinstance(e, int) and not isinstance(e, bool) for e in elements):
        return np.asarray(elements, dtype=np.int64)
    arr = np.empty(len(elements), dtype=object)
    for i, e in enumerate(elements):
        arr[i] = e
    return arr


def _strides(shape: tuple[int, ...]) -> list[int]:
    strides = []
    acc = 1
    for n in reversed(shape):
        strides.append(acc)
        acc *= n
    return list(reversed(strides))
