"""A shortest tour the model did not write as one. For 'a salesman must visit four cities A, B, C
and D once each and return to the city he started from; A to B 10, A to C 15, A to D 20, B to
C 35, B to D 25, C to D 30; what is the length of the shortest tour?' a small model has no
way to write the tour's order.

The check reads the distances the text lists between every two of three to eight places, each
pair once (network_flows.listed_arcs; a distance holds both ways), and the ask for a tour:
visiting each place once and returning, a round trip, a tour or a cycle, and the shortest
(least, cheapest) asked. It stays silent on the longest tour, a count of tours, a path that
need not return or ends elsewhere, an order among the places (before, after), and on any
number or number word in the text beside the distances and the count of places (a cost per
km, two vans, hours spent at each stop). The shortest tour is
found by trying every order (at most 5040 of them). Where the model's answer is not its
length, the fix is the tour model: a 0/1 choice per ordered pair (go_A_B), one way out of and
one way into every place, and an order number per place but the first that grows along the
tour (Miller-Tucker-Zemlin), so no tour closes before it has visited every place; the
distances of the legs taken minimized. The model's own variables and lines go.
"""

from __future__ import annotations

import itertools
import re

from optiform.agent.check_model import Check, replacement
from optiform.agent.network_flows import listed_arc_spans, listed_arcs
from optiform.agent.textcues import NUMBER_WORDS, numbers_outside
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

_TOUR = re.compile(r"\b(?:return(?:s|ing)?\s+to\b|round\s+trip|tour|cycle|circuit|back\s+to\s+"
                   r"(?:the\s+)?(?:start|city|depot|home|office|warehouse))", re.I)
_EACH_ONCE = re.compile(r"\b(?:each|every|all)\b[^.?!]*\bonce\b|\bonce\s+each\b|"
                        r"\bvisit(?:s|ing)?\s+(?:each|every|all)\b", re.I)
_MAX_PLACES = 8
_SHORTEST = re.compile(r"\b(?:shortest|minimum|minimal|minimi[sz]e[sd]?|least|smallest|cheapest|"
                       r"fastest|quickest)\b", re.I)
# the ask or the tour is another: the longest tour, a count of tours, a path that ends elsewhere
_OTHER = re.compile(r"\b(?:longest|maximum|maximi[sz]e|most|largest|how\s+many|number\s+of)\b|"
                    r"\b(?:not|never|no\s+need|without)\b[^.?!]*\breturn|"
                    r"\bend(?:s|ing)?\s+(?:at|in)\s+(?!the\s+(?:start|same|city|depot|home|"
                    r"origin|office|warehouse|place))|"
                    r"\bbefore(?!\s+(?:return|coming\s+back|going\s+back|heading\s+back))|"
                    r"\bafter(?!\s+(?:visiting|seeing|all|every|each|the\s+last))|"
                    r"\b(?:immediately|directly|consecutive(?:ly)?|one[- ]way|directed)\b", re.I)


def tour_distances(text: str) -> dict[tuple[str, str], float] | None:
    """The distance between every two places, each pair listed once, where the text asks for a
    tour of them; else None (module docstring)."""
    if not _TOUR.search(text) or not _EACH_ONCE.search(text) or not _SHORTEST.search(text) or \
            _OTHER.search(text):
        return None
    arcs = listed_arcs(text)
    places = sorted({p for arc in arcs for p in arc})
    pairs = {frozenset(arc) for arc in arcs}
    if not 3 <= len(places) <= _MAX_PLACES or len(pairs) != len(arcs) or \
            len(arcs) != len(places) * (len(places) - 1) // 2:
        return None
    if any(float(m.group().replace(",", "")) != len(places)
           for m in numbers_outside(text, listed_arc_spans(text))) or \
            any(NUMBER_WORDS[w] != len(places)
                for w in {w.lower() for w in re.findall(r"[A-Za-z]+", text)} & NUMBER_WORDS.keys()):
        return None  # more than the distances and the count of places: a cost per km, two vans
    both = dict(arcs)
    both |= {(b, a): d for (a, b), d in arcs.items()}
    return both


def shortest_tour(distances: dict[tuple[str, str], float]) -> float:
    """The shortest length of a tour through every place, by trying every order."""
    places = sorted({p for arc in distances for p in arc})
    first, rest = places[0], places[1:]
    best = float("inf")
    for order in itertools.permutations(rest):
        path = [first, *order, first]
        best = min(best, sum(distances[a, b] for a, b in itertools.pairwise(path)))
    return best


def _tour_model(f: Formulation,
                distances: dict[tuple[str, str], float]) -> dict[str, dict[str, str]]:
    places = sorted({p for arc in distances for p in arc})
    n = len(places)
    go = {(a, b): f"go_{a}_{b}" for a in places for b in places if a != b}
    order = {p: f"order_{p}" for p in places[1:]}
    constraints = {}
    for p in places:
        constraints[f"leave_{p}"] = " + ".join(go[p, q] for q in places if q != p) + " == 1"
        constraints[f"enter_{p}"] = " + ".join(go[q, p] for q in places if q != p) + " == 1"
    for p in places[1:]:
        constraints[f"order_{p}_from"] = f"{order[p]} >= 1"
        constraints[f"order_{p}_to"] = f"{order[p]} <= {n - 1}"
    for a, b in itertools.permutations(places[1:], 2):
        constraints[f"after_{a}_{b}"] = f"{order[a]} - {order[b]} + {n}*{go[a, b]} <= {n - 1}"
    objective = " + ".join(f"{distances[arc]:g}*{v}" for arc, v in go.items())
    variables = dict.fromkeys(go.values(), "binary") | dict.fromkeys(order.values(),
                                                                     "continuous")
    return replacement(f, constraints, variables, {"sense": "minimize", "expression": objective},
                       "the tour")


def tour_lengths(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """A warning, with the tour model as the fix, where the text asks for the shortest tour of
    listed places and the model's answer is not its length (module docstring)."""
    distances = tour_distances(text)
    if distances is None:
        return []
    best = shortest_tour(distances)
    answer = result.objective if result is not None and result.ok else None
    if answer is not None and abs(answer - best) <= 1e-6 * max(1.0, abs(best)):
        return []
    got = f"the model's answer is {answer:g}" if answer is not None else "the model gives none"
    return [Check(code="tour_length", severity="warning", where="objective",
                  names=[v.name for v in f.variables], fix=_tour_model(f, distances),
                  message=(
                      f"The text asks for the shortest tour of the places it lists; the "
                      f"shortest takes {best:g}, but {got}. Choose each leg (go_A_B = 1 where "
                      f"the tour goes from A to B): one leg out of and one into every place, "
                      f"and an order number per place but the first, order_B >= order_A + 1 "
                      f"where the tour goes from A to B, so that it closes only at the end; "
                      f"minimize the distances of the legs chosen."))]
