"""Build a Pyomo ConcreteModel from a checked formulation (the general, nonlinear route).

Sets become ordered Pyomo Sets, variables indexed Vars with their domain and bounds, the
objective one Objective and each constraint one Constraint component named after it, indexed
by its ``for_each`` bindings (a chained comparison that is not a simple range becomes one
component per comparison: ``name``, ``name_2``, ...). Strict inequalities follow
``linear.py``: integer-valued rows shift by one, others become non-strict with a warning.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optiform.errors import FormulationError
from optiform.solvers.data import ModelData
from optiform.solvers.expr import target_names
from optiform.solvers.number_side import number_on_left
from optiform.solvers.pyomo_eval import ScalarEvaluator, is_number
from optiform.solvers.pyomo_names import (
    ComponentNames,
    component_names,
    constraint_pieces,
    piece_counts,
)
from optiform.solvers.strict import NON_STRICT, common_denominator
from optiform.solvers.validate import ParsedConstraint, ParsedModel

_STRICT = (ast.Lt, ast.Gt)


@dataclass
class PyomoBuild:
    """A built model and what the solve step needs to report on it."""

    model: Any
    names: ComponentNames
    warnings: list[str] = field(default_factory=list)
    shifts: dict[str, float] = field(default_factory=dict)  # strict constraint -> its step
    ops: dict[str, type[ast.cmpop]] = field(default_factory=dict)
    """The comparison of each component of one comparison (a ranged one has none), by
    component name: which of a row's sides was written on the left (for its dual's sign)."""
    number_left: dict[str, bool] = field(default_factory=dict)
    """Whether the number of each component of one comparison is its left side as written
    (``number_side.number_on_left``; for its dual's sign), by component name."""


SCIP_INFINITY = 1e20  # SCIP takes a value this large as infinite


Bounds = tuple[float | None, float | None]  # None: unbounded that way


def _bounds(expr: Any, visitor: Any = None) -> Bounds:
    """The range of ``expr`` over the variables' bounds, by Pyomo's bound propagation;
    ``visitor`` (an ``ExpressionBoundsVisitor``) reused over many rows keeps the variables'
    bounds it has read (a fresh one per row was 4x slower)."""
    from pyomo.contrib.fbbt.expression_bounds_walker import ExpressionBoundsVisitor

    try:
        lo, hi = (visitor or ExpressionBoundsVisitor()).walk_expression(expr)
    except Exception:  # a node fbbt does not know: no verdict
        return None, None
    return (None if lo == -float("inf") else lo), (None if hi == float("inf") else hi)


def _huge_reach(lo: float | None, hi: float | None) -> float | None:
    """The largest finite size of a range when it is 1e20 or more (which SCIP reads as
    infinite); None otherwise. Unbounded ends give no verdict: only finite bounds that give
    a huge range count (else every model with a free variable would be warned)."""
    finite = [abs(b) for b in (lo, hi) if b is not None and abs(b) < float("inf")]
    return max(finite) if finite and max(finite) >= SCIP_INFINITY else None


_SCIP_READS = "SCIP reads 1e20 and beyond as infinite, so its status may be wrong"


def _warn_beyond_infinity(expr: Any, warnings: list[str], visitor: Any = None) -> None:
    """Warn when the objective can reach values SCIP reads as infinite (exp(x) over x <= 100
    came back "unbounded", and over x >= 50 "infeasible"); a wrong status follows."""
    reach = _huge_reach(*_bounds(expr, visitor))
    if reach is not None:
        warnings.append(f"objective: within the variables' bounds it can reach {reach:.3g}; "
                        f"{_SCIP_READS}: tighten the bounds or rescale (a log of the "
                        "objective, say)")


def _row_beyond_infinity(con: Any, visitor: Any = None) -> str | None:
    """What of a constraint row SCIP reads as infinite, or None: its terms with variables
    reaching 1e20 within the variables' bounds (exp(x) >= 1 over 50 <= x <= 100 came back
    "optimal" at x = 75), or a side of 1e20 or beyond that can bind (``y <= 1e25`` over a
    free y is read as no limit; ``x*x <= 1e25`` over x <= 100 never binds: no warning)."""
    from pyomo.environ import value

    lo, hi = _bounds(con.body, visitor)
    reach = _huge_reach(lo, hi)
    if reach is not None:
        return f"within the variables' bounds its terms with variables can reach {reach:.3g}"
    for side, upper in ((con.lower, False), (con.upper, True)):
        b = None if side is None else float(value(side))
        if b is None or not SCIP_INFINITY <= abs(b) < float("inf"):
            continue
        # a huge side beyond what the terms can reach never binds
        if upper and b > 0 and hi is not None and hi < b:
            continue
        if not upper and b < 0 and lo is not None and lo > b:
            continue
        return f"its side {b:g} is 1e20 or beyond in size"
    return None


def build_pyomo(parsed: ParsedModel, data: ModelData) -> Any:
    """The formulation as a Pyomo ConcreteModel (see ``build_pyomo_model`` for the details)."""
    return build_pyomo_model(parsed, data).model


def build_pyomo_model(parsed: ParsedModel, data: ModelData) -> PyomoBuild:
    import pyomo.environ as pyo
    from pyomo.contrib.fbbt.expression_bounds_walker import ExpressionBoundsVisitor

    f = parsed.formulation
    names = component_names(f, piece_counts(parsed))
    m = pyo.ConcreteModel(name=f.name)
    build = PyomoBuild(m, names)
    for s in f.sets:
        m.add_component(names.sets[s.name],
                        pyo.Set(initialize=data.sets[s.name].elements,
                                dimen=parsed.scope.sets[s.name], ordered=True))
    vardata = {}
    domains = {"continuous": pyo.Reals, "integer": pyo.Integers, "binary": pyo.Binary}
    for v in f.variables:
        lb, ub = v.lb, v.ub
        if v.domain == "binary":
            lb = 0.0 if lb is None else max(lb, 0.0)
            ub = 1.0 if ub is None else min(ub, 1.0)
        if lb is not None and ub is not None and lb > ub:
            raise FormulationError(f"lower bound {lb:g} is above upper bound {ub:g}",
                                   where=f"variable '{v.name}'")
        comp = pyo.Var(*(m.component(names.sets[s]) for s in v.index),
                       domain=domains[v.domain], bounds=(lb, ub))
        m.add_component(names.variables[v.name], comp)
        vardata[v.name] = var_data_array(comp, [data.sets[s].elements for s in v.index])
    var_index = {v.name: list(v.index) for v in f.variables}
    param_index = {p.name: list(p.index) for p in f.parameters}

    def evaluator(where: str, text: str) -> ScalarEvaluator:
        return ScalarEvaluator(data, vardata, var_index, param_index, where, text,
                               build.warnings)

    obj = evaluator("objective", f.objective.expression).value(parsed.objective, {})
    visitor = ExpressionBoundsVisitor()  # one for the model: it keeps the bounds it reads
    _warn_beyond_infinity(obj, build.warnings, visitor)
    sense = pyo.maximize if f.objective.sense == "maximize" else pyo.minimize
    m.add_component(names.objective, pyo.Objective(expr=obj, sense=sense))
    for pc in parsed.constraints:
        _add_constraint(build, pc, evaluator(f"constraint '{pc.name}'", pc.source),
                        parsed.scope.variables, visitor)
    return build


def _binding_key(pc: ParsedConstraint, env: dict[str, Any]) -> Any:
    names = [n for g in pc.generators for n in target_names(g.target)]
    return flat_index(tuple(env[n] for n in names)) if names else None


def _add_constraint(build: PyomoBuild, pc: ParsedConstraint, ev: ScalarEvaluator,
                    variables: dict[str, int], visitor: Any) -> None:
    import pyomo.environ as pyo

    pieces = constraint_pieces(pc.body, variables)
    bindings = [(_binding_key(pc, env), env) for env in ev.bindings(pc.generators, {})]
    comp_names = build.names.constraints[pc.name]
    if pieces is None:
        rows = _ranged_rows(build, pc, ev, bindings)
        groups = [rows]
    else:
        groups = [_piece_rows(build, pc, ev, bindings, a, op, b) for a, op, b in pieces]
        for name, (a, op, b) in zip(comp_names, pieces, strict=True):
            build.ops[name] = type(op)
            build.number_left[name] = number_on_left(a, b, variables)
    comps = []
    for comp_name, rows in zip(comp_names, groups, strict=True):
        if not pc.generators:
            if rows:
                build.model.add_component(comp_name, pyo.Constraint(expr=rows[None]))
                comps.append(build.model.component(comp_name))
            continue
        exprs = rows
        build.model.add_component(comp_name, pyo.Constraint(
            list(exprs), rule=lambda _m, *idx, _e=exprs: _e[idx[0] if len(idx) == 1 else idx]))
        comps.append(build.model.component(comp_name))
    _warn_rows_beyond_infinity(build, pc, comps, dict(bindings), visitor)


def _warn_rows_beyond_infinity(build: PyomoBuild, pc: ParsedConstraint, comps: list[Any],
                               envs: dict[Any, dict[str, Any]], visitor: Any) -> None:
    """Warn, once per constraint and naming its first such row's binding, when rows can
    reach values SCIP reads as infinite (see ``_row_beyond_infinity``)."""
    hits = {}  # binding key -> why, the first piece's reason for each row
    for comp in comps:
        for key, con in comp.items():
            if key not in hits and (why := _row_beyond_infinity(con, visitor)) is not None:
                hits[key] = why
    if not hits:
        return
    key, why = next(iter(hits.items()))
    env = envs.get(key) or {}
    when = " when " + ", ".join(f"{k}={v!r}" for k, v in env.items()) if env else ""
    more = f" (and {len(hits) - 1} more of its rows)" if len(hits) > 1 else ""
    build.warnings.append(f"constraint '{pc.name}'{when}: {why}{more}; {_SCIP_READS}: "
                          "tighten the bounds or rescale")


def _piece_rows(build: PyomoBuild, pc: ParsedConstraint, ev: ScalarEvaluator,
                bindings: list[tuple[Any, dict[str, Any]]], a: ast.expr, op: ast.cmpop,
                b: ast.expr) -> dict[Any, Any]:
    sides = [(key, ev.value(a, env), ev.value(b, env)) for key, env in bindings]
    shift = _strict_shift(build, pc, op, [lhs - rhs for _, lhs, rhs in sides])
    rows = {}
    for key, lhs, rhs in sides:
        rel = _relation(build, op, lhs, rhs, shift)
        if rel is not None:
            rows[key] = rel
    return rows


def _ranged_rows(build: PyomoBuild, pc: ParsedConstraint, ev: ScalarEvaluator,
                 bindings: list[tuple[Any, dict[str, Any]]]) -> dict[Any, Any]:
    import pyomo.environ as pyo

    body = pc.body
    op = body.ops[0]
    triples = []
    for key, env in bindings:
        lo, mid, hi = (ev.value(n, env) for n in (body.left, *body.comparators))
        if isinstance(op, (ast.Gt, ast.GtE)):
            lo, hi = hi, lo
        triples.append((key, lo, mid, hi))
    diffs = [x for _, lo, mid, hi in triples for x in (mid - lo, mid - hi)]
    shift = _strict_shift(build, pc, op, diffs)
    rows = {}
    for key, lo, mid, hi in triples:
        lo, hi = lo + shift, hi - shift  # the ends have no variables: numbers
        if lo > hi:  # an empty range: keep the row, the model is infeasible
            rows[key] = _zero(build) + (lo - hi) <= 0
        elif not is_number(mid):
            rows[key] = pyo.inequality(lo, mid, hi)
        elif not lo <= mid <= hi:
            rows[key] = pyo.inequality(lo, mid + _zero(build), hi)
    return rows


def _relation(build: PyomoBuild, op: ast.cmpop, lhs: Any, rhs: Any, shift: float) -> Any:
    """The Pyomo relation for one row, its sides in the order written (``>=`` and ``>`` as
    Pyomo keeps them: ``rhs <= lhs``); None when it holds whatever the variables are."""
    if is_number(lhs) and is_number(rhs):
        holds = {ast.LtE: lhs <= rhs, ast.Lt: lhs <= rhs - shift, ast.GtE: lhs >= rhs,
                 ast.Gt: lhs >= rhs + shift, ast.Eq: lhs == rhs}[type(op)]
        if holds:
            return None
        lhs = lhs + _zero(build)  # keep the violated row: the model is infeasible
    if isinstance(op, ast.LtE):
        return lhs <= rhs
    if isinstance(op, ast.Lt):
        return lhs <= rhs - shift
    if isinstance(op, ast.GtE):
        return lhs >= rhs
    if isinstance(op, ast.Gt):
        return lhs >= rhs + shift
    from pyomo.core.expr.relational_expr import EqualityExpression

    # as written: '5 == x' as Python reflects it is 'x == 5', and which side a dual is per
    # unit of reads the order (pyomo_backend._dual_signs)
    return EqualityExpression((lhs, rhs))


def _zero(build: PyomoBuild) -> Any:
    """A variable fixed at 0, so a row without variables can stay in the model."""
    import pyomo.environ as pyo

    m = build.model
    comp = m.component(build.names.zero)
    if comp is None:
        comp = pyo.Var(bounds=(0.0, 0.0), initialize=0.0)
        m.add_component(build.names.zero, comp)
    return comp


def _strict_shift(build: PyomoBuild, pc: ParsedConstraint, op: ast.cmpop,
                  diffs: list[Any]) -> float:
    """1/D when every row ``lhs - rhs`` of a strict comparison takes values in (1/D)·Z
    (integer variables, coefficients and constant with common denominator D), so that
    ``lhs < rhs`` is ``lhs <= rhs - 1/D``; else 0, with a warning."""
    if not isinstance(op, _STRICT):
        return 0.0
    numbers = [_step_numbers(d) for d in diffs]
    usable = bool(diffs) and all(ns is not None for ns in numbers)
    scale = common_denominator(x for ns in numbers if ns is not None for x in ns) \
        if usable else None
    step = 1.0 / scale if scale is not None else 0.0
    if not step and not (usable and _never_zero(numbers)):  # type: ignore[arg-type]
        build.warnings.append(f"constraint '{pc.name}': {NON_STRICT}")
    build.shifts[pc.name] = min(build.shifts.get(pc.name, step), step)  # over its pieces
    return step


def _never_zero(numbers: list[list[float]]) -> bool:
    """True when no row ``a·x + c`` can be 0: its coefficients share a denominator D and its
    constant is off the 1/D grid (``0.5x - 2.123456789``), so strict and non-strict agree
    and nothing needs saying."""
    scale = common_denominator(x for ns in numbers for x in ns[:-1])
    if scale is None:
        return False
    return all(abs(ns[-1] * scale - round(ns[-1] * scale)) > 1e-6 for ns in numbers)


def _step_numbers(expr: Any) -> list[float] | None:
    """The coefficients and constant of ``expr`` when it is affine in integer variables;
    None otherwise."""
    if is_number(expr):
        return [float(expr)]
    from pyomo.repn import generate_standard_repn

    repn = generate_standard_repn(expr, quadratic=False)
    if repn.nonlinear_expr is not None or not all(v.is_integer() or v.is_binary()
                                                  for v in repn.linear_vars):
        return None
    return [float(c) for c in repn.linear_coefs] + [float(repn.constant)]


def flat_index(elements: tuple[Any, ...]) -> Any:
    """Elements of several sets as one Pyomo index (tuple elements flattened)."""
    parts: list[Any] = []
    for e in elements:
        parts.extend(e if isinstance(e, tuple) else (e,))
    return parts[0] if len(parts) == 1 else tuple(parts)


def var_data_array(var: Any, elements: list[list[Any]]) -> np.ndarray:
    """The data objects of an indexed Pyomo variable as an array over set positions."""
    shape = tuple(len(e) for e in elements)
    out = np.empty(shape if shape else (1,), dtype=object)
    if not shape:
        out[0] = var
        return out
    flat = out.reshape(-1)
    for k, combo in enumerate(itertools.product(*elements)):
        flat[k] = var[flat_index(combo)]
    return out
