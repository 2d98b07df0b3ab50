"""Solution vectors back to named values: ``x`` -> 3.0, ``y`` -> {"a,b": 1.0}.

Keys are built per index set and joined with list comprehensions and values cleaned with numpy,
so a block of 90,000 variables turns into its dict in milliseconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _part(v: Any) -> str:
    """One element's text in a key; one holding a comma (or a quote) is quoted as in CSV, so
    that 'NY,NJ' x 'PA' and 'NY' x 'NJ,PA' stay two keys."""
    text = str(v)
    if "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def element_text(e: Any) -> str:
    """An element as it appears in a key: tuples joined by ','."""
    return ",".join(map(_part, e)) if isinstance(e, tuple) else _part(e)


def product_keys(labels: list[list[Any]]) -> list[str]:
    """Keys of every combination of the index sets' elements, in C (row-major) order."""
    if not labels:
        return [""]
    keys = [element_text(e) for e in labels[0]]
    for elements in labels[1:]:
        texts = [element_text(e) for e in elements]
        keys = [f"{k},{t}" for k in keys for t in texts]
    return keys


def _clean(x: np.ndarray) -> list[float]:
    """Values within 1e-9 of an integer become that integer (as float)."""
    x = np.asarray(x, dtype=float)
    r = np.round(x)
    return (np.where(np.abs(x - r) < 1e-9, r, x) + 0.0).tolist()  # + 0.0: no -0.0


def column_values(blocks: dict[str, Any], x: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, b in blocks.items():
        seg = _clean(x[b.base:b.base + b.size])
        if not b.shape:
            out[name] = seg[0]
            continue
        out[name] = dict(zip(b.keys, seg, strict=True))
    return out


def row_values(families: list[Any], duals: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fam in families:
        seg = (np.asarray(duals[fam.start:fam.start + fam.count], dtype=float) + 0.0).tolist()
        if not fam.labels:
            if fam.count == 1:
                out.setdefault(fam.name, seg[0])
            continue
        d = out.setdefault(fam.name, {})
        if isinstance(d, dict):
            for k, v in zip(fam.keys(), seg, strict=True):
                d.setdefault(k, v)
    return out
