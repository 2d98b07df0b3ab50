"""Solution vectors back to named values: ``x`` -> 3.0, ``y`` -> {"a,b": 1.0}."""

from __future__ import annotations

from typing import Any

import numpy as np


def _clean(v: float) -> float:
    r = round(v)
    return float(r) if abs(v - r) < 1e-9 else float(v)


def column_values(blocks: dict[str, Any], x: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, b in blocks.items():
        seg = x[b.base:b.base + b.size]
        if not b.shape:
            out[name] = _clean(float(seg[0]))
            continue
        out[name] = {k: _clean(float(v)) for k, v in zip(b.keys, seg, strict=True)}
    return out


def row_values(families: list[Any], duals: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fam in families:
        seg = duals[fam.start:fam.start + fam.count]
        if not fam.labels:
            if fam.count == 1:
                out[fam.name] = float(seg[0])
            continue
        d = out.setdefault(fam.name, {})
        if isinstance(d, dict):
            for i, v in enumerate(seg):
                d[fam.key(i)] = float(v)
    return out
