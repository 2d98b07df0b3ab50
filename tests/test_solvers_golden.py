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
