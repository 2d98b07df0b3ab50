"""A set cover whose coverage lines miss the neighbors. For 'a station in a district covers that
district and its neighbors; district 1 neighbors 2 and 3; ...; every district must be covered
by at least one station' the embedded 1.5B model, shown the set-covering insight, wrote a
variable per district (station1 .. station5) but covered each district by the sum of all
stations against 5, 4, 3, 2 and 1 (5 stations, where 2 are enough).

The check reads the neighbor lists ('district 3 neighbors 1, 4 and 5'), one for every
district 1 .. n, where the text says a site covers its own district and its neighbors and
that every district must be covered. Where the model's decisions are one family numbered 1 ..
n (station1 .. station5), its objective weighs only them, and every constraint is over them
alone, the fix writes one line per district: the sites that cover it add up to at least 1;
the model's lines go (its domains stay: a whole number of sites, minimized, is 0 or 1).
"""

from __future__ import annotations

import re

from optiform.agent.check_model import Check, used_variables
from optiform.agent.period_plans import period_families
from optiform.agent.share_check import linear_expression
from optiform.solvers.formulation import Formulation

_AREA = r"(?:district|area|zone|region|town|city|neighbou?rhood|site|block|county|village)"
_LIST = re.compile(rf"\b{_AREA}\s+(\d{{1,2}})\s+(?:neighbou?rs|borders|adjoins|is\s+next\s+to|"
                   rf"is\s+adjacent\s+to|touches)\s+(?:{_AREA}s?\s+)?"
                   r"(\d{1,2}(?:\s*(?:,\s*(?:and\s+)?|and\s+)\d{1,2})*)", re.I)
_COVERS_NEIGHBORS = re.compile(r"\bcovers?\b[^.;]*\bneighbou?r", re.I)
_EVERY_COVERED = re.compile(r"\b(?:every|each|all)\b[^.;]*\b(?:covered|served|reached)\b", re.I)


def neighbor_lists(text: str) -> dict[int, set[int]]:
    """Each area's neighbors as the text lists them, where it lists them for areas 1 .. n and
    each once; else none."""
    out: dict[int, set[int]] = {}
    for m in _LIST.finditer(text):
        area = int(m.group(1))
        if area in out:
            return {}
        out[area] = {int(k) for k in re.findall(r"\d{1,2}", m.group(2))}
    if sorted(out) != list(range(1, len(out) + 1)) or len(out) < 3 or \
            any(not ns <= set(out) or area in ns for area, ns in out.items()):
        return {}
    return out


def coverage_lines(text: str, f: Formulation) -> list[Check]:
    """A warning, with one coverage line per district as the fix, where the model's lines do
    not say which sites cover which district (module docstring)."""
    if not _COVERS_NEIGHBORS.search(text) or not _EVERY_COVERED.search(text):
        return []
    neighbors = neighbor_lists(text)
    families = [fam for fam in period_families(f) if len(fam) == len(neighbors)]
    if not neighbors or len(families) != 1 or f.objective.sense != "minimize":
        return []
    sites = families[0]
    if sites[0][-1] == "0":  # numbered from 0: site k is district k + 1
        return []
    rows = {area: " + ".join(sites[j - 1] for j in sorted(neighbors)
                             if j == area or area in neighbors[j])
            for area in neighbors}
    written = {c.expression.replace(" ", "") for c in f.constraints}
    if all(f"{row}>=1".replace(" ", "") in written for row in rows.values()):
        return []
    objective = linear_expression(f.objective.expression)
    if objective is None or not set(objective) - {""} <= set(sites) or \
            not used_variables(f) <= set(sites) or any(c.for_each for c in f.constraints):
        return []
    taken = {c.name for c in f.constraints}
    names = {area: next(n for n in (f"cover{area}", f"cover_{area}", f"covered_{area}")
                        if n not in taken) for area in rows}
    fix = {"constraints": {names[a]: f"{row} >= 1" for a, row in rows.items()},
           "drop": dict.fromkeys(taken, "replaced by one coverage line per district")}
    return [Check(code="coverage_lines", severity="warning", where="constraints",
                  names=sorted(taken), fix=fix, message=(
                      "Each district is covered by a site in it or in a neighboring district, "
                      "so each needs its own line: the sites that cover it add up to at least 1 "
                      f"({names[1]}: {rows[1]} >= 1, and so on for each district)."))]


def area_number_starts(text: str) -> frozenset[int]:
    """Where the text's numbers that name or count its areas start (the numbers of the
    neighbor lists, '5 districts', 'numbered 1 to 5'), where it lists neighbors: labels, not
    data a model uses."""
    neighbors = neighbor_lists(text)
    if not neighbors:
        return frozenset()
    starts = {m.start(1) for m in _LIST.finditer(text)}
    starts |= {m.start(2) + k.start() for m in _LIST.finditer(text)
               for k in re.finditer(r"\d{1,2}", m.group(2))}
    count = len(neighbors)
    starts |= {m.start() for m in re.finditer(rf"\b{count}(?=\s+{_AREA}s\b)", text, re.I)}
    starts |= {m.start(1) for m in re.finditer(rf"\bnumbered\s+1\s+(?:to|through|-)\s+({count})\b",
                                               text, re.I)}
    return frozenset(starts)
