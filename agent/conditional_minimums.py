"""A minimum that holds only when the thing is made at all: 'if X is produced at all, at least
50 tons of it must be made' came back from the embedded 1.5B model as ``X >= 50``, which
forces X to be made (3300 where 3900, with no Y, is right).

The check reads sentences that make a minimum conditional ('if X is produced at all', 'if
any X is made', 'either none or at least 50', 'if it is used, at least', 'unless none is
made') for the numbers they state as a minimum ('at least 50', 'a minimum of 50'). A
constraint that bounds one decision alone from below by such a number (``X >= 50``), for a
decision that is no yes/no choice, becomes the pair ``X >= 50*X_on`` and ``X <= M*X_on`` with
a new binary ``X_on``, M the least upper bound the model states for X by itself (as
forced_zero reads it). With no such bound it warns and fixes nothing.
"""

from __future__ import annotations

import re

from optiform.agent import textcues
from optiform.agent.bound_cues import bound_of, cue_before, sentence_at, sentence_start
from optiform.agent.check_model import Check, close
from optiform.agent.forced_zero import big_m, written_m
from optiform.solvers.formulation import Formulation

_CONDITION = re.compile(
    r"\bif\s+(?:\w+\s+){0,4}?(?:is|are|gets?|get)\s+(?:\w+\s+){0,2}?(?:produced|made|"
    r"manufactured|used|run|built|bought|purchased|ordered|opened|planted|shipped|hired|"
    r"scheduled|selected|chosen|started|operated)\b"
    r"|\bif\s+any\b|\bat\s+all\b(?!\s+times)|\beither\s+(?:none|zero|0|nothing)\b"
    r"|\b(?:unless|except\s+when)\s+(?:none|nothing|no\s+\w+)\b")
_MINIMUM_BEFORE = re.compile(r"\b(?:at least|minimum of|no less than|no fewer than)\s*\$?$")
_MINIMUM = re.compile(r"^(?:at least|a minimum of|minimum of|minimum|no less than|"
                      r"no fewer than|not less than)$")


# where a clause of its own begins: 'at least 50 tons of X, and if Y is made at all, ...'
_CLAUSE_BREAK = re.compile(r";|,\s*(?:and|but|while|whereas)\b")


_CARRIED = re.compile(r"\bthe\s+same\s+(?:holds|applies|goes|is\s+true)\b|\blikewise\b|"
                      r"\bsimilarly\b|\bas\s+well\b|\btoo\b|\balso\b")


def _conditional(text: str, n: textcues.TextNumber) -> bool:
    """Whether a condition stands in the number's clause, or in an earlier clause of its
    sentence that the number's clause carries over ('the same holds for Y'): a condition of
    another clause ('at least 50 tons of X, and if Y is made at all, ...'; 'if Y is made at
    all, at least 40 tons of Y; X needs at least 50 tons') is not the number's."""
    sentence = sentence_at(text, n.start).lower()
    at = n.start - text.find(sentence_at(text, n.start), sentence_start(text, n.start))
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
    end = min((b for b in breaks if b >= at), default=len(sentence))
    begin = max((b for b in breaks if b < at), default=0)
    if any(begin <= m.start() < end for m in _CONDITION.finditer(sentence)):
        return True
    # an earlier clause's condition, where the number's clause carries it over ('; the same
    # holds for Y with at least 40 tons'); 'X needs at least 50' after it is X's own
    return bool(_CARRIED.search(sentence[begin:end])) and \
        any(m.start() < begin for m in _CONDITION.finditer(sentence))


def _conditional_minimums(text: str) -> list[tuple[float, str]]:
    """(number, sentence) for each number the text states as a minimum in a sentence that
    makes it conditional."""
    out = []
    for n in textcues.numbers_in_text(text):
        cue = cue_before(text, n.start)
        if cue is None or cue.direction != ">=" or \
                not (_MINIMUM.match(cue.phrase) or _MINIMUM_BEFORE.search(
                    text[max(0, n.start - 20):n.start].lower())) or \
                not _conditional(text, n):
            continue
        out.append((n.value, sentence_at(text, n.start)))
    return out


def conditional_minimums(text: str, f: Formulation) -> list[Check]:
    stated = _conditional_minimums(text)
    if not stated:
        return []
    scalars = {v.name: v for v in f.variables if not v.index}
    taken = set(scalars) | {c.name for c in f.constraints}
    out = []
    for c in f.constraints:
        bound = bound_of(c.expression)
        names = set(re.findall(r"[A-Za-z_]\w*", c.expression))
        if c.for_each or bound is None or bound[0] != ">=" or len(names) != 1 or \
                bound[1] <= 0:
            continue
        sentence = next((said for v, said in stated if close(bound[1], v)), None)
        if sentence is None:
            continue
        x = next(iter(names))
        if x not in scalars or scalars[x].domain == "binary":
            continue
        switch = f"{x}_on"
        while switch in taken:
            switch += "_"
        m = big_m(f, x, c.name)
        said = (f"Constraint '{c.name}' ({c.expression}) makes {x} at least {bound[1]:g} in "
                f"every plan, but the text asks for that minimum only when {x} is made at all "
                f"(\"{sentence[:140]}\"): {x} may also be 0")
        if m is None or m < bound[1]:
            out.append(Check(code="conditional_minimum", severity="warning",
                             where=f"constraint '{c.name}'", names=[c.name],
                             message=said + f". Write {x} >= {bound[1]:g}*{switch} and "
                             f"{x} <= M*{switch} with a binary {switch} and M a bound on {x}."))
            continue
        taken.update({switch, f"{c.name}_on"})
        integer = scalars[x].domain == "integer"
        out.append(Check(
            code="conditional_minimum", severity="warning", where=f"constraint '{c.name}'",
            names=[c.name],
            fix={"constraints": {c.name: f"{x} >= {bound[1]:g}*{switch}",
                                 f"{c.name}_on": f"{x} <= {written_m(m, integer)}*{switch}"},
                 "variables": {switch: "binary"}},
            message=said + f": {x} >= {bound[1]:g}*{switch} and {x} <= "
                           f"{written_m(m, integer)}*{switch}, with a binary {switch}."))
    return out
