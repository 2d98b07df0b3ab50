"""Ready-made formulations (as the dicts users write) for demos, tests and benchmarks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _elements(values: Sequence[Any] | Mapping[str, Any], prefix: str) -> list[str]:
    if isinstance(values, Mapping):
        return [str(k) for k in values]
    return [f"{prefix}{i + 1}" for i in range(len(values))]


def transport(supply: Sequence[Any] | Mapping[str, Any], demand: Sequence[Any] | Mapping[str, Any],
              cost: Any, *, domain: str = "continuous", name: str = "transport") -> dict[str, Any]:
    """The transportation problem: ship ``x[i, j]`` from sources I (s1, s2, ... or the keys of
    ``supply``) to sinks J (d1, ...) at ``cost`` (any shape the formulation language reads),
    within each supply (constraint ``ship``) and meeting each demand (``meet``)."""
    return {
        "name": name,
        "sets": [{"name": "I", "elements": _elements(supply, "s")},
                 {"name": "J", "elements": _elements(demand, "d")}],
        "parameters": [
            {"name": "supply", "index": ["I"], "values": supply},
            {"name": "demand", "index": ["J"], "values": demand},
            {"name": "cost", "index": ["I", "J"], "values": cost},
        ],
        "variables": [{"name": "x", "index": ["I", "J"], "domain": domain}],
        "objective": {"sense": "minimize",
                      "expression": "sum(cost[i, j] * x[i, j] for i in I for j in J)"},
        "constraints": [
            {"name": "ship", "for_each": "i in I",
             "expression": "sum(x[i, j] for j in J) <= supply[i]"},
            {"name": "meet", "for_each": "j in J",
             "expression": "sum(x[i, j] for i in I) >= demand[j]"},
        ],
    }
