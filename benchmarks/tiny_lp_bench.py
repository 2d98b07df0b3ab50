"""Warm time from a Formulation to a SolveResult for a 2-variable LP (target: under 5 ms).

    .venv/bin/python benchmarks/tiny_lp_bench.py [--reps 200] [--warmup 20]

After a warm-up (imports, HiGHS loaded), ``solve_formulation`` runs ``--reps`` times on the same
Formulation object; the table gives the median and the 10th/90th percentiles, and the median
of the stages (parse + data + compile, HiGHS run) as the SolveResult reports them.
"""

from __future__ import annotations

import argparse
import statistics
import time

from optiform.solvers.formulation import Formulation

TINY = {
    "name": "tiny",
    "variables": [{"name": "x"}, {"name": "y"}],
    "objective": {"sense": "maximize", "expression": "3*x + 2*y"},
    "constraints": [
        {"name": "a", "expression": "x + y <= 4"},
        {"name": "b", "expression": "x + 3*y <= 6"},
        {"name": "c", "expression": "x <= 3"},
    ],
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()

    from optiform.solvers.api import solve_formulation

    f = Formulation.from_dict(TINY)
    for _ in range(args.warmup):
        solve_formulation(f)
    total, build, solve = [], [], []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        res = solve_formulation(f)
        total.append(time.perf_counter() - t0)
        build.append(res.build_time)
        solve.append(res.solve_time)
    if res.objective is None or abs(res.objective - 11.0) > 1e-9:
        raise SystemExit(f"wrong objective {res.objective} (expected 11)")
    q = statistics.quantiles(total, n=10)
    ms = 1000.0
    print(f"tiny LP (2 variables, 3 constraints), {args.reps} warm runs after {args.warmup}")
    print(f"  {'Formulation -> SolveResult, median':<40} {statistics.median(total) * ms:8.2f} ms"
          "   (target < 5)")
    print(f"  {'  10th / 90th percentile':<40} {q[0] * ms:8.2f} / {q[-1] * ms:.2f} ms")
    print(f"  {'  build (parse, data, compile, pass)':<40} {statistics.median(build) * ms:8.2f} ms")
    print(f"  {'  HiGHS run':<40} {statistics.median(solve) * ms:8.2f} ms")


if __name__ == "__main__":
    main()
