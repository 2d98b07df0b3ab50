"""Whether a problem's data is given for pairs of two groups: 'how much should each plant ship
to each city', 'three workers must be assigned to three jobs, one job each'. Such a problem
has a decision for every pair and a number for most of them; in the scalar shape (one named
variable per decision, numbers in the expressions) the embedded 1.5B model lost the pairs (a
2-by-3 transport came back with four routes and a binary per city; a 3-by-3 assignment as
one variable per worker), while in the indexed shape (sets, parameters, ``ship[p, c]``) it
wrote both right. The 'auto' shape asks for the indexed one for such texts, and for texts
that give a number route by route ('$4 from Austin to store 1, $6 from Austin to store 2,
...').
"""

from __future__ import annotations

import re

_PAIRS = re.compile(
    r"\beach\s+(?:of\s+the\s+)?\w+\s+(?:\w+\s+){0,3}?to\s+each\b"  # each plant ship to each city
    r"|\bfrom\s+each\b[^.?!]*\bto\b"                            # from each warehouse to ...
    r"|\bassigned\s+to\b[^.?!]*\b(?:one|each|exactly)\b"        # assigned to jobs, one each
    r"|\bto\s+each\s+of\s+the\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\b",
    re.IGNORECASE)


# 'costs $4 from Austin to store 1, $6 from Austin to store 2, ...': a number for each route
_FROM_TO = re.compile(r"\bfrom\s+(?:the\s+)?([a-z]+(?:\s+(?:\d+|[a-z]))?)\s+to\s+(?:the\s+)?"
                      r"([a-z]+(?:\s+(?:\d+|[a-z]))?)\b", re.IGNORECASE)


def listed_routes(text: str) -> set[tuple[str, str]]:
    """The routes the text names one by one ('from Austin to store 1'), when they are three
    or more between two or more origins and two or more destinations; else none."""
    routes = {(a.lower(), b.lower()) for a, b in _FROM_TO.findall(text)}
    if len(routes) >= 3 and len({a for a, _ in routes}) >= 2 and \
            len({b for _, b in routes}) >= 2:
        return routes
    return set()


def pairwise(text: str) -> bool:
    """Whether the text asks for a decision for each pair of two groups, or names a number
    for route after route between them."""
    return _PAIRS.search(text) is not None or bool(listed_routes(text))
