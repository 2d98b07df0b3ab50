"""Formulation route vs hand-written highspy on a 300x300 transport LP (90,000 variables).

    .venv/bin/python benchmarks/transport_bench.py [--size 300] [--reps 3] [--seed 7]

Both routes solve the same random balanced instance (fixed seed). The formulation route is
timed from a ready ``Formulation`` object to a ``SolveResult`` (parse, data, compile, HiGHS,
named values and duals); the hand-written route builds the same arrays with numpy, passes them
to HiGHS and reads the solution vector back. Repetitions are interleaved and medians reported,
so both routes see the same machine load. Target: ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from optiform.solvers.formulation import Formulation
from optiform.solvers.samples import transport


def instance(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random balanced supplies, demands and integer unit costs."""
    rng = np.random.default_rng(seed)
    supply = rng.integers(50, 150, n).astype(float)
    raw = rng.integers(50, 150, n).astype(float)
    demand = np.floor(raw * supply.sum() / raw.sum())
    demand[: int(supply.sum() - demand.sum())] += 1.0  # balanced exactly
    cost = rng.integers(1, 100, (n, n)).astype(float)
    return supply, demand, cost


def formulation(supply: np.ndarray, demand: np.ndarray, cost: np.ndarray) -> Formulation:
    return Formulation.from_dict(transport(supply.tolist(), demand.tolist(), cost.tolist(),
                                           name=f"transport{supply.size}"))


def hand_written(supply: np.ndarray, demand: np.ndarray, cost: np.ndarray) -> tuple[float, Any]:
    """The same LP built directly with numpy and highspy."""
    import highspy

    n = supply.size
    cols = np.arange(n * n, dtype=np.int32)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n * n, 2 * n
    lp.col_cost_ = cost.ravel()
    lp.col_lower_ = np.zeros(n * n)
    lp.col_upper_ = np.full(n * n, np.inf)
    lp.row_lower_ = np.concatenate([np.full(n, -np.inf), demand])
    lp.row_upper_ = np.concatenate([supply, np.full(n, np.inf)])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.arange(0, 2 * n * n + 1, n, dtype=np.int32)
    lp.a_matrix_.index_ = np.concatenate([cols, cols.reshape(n, n).T.ravel()])
    lp.a_matrix_.value_ = np.ones(2 * n * n)
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n * n, 2 * n
    h.passModel(lp)
    h.run()
    x = np.asarray(h.getSolution().col_value)
    return float(h.getInfo().objective_function_value), x


def compile_only(f: Formulation) -> float:
    from optiform.solvers.data import load_data
    from optiform.solvers.linear import compile_linear
    from optiform.solvers.validate import parse_model

    t0 = time.perf_counter()
    compile_linear(parse_model(f), load_data(f))
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from optiform.solvers.api import solve_formulation

    supply, demand, cost = instance(args.size, args.seed)
    f = formulation(supply, demand, cost)
    hand_written(supply[:3], demand[:3], cost[:3, :3])  # load highspy before timing
    t_hand, t_form, t_comp, t_solve, objs = [], [], [], [], []
    for _ in range(args.reps):
        t0 = time.perf_counter()
        obj_hand, _x = hand_written(supply, demand, cost)
        t_hand.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = solve_formulation(f, time_limit=600)
        t_form.append(time.perf_counter() - t0)
        t_solve.append(res.solve_time)
        t_comp.append(compile_only(f))
        objs.append((obj_hand, res.objective))
    for a, b in objs:
        if b is None or abs(a - b) > 1e-6 * abs(a):
            raise SystemExit(f"objectives differ: hand-written {a} vs formulation {b}")
    med = statistics.median
    n = args.size
    print(f"transport LP {n}x{n}: {n * n:,} variables, {2 * n} constraints, "
          f"objective {objs[0][0]:.6g}, medians of {args.reps} interleaved runs")
    rows = [
        ("hand-written highspy (build + solve)", med(t_hand)),
        ("Formulation -> SolveResult", med(t_form)),
        ("  of which: compile (parse, data, arrays)", med(t_comp)),
        ("  of which: HiGHS run", med(t_solve)),
    ]
    for label, secs in rows:
        print(f"  {label:<44} {secs * 1000:10.1f} ms")
    print(f"  {'ratio formulation / hand-written':<44} {med(t_form) / med(t_hand):10.2f} x"
          "   (target <= 1.5)")


if __name__ == "__main__":
    main()
