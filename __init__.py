"""optiform: optimization problems in plain language -> checked, solved models.

The public API is imported lazily so that ``import optiform`` is instant and does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "Formulation": "optiform.solvers.formulation",
    "SolveResult": "optiform.solvers.result",
    "Status": "optiform.solvers.result",
    "solve_formulation": "optiform.solvers.api",
    "Settings": "optiform.config",
    "load_settings": "optiform.config",
    "OptiformError": "optiform.errors",
    "Assistant": "optiform.api",
    "solve": "optiform.api",
}

__all__ = [
    "Assistant",
    "Formulation",
    "OptiformError",
    "Settings",
    "SolveResult",
    "Status",
    "load_settings",
    "solve",
    "solve_formulation",
]

if TYPE_CHECKING:  # pragma: no cover
    from optiform.api import Assistant, solve
    from optiform.config import Settings, load_settings
    from optiform.errors import OptiformError
    from optiform.solvers.api import solve_formulation
    from optiform.solvers.formulation import Formulation
    from optiform.solvers.result import SolveResult, Status


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'optiform' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
