"""The line of shadow prices of an MPS or LP file's answer (agent.file_prices): its rows by
the file's names, each price checked against solving again with the row's number + 1."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optiform.agent.file_prices import binding_rows, file_shadow_price_line, row_kinds
from optiform.agent.shadow_prices import MAX_KEYS
from optiform.solvers.highs_backend import read_model_file, solve_mps
from optiform.solvers.pdhg_backend import solve_file_pdhg
from optiform.solvers.result import SolveResult, Status

# maximize 3x + 2y + z: CAP x + y <= 4 binds, MIX x - z == 1, BAND 2 <= y + z <= 5 does not
MIXED = """NAME mixed
OBJSENSE
    MAX
ROWS
 N obj
 L CAP
 E MIX
 G BAND
COLUMNS
    x obj 3 CAP 1
    x MIX 1
    y obj 2 CAP 1
    y BAND 1
    z obj 1 MIX -1
    z BAND 1
RHS
    rhs CAP {CAP} MIX {MIX}
    rhs BAND {BAND}
RANGES
    rng BAND 3
ENDATA
"""
# minimize x + 2y: RNG 3 <= x + y <= 8 binds at its low end, CAPX x <= 2 binds
RANGED = """NAME ranged
ROWS
 N obj
 G RNG
 L CAPX
COLUMNS
    x obj 1 RNG 1
    x CAPX 1
    y obj 2 RNG 1
RHS
    rhs RNG {RNG} CAPX {CAPX}
RANGES
    rng RNG 5
ENDATA
"""
NUMBERS = {"mixed": (MIXED, {"CAP": 4, "MIX": 1, "BAND": 2}),
           "ranged": (RANGED, {"RNG": 3, "CAPX": 2})}


def _solve(path: Path, solver: str) -> SolveResult:
    res = solve_file_pdhg(path) if solver == "pdhg" else solve_mps(path)
    assert res.status is Status.OPTIMAL, res.message
    return res


def _write(tmp_path: Path, name: str, text: str, numbers: dict[str, float]) -> Path:
    path = tmp_path / f"{name}.mps"
    path.write_text(text.format(**numbers))
    return path


def _prices(line: str) -> dict[str, float]:
    """'Shadow prices: A +1; B -2 (...)' -> {'A': 1.0, 'B': -2.0}."""
    body = line.removeprefix("Shadow prices: ").split(" (the objective's")[0]
    return {name: float(price) for name, price in (part.split() for part in body.split("; "))}


@pytest.mark.parametrize("solver", ["highs", "pdhg"])
@pytest.mark.parametrize("name", NUMBERS)
def test_each_price_is_the_objective_change_per_unit_of_the_rows_number(
        tmp_path: Path, solver: str, name: str) -> None:
    text, numbers = NUMBERS[name]
    path = _write(tmp_path, name, text, numbers)
    base = _solve(path, solver)
    line = file_shadow_price_line(read_model_file(path), base)
    priced = _prices(line)
    assert set(priced) == {"mixed": {"CAP", "MIX"}, "ranged": {"RNG", "CAPX"}}[name]
    for row, price in priced.items():
        folder = tmp_path / row
        folder.mkdir()
        more = _write(folder, name, text, {**numbers, row: numbers[row] + 1})
        step = _solve(more, solver).objective - base.objective
        assert price == pytest.approx(step, abs=2e-3), (row, line)
    by_hand = {"mixed": {"CAP": 4.0, "MIX": -1.0}, "ranged": {"RNG": 2.0, "CAPX": -1.0}}
    assert priced == pytest.approx(by_hand[name], abs=1e-3)
    # the equality's number is priced, and the line says so
    assert line.endswith("or of an equality's number).") is (name == "mixed")


def test_the_known_duals_of_chip(shared_dir: Path) -> None:
    chip = shared_dir / "data" / "mps" / "highs" / "chip.mps"
    assert file_shadow_price_line(read_model_file(chip), solve_mps(chip)) == (
        "Shadow prices: ASSEMBLY -7.5; FINISHNG -2.5 (the objective's change per unit more of "
        "each limit).")


def test_the_rows_kinds_and_which_bind(tmp_path: Path) -> None:
    path = _write(tmp_path, "mixed", MIXED, NUMBERS["mixed"][1])
    model = read_model_file(path)
    assert row_kinds(model) == ["inequality", "equality", "inequality"]
    assert [model.row_names[r] for r in binding_rows(model, {"x": 4, "y": 0, "z": 3})] == [
        "CAP"]
    assert binding_rows(model, {"x": 1, "y": 2, "z": 0}) == [2]  # BAND at its low end, 2


DEGENERATE = """NAME degenerate
OBJSENSE
    MAX
ROWS
 N obj
 L cap
 L xmax
 G gap
COLUMNS
    x obj 1000 cap 1
    x xmax 1 gap 1
    y obj 1000 cap 1
    y gap -1
RHS
    rhs cap 2000 xmax 1500
    rhs gap 1000
ENDATA
"""


@pytest.mark.parametrize("solver", ["highs", "pdhg"])
def test_none_at_a_degenerate_optimum(tmp_path: Path, solver: str) -> None:
    # three rows hold at x = 1500, y = 500, with two columns: the duals are not unique
    path = tmp_path / "degenerate.mps"
    path.write_text(DEGENERATE)
    res = _solve(path, solver)
    model = read_model_file(path)
    assert res.duals and len(binding_rows(model, res.values)) == 3
    assert file_shadow_price_line(model, res) == ""


def test_none_for_integer_columns_even_with_duals(tmp_path: Path) -> None:
    path = _write(tmp_path, "mixed", MIXED, NUMBERS["mixed"][1])
    model = read_model_file(path)
    res = _solve(path, "highs")
    assert file_shadow_price_line(model, res)
    model.integer = np.array([True, False, False])
    assert file_shadow_price_line(model, res) == ""


def test_at_most_max_keys_rows_then_dots(tmp_path: Path) -> None:
    n = MAX_KEYS + 2  # x_k <= 1 for each k, maximize sum k * x_k: row k is worth k
    rows = "".join(f" L R{k:02d}\n" for k in range(1, n + 1))
    cols = "".join(f"    x{k} obj {k} R{k:02d} 1\n" for k in range(1, n + 1))
    rhs = "".join(f"    rhs R{k:02d} 1\n" for k in range(1, n + 1))
    path = tmp_path / "many.mps"
    path.write_text(f"NAME many\nOBJSENSE\n    MAX\nROWS\n N obj\n{rows}COLUMNS\n{cols}RHS\n{rhs}"
                    "ENDATA\n")
    line = file_shadow_price_line(read_model_file(path), _solve(path, "highs"))
    shown = "; ".join(f"R{k:02d} +{k}" for k in range(1, MAX_KEYS + 1))
    assert line == (f"Shadow prices: {shown}; ... (the objective's change per unit more of each "
                    "limit).")
