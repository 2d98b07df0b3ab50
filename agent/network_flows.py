"""A network's flows written on its nodes. For 'pipes from a source S to a city T; capacities:
S to A 10, S to B 8, A to B 2, A to T 7, B to T 9; the largest flow that can reach the city'
the embedded 1.5B model wrote one variable per node (S, A, B, T) and one line per pipe,
``S + A <= 10``: no flow on any pipe and no balance at A or B (15 where 16 is right).

The check reads the arcs the text lists with a number each ('S to A 10', 'from A to B: 2'),
three or more over three or more nodes, and warns where the model's variables are its nodes
and the text speaks of flow or capacity (distances between towns where some open is a
choice of nodes, rightly one variable each).
Where the text asks for the largest flow and the network has one node that only sends (the
source) and one that only receives (the sink), the fix is the maximum-flow model: a flow
variable per arc, at most its capacity, flow in equal to flow out at every other node, and
the flow out of the source maximized; the node variables and their lines go.
"""

from __future__ import annotations

import re

from optiform.agent.check_model import Check, replacement
from optiform.solvers.formulation import Formulation

_NODE = r"([A-Z][A-Za-z0-9]{0,11})"
_ARC = re.compile(rf"(?:\bfrom\s+)?\b{_NODE}\s*(?:to|->|→)\s*{_NODE}\s*(?:is\s+|has\s+|:\s*|=\s*)?"
                  r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\b")
_FLOWING = re.compile(r"\b(?:flows?|flowing|capacit(?:y|ies)|pipes?|pipelines?|throughput|"
                      r"network)\b", re.I)
_MAX_FLOW = re.compile(r"\b(?:largest|maximum|maximal|most|greatest|max)\b[^.?!]*\bflow\b|"
                       r"\bmaximi[sz]e\b[^.?!]*\bflow\b", re.I)


def listed_arcs(text: str) -> dict[tuple[str, str], float]:
    """The arcs the text lists with a number each, where they are three or more over three or
    more nodes and none is listed twice; else none."""
    arcs: dict[tuple[str, str], float] = {}
    for m in _ARC.finditer(text):
        arc = (m.group(1), m.group(2))
        if arc in arcs or arc[0] == arc[1]:
            return {}
        arcs[arc] = float(m.group(3).replace(",", ""))  # 1,200 is 1200
    nodes = {n for arc in arcs for n in arc}
    return arcs if len(arcs) >= 3 and len(nodes) >= 3 else {}


def listed_arc_spans(text: str) -> list[tuple[int, int]]:
    """Where the text lists an arc with its number (the spans listed_arcs reads)."""
    return [m.span() for m in _ARC.finditer(text)]


def _ends(arcs: dict[tuple[str, str], float]) -> tuple[str, str] | None:
    nodes = {n for arc in arcs for n in arc}
    sources = [n for n in nodes if not any(b == n for _, b in arcs)]
    sinks = [n for n in nodes if not any(a == n for a, _ in arcs)]
    return (sources[0], sinks[0]) if len(sources) == 1 and len(sinks) == 1 else None


def _max_flow(f: Formulation, arcs: dict[tuple[str, str], float], source: str, sink: str,
              domain: str) -> dict[str, dict[str, str]]:
    flow = {arc: f"flow_{arc[0]}_{arc[1]}" for arc in arcs}
    constraints = {f"capacity_{a}_{b}": f"{flow[a, b]} <= {cap:g}"
                   for (a, b), cap in arcs.items()}
    nodes = sorted({n for arc in arcs for n in arc} - {source, sink})
    for n in nodes:
        into = " + ".join(v for (a, b), v in flow.items() if b == n)
        out = " + ".join(v for (a, b), v in flow.items() if a == n)
        constraints[f"balance_{n}"] = f"{into} == {out}"
    objective = " + ".join(v for (a, _), v in flow.items() if a == source)
    return replacement(f, constraints, dict.fromkeys(flow.values(), domain),
                       {"sense": "maximize", "expression": objective}, "the flows on the arcs")


def node_variables(text: str, f: Formulation) -> list[Check]:
    """A warning where the text lists a network's arcs and the model's variables are its
    nodes; with the maximum-flow model as the fix where it is sure (module docstring)."""
    arcs = listed_arcs(text) if _FLOWING.search(text) else {}
    nodes = {n for arc in arcs for n in arc}
    if not arcs or not f.variables or any(v.index for v in f.variables) or \
            not {v.name for v in f.variables} <= nodes:
        return []
    ends = _ends(arcs)
    fix = None
    if ends is not None and _MAX_FLOW.search(text):
        domains = {v.domain for v in f.variables}
        domain = domains.pop() if len(domains) == 1 and "binary" not in domains else "continuous"
        fix = _max_flow(f, arcs, *ends, domain)
    listed = ", ".join(f"{a} to {b}" for a, b in arcs)
    return [Check(code="node_variables", severity="warning", where="variables",
                  names=[v.name for v in f.variables], fix=fix, message=(
                      f"The text gives a number for each arc of a network ({listed}), but the "
                      f"model's variables are its nodes ({', '.join(v.name for v in f.variables)}"
                      f"). Decide the flow on each arc (flow_A_B for A to B), at most the arc's "
                      f"number; at every node but the source and the sink, the flow in equals "
                      f"the flow out; and count the flow out of the source (or into the sink)."))]
