"""The answer's Pyomo script: a model that does not build is no exporter failure."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from optiform.agent import finish
from optiform.errors import FormulationError
from optiform.solvers.formulation import Formulation

MODEL = Formulation.from_dict({"variables": [{"name": "x", "ub": 1}],
                               "objective": {"sense": "maximize", "expression": "x"}})


def exporting(error: Exception) -> Any:
    def export(f: Formulation, data_dir: Any = None) -> str:
        raise error

    return SimpleNamespace(export=export)


def test_a_model_that_does_not_build_has_no_script_and_no_note(monkeypatch) -> None:
    notes: list[tuple[Any, ...]] = []
    monkeypatch.setattr(finish, "emit", lambda *a, **k: notes.append((a, k)))
    deps = exporting(FormulationError("unknown index set 'unit'", where="parameter 'cost'"))
    assert finish._export(deps, MODEL, None) is None
    assert notes == []


def test_an_exporter_bug_is_a_note_and_costs_no_answer(monkeypatch) -> None:
    notes: list[tuple[Any, ...]] = []
    monkeypatch.setattr(finish, "emit", lambda *a, **k: notes.append((a, k)))
    assert finish._export(exporting(KeyError("boom")), MODEL, None) is None
    [(args, kwargs)] = notes
    assert args == ("error", "answer") and "Pyomo export failed" in kwargs["message"]


def test_a_script_is_returned() -> None:
    deps = SimpleNamespace(export=lambda f, data_dir=None: "# script")
    assert finish._export(deps, MODEL, None) == "# script"
