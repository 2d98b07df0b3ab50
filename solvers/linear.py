"""Compile a checked formulation straight to sparse arrays (the fast path for LP/MILP/QP).

Raises ``NonLinear`` when a constraint is not affine or the objective not quadratic; the caller
then takes the Pyomo route.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from optiform.errors import FormulationError
from optiform.solvers import algebra as al
from optiform.solvers.algebra import Lin, NonLinear, Quad
from optiform.solvers.data import ModelData
from optiform.solvers.evaluate import Evaluator, VarBlock, count_axes
from optiform.solvers.linear_checks import (
    HUGE,
    bad_hint,
    bad_message,
    check_defined,
    check_finite,
)
from optiform.solvers.number_side import number_on_left
from optiform.solvers.strict import NON_STRICT, common_denominator
from optiform.solvers.validate import ParsedConstraint, ParsedModel
from optiform.solvers.values import element_text, product_keys

INF = np.inf


@dataclass
class RowFamily:
    """The rows one constraint produced: which bindings of its for_each, in order."""

    name: str
    start: int
    count: int
    labels: list[list[Any]]  # per loop axis: the element values
    active: np.ndarray  # flat binding numbers of the rows, in row order
    shape: tuple[int, ...]

    def key(self, r: int) -> str:
        if not self.labels:
            return ""
        pos = np.unravel_index(int(self.active[r]), self.shape)
        return ",".join(element_text(labels[int(p)])
                        for labels, p in zip(self.labels, pos, strict=True))

    def row_name(self, r: int) -> str:
        k = self.key(r)
        return f"{self.name}[{k}]" if k else self.name

    def keys(self) -> list[str]:
        """The keys of all rows, in row order (the product of labels, at the active rows)."""
        if not self.labels:
            return [""] * self.count
        every = product_keys(self.labels)
        return [every[int(a)] for a in self.active]


@dataclass
class LinearModel:
    blocks: dict[str, VarBlock]
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    c: np.ndarray
    offset: float
    sense: str
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    families: list[RowFamily]
    q: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # coef, col a, col b
    warnings: list[str] = field(default_factory=list)

    @property
    def num_cols(self) -> int:
        return int(self.c.shape[0])

    @property
    def num_rows(self) -> int:
        return int(self.row_lower.shape[0])

    def family_of_row(self, r: int) -> tuple[RowFamily, int]:
        for fam in self.families:
            if fam.start <= r < fam.start + fam.count:
                return fam, r - fam.start
        raise IndexError(r)

    def row_name(self, r: int) -> str:
        fam, i = self.family_of_row(r)
        return fam.row_name(i)

    def col_name(self, c: int) -> str:
        """The variable a column belongs to: 'x', or 'x[a,b]' for an indexed one."""
        for b in self.blocks.values():
            if b.base <= c < b.base + b.size:
                return f"{b.name}[{b.keys[c - b.base]}]" if b.shape else b.name
        return f"col{c}"


def var_blocks(parsed: ParsedModel, data: ModelData) -> dict[str, VarBlock]:
    blocks: dict[str, VarBlock] = {}
    base = 0
    for v in parsed.formulation.variables:
        shape = tuple(len(data.sets[s]) for s in v.index)
        block = VarBlock(v.name, list(v.index), base, shape,
                         v.domain in ("integer", "binary"),
                         [data.sets[s].elements for s in v.index])
        blocks[v.name] = block
        base += block.size
    return blocks


def column_bounds(parsed: ParsedModel, blocks: dict[str, VarBlock]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = sum(b.size for b in blocks.values())
    lo, up, integer = np.empty(n), np.empty(n), np.zeros(n, dtype=bool)
    for v in parsed.formulation.variables:
        b = blocks[v.name]
        sl = slice(b.base, b.base + b.size)
        lb = -INF if v.lb is None else v.lb
        ub = INF if v.ub is None else v.ub
        if v.domain == "binary":
            lb, ub = max(lb, 0.0), min(ub, 1.0)
        if lb > ub:
            raise FormulationError(f"lower bound {lb:g} is above upper bound {ub:g}",
                                   where=f"variable '{v.name}'")
        if lb >= HUGE or ub <= -HUGE:
            raise FormulationError(f"bounds [{lb:g}, {ub:g}] cannot be met: a solver reads "
                                   "1e20 and beyond as infinite", where=f"variable '{v.name}'")
        lo[sl], up[sl], integer[sl] = lb, ub, b.integer
    return lo, up, integer


def compile_linear(parsed: ParsedModel, data: ModelData) -> LinearModel:
    """The sparse arrays of a linear (or convex quadratic objective) model; overflow and
    undefined numbers are found by ``_check_finite``, not reported by numpy as warnings."""
    with np.errstate(all="ignore"):
        return _compile(parsed, data)


def _compile(parsed: ParsedModel, data: ModelData) -> LinearModel:
    blocks = var_blocks(parsed, data)
    lo, up, integer = column_bounds(parsed, blocks)
    n = lo.shape[0]
    param_index = {p.name: list(p.index) for p in parsed.formulation.parameters}
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    rlo: list[np.ndarray] = []
    rup: list[np.ndarray] = []
    families: list[RowFamily] = []
    warnings: list[str] = [
        f"variable '{v.name}': a bound of {b:g} is read as no bound (solvers take 1e20 and "
        "beyond as infinite)"
        for v in parsed.formulation.variables
        for b in (v.lb, v.ub) if b is not None and HUGE <= abs(b) < INF]
    m = 0
    for pc in parsed.constraints:
        fam_parts = _compile_constraint(pc, data, blocks, param_index, integer, m, warnings,
                                        parsed.scope.variables)
        for fam, r, c, v, lo_b, up_b in fam_parts:
            rows.append(r)
            cols.append(c)
            vals.append(v)
            rlo.append(lo_b)
            rup.append(up_b)
            families.append(fam)
            m += fam.count
    a = sp.csr_matrix(
        (np.concatenate(vals) if vals else np.zeros(0),
         (np.concatenate(rows) if rows else np.zeros(0, int),
          np.concatenate(cols) if cols else np.zeros(0, int))),
        shape=(m, n),
    )
    a.sum_duplicates()
    a.eliminate_zeros()
    c_vec, offset, q = _objective(parsed, data, blocks, param_index, n)
    model = LinearModel(
        blocks, lo, up, integer, c_vec, offset, parsed.formulation.objective.sense, a,
        np.concatenate(rlo) if rlo else np.zeros(0), np.concatenate(rup) if rup else np.zeros(0),
        families, q, warnings,
    )
    check_finite(model, parsed)
    return model


def _objective(parsed: ParsedModel, data: ModelData, blocks: dict[str, VarBlock],
               param_index: dict[str, list[str]], n: int):
    f = parsed.formulation
    axes = count_axes([parsed.objective])
    ev = Evaluator(data, blocks, axes, "objective", f.objective.expression, param_index)
    val = ev.value(parsed.objective)
    lin = val.lin if isinstance(val, Quad) else val
    if np.any(lin.bad):
        message = bad_message(ev, ())
        raise FormulationError(message, where="objective", expression=f.objective.expression,
                               hint=bad_hint(message, "give the missing values or restrict the "
                                                      "sum with 'if'"))
    coefs, idx = _flatten_terms(lin.terms)
    c = np.bincount(idx, weights=coefs, minlength=n).astype(float)
    offset = float(np.sum(lin.const))
    q = None
    if isinstance(val, Quad) and val.qterms:
        qc, qa, qb = [], [], []
        for coef, a, b in val.qterms:
            shp = np.broadcast_shapes(coef.shape, a.shape, b.shape)
            qc.append(np.broadcast_to(coef, shp).ravel())
            qa.append(np.broadcast_to(a, shp).ravel())
            qb.append(np.broadcast_to(b, shp).ravel())
        q = (np.concatenate(qc), np.concatenate(qa), np.concatenate(qb))
    return c, offset, q


def _flatten_terms(terms: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    cs, xs = [], []
    for coef, col in terms:
        shp = np.broadcast_shapes(coef.shape, col.shape)
        cs.append(np.broadcast_to(coef, shp).ravel())
        xs.append(np.broadcast_to(col, shp).ravel().astype(np.int64))
    if not cs:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    return np.concatenate(cs), np.concatenate(xs)


def _compile_constraint(pc: ParsedConstraint, data: ModelData, blocks: dict[str, VarBlock],
                        param_index: dict[str, list[str]], integer: np.ndarray, start: int,
                        warnings: list[str], variables: dict[str, int]):
    axes = count_axes([*pc.generators, pc.body])
    ev = Evaluator(data, blocks, axes, f"constraint '{pc.name}'", pc.source, param_index)
    mask = np.ones((1,) * axes.count, dtype=bool)
    labels: list[list[Any]] = []
    for g in pc.generators:
        _, m = ev.bind(g)
        mask = mask & m
        elements, _ = ev._iter_elements(g.iter)
        labels.append(list(elements))
        del elements
    nrow_axes = len(pc.generators)
    row_shape = tuple(ev.sizes[:nrow_axes])
    full = row_shape + (1,) * (axes.count - nrow_axes)
    mask = np.broadcast_to(mask, np.broadcast_shapes(mask.shape, full))
    mask = mask.reshape(mask.shape[:nrow_axes] + (1,) * (axes.count - nrow_axes)) \
        if mask.ndim else mask
    parts = [ev.value(pc.body.left), *(ev.value(c) for c in pc.body.comparators)]
    for p in parts:
        if isinstance(p, Quad):
            raise NonLinear(f"constraint '{pc.name}' is quadratic")
    flat_mask = mask.reshape(-1) if mask.ndim else np.ones(1, dtype=bool)
    active = np.flatnonzero(flat_mask)
    rowmap = np.cumsum(flat_mask) - 1

    def at_rows(arr: np.ndarray) -> np.ndarray:
        full = np.broadcast_to(arr, np.broadcast_shapes(np.shape(arr), mask.shape))
        return np.asarray(full, dtype=float).reshape(-1)[active]

    ops = pc.body.ops
    pieces: list[tuple[Lin, Lin | None, Lin | None, bool]] = []  # lo <= expr <= hi, strict
    if (len(ops) == 2 and type(ops[0]) is type(ops[1])
            and isinstance(ops[0], (ast.LtE, ast.GtE, ast.Lt, ast.Gt))
            and parts[0].is_const and parts[2].is_const):  # type: ignore[union-attr]
        lo_end, mid, hi_end = parts  # lo <= mid <= hi: one ranged row, one dual
        if isinstance(ops[0], (ast.GtE, ast.Gt)):
            lo_end, hi_end = hi_end, lo_end
        pieces = [(mid, lo_end, hi_end, isinstance(ops[0], (ast.Lt, ast.Gt)))]  # type: ignore
    else:
        nodes = [pc.body.left, *pc.body.comparators]
        for k, (a, op, b) in enumerate(zip(parts, ops, parts[1:], strict=False)):
            left_is_number = number_on_left(nodes[k], nodes[k + 1], variables)
            pieces.append(_orient(a, op, b, left_is_number))  # type: ignore[arg-type]

    out = []
    offset = start
    for expr, lo, hi, strict in pieces:
        bad = expr.bad | (lo.bad if lo is not None else False) \
            | (hi.bad if hi is not None else False)
        check_defined(pc, ev, bad, mask, labels)
        shape_rows = row_shape + (1,) * (axes.count - nrow_axes)
        rid = (rowmap.reshape(shape_rows) if shape_rows else rowmap.reshape(())) + offset
        r, c, v = _entries(expr, mask, rid)
        const = at_rows(expr.const)
        lo_b = at_rows(lo.const) - const if lo is not None else np.full(active.size, -INF)
        up_b = at_rows(hi.const) - const if hi is not None else np.full(active.size, INF)
        if strict:
            # integer-valued after scaling by D: a < 3.5 <=> a <= 3; 0.5x < 2 <=> 0.5x <= 1.5
            scale = common_denominator(v) if np.all(integer[c]) else None
            if scale is not None:
                lo_b = (_floor(lo_b * scale) + 1.0) / scale
                up_b = (_ceil(up_b * scale) - 1.0) / scale
            else:
                warnings.append(f"constraint '{pc.name}': {NON_STRICT}")
        fam = RowFamily(pc.name, offset, int(active.size), labels, active, row_shape)
        out.append((fam, r, c, v, lo_b, up_b))
        offset += int(active.size)
    return out


_FLIP = {ast.LtE: ast.GtE, ast.GtE: ast.LtE, ast.Lt: ast.Gt, ast.Gt: ast.Lt, ast.Eq: ast.Eq}


def _orient(a: Lin, op: ast.cmpop, b: Lin, left_is_number: bool
            ) -> tuple[Lin, Lin | None, Lin | None, bool]:
    """``a op b`` as ``lo <= expr <= hi`` with the variables in ``expr`` and the constants in
    the bounds, so that a row's dual is the change of the optimal objective per unit added to
    the constraint's number (see ``SolveResult.duals``), the side ``number_side`` reads from
    the text (``left_is_number``): ``10 >= x`` and ``x <= 10`` give the same row, so do ``x <=
    y + 5`` and ``5 + y >= x`` (per unit of 5), and ``x + extra <= y`` is per unit added to
    the left side whatever ``extra``'s values."""
    kind: type[ast.cmpop] = type(op)
    if left_is_number:
        a, b, kind = b, a, _FLIP[kind]
    if b.is_const:
        expr, rhs = a, b
    else:  # a - b op 0: the bound is b's number less a's
        expr, rhs = al.sub(a, b), al.const(0.0)
    assert isinstance(expr, Lin)
    if kind in (ast.LtE, ast.Lt):
        return expr, None, rhs, kind is ast.Lt
    if kind in (ast.GtE, ast.Gt):
        return expr, rhs, None, kind is ast.Gt
    return expr, rhs, rhs, False


def _near_int(b: np.ndarray) -> np.ndarray:
    """On the integer grid up to float noise: relative 1e-9, but never more than 1e-3 of a
    step (a bound of 600000000.4 is not 600000000)."""
    with np.errstate(invalid="ignore"):
        tol = np.minimum(1e-9 * np.maximum(1.0, np.abs(b)), 1e-3)
        return np.isfinite(b) & (np.abs(b - np.round(b)) <= tol)


def _floor(b: np.ndarray) -> np.ndarray:
    return np.where(_near_int(b), np.round(b), np.floor(b))


def _ceil(b: np.ndarray) -> np.ndarray:
    return np.where(_near_int(b), np.round(b), np.ceil(b))


def _entries(expr: Lin, mask: np.ndarray, rid: np.ndarray):
    rs, cs, vs = [], [], []
    for coef, col in expr.terms:
        shp = np.broadcast_shapes(coef.shape, col.shape, mask.shape, rid.shape)
        keep = np.broadcast_to(mask, shp) & (np.broadcast_to(coef, shp) != 0)
        rs.append(np.broadcast_to(rid, shp)[keep])
        cs.append(np.broadcast_to(col, shp)[keep])
        vs.append(np.broadcast_to(coef, shp)[keep])
    if not rs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return (np.concatenate(rs).astype(np.int64), np.concatenate(cs).astype(np.int64),
            np.concatenate(vs).astype(float))
