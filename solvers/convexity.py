"""Is a quadratic objective convex for its sense? HiGHS solves convex QPs only, and it does not
reject every non-convex one (``maximize x*y`` has a Hessian with a zero diagonal, which it takes
and "solves" at a saddle point); such a model must go to SCIP.

Cheap tests decide most models (a diagonal of the wrong sign, a zero diagonal beside a cross
term, a diagonally dominant matrix); an exact eigenvalue test decides the rest up to
DENSE_LIMIT columns in quadratic terms. Above that the answer is "convex": HiGHS then rejects
what it detects, and a failure falls back to SCIP."""

from __future__ import annotations

import numpy as np

DENSE_LIMIT = 1500  # columns in quadratic terms up to which the eigenvalue test runs


def quadratic_is_convex(q: tuple[np.ndarray, np.ndarray, np.ndarray], sense: str, *,
                        tol: float = 1e-9) -> bool:
    """True when ``sum coef * x_a * x_b`` is convex (minimize) or concave (maximize): its
    symmetric matrix is positive (negative) semidefinite on the columns it involves."""
    import scipy.sparse as sp

    coef, a, b = (np.asarray(x) for x in q)
    cols, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inverse[: a.size], inverse[a.size:]
    k = cols.size
    # x'Mx with M symmetric: coef * x_a * x_b puts coef/2 at (a, b) and at (b, a)
    m = sp.coo_matrix((np.concatenate([coef, coef]) / 2.0,
                       (np.concatenate([ia, ib]), np.concatenate([ib, ia]))),
                      shape=(k, k)).tocsr()
    m.sum_duplicates()
    if sense == "maximize":
        m = -m
    scale = max(float(abs(m).max()), 1.0) if m.nnz else 1.0
    eps = tol * scale
    diag = m.diagonal()
    off = abs(m - sp.diags(diag)).sum(axis=1).A1  # row sums of |off-diagonal entries|
    if np.any(diag < -eps) or np.any((diag <= eps) & (off > eps)):
        return False  # a direction along which the objective curves the wrong way
    if np.all(diag + eps >= off):
        return True  # diagonally dominant with a non-negative diagonal: semidefinite
    if k > DENSE_LIMIT:
        return True
    return float(np.linalg.eigvalsh(m.toarray()).min()) >= -eps * max(k, 1)
