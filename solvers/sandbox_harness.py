"""The fixed harness the sandbox child runs: ``python -I -B sandbox_harness.py ROOT [options]``.

ROOT holds ``solution.py`` (the untrusted code), ``data.json``, an empty ``result.json`` and the
scratch directory ``work/`` (the child's cwd). The harness imports Pyomo and the solvers,
enters its file-system view and locks it (inside the namespace), installs the audit hook, then
runs the code:

- mode ``build_model``: the code must define ``build_model(data)`` returning a Pyomo model;
- mode ``script``: the code runs as ``__main__`` with ``data`` predefined and must leave its
  model in a global named ``model``;

solves the model and writes one JSON record to ``result.json`` (status, objective, values,
message, traceback). The parent never reads anything from stdout. Imports nothing from
optiform: its siblings are loaded by file path.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import signal
import sys
import traceback
import types
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CODE_NAME = "solution.py"
MAX_USER_FRAMES = 4
MAX_LIBRARY_FRAMES = 2
MAX_MESSAGE_CHARS = 1500


def _load_sibling(name: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(f"_optiform_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _short_path(filename: str, code_path: str) -> str:
    if filename == code_path:
        return CODE_NAME
    for marker in ("site-packages/", "/lib/python3."):
        if marker in filename:
            tail = filename.split(marker, 1)[1]
            return tail if marker == "site-packages/" else "python3." + tail
    return filename


def _pick_frames(frames: list[Any], code_path: str) -> list[Any | None]:
    """The last few frames of the user's code and the deepest library frames under them;
    None marks frames left out."""
    user = [i for i, f in enumerate(frames) if f.filename == code_path]
    keep = set(user[-MAX_USER_FRAMES:])
    below = range((user[-1] + 1) if user else 0, len(frames))
    keep.update(list(below)[-MAX_LIBRARY_FRAMES:])
    picked: list[Any | None] = []
    for i, f in enumerate(frames):
        if i in keep:
            picked.append(f)
        elif picked[-1:] != [None]:
            picked.append(None)
    return picked


def format_error(exc: BaseException, code_path: str) -> tuple[str, str]:
    """(frames, exception) as short text: the user's frames and the library frames below
    them, without the harness; the user's file shown as ``solution.py``."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if Path(f.filename).parent != HERE and not f.filename.startswith("<frozen")
              and "/runpy.py" not in f.filename and "/importlib/" not in f.filename]
    lines = ["Traceback (most recent call last):"] if frames else []
    for f in _pick_frames(frames, code_path):
        if f is None:
            lines.append("  ...")
            continue
        lines.append(f'  File "{_short_path(f.filename, code_path)}", line {f.lineno}, '
                     f"in {f.name}")
        if f.line:
            lines.append(f"    {f.line.strip()}")
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    text = text.replace(code_path, CODE_NAME)
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + " ..."
    return "\n".join(lines), text


def _error(exc: BaseException, code_path: str, context: str) -> dict[str, Any]:
    frames, text = format_error(exc, code_path)
    if isinstance(exc, SystemExit):
        text = f"the code called sys.exit({exc.code!r}); it must not exit the interpreter"
    message = f"{context}: {text}" + (f"\n{frames}" if frames else "")
    return {"status": "error", "objective": None, "values": {},
            "traceback": f"{frames}\n{text}" if frames else None, "message": message,
            "exception": type(exc).__name__, "out_of_memory": isinstance(exc, MemoryError)}


def _find_script_model(namespace: dict[str, Any]) -> Any:
    from pyomo.core.base.block import BlockData

    model = namespace.get("model")
    if model is not None:
        return model
    models = [v for k, v in namespace.items()
              if isinstance(v, BlockData) and v.parent_block() is None and not k.startswith("_")]
    if len(models) == 1:
        return models[0]
    raise LookupError("the script must leave its Pyomo model in a global variable named "
                      f"`model` (found {len(models)} top-level models)")


def run_user_code(mode: str, code_path: str, data: dict[str, Any]) -> Any:
    """Run the untrusted code and return the Pyomo model it built."""
    if mode == "script":
        import runpy

        namespace = runpy.run_path(code_path, init_globals={"data": data}, run_name="__main__")
        return _find_script_model(namespace)
    module = types.ModuleType("solution")
    module.__file__ = code_path
    sys.modules["solution"] = module
    source = Path(code_path).read_text(encoding="utf-8")
    exec(compile(source, code_path, "exec"), module.__dict__)
    build = module.__dict__.get("build_model")
    if not callable(build):
        raise LookupError("the code must define a function `build_model(data)` that returns "
                          "a Pyomo ConcreteModel")
    return build(data)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sandbox_harness")
    parser.add_argument("root")
    parser.add_argument("--mode", choices=("build_model", "script"), default="build_model")
    parser.add_argument("--solver", choices=("highs", "scip"), default="highs")
    parser.add_argument("--time-limit", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--lock-mb", type=int, default=0, help="tmpfs size; 0: no fs lock")
    parser.add_argument("--path", action="append", default=[], help="extra sys.path entry")
    return parser.parse_args(argv)


def _prepare(args: argparse.Namespace, root: str, solve: Any) -> dict[str, Any] | None:
    """Import the solver stack and start HiGHS, before the file-system view: every library
    they load is then mapped, and the view binds its folder wherever it lives. An error
    record when that fails, else None."""
    try:
        import pyomo.environ  # noqa: F401
        from pyomo.contrib.solver.common.factory import SolverFactory

        for name in solve.SOLVER_NAMES.values():
            SolverFactory(name).available()
        solve.warm_up(args.threads)
    except Exception as exc:
        return _error(exc, os.path.join(root, CODE_NAME), "the sandbox could not start")
    return None


def _run(args: argparse.Namespace, root: str, guard: Any, solve: Any) -> dict[str, Any]:
    """Install the guard, run the code, solve: the result record."""
    code_path = os.path.join(root, CODE_NAME)
    try:
        with open(os.path.join(root, "data.json"), encoding="utf-8") as fh:
            data = json.load(fh)
    except Exception as exc:
        return _error(exc, code_path, "the sandbox could not start")
    guard.install_guard(os.path.join(root, "work"),
                        guard.guard_roots([*args.path, root, str(HERE)]))
    solve_model = solve.solve_model  # bound now: the code may rewrite the module, not this
    for name in ("_optiform_sandbox_guard", "_optiform_sandbox_solve"):
        sys.modules.pop(name, None)
    try:
        model = run_user_code(args.mode, code_path, data)
    except BaseException as exc:
        return _error(exc, code_path, "the code failed")
    try:
        return solve_model(model, args.solver, args.time_limit)
    except BaseException as exc:
        return _error(exc, code_path, "solving the model failed")


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes fail with EFBIG instead
    for entry in args.path:
        if entry not in sys.path:
            sys.path.append(entry)
    root = os.path.realpath(args.root)
    result_path = os.path.join(root, "result.json")
    guard, solve = _load_sibling("sandbox_guard"), _load_sibling("sandbox_solve")
    sandbox: dict[str, Any] = {"filesystem_locked": False, "view": False,
                               "capabilities_dropped": False}
    failed = _prepare(args, root, solve)
    if args.lock_mb and failed is None:
        try:
            os.makedirs(os.path.join(root, "view"), exist_ok=True)
            guard.enter_view(root, [r for r in guard.guard_roots([*args.path, str(HERE)])
                                    if r != root])
            sandbox["view"] = True
        except OSError as exc:
            sandbox["view_error"] = str(exc)
        try:
            unlocked = guard.lock_filesystem(os.path.join(root, "work"), result_path,
                                             args.lock_mb)
            sandbox.update(filesystem_locked=not unlocked, unlocked_mounts=unlocked)
        except OSError as exc:
            sandbox["lock_error"] = str(exc)
    if failed is None:
        try:
            guard.drop_capabilities()
            sandbox["capabilities_dropped"] = True
        except OSError as exc:
            sandbox["capabilities_error"] = str(exc)
    with open(result_path, "w", encoding="utf-8") as out:  # opened before the guard is on
        record = failed or _run(args, root, guard, solve)
        record["sandbox"] = sandbox
        try:
            text = json.dumps(record, allow_nan=False, default=str)
        except (TypeError, ValueError) as exc:
            text = json.dumps(_error(exc, "", "the result could not be written"))
        out.write(text)
    return 0


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)  # do not wait for threads the code may have left running
