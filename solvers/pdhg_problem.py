"""The scaled LP as device tensors, and the measures PDHG needs on it.

``DeviceLP`` holds the scaled data (for the iterations) and the original bounds (to judge
convergence on the unscaled problem, as PDLP does). ``measure`` returns, for one primal-dual
point, its residuals and objectives as one stacked tensor, so that a convergence check costs a
single device-to-host copy. ``primal_ray`` / ``dual_ray`` test a direction as a certificate of
dual / primal infeasibility. ``without_objective`` is the same constraints with c = 0 (the
feasibility problem).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from optiform.solvers.pdhg_scaling import ScaledLP, bound_norm

INF = float("inf")


def csr_tensor(a: Any, device: Any, dtype: Any) -> Any:
    """A scipy CSR matrix as a torch sparse CSR tensor (invariant checks off: scipy made it)."""
    import warnings

    import torch

    index = np.int32 if a.nnz < 2**31 - 1 else np.int64  # int32: no index copies per product
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(
            torch.from_numpy(a.indptr.astype(index)),
            torch.from_numpy(a.indices.astype(index)),
            torch.from_numpy(a.data.astype(np.float64)),
            size=a.shape, dtype=dtype, device=device, check_invariants=False,
        )


class DeviceLP:
    """Scaled LP data on one device, with the masks and norms that measures need."""

    def __init__(self, s: ScaledLP, c: np.ndarray, row_lower: np.ndarray,
                 row_upper: np.ndarray, device: Any, dtype: Any) -> None:
        import torch

        def t(v: np.ndarray) -> Any:
            return torch.as_tensor(np.ascontiguousarray(v), dtype=dtype, device=device)

        def fill(mask: Any, yes: float, no: float) -> Any:
            return torch.where(mask, torch.tensor(yes, dtype=dtype, device=device),
                               torch.tensor(no, dtype=dtype, device=device))

        self.device, self.dtype = device, dtype
        self.m, self.n = s.A.shape
        self.A = csr_tensor(s.A, device, dtype)
        self.AT = csr_tensor(s.A.T.tocsr(), device, dtype)
        self.c = t(s.c)
        self.l, self.u = t(s.row_lower), t(s.row_upper)
        self.neg_l, self.neg_u = -self.l, -self.u
        self.lx, self.ux = t(s.col_lower), t(s.col_upper)
        self.rs, self.cs = t(s.row_scale), t(s.col_scale)
        l_fin, u_fin = torch.isfinite(self.l), torch.isfinite(self.u)
        lx_fin, ux_fin = torch.isfinite(self.lx), torch.isfinite(self.ux)
        zero = torch.zeros((), dtype=dtype, device=device)
        # finite bounds with zeros for infinite ones (objective terms never meet 0 * inf)
        self.lz, self.uz = torch.where(l_fin, self.l, zero), torch.where(u_fin, self.u, zero)
        self.lxz = torch.where(lx_fin, self.lx, zero)
        self.uxz = torch.where(ux_fin, self.ux, zero)
        # reduced costs may be positive only at a finite lower bound, negative at a finite upper
        self.lam_lo, self.lam_hi = fill(ux_fin, -INF, 0.0), fill(lx_fin, INF, 0.0)
        # the cone of row duals: y > 0 needs a finite lower bound, y < 0 a finite upper bound
        self.y_lo, self.y_hi = fill(u_fin, -INF, 0.0), fill(l_fin, INF, 0.0)
        # recession cones of the column box and of the row intervals
        self.d_lo, self.d_hi = fill(lx_fin, 0.0, -INF), fill(ux_fin, 0.0, INF)
        self.r_lo, self.r_hi = fill(l_fin, 0.0, -INF), fill(u_fin, 0.0, INF)
        self.bnorm = bound_norm(row_lower, row_upper)
        self.cnorm = float(np.linalg.norm(c))

    def _dual_objective(self, y: Any, lam_ok: Any) -> Any:
        """Row duals times the bounds they rest on, plus reduced costs times column bounds."""
        import torch

        def part(v: Any, lo: Any, up: Any) -> Any:
            return torch.dot(torch.clamp(v, min=0), lo) + torch.dot(torch.clamp(v, max=0), up)

        return part(y, self.lz, self.uz) + part(lam_ok, self.lxz, self.uxz)

    def measure(self, x: Any, y: Any, ax: Any, aty: Any, ratio: float) -> Any:
        """Residuals and objectives of a scaled point, as one tensor (one host copy):

        [|rp|_s, |rd|_s, |rp|_2, |rd|_2, rp_cw, rd_cw, max |rp|, primal obj, dual obj].
        ``_s`` norms are in the scaled space (for restarts), the others on the original problem.
        ``rp_cw`` is max_i |rp_i| / (ratio + |the bound row i violates|) and ``rd_cw`` is
        max_j |rd_j| / (ratio + |c_j|) (PDLP's componentwise norm; ratio = eps_abs / eps_rel).
        """
        import torch

        rp = ax - torch.clamp(ax, self.l, self.u)
        lam = self.c - aty
        lam_ok = torch.clamp(lam, self.lam_lo, self.lam_hi)
        rd = lam - lam_ok
        pobj = torch.dot(self.c, x)
        dobj = self._dual_objective(y, lam_ok)
        rp_o, rd_o = rp / self.rs, rd / self.cs
        violated = torch.where(ax < self.l, self.l, self.u).abs()  # scaled, like rp
        norm = torch.linalg.vector_norm
        return torch.stack([
            norm(rp), norm(rd), norm(rp_o), norm(rd_o),
            norm(rp.abs() / (ratio * self.rs + violated), ord=INF),
            norm(rd.abs() / (ratio * self.cs + self.c.abs()), ord=INF),
            norm(rp_o, ord=INF), pobj, dobj,
        ])

    def without_objective(self) -> DeviceLP:
        """The same constraints with a zero objective (shares the matrices)."""
        import torch

        lp = copy.copy(self)
        lp.c = torch.zeros_like(self.c)
        lp.cnorm = 0.0
        return lp

    def dual_ray(self, dy: Any) -> Any:
        """[objective, violation] of a row-dual direction as a proof of primal infeasibility.

        The direction is projected on the dual cone and normalized to unit infinity norm in the
        original space; it proves infeasibility when objective > 0 and violation is tiny.
        """
        import torch

        yr = torch.clamp(dy, self.y_lo, self.y_hi)
        lam = -(self.AT @ yr)
        lam_ok = torch.clamp(lam, self.lam_lo, self.lam_hi)
        obj = self._dual_objective(yr, lam_ok)
        size = torch.linalg.vector_norm(yr * self.rs, ord=INF)
        viol = torch.linalg.vector_norm((lam - lam_ok) / self.cs, ord=INF)
        return torch.stack([obj, viol]) / torch.clamp(size, min=1e-300)

    def primal_ray(self, dx: Any) -> Any:
        """[-c'd, violation] of a primal direction d as a proof of dual infeasibility."""
        import torch

        d = torch.clamp(dx, self.d_lo, self.d_hi)
        ad = self.A @ d
        viol = torch.linalg.vector_norm((ad - torch.clamp(ad, self.r_lo, self.r_hi)) / self.rs,
                                        ord=INF)
        size = torch.linalg.vector_norm(d * self.cs, ord=INF)
        return torch.stack([-torch.dot(self.c, d), viol]) / torch.clamp(size, min=1e-300)
