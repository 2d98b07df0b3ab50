"""A formulation as readable math: a Markdown page and a LaTeX document.

Both list the sets, parameters (small tables in full, large ones summarized), variables with
their domains and bounds, the objective and every constraint with its ``\\forall`` head. The
math is rendered from the checked expression trees (``render_math.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optiform.errors import OptiformError
from optiform.solvers.formulation import Formulation, ParamDef, VarDef
from optiform.solvers.render_math import Latex, escape, for_all, number, symbol
from optiform.solvers.validate import ParsedModel, parse_model

MAX_TABLE_CELLS = 60
MAX_TABLE_COLUMNS = 10
MAX_SET_SHOWN = 12


@dataclass
class _Doc:
    f: Formulation
    parsed: ParsedModel
    data: Any  # ModelData, or None when a data file cannot be read

    @property
    def objective(self) -> str:
        head = r"\max" if self.f.objective.sense == "maximize" else r"\min"
        return rf"{head} \quad {Latex()(self.parsed.objective)}"

    def constraints(self) -> list[tuple[str, str, str]]:
        """(name, description, math) per constraint."""
        out = []
        for pc in self.parsed.constraints:
            math_ = Latex()(pc.body)
            head = for_all(pc.generators)
            if head:
                math_ += rf" \qquad {head}"
            c = self.f.constraint(pc.name)
            out.append((pc.name, c.description if c else "", math_))
        return out


def _doc(f: Formulation, data_dir: Path | None) -> _Doc:
    from optiform.solvers.data import load_data

    parsed = parse_model(f)
    try:
        data = load_data(f, data_dir)
    except OptiformError:
        data = None  # tables in files that are not at hand are described, not shown
    return _Doc(f, parsed, data)


def _elements(doc: _Doc, name: str) -> list[Any] | None:
    if doc.data is not None:
        return list(doc.data.sets[name].elements)
    s = doc.f.set(name)
    return [tuple(e) if isinstance(e, list) else e for e in s.elements] if s and \
        not s.source else None


def _elem_text(e: Any) -> str:
    return "(" + ", ".join(map(str, e)) + ")" if isinstance(e, tuple) else str(e)


def _set_text(doc: _Doc, name: str) -> str:
    s = doc.f.set(name)
    elems = _elements(doc, name)
    if elems is None:
        return f"column '{s.source.column}' of {s.source.file}" if s and s.source else "?"
    shown = ", ".join(_elem_text(e) for e in elems[:MAX_SET_SHOWN])
    more = f", ... ({len(elems)} in all)" if len(elems) > MAX_SET_SHOWN else ""
    return "{" + shown + more + "}"


def _bounds_text(v: VarDef) -> tuple[str, str]:
    lb, ub = v.lb, v.ub
    if v.domain == "binary":
        return "binary", "{0, 1}"
    parts = []
    if lb is not None:
        parts.append(f"{number(lb)} <=")
    parts.append(v.name)
    if ub is not None:
        parts.append(f"<= {number(ub)}")
    bounds = " ".join(parts) if (lb is not None or ub is not None) else "free"
    return v.domain, bounds


def _table(doc: _Doc, p: ParamDef) -> tuple[list[str], list[list[str]]] | str:
    """A small table (header, rows), or a one-line summary for large or unloaded ones."""
    if doc.data is None:
        if p.source is not None:
            return p.source.what
        return "table of values"
    arr = doc.data.params[p.name]
    labels = [doc.data.sets[s].elements for s in p.index]
    given = arr[~np.isnan(arr)]
    source = f" from {p.source.what}" if p.source else ""
    if arr.size > MAX_TABLE_CELLS or len(p.index) > 2 or \
            (len(p.index) == 2 and arr.shape[1] > MAX_TABLE_COLUMNS) or given.size == 0:
        rng = f", from {number(given.min())} to {number(given.max())}" if given.size else ""
        return f"{given.size} values{rng}{source}"
    cell = [["" if math.isnan(v) else number(v) for v in np.atleast_1d(row)]
            for row in (arr if arr.ndim == 2 else arr.reshape(-1, 1))]
    if len(p.index) == 1:
        return [p.index[0], p.name], [[_elem_text(e), c[0]] for e, c in
                                      zip(labels[0], cell, strict=True)]
    header = [f"{p.index[0]} \\ {p.index[1]}", *(_elem_text(e) for e in labels[1])]
    return header, [[_elem_text(e), *c] for e, c in zip(labels[0], cell, strict=True)]


# -- Markdown ----------------------------------------------------------------------------


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    def esc(t: str) -> str:
        return t.replace("|", "\\|")

    return ["| " + " | ".join(esc(h) for h in header) + " |",
            "|" + "---|" * len(header),
            *("| " + " | ".join(esc(c) for c in r) + " |" for r in rows)]


def to_markdown(f: Formulation, data_dir: Path | None = None) -> str:
    doc = _doc(f, data_dir)
    out = [f"# {f.name}", ""]
    if f.description:
        out += [f.description, ""]
    if f.sets:
        out += ["## Sets", ""]
        out += _md_table(["Set", "Elements", "Description"],
                         [[f"`{s.name}`", _set_text(doc, s.name), s.description]
                          for s in f.sets])
        out.append("")
    scalars = [p for p in f.parameters if not p.index]
    if f.parameters:
        out += ["## Parameters", ""]
    if scalars:
        out += _md_table(["Parameter", "Value", "Description"],
                         [[f"`{p.name}`", number(p.value or 0.0), p.description]
                          for p in scalars])
        out.append("")
    for p in f.parameters:
        if not p.index:
            continue
        desc = f": {p.description}" if p.description else ""
        out += [f"**`{p.name}`** over {' × '.join(p.index)}{desc}", ""]
        table = _table(doc, p)
        out += [f"{table}."] if isinstance(table, str) else _md_table(*table)
        out.append("")
    out += ["## Variables", ""]
    rows = []
    for v in f.variables:
        domain, bounds = _bounds_text(v)
        rows.append([f"`{v.name}`", " × ".join(v.index) or "-", domain, bounds,
                     v.description])
    out += [*_md_table(["Variable", "Index", "Domain", "Bounds", "Description"], rows), ""]
    out += ["## Objective", ""]
    if f.objective.description:
        out += [f.objective.description, ""]
    out += ["$$", doc.objective, "$$", ""]
    if f.constraints:
        out += ["## Constraints", ""]
    for name, desc, math_ in doc.constraints():
        out += [f"### `{name}`", ""]
        if desc:
            out += [desc, ""]
        out += ["$$", math_, "$$", ""]
    return "\n".join(out).rstrip() + "\n"


# -- LaTeX -------------------------------------------------------------------------------


def _tex_cell(text: str) -> str:
    """A cell as LaTeX: after a row's ``\\``, a cell opening with ``[`` would be read as the
    row's spacing argument, so it gets an empty group first."""
    out = escape(text)
    return "{}" + out if out.startswith("[") else out


def _tex_table(header: list[str], rows: list[list[str]]) -> list[str]:
    cols = "l" + "r" * (len(header) - 1)
    return [r"\begin{tabular}{" + cols + "}", r"\hline",
            " & ".join(_tex_cell(h) for h in header) + r" \\ \hline",
            *(" & ".join(_tex_cell(c) for c in r) + r" \\" for r in rows),
            r"\hline", r"\end{tabular}"]


def _tex_bounds(v: VarDef, sym: str) -> str:
    if v.domain == "binary":
        return sym + r" \in \{0, 1\}"
    if v.lb is None and v.ub is None:
        return sym + r" \in \mathbb{R}" if v.domain == "continuous" else sym + r" \in \mathbb{Z}"
    lo = f"{number(v.lb)} \\le " if v.lb is not None else ""
    hi = f" \\le {number(v.ub)}" if v.ub is not None else ""
    return lo + sym + hi


def to_latex(f: Formulation, data_dir: Path | None = None) -> str:
    """A standalone LaTeX document (article, amsmath) of the formulation."""
    doc = _doc(f, data_dir)
    out = [r"\documentclass{article}", r"\usepackage{amsmath,amssymb}",
           r"\begin{document}", r"\section*{" + escape(f.name) + "}"]
    if f.description:
        out.append(escape(f.description))
    if f.sets:
        out += [r"\subsection*{Sets}", r"\begin{itemize}"]
        for s in f.sets:
            desc = f" --- {escape(s.description)}" if s.description else ""
            out.append(rf"\item ${symbol(s.name)}$ = {escape(_set_text(doc, s.name))}{desc}")
        out.append(r"\end{itemize}")
    if f.parameters:
        out += [r"\subsection*{Parameters}", r"\begin{itemize}"]
        for p in f.parameters:
            desc = f" --- {escape(p.description)}" if p.description else ""
            if not p.index:
                out.append(rf"\item ${symbol(p.name)} = {number(p.value or 0.0)}${desc}")
                continue
            sub = ",".join(symbol(s) for s in p.index)
            table = _table(doc, p)
            out.append(rf"\item ${symbol(p.name)}_{{{sub}}}${desc}: "
                       + (escape(table) if isinstance(table, str) else ""))
            if not isinstance(table, str):
                out += ["", r"\smallskip", *_tex_table(*table)]
        out.append(r"\end{itemize}")
    out += [r"\subsection*{Variables}", r"\begin{itemize}"]
    for v in f.variables:
        domain = v.domain
        idx = ",".join(symbol(s) for s in v.index)
        sym = symbol(v.name) + (f"_{{{idx}}}" if idx else "")
        desc = f" --- {escape(v.description)}" if v.description else ""
        out.append(rf"\item ${sym}$: {domain}, ${_tex_bounds(v, sym)}${desc}")
    out += [r"\end{itemize}", r"\subsection*{Model}", r"\begin{align*}",
            rf"& {doc.objective}"]
    cons = doc.constraints()
    if cons:
        out[-1] += r" \\"
    for k, (name, _desc, math_) in enumerate(cons):
        lead = r"\text{s.t.} \quad " if k == 0 else r"\quad "
        end = r" \\" if k < len(cons) - 1 else ""
        out.append(rf"& {lead}{math_} && \text{{({escape(name)})}}{end}")
    out += [r"\end{align*}", r"\end{document}"]
    return "\n".join(out) + "\n"
