"""Preconditioning for the PDHG LP solver: Ruiz equilibration, then Pock-Chambolle scaling.

Pure numpy/scipy, run once before the iterations. The scaled problem is

    A_s = R A C,  c_s = C c,  row bounds R l, R u,  column bounds lx / C, ux / C,

so that x = C x_s and y = R y_s map a scaled point back (objective values are unchanged).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp


@dataclass
class ScaledLP:
    """An LP ``min c'x, l <= Ax <= u, lx <= x <= ux`` after diagonal scaling."""

    A: sp.csr_matrix
    c: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_scale: np.ndarray  # R: y = R y_s, (Ax) = (A_s x_s) / R
    col_scale: np.ndarray  # C: x = C x_s, (A'y) = (A_s' y_s) / C


def _safe_inv_sqrt(v: np.ndarray) -> np.ndarray:
    out = np.ones_like(v)
    pos = v > 0
    out[pos] = 1.0 / np.sqrt(v[pos])
    return out


def _scale(a: sp.csr_matrix, r: np.ndarray, s: np.ndarray) -> sp.csr_matrix:
    return sp.csr_matrix(sp.diags(r) @ a @ sp.diags(s))


def ruiz(a: sp.csr_matrix, iterations: int = 10) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Scale rows and columns toward unit infinity norm; returns (R A C, R, C)."""
    m, n = a.shape
    r, s = np.ones(m), np.ones(n)
    for _ in range(iterations):
        absa = abs(a)
        dr = _safe_inv_sqrt(np.asarray(absa.max(axis=1).todense()).ravel())
        dc = _safe_inv_sqrt(np.asarray(absa.max(axis=0).todense()).ravel())
        a = _scale(a, dr, dc)
        r *= dr
        s *= dc
    return a, r, s


def pock_chambolle(a: sp.csr_matrix, alpha: float = 1.0
                   ) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Pock-Chambolle diagonal scaling: rows by sum|a|^alpha, columns by sum|a|^(2-alpha)."""
    absa = abs(a)
    dr = _safe_inv_sqrt(np.asarray(absa.power(alpha).sum(axis=1)).ravel())
    dc = _safe_inv_sqrt(np.asarray(absa.power(2.0 - alpha).sum(axis=0)).ravel())
    return _scale(a, dr, dc), dr, dc


def precondition(a: sp.csr_matrix, c: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray,
                 col_lower: np.ndarray, col_upper: np.ndarray, *, ruiz_iterations: int = 10,
                 alpha: float = 1.0) -> ScaledLP:
    """Ruiz equilibration followed by Pock-Chambolle scaling (as PDLP does by default)."""
    a = sp.csr_matrix(a, dtype=np.float64)
    a.eliminate_zeros()
    a1, r1, s1 = ruiz(a, ruiz_iterations)
    a2, r2, s2 = pock_chambolle(a1, alpha)
    r, s = r1 * r2, s1 * s2
    a2.sort_indices()
    return ScaledLP(
        A=a2, c=c * s,
        row_lower=row_lower * r, row_upper=row_upper * r,
        col_lower=col_lower / s, col_upper=col_upper / s,
        row_scale=r, col_scale=s,
    )


def bound_norm(lower: np.ndarray, upper: np.ndarray) -> float:
    """The 2-norm of the finite bounds of each row (the larger magnitude per row)."""
    lo = np.where(np.isfinite(lower), np.abs(lower), 0.0)
    up = np.where(np.isfinite(upper), np.abs(upper), 0.0)
    return float(np.linalg.norm(np.maximum(lo, up)))
