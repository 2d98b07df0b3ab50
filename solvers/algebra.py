"""Array-valued affine and quadratic expressions, the values of the vectorized evaluator.

Every array has one axis per loop variable of the expression being compiled (size 1 where it
does not depend on that loop), so numpy broadcasting lines loops up. A term is a pair of
arrays ``(coef, col)``: coefficient times the variable in column ``col``. Summing over a loop
keeps the loop's axis inside the term arrays (it is flattened into matrix entries later), so
there is no Python object per term.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

Arr = np.ndarray


class NonLinear(Exception):
    """The expression is not affine (or quadratic where allowed): use the general route."""


def _scalar(v: float) -> Arr:
    return np.asarray(float(v))


@dataclass
class Lin:
    """sum(coef * x[col]) + const, every part an array broadcastable over the loop axes."""

    terms: list[tuple[Arr, Arr]] = field(default_factory=list)
    const: Arr = field(default_factory=lambda: _scalar(0.0))
    bad: Arr = field(default_factory=lambda: np.asarray(False))

    @property
    def is_const(self) -> bool:
        return not self.terms

    def scale(self, c: Arr) -> Lin:
        return Lin([(coef * c, col) for coef, col in self.terms], self.const * c, self.bad)


@dataclass
class Quad:
    """Quadratic terms coef * x[a] * x[b] plus an affine part."""

    qterms: list[tuple[Arr, Arr, Arr]]
    lin: Lin

    def scale(self, c: Arr) -> Quad:
        return Quad([(q * c, a, b) for q, a, b in self.qterms], self.lin.scale(c))


Val = Lin | Quad


def const(v: float | Arr, bad: Arr | None = None) -> Lin:
    return Lin([], np.asarray(v, dtype=float), np.asarray(False) if bad is None else bad)


def var(col: Arr, bad: Arr | None = None) -> Lin:
    return Lin([(np.ones((1,) * col.ndim), col)], _scalar(0.0),
               np.asarray(False) if bad is None else bad)


def _quad(v: Val) -> Quad:
    return v if isinstance(v, Quad) else Quad([], v)


def add(a: Val, b: Val) -> Val:
    if isinstance(a, Lin) and isinstance(b, Lin):
        return Lin(a.terms + b.terms, a.const + b.const, a.bad | b.bad)
    qa, qb = _quad(a), _quad(b)
    return Quad(qa.qterms + qb.qterms, add(qa.lin, qb.lin))  # type: ignore[arg-type]


def neg(a: Val) -> Val:
    return a.scale(np.asarray(-1.0))


def sub(a: Val, b: Val) -> Val:
    return add(a, neg(b))


def mul(a: Val, b: Val) -> Val:
    if isinstance(a, Lin) and a.is_const:
        out = b.scale(a.const)
        return _with_bad(out, a.bad)
    if isinstance(b, Lin) and b.is_const:
        return _with_bad(a.scale(b.const), b.bad)
    if isinstance(a, Quad) or isinstance(b, Quad):
        raise NonLinear("product with a quadratic term")
    # (sum ca*x + a0) * (sum cb*y + b0)
    q = [(ca * cb, xa, xb) for ca, xa in a.terms for cb, xb in b.terms]
    lin = add(Lin(list(a.terms)).scale(b.const), Lin(list(b.terms)).scale(a.const))
    lin = add(lin, const(a.const * b.const))
    assert isinstance(lin, Lin)
    lin.bad = a.bad | b.bad
    return Quad(q, lin)


def _with_bad(v: Val, bad: Arr) -> Val:
    lin = v.lin if isinstance(v, Quad) else v
    lin.bad = lin.bad | bad
    return v


def div(a: Val, b: Val) -> Val:
    if not (isinstance(b, Lin) and b.is_const):
        raise NonLinear("division by an expression with variables")
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / b.const
    bad = b.bad | ~np.isfinite(inv)
    inv = np.where(np.isfinite(inv), inv, 0.0)
    return _with_bad(a.scale(inv), bad)


def power(a: Val, b: Val, *, summed_axes: bool) -> Val:
    if not (isinstance(b, Lin) and b.is_const) or b.const.ndim:
        raise NonLinear("variable or indexed exponent")
    p = float(b.const)
    if isinstance(a, Lin) and a.is_const:
        with np.errstate(all="ignore"):
            out = np.power(a.const, p)
        return const(np.where(np.isfinite(out), out, 0.0), a.bad | ~np.isfinite(out) | b.bad)
    if p == 1:
        return a
    if p == 0:
        return const(1.0)
    if p == 2 and isinstance(a, Lin) and not summed_axes:
        return mul(a, a)
    raise NonLinear(f"power {p:g} of an expression with variables")


def reduce_sum(v: Val, axis: int, size: int, mask: Arr) -> Val:
    """Sum over one loop axis, keeping only the positions where ``mask`` holds."""
    m = mask.astype(float)

    def collapse(arr: Arr) -> Arr:
        full = _expand(arr * m, axis, size)
        return full.sum(axis=axis, keepdims=True)

    def keep(coef: Arr) -> Arr:
        return coef * m

    if isinstance(v, Quad):
        qterms = []
        for q, a, b in v.qterms:
            depends = _depends(a, axis) or _depends(b, axis)
            qterms.append((keep(q) if depends else collapse(q), a, b))
        lin = reduce_sum(v.lin, axis, size, mask)
        assert isinstance(lin, Lin)
        return Quad(qterms, lin)
    terms = [((keep(c) if _depends(col, axis) else collapse(c)), col) for c, col in v.terms]
    bad = _expand(v.bad & mask, axis, size).any(axis=axis, keepdims=True)
    return Lin(terms, collapse(v.const), bad)


def _depends(arr: Arr, axis: int) -> bool:
    return arr.ndim > axis and arr.shape[axis] > 1


def _expand(arr: Arr, axis: int, size: int) -> Arr:
    """Broadcast ``arr`` to have ``size`` along ``axis``."""
    ndim = max(arr.ndim, axis + 1)
    a = arr.reshape((1,) * (ndim - arr.ndim) + arr.shape)
    shape = list(a.shape)
    shape[axis] = size
    return np.broadcast_to(a, shape)


def along(values: Arr, axis: int, ndim: int) -> Arr:
    """A 1-D array laid along ``axis`` of an ``ndim``-axis array."""
    shape = [1] * ndim
    shape[axis] = values.shape[0]
    return values.reshape(shape)
