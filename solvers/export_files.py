"""LP and MPS files of a linear (or quadratic) formulation, written by HiGHS.

Columns are named ``x(a,b)`` and rows ``capacity(a)`` (characters LP readers reject become
``_``), so a file read back or opened in another solver still speaks the formulation's names;
the model is named too (an MPS file's NAME line), after the formulation or the file.
Nonlinear formulations have no LP/MPS form: export them as a Pyomo script instead.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from optiform.errors import FormulationError, InputError, SolverError
from optiform.solvers.formulation import Formulation

_BAD = re.compile(r"[^A-Za-z0-9_(),.]")


def write_lp(f: Formulation, path: str | Path, data_dir: Path | None = None,
             name: str | None = None) -> Path:
    """Write ``f`` as a CPLEX LP file; returns the path. ``name`` as for ``write_mps``."""
    return _write(f, Path(path), data_dir, "lp", name)


def write_mps(f: Formulation, path: str | Path, data_dir: Path | None = None,
              name: str | None = None) -> Path:
    """Write ``f`` as a free MPS file named (its NAME line) ``name``, by default
    ``model_name(f, <the file's stem>)``; returns the path."""
    return _write(f, Path(path), data_dir, "mps", name)


def model_name(f: Formulation, stem: str = "") -> str:
    """The model's name in an LP or MPS file: the formulation's ``name`` when it gives one,
    else ``stem`` (a file's), else ``optiform``. A free MPS reader takes the first word after
    NAME (HiGHS's does), so blanks become ``_`` and so do characters names avoid."""
    given = f.name if "name" in f.model_fields_set else ""
    for candidate in (given, stem):
        safe = file_name("_".join(candidate.split()))
        if any(ch.isalnum() for ch in safe):
            return safe
    return "optiform"


def file_name(name: str) -> str:
    """A row or column name LP and MPS readers accept: ``x[a b]`` -> ``x(a_b)``."""
    return _BAD.sub("_", name.replace("[", "(").replace("]", ")"))


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        k = seen.get(n, 0)
        seen[n] = k + 1
        out.append(n if k == 0 else f"{n}_{k + 1}")
    return out


def column_names(model: Any) -> list[str]:
    names: list[str] = []
    for name, block in model.blocks.items():
        if not block.shape:
            names.append(name)
        else:
            names.extend(f"{name}({key})" for key in block.keys)
    return _unique([file_name(n) for n in names])


def row_names(model: Any) -> list[str]:
    return _unique([file_name(model.row_name(r)) for r in range(model.num_rows)])


def _compiled(f: Formulation, data_dir: Path | None) -> Any:
    from optiform.solvers.algebra import NonLinear
    from optiform.solvers.data import load_data
    from optiform.solvers.linear import compile_linear
    from optiform.solvers.validate import parse_model

    parsed = parse_model(f)
    try:
        return compile_linear(parsed, load_data(f, data_dir))
    except NonLinear as exc:
        raise FormulationError(f"LP and MPS files need a linear or quadratic model ({exc})",
                               hint="export it as a Pyomo script instead: `optiform export "
                                    "FILE --to pyomo`, or /export model.py in the chat"
                               ) from None


def _write(f: Formulation, path: Path, data_dir: Path | None, fmt: str,
           name: str | None) -> Path:
    import highspy

    from optiform.solvers.highs_backend import _pass_hessian, new_highs, pass_model

    model = _compiled(f, data_dir)
    h = new_highs()
    h.setOptionValue("output_flag", False)
    pass_model(h, model, model_name(f, path.stem) if name is None else name)
    if model.q is not None and model.sense == "maximize":
        # the solver path negates a maximized QP; a file keeps the model as written
        n = model.num_cols
        h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        h.changeColsCost(n, list(range(n)), model.c)
        h.changeObjectiveOffset(float(model.offset))
        _pass_hessian(h, model.q, n, 1.0)
    for i, name in enumerate(column_names(model)):
        h.passColName(i, name)
    for i, name in enumerate(row_names(model)):
        h.passRowName(i, name)
    with tempfile.TemporaryDirectory(prefix="optiform-export-") as tmp:
        out = Path(tmp) / f"model.{fmt}"  # HiGHS picks the format from the extension
        status = h.writeModel(str(out))
        if status == highspy.HighsStatus.kError or not out.exists():
            raise SolverError(f"HiGHS could not write the {fmt.upper()} file")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out, path)
        except OSError as exc:
            raise InputError(f"cannot write {path}: {exc.strerror}",
                             hint="choose a writable output path") from None
    return path
