"""Restarted averaged PDHG (raPDHG, as PDLP) on a scaled LP held as device tensors.

The iterations run without host synchronisation: the adaptive step (PDLP's rule) is accepted or
rejected on the device with ``torch.where``. Every ``check_every`` iterations one copy to the
host decides termination (PDLP's criterion on the original problem: each residual within
``eps_abs + eps_rel * its baseline``), infeasibility (certificates from the iterate and from its
displacement since the last restart), adaptive restarts (on the primal-weighted KKT error of the
current and averaged iterates) and primal weight updates.

``run_pdhg`` adds what PDLP leaves open: a primal ray proves the dual infeasible, which makes
the LP unbounded only if it is feasible. When the ray comes before a feasible iterate, a second
run on the same constraints with a zero objective (the rest of the time and iteration budget)
decides: a feasible point means unbounded, a dual ray infeasible.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from optiform.cancellation import cancelled
from optiform.solvers.pdhg_problem import DeviceLP

NORMS = ("componentwise", "l2")


@dataclass
class PdhgOptions:
    """Optimal when every residual is within ``eps_abs + eps_rel * baseline`` (PDLP's test).

    ``norm`` "componentwise" (PDLP's L_INF_COMPONENTWISE): each row's violation against its
    violated bound, each reduced-cost residual against its cost; "l2" (PDLP's default): the
    2-norms against the 2-norms of the bounds and of c. The gap's baseline is |pobj| + |dobj|.
    ``feasibility``: stop as soon as the primal residual passes (for a zero objective).
    ``iterations_before``: iterations an earlier run spent of ``max_iter``.
    """

    eps_rel: float = 1e-6
    eps_abs: float = 1e-6
    norm: str = "componentwise"
    feasibility: bool = False
    max_iter: int = 200_000
    iterations_before: int = 0
    time_limit: float = 60.0
    started: float = field(default_factory=time.perf_counter)  # the clock time_limit runs on
    check_every: int = 64
    infeasible_tol: float = 1e-8
    restart_sufficient: float = 0.2
    restart_necessary: float = 0.8
    restart_artificial: float = 0.36
    primal_weight_smoothing: float = 0.5

    @property
    def ratio(self) -> float:
        """eps_abs / eps_rel: a residual over (ratio + baseline) is compared with eps_rel."""
        return self.eps_abs / self.eps_rel


@dataclass
class Point:
    """A scaled primal-dual point with its matrix products."""

    x: Any
    y: Any
    ax: Any
    aty: Any


@dataclass
class Measure:
    rp_s: float
    rd_s: float
    rel_primal: float
    rel_dual: float
    rel_gap: float
    pobj: float
    dobj: float
    max_violation: float
    """The largest absolute row violation, on the original problem."""

    def kkt(self, omega: float) -> float:
        """Primal-weighted KKT error in the scaled space (drives restarts)."""
        return math.sqrt(omega * self.rp_s ** 2 + self.rd_s ** 2 / omega
                         + (self.pobj - self.dobj) ** 2)

    @property
    def worst(self) -> float:
        return max(self.rel_primal, self.rel_dual, self.rel_gap)


@dataclass
class LoopOutcome:
    point: Point
    measure: Measure
    status: str
    iterations: int
    restarts: int
    message: str = ""
    log: list[str] = field(default_factory=list)


def _measures(lp: DeviceLP, points: list[Point], opts: PdhgOptions) -> list[Measure]:
    """Residuals relative to ``ratio + baseline`` (PDLP's relative residuals): <= eps_rel
    is the same as <= eps_abs + eps_rel * baseline."""
    import torch

    ratio = opts.ratio
    rows = torch.stack([lp.measure(p.x, p.y, p.ax, p.aty, ratio) for p in points]).tolist()
    out = []
    for rp_s, rd_s, rp, rd, rp_cw, rd_cw, rp_max, pobj, dobj in rows:
        if opts.norm == "l2":
            rp_cw, rd_cw = rp / (ratio + lp.bnorm), rd / (ratio + lp.cnorm)
        gap = abs(pobj - dobj) / (ratio + abs(pobj) + abs(dobj))
        out.append(Measure(rp_s, rd_s, rp_cw, rd_cw, gap, pobj, dobj, rp_max))
    return out


class Pdhg:
    """One run of raPDHG; ``solve`` returns a LoopOutcome."""

    def __init__(self, lp: DeviceLP, opts: PdhgOptions, omega: float, eta: float) -> None:
        import torch

        self.lp, self.opts, self.omega = lp, opts, omega
        self.eta = torch.tensor(eta, dtype=lp.dtype, device=lp.device)
        x = torch.clamp(torch.zeros(lp.n, dtype=lp.dtype, device=lp.device), lp.lx, lp.ux)
        y = torch.zeros(lp.m, dtype=lp.dtype, device=lp.device)
        self.cur = Point(x, y, lp.A @ x, torch.zeros_like(x))
        self.anchor = self.cur  # the last restart point
        self._reset_average()
        self.k = 0
        self.since_restart = 0
        self.restarts = 0
        self.log: deque[str] = deque(maxlen=40)

    def _reset_average(self) -> None:
        import torch

        self.sums = [torch.zeros_like(v) for v in (self.cur.x, self.cur.y, self.cur.ax,
                                                   self.cur.aty)]
        self.wsum = torch.zeros((), dtype=self.lp.dtype, device=self.lp.device)

    def _average(self) -> Point:
        w = self.wsum
        return Point(*(s / w for s in self.sums))

    def _step(self) -> None:
        """One PDHG step with PDLP's adaptive step size, accepted or not on the device."""
        import torch

        lp, p, eta, omega = self.lp, self.cur, self.eta, self.omega
        tau, sigma = eta / omega, eta * omega
        xn = torch.addcmul(p.x, lp.c - p.aty, -tau).clamp_(lp.lx, lp.ux)
        axn = lp.A @ xn
        dax = axn - p.ax
        w = torch.addcmul(p.y, axn + dax, -sigma)  # y - sigma * A(2 xn - x)
        yn = torch.addcmul(w, torch.clamp(w / sigma, lp.neg_u, lp.neg_l), -sigma)
        atyn = lp.AT @ yn
        dx, dy = xn - p.x, yn - p.y
        movement = 0.5 * (omega * torch.dot(dx, dx) + torch.dot(dy, dy) / omega)
        interaction = torch.abs(torch.dot(dy, dax))
        limit = torch.where(interaction > 0, movement / interaction, math.inf)
        self.k += 1
        accept = eta <= limit
        k1 = self.k + 1
        self.eta = torch.minimum((1 - k1 ** -0.3) * limit, (1 + k1 ** -0.6) * eta)
        weight = torch.where(accept, eta, 0.0)
        new = (xn, yn, axn, atyn)
        for s, v in zip(self.sums, new, strict=True):
            s.addcmul_(v, weight)
        self.wsum += weight
        self.cur = Point(*(torch.where(accept, v, o) for v, o in
                           zip(new, (p.x, p.y, p.ax, p.aty), strict=True)))

    def _exact(self, x: Any, y: Any) -> Point:
        return Point(x, y, self.lp.A @ x, self.lp.AT @ y)

    def _restart(self, cand: Point) -> None:
        import torch

        cand = self._exact(cand.x, cand.y)
        dx = float(torch.linalg.vector_norm(cand.x - self.anchor.x))
        dy = float(torch.linalg.vector_norm(cand.y - self.anchor.y))
        if dx > 1e-10 and dy > 1e-10:
            th = self.opts.primal_weight_smoothing
            self.omega = math.exp(th * math.log(dy / dx) + (1 - th) * math.log(self.omega))
        self.cur = self.anchor = cand
        self._reset_average()
        self.since_restart = 0
        self.restarts += 1

    def _certificate(self, primal_ok: bool) -> tuple[str, str] | None:
        """Infeasibility from the iterate and its displacement since the last restart.

        A dual ray proves infeasibility; a primal ray proves the dual infeasible, which is
        reported as unbounded when the primal iterate is feasible (within tolerance), else as
        infeasible_or_unbounded (``run_pdhg`` then decides with a feasibility run).
        """
        import torch

        lp, eps = self.lp, self.opts.infeasible_tol
        cands = [(self.cur.x, self.cur.y)]
        if self.anchor is not self.cur:
            cands.append((self.cur.x - self.anchor.x, self.cur.y - self.anchor.y))
        rows = torch.stack([torch.cat([lp.dual_ray(dy), lp.primal_ray(dx)])
                            for dx, dy in cands]).tolist()
        for dobj, dviol, _, _ in rows:
            if dobj > 0 and dviol <= eps * dobj:
                return "infeasible", ("a dual ray proves the constraints cannot all hold "
                                      f"(ray violation {dviol / dobj:.1e})")
        for _, _, pdec, pviol in rows:
            if pdec > 0 and pviol <= eps * pdec:
                ray = f"a primal ray improves the objective without limit (ray violation " \
                      f"{pviol / pdec:.1e})"
                return ("unbounded" if primal_ok else "infeasible_or_unbounded"), ray
        return None

    def _log(self, m: Measure, kind: str) -> None:
        self.log.append(f"iter {self.k:>7} {kind:<8} pobj {m.pobj:+.6e} dobj {m.dobj:+.6e} "
                        f"rel_p {m.rel_primal:.1e} rel_d {m.rel_dual:.1e} gap {m.rel_gap:.1e} "
                        f"viol {m.max_violation:.1e} omega {self.omega:.2e} "
                        f"eta {float(self.eta):.2e}")

    def _outcome(self, point: Point, m: Measure, status: str, message: str) -> LoopOutcome:
        self._log(m, status)
        return LoopOutcome(point, m, status, self.k, self.restarts, message, list(self.log))

    def _score(self, m: Measure) -> float:
        """What must reach eps_rel: every residual, or the primal one in a feasibility run."""
        return m.rel_primal if self.opts.feasibility else m.worst

    def solve(self) -> LoopOutcome:
        opts = self.opts
        left = opts.max_iter - opts.iterations_before
        (m0,) = _measures(self.lp, [self.cur], opts)
        last_restart_kkt = prev_kkt = m0.kkt(self.omega)
        while True:
            for _ in range(min(opts.check_every, left - self.k)):
                self._step()
            self.since_restart += opts.check_every
            avg = self._average() if float(self.wsum) > 0 else self.cur
            mc, ma = _measures(self.lp, [self.cur, avg], opts)
            sc, sa = self._score(mc), self._score(ma)
            best, bm = (avg, ma) if sa < sc else (self.cur, mc)
            if not all(math.isfinite(v) for v in (mc.worst, ma.worst, float(self.eta))):
                return self._outcome(best, bm, "error", "numerical trouble: the iterates are "
                                     "not finite (badly scaled data?)")
            if min(sa, sc) <= opts.eps_rel:
                return self._outcome(best, bm, "optimal", "")
            cert = self._certificate(bm.rel_primal <= opts.eps_rel)
            if cert is not None:
                return self._outcome(best, bm, *cert)
            kc, ka = mc.kkt(self.omega), ma.kkt(self.omega)
            cand, kkt = (avg, ka) if ka < kc else (self.cur, kc)
            if (kkt <= opts.restart_sufficient * last_restart_kkt
                    or (kkt <= opts.restart_necessary * last_restart_kkt and kkt > prev_kkt)
                    or self.since_restart >= opts.restart_artificial * self.k):
                self._restart(cand)
                last_restart_kkt = prev_kkt = (ma if cand is avg else mc).kkt(self.omega)
                self._log(ma if cand is avg else mc, "restart")
            else:
                prev_kkt = kkt
            if self.k >= left:
                return self._outcome(best, bm, "time_limit",
                                     f"iteration limit {opts.max_iter} reached")
            if time.perf_counter() - opts.started >= opts.time_limit:
                return self._outcome(best, bm, "time_limit",
                                     f"time limit {opts.time_limit:g} s reached")
            if cancelled():  # the turn was cancelled (its client went away)
                return self._outcome(best, bm, "time_limit", "stopped: the turn was cancelled")


def run_pdhg(lp: DeviceLP, opts: PdhgOptions, omega: float, eta: float) -> LoopOutcome:
    """raPDHG; a primal ray met before a feasible point is settled by a feasibility run."""
    out = Pdhg(lp, opts, omega, eta).solve()
    if out.status != "infeasible_or_unbounded":
        return out
    phase_opts = replace(opts, feasibility=True, iterations_before=out.iterations)
    phase = Pdhg(lp.without_objective(), phase_opts, 1.0, eta).solve()
    status, message = _verdict(out.message, phase)
    log = [*out.log, "a primal ray before a feasible point: feasibility run (zero objective)",
           *phase.log]
    return LoopOutcome(phase.point, phase.measure, status, out.iterations + phase.iterations,
                       out.restarts + phase.restarts, message, log[-40:])


def _verdict(ray: str, phase: LoopOutcome) -> tuple[str, str]:
    """Status and message after a primal ray (``ray`` says so) and a feasibility run."""
    if phase.status == "optimal":
        return "unbounded", (f"{ray}, and a feasibility run found a point within tolerance "
                             f"(max row violation {phase.measure.max_violation:.1e})")
    if phase.status == "infeasible":
        return "infeasible", f"{phase.message}; found by a feasibility run after {ray}"
    return "infeasible_or_unbounded", (f"{ray}; whether the constraints can all hold is not "
                                       "known: the feasibility run that was to decide stopped "
                                       f"first ({phase.message})")
