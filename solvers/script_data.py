"""The data section of an exported Pyomo script: sets as lists, parameters as dict literals."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any

from optiform.solvers.data import ModelData
from optiform.solvers.formulation import Formulation

WIDTH = 96


def literal(v: Any) -> str:
    """A set element or number as Python source."""
    if isinstance(v, tuple):
        return "(" + ", ".join(literal(x) for x in v) + ("," if len(v) == 1 else "") + ")"
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return repr(int(v))
    if isinstance(v, int):
        return repr(v)
    f = float(v)
    if math.isinf(f):
        return 'float("inf")' if f > 0 else 'float("-inf")'
    return repr(int(f)) if f.is_integer() and abs(f) < 1e15 else repr(f)


def _wrapped(open_: str, items: list[str], close: str, indent: str = "    ") -> str:
    one_line = open_ + ", ".join(items) + close
    if len(one_line) <= WIDTH:
        return one_line
    lines, line = [], indent
    for item in items:
        piece = item + ","
        if len(line) + len(piece) + 1 > WIDTH and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += piece + " "
    lines.append(line.rstrip())
    return open_ + "\n" + "\n".join(lines) + "\n" + close


def data_section(f: Formulation, data: ModelData, names: Any) -> str:
    out = ["# -- data " + "-" * 87, ""]
    for s in f.sets:
        if s.description:
            out.append(f"# {s.description}")
        items = [literal(e) for e in data.sets[s.name].elements]
        out.append(f"{names.ident[s.name]} = " + _wrapped("[", items, "]"))
    for p in f.parameters:
        if p.description:
            out.append(f"# {p.description}")
        arr = data.params[p.name]
        ident = names.ident[p.name]
        if not p.index:
            out.append(f"{ident} = {literal(float(arr))}")
            continue
        labels = [data.sets[s].elements for s in p.index]
        items = []
        for pos in itertools.product(*(range(len(x)) for x in labels)):
            v = float(arr[pos])
            if math.isnan(v):
                continue
            elems = tuple(labels[k][i] for k, i in enumerate(pos))
            key = literal(elems[0]) if len(elems) == 1 else literal(elems)
            items.append(f"{key}: {literal(v)}")
        out.append(f"{ident} = " + _wrapped("{", items, "}"))
    return "\n".join(out)
