"""Whether a problem's data is given for pairs of two groups: 'how much should each plant ship
to each city', 'three workers must be assigned to three jobs, one job each'. Such a problem
has a decision for every pair and a number for most of them; in the scalar shape (one named
variable per decision, numbers in the expressions) the embedded 1.5B model lost the pairs (a
2-by-3 transport came back with four routes and a binary per city; a 3-by-3 assignment as
one variable per worker), while in the indexed shape (sets, parameters, ``ship[p, c]``) it
wrote both right. The 'auto' shape asks for the indexed one for such texts.
"""

from __future__ import annotations

import re

_PAIRS = re.compile(
    r"\beach\s+(?:of\s+the\s+)?\w+\s+(?:\w+\s+){0,3}?to\s+each\b"  # each plant ship to each city
    r"|\bfrom\s+each\b[^.?!]*\bto\b"                            # from each warehouse to ...
    r"|\bassigned\s+to\b[^.?!]*\b(?:one|each|exactly)\b"        # assigned to jobs, one each
    r"|\bto\s+each\s+of\s+the\s+(?:two|three|four|five|six|seven|eight|nine|ten|\d+)\b",
    re.IGNORECASE)


def pairwise(text: str) -> bool:
    """Whether the text asks for a decision for each pair of two groups."""
    return _PAIRS.search(text) is not None
