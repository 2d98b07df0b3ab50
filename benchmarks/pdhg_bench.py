"""Benchmark the PyTorch PDHG LP solver against HiGHS (simplex/IPM) on a few LPs.

    .venv/bin/python benchmarks/pdhg_bench.py [--n 100] [--tol 1e-6] [--device auto]

Prints, per problem: size, PDHG status, iterations, restarts, PDHG and HiGHS times, the
relative objective error of PDHG against HiGHS and the largest absolute violation of a row or
bound by PDHG's point. Problems: a random N x N transportation LP (N supplies, N demands, N^2
arcs) and the netlib LPs afiro, sc50a, adlittle and israel.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# ../shared beside the repository (or $OPTIFORM_SHARED): the team's folder of test instances
MPS_DIR = Path(os.environ.get("OPTIFORM_SHARED") or Path(__file__).resolve().parents[2]
               / "shared") / "data" / "mps"
NETLIB = ("afiro", "sc50a", "adlittle", "israel")

Problem = tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray, np.ndarray, float]


def transport(n: int, seed: int = 0) -> Problem:
    """min sum cost*x, supplies <= s_i, demands >= d_j (90% of supply), x >= 0."""
    rng = np.random.default_rng(seed)
    cost = rng.uniform(1.0, 10.0, (n, n))
    supply = rng.uniform(10.0, 20.0, n)
    demand = supply.sum() * 0.9 / n * rng.uniform(0.8, 1.2, n)
    demand *= min(1.0, 0.9 * supply.sum() / demand.sum())
    rows = np.r_[np.repeat(np.arange(n), n), n + np.tile(np.arange(n), n)]
    cols = np.r_[np.arange(n * n), np.arange(n * n)]
    a = sp.csr_matrix((np.ones(2 * n * n), (rows, cols)), shape=(2 * n, n * n))
    return (cost.ravel(), a, np.r_[np.full(n, -np.inf), demand], np.r_[supply, np.full(n, np.inf)],
            np.zeros(n * n), np.full(n * n, np.inf), 0.0)


def read_mps(path: Path) -> Problem:
    from optiform.solvers.highs_backend import read_model_file

    fm = read_model_file(path)
    return (fm.c, fm.A, fm.row_lower, fm.row_upper, fm.col_lower, fm.col_upper, fm.offset)


def highs_objective(p: Problem) -> tuple[float, float]:
    import highspy

    from optiform.solvers.highs_backend import new_highs

    c, a, rl, ru, cl, cu, offset = p
    h = new_highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_row_, lp.num_col_ = a.shape
    lp.col_cost_, lp.offset_ = c, offset
    lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = cl, cu, rl, ru
    csc = a.tocsc()
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = (
        csc.indptr, csc.indices, csc.data)
    h.passModel(lp)
    t0 = time.perf_counter()
    h.run()
    return float(h.getInfo().objective_function_value), time.perf_counter() - t0


def main() -> None:
    import torch

    from optiform.solvers.pdhg import resolve_device, solve_lp_pdhg

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="transportation LP size (N x N)")
    ap.add_argument("--tol", type=float, default=1e-6, help="relative tolerance (abs_tol the same)")
    ap.add_argument("--device", default="auto", help="auto, cpu or cuda")
    ap.add_argument("--time-limit", type=float, default=120.0)
    ap.add_argument("--threads", type=int, default=None, help="CPU threads (default: auto)")
    ap.add_argument("--mps-dir", type=Path, default=MPS_DIR)
    args = ap.parse_args()
    dev = resolve_device(args.device)
    name = torch.cuda.get_device_name(dev) if dev.type == "cuda" else "CPU"
    print(f"device: {dev} ({name}), torch {torch.__version__}, float64, tol {args.tol:g}")
    problems: list[tuple[str, Problem]] = [(f"transport {args.n}x{args.n}", transport(args.n))]
    problems += [(f"netlib/{n}", read_mps(args.mps_dir / "netlib" / f"{n}.mps")) for n in NETLIB
                 if (args.mps_dir / "netlib" / f"{n}.mps").exists()]
    if len(problems) == 1:
        print(f"(no netlib instances in {args.mps_dir}; --mps-dir names the folder)")
    head = (f"{'problem':<20} {'rows':>6} {'cols':>7} {'nnz':>8} {'status':<10} {'iters':>7} "
            f"{'restarts':>8} {'pdhg s':>8} {'highs s':>8} {'rel obj err':>11} {'max viol':>8}")
    print(head)
    print("-" * len(head))
    for label, p in problems:
        ref, highs_s = highs_objective(p)
        c, a, rl, ru, cl, cu, offset = p
        r = solve_lp_pdhg(c, a, rl, ru, cl, cu, offset=offset, tol=args.tol, device=str(dev),
                          time_limit=args.time_limit, threads=args.threads)
        err = (f"{abs(r.objective - ref) / max(1.0, abs(ref)):.1e}"
               if r.objective is not None else "-")
        print(f"{label:<20} {a.shape[0]:>6} {a.shape[1]:>7} {a.nnz:>8} {r.status:<10} "
              f"{r.iterations:>7} {r.restarts:>8} {r.time:>8.2f} {highs_s:>8.2f} {err:>11} "
              f"{r.max_violation:>8.1e}")


if __name__ == "__main__":
    main()
