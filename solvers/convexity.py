"""Is a quadratic objective convex for its sense? HiGHS solves convex QPs only, and it does not
reject every non-convex one (``maximize x*y`` has a Hessian with a zero diagonal, which it takes
and "solves" at a saddle point); such a model must go to SCIP."""

from __future__ import annotations

import numpy as np

DENSE_LIMIT = 2000  # columns in quadratic terms up to which the test is an exact eigenvalue one


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
    if sense == "maximize":
        m = -m
    scale = max(float(abs(m).max()), 1.0) if m.nnz else 1.0
    if k <= DENSE_LIMIT:
        smallest = float(np.linalg.eigvalsh(m.toarray()).min()) if k else 0.0
    else:
        smallest = _smallest_eigenvalue(m)
    return smallest >= -tol * scale * max(k, 1)


def _smallest_eigenvalue(m: object) -> float:
    """The smallest eigenvalue of a large sparse symmetric matrix; 0 (no verdict) when the
    iteration does not converge, so the caller keeps HiGHS, which rejects what it detects."""
    from scipy.sparse.linalg import ArpackNoConvergence, eigsh

    try:
        return float(eigsh(m, k=1, which="SA", return_eigenvectors=False, maxiter=5000)[0])
    except ArpackNoConvergence:
        return 0.0
