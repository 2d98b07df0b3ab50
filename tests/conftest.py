"""Shared fixtures. Every test runs with its own user directory and no endpoint configured."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _real_models_dir() -> Path:
    # read before any test swaps $OPTIFORM_HOME for a temp dir: the model lives in the user's
    from optiform.config_paths import user_data_dir

    return user_data_dir() / "models"


_REAL_MODELS = _real_models_dir()
SHARED = Path(os.environ.get("OPTIFORM_SHARED", REPO.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolate_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("optiform-home")
    monkeypatch.setenv("OPTIFORM_HOME", str(home))
    for var in list(os.environ):
        if (var.startswith("OPTIFORM_") and var not in ("OPTIFORM_HOME", "OPTIFORM_SHARED",
                                                         "OPTIFORM_MODEL_PATH")) or \
                var.startswith("OPENAI_"):
            monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}; set OPTIFORM_SHARED")
    return SHARED


@pytest.fixture(scope="session")
def embedded_model_path() -> Path:
    """The real embedded model file (live tests); a clear failure when it is missing."""
    from optiform.agent.model_files import ensure_model
    from optiform.errors import ModelUnavailableError

    configured = os.environ.get("OPTIFORM_MODEL_PATH")
    if configured:
        return Path(configured)
    try:
        return ensure_model(directory=_REAL_MODELS, allow_download=False, show_progress=False)
    except ModelUnavailableError as err:
        pytest.fail(f"the embedded model is not available ({err}); run "
                    "`.venv/bin/optiform model fetch` (scripts/setup.sh does) or set "
                    "OPTIFORM_MODEL_PATH")


@pytest.fixture
def cli():
    """``cli("solve", ...)``: the optiform CLI run in-process (typer's CliRunner), with
    ``input=`` for stdin; arguments may be paths."""
    from typer.testing import CliRunner

    from optiform.cli import build_app

    app, runner = build_app(), CliRunner()

    def run(*args: str | Path, input: str | None = None):
        return runner.invoke(app, [str(a) for a in args], input=input, catch_exceptions=False)

    return run


@pytest.fixture
def turn_running():
    """``with turn_running(assistant, thread_id):`` a turn of that thread runs in another
    thread until the block ends (a cancelled turn whose LLM call has not ended yet, or one
    whose client went away)."""
    import threading
    from contextlib import contextmanager

    @contextmanager
    def hold(assistant, thread_id: str):
        held, release = threading.Event(), threading.Event()

        def run() -> None:
            with assistant._turn_lock(thread_id):
                held.set()
                release.wait(10)

        worker = threading.Thread(target=run)
        worker.start()
        try:
            assert held.wait(10)
            yield
        finally:
            release.set()
            worker.join(10)

    return hold


@pytest.fixture(scope="session")
def gap_model():
    """``gap_model([g_a, g_b])``: x[i] - gap[i] <= y[i] with y[i] at most 30, maximizing
    2 x[a] + 3 x[b] less y; one more unit of gap[a] costs 2, of gap[b] 3 (a table's number on
    the left, with variables on both sides: the duals' and the shadow prices' tests)."""
    def build(values: list[float]) -> dict:
        return {"sets": [{"name": "I", "elements": ["a", "b"]}],
                "parameters": [{"name": "gap", "index": ["I"], "values": values},
                               {"name": "w", "index": ["I"], "values": [2, 3]}],
                "variables": [{"name": "x", "index": ["I"], "ub": 1000},
                              {"name": "y", "index": ["I"], "ub": 30}],
                "objective": {"sense": "maximize",
                              "expression": "sum(w[i]*x[i] - y[i] for i in I)"},
                "constraints": [{"name": "limit", "for_each": "i in I",
                                 "expression": "x[i] - gap[i] <= y[i]"}]}

    return build


@pytest.fixture(scope="session")
def solve_on():
    """``solve_on(d, route)``: the formulation dict ``d`` solved, asserted optimal, on
    ``route``: 'highs', 'pdhg', or 'pyomo-highs' (the general route, solved by HiGHS); for
    the duals' and the shadow prices' tests, which compare every route."""
    from optiform.solvers.api import solve_formulation
    from optiform.solvers.data import load_data
    from optiform.solvers.formulation import Formulation
    from optiform.solvers.pyomo_backend import solve_parsed_with_pyomo
    from optiform.solvers.result import Status
    from optiform.solvers.validate import parse_model

    def solve(d: dict, route: str):
        f = Formulation.from_dict(d)
        if route == "pyomo-highs":
            res = solve_parsed_with_pyomo(parse_model(f), load_data(f, None), solver="highs")
        else:
            res = solve_formulation(f, solver=route)
        assert res.status is Status.OPTIMAL, res.message
        return res

    return solve


@pytest.fixture(scope="session")
def solve_recorded():
    """``solve_recorded(text, written)``: the agent's answer (no library) when the LLM replies
    ``written`` every time, a recorded reply in the compact form the tests write it in
    ({"variables": {name: domain}, "objective": ..., "constraints": {name: expression}}),
    given to the agent as the LLM writes it (lists of variables and constraints)."""
    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.config import load_settings

    def solve(text: str, written: dict):
        reply = {**written,
                 "variables": [{"name": n, "domain": d} for n, d in written["variables"].items()],
                 "constraints": [{"name": n, "expression": e}
                                 for n, e in written["constraints"].items()]}
        return Assistant(load_settings(library=False), llm=FakeLLM([reply] * 4)).solve(text)

    return solve
