"""A shortest route the model did not write as a route. For 'roads connect five towns; A to B 4,
A to C 2, B to C 1, B to D 5, C to D 8, C to E 10, D to E 2; roads can be driven in either
direction; find the length of the shortest route from A to E' the embedded 1.5B model wrote a
variable per length and a line that the five of them add up to 10, and minimized one of them
(0, where 10 is right).

The check reads the arcs the text lists with a number each (network_flows.listed_arcs) and the
route it asks for: the shortest (cheapest, quickest) route, path or way from X to Y, or between
X and Y. It stays silent where the text asks the route to visit every place or pass through
one (a tour), or speaks of amounts sent along the arcs (a flow, with capacities or demands).
It also stays silent where the text has a number that is not an arc's (a length written
another way, 'the road between Park and Office is 2 km': the arcs read are not the whole
network). The lengths fix the shortest distance (Dijkstra); a model whose answer is the
distance with the arcs run either way passes too, unless the text says they are one-way (roads
are often two-way without a word of it). Where the model's answer is not that distance,
the fix is the shortest-path model: a 0/1 choice per arc (both ways where the text says the
arcs run in either direction, or where no route runs the listed way), one unit of route out of
the start, into the end, and through every other place as many times in as out, and the
lengths of the arcs chosen minimized. The model's own variables and lines go.
"""

from __future__ import annotations

import heapq
import re

from optiform.agent.check_model import Check, replacement
from optiform.agent.network_flows import listed_arc_spans, listed_arcs
from optiform.agent.textcues import numbers_outside
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

_NODE = r"([A-Z][A-Za-z0-9]{0,11})"
_SHORTEST = (r"\b(?:shortest|cheapest|quickest|fastest|least[- ](?:costly|expensive)|"
             r"minimum[- ](?:length|distance|cost|time))\b")
_ROUTE = r"\b(?:route|path|way|trip|journey|drive)\b"
_ASKED = re.compile(rf"{_SHORTEST}[^.?!]*?{_ROUTE}[^.?!]*?\b(?:from\s+{_NODE}\s+to\s+{_NODE}|"
                    rf"between\s+{_NODE}\s+and\s+{_NODE})\b")
_TWO_WAY = re.compile(r"\b(?:either\s+direction|both\s+directions|each\s+direction|two[- ]way|"
                      r"undirected|both\s+ways|either\s+way|bi-?directional|any\s+direction|"
                      r"two\s+directions|not\s+one[- ]way)\b", re.I)
_ONE_WAY = re.compile(r"(?<!not )\b(?:one[- ]way|directed)\b", re.I)
_NOT_A_PATH = re.compile(r"\b(?:visit(?:s|ing)?|tour|return(?:s|ing)?\s+to|passes|passing|"
                         r"through\s+[A-Z]\b|via|capacit(?:y|ies)|flows?|units|tons|supply|"
                         r"supplies|demands?|ship(?:s|ping|ped)?|send(?:s|ing)?)\b", re.I)


def asked_route(text: str) -> tuple[str, str] | None:
    """The start and end of the shortest route the text asks for, or None."""
    found = _ASKED.findall(text)
    if len(found) != 1:
        return None
    a, b, c, d = found[0]
    return (a, b) if a else (c, d)


def shortest_distance(arcs: dict[tuple[str, str], float], start: str, end: str) -> float | None:
    """Dijkstra over the arcs as directed; None where no route leads from start to end."""
    out: dict[str, list[tuple[str, float]]] = {}
    for (a, b), length in arcs.items():
        out.setdefault(a, []).append((b, length))
    best = {start: 0.0}
    queue = [(0.0, start)]
    while queue:
        d, node = heapq.heappop(queue)
        if node == end:
            return d
        if d > best.get(node, float("inf")):
            continue
        for nxt, length in out.get(node, []):
            if d + length < best.get(nxt, float("inf")):
                best[nxt] = d + length
                heapq.heappush(queue, (d + length, nxt))
    return None


def _both_ways(arcs: dict[tuple[str, str], float]) -> dict[tuple[str, str], float]:
    out = dict(arcs)
    for (a, b), length in arcs.items():
        out[b, a] = min(length, out.get((b, a), length))
    return out


def _path_model(f: Formulation, arcs: dict[tuple[str, str], float], start: str,
                end: str) -> dict[str, dict[str, str]]:
    use = {arc: f"use_{arc[0]}_{arc[1]}" for arc in arcs}
    constraints: dict[str, str] = {}
    for n in sorted({n for arc in arcs for n in arc}):
        out = " + ".join(v for (a, _), v in use.items() if a == n) or "0"
        into = " + ".join(v for (_, b), v in use.items() if b == n) or "0"
        net = 1 if n == start else -1 if n == end else 0
        constraints[f"route_{n}"] = f"{out} - ({into}) == {net}"
    objective = " + ".join(f"{length:g}*{use[arc]}" for arc, length in arcs.items())
    return replacement(f, constraints, dict.fromkeys(use.values(), "binary"),
                       {"sense": "minimize", "expression": objective}, "the route")


def route_lengths(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """A warning, with the shortest-path model as the fix, where the text asks for the shortest
    route between two places of a listed network and the model's answer is not its length
    (module docstring)."""
    ends = asked_route(text)
    if ends is None or _NOT_A_PATH.search(text):
        return []
    arcs = listed_arcs(text)
    nodes = {n for arc in arcs for n in arc}
    if not arcs or not set(ends) <= nodes or ends[0] == ends[1]:
        return []
    if numbers_outside(text, listed_arc_spans(text)):
        return []  # a number that is not an arc's: the network read may be incomplete
    if _TWO_WAY.search(text) or shortest_distance(arcs, *ends) is None:
        arcs = _both_ways(arcs)
    distance = shortest_distance(arcs, *ends)
    if distance is None:
        return []
    passing = {distance}
    if not _ONE_WAY.search(text):
        passing.add(shortest_distance(_both_ways(arcs), *ends))
    if result is not None and result.ok and result.objective is not None and \
            any(abs(result.objective - d) <= 1e-6 * max(1.0, abs(d)) for d in passing):
        return []
    got = (f"the model's answer is {result.objective:g}"
           if result is not None and result.ok and result.objective is not None
           else "the model gives no route length")
    start, end = ends
    return [Check(code="route_length", severity="warning", where="objective",
                  names=[v.name for v in f.variables], fix=_path_model(f, arcs, start, end),
                  message=(
                      f"The text asks for the shortest route from {start} to {end} over the "
                      f"arcs it lists, but {got}. Choose each arc (use_{start}_X = 1 where the "
                      f"route takes it): one more arc out of {start} than into it, one more into "
                      f"{end} than out of it, as many in as out at every other place; and "
                      f"minimize the lengths of the arcs chosen."))]
