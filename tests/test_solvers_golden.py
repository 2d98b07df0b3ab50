"""Golden MPS instances: HiGHS (read through solve_mps) reaches the published optimum."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from optiform.errors import InputError
from optiform.solvers.highs_backend import solve_mps
from optiform.solvers.result import Status

REL_TOL = 1e-6


def _rows(shared: Path) -> list[dict[str, str]]:
    with (shared / "data" / "mps" / "optima.csv").open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_optima_table_lists_every_instance(shared_dir: Path) -> None:
    root = shared_dir / "data" / "mps"
    listed = {r["file"] for r in _rows(shared_dir)}
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*.mps")}
    assert listed == on_disk
    assert len(listed) >= 20


def test_every_instance_reaches_its_optimum(shared_dir: Path) -> None:
    root = shared_dir / "data" / "mps"
    failures = []
    for row in _rows(shared_dir):
        res = solve_mps(root / row["file"], time_limit=60)
        if row["expected_status"] == "Infeasible":
            if res.status is not Status.INFEASIBLE or not res.conflict:
                failures.append(f"{row['file']}: {res.status} conflict={res.conflict}")
            continue
        want = float(row["objective"])
        got = res.objective
        if res.status is not Status.OPTIMAL or got is None \
                or abs(got - want) > REL_TOL * abs(want):
            failures.append(f"{row['file']}: {res.status} {got} != {want}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", ["galenet", "woodinfe"])
def test_infeasible_instances_name_a_conflict(shared_dir: Path, name: str) -> None:
    res = solve_mps(shared_dir / "data" / "mps" / "highs" / f"{name}.mps")
    assert res.status is Status.INFEASIBLE
    assert res.objective is None
    assert res.conflict, "an infeasible model must name its conflicting rows"
    assert all(isinstance(c, str) and c and not c.startswith("row") for c in res.conflict)
    assert "infeasible" in res.log_tail.lower()


def test_unreadable_file_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mps"
    bad.write_text("this is not an mps file\n")
    with pytest.raises(InputError, match="could not read") as err:
        solve_mps(bad)
    assert err.value.hint is not None and ".lp" in err.value.hint


def test_no_highs_banner_reaches_stdout_or_stderr(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = ("from optiform.solvers.highs_backend import new_highs; new_highs(); new_highs(); "
            "print('clean')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "clean\n" and "HiGHS" not in done.stderr


def test_an_mps_solve_gives_values_and_duals_by_the_files_names(shared_dir: Path) -> None:
    import numpy as np

    from optiform.solvers.highs_backend import read_model_file

    path = shared_dir / "data" / "mps" / "netlib" / "afiro.mps"
    res = solve_mps(path)
    fm = read_model_file(path)
    assert list(res.values) == fm.col_names and list(res.duals) == fm.row_names
    x = np.array(list(res.values.values()))
    assert float(fm.c @ x) + fm.offset == pytest.approx(res.objective, rel=1e-9)
    activity = fm.A @ x
    assert np.all(activity >= fm.row_lower - 1e-6) and np.all(activity <= fm.row_upper + 1e-6)
    mip = solve_mps(shared_dir / "data" / "mps" / "highs" / "egout.mps")
    assert mip.values and mip.duals == {}  # a MIP has no duals


def test_pdhg_solves_an_mps_file_and_refuses_a_mip(shared_dir: Path) -> None:
    from optiform.solvers.pdhg_backend import solve_file_pdhg

    root = shared_dir / "data" / "mps"
    lp = solve_file_pdhg(root / "netlib" / "afiro.mps", device="cpu")
    assert lp.status is Status.OPTIMAL and lp.solver == "pdhg"
    assert lp.objective == pytest.approx(-464.75314286, rel=1e-5)
    assert len(lp.values) == 32 and len(lp.duals) == 27
    with pytest.raises(InputError, match="integer variables"):  # a usage error: exit 2
        solve_file_pdhg(root / "highs" / "egout.mps", device="cpu")
