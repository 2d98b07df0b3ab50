"""A yes/no choice that requires another, written as anything but the implication. For 'A and B
cannot both be chosen, and if D is chosen then C must be chosen too' the embedded 1.5B model
wrote ``A + B <= 1`` (right) and ``C + D <= 1`` (C and D never together: 20, where 26 is
right).

The check reads the implications the text states between two named choices: 'if D is chosen
(then) C must be chosen', 'D can only be chosen if C is', 'D requires C'. Each choice must be
one binary variable of the model (named for it: ``D``, ``project_D``, ``build_site3``). For
binaries 'D requires C' is exactly ``D <= C``. The second choice must be chosen too: 'C must be
closed', 'C must not be', 'only if C is not selected', 'C must be chosen or E must be' and
'requires D to be closed' are no implications. A model that states it (in any equivalent form,
or ``C == D``) passes; a line over those two variables alone that says something else is
replaced, unless the text says something else about the two as well (then the line is added
beside it); with no such line it is added.
"""

from __future__ import annotations

import re

from optiform.agent.check_model import Check
from optiform.agent.share_check import equivalent, linear_constraint
from optiform.solvers.formulation import Formulation

_KIND = (r"(?i:projects?|sites?|options?|plans?|investments?|products?|locations?|warehouses?|"
         r"facilit(?:y|ies)|plants?|machines?|stores?|factor(?:y|ies)|items?|tasks?|courses?)")
_CHOICE = rf"(?:{_KIND}\s+)?([A-Z][A-Za-z0-9]*|\d+)"
_CHOSEN = (r"(?:chosen|selected|funded|built|opened|done|undertaken|accepted|picked|bought|"
           r"included|taken|made|launched|approved|started|used|hired|purchased|produced|rented|"
           r"leased|installed|implemented|adopted|completed)")
# the second choice chosen too ('must be chosen', 'must be too', 'if C is.'), not 'must be
# closed', 'must not be', 'if C is not selected', nor 'B must be chosen or C must be'
_TOO = (rf"(?:\s+(?:also\s+)?{_CHOSEN}\b|(?:\s+(?:too|as\s+well|also))?(?=\s*(?:[.,;:!?]|$)))"
        rf"(?:\s+(?:too|as\s+well))?(?!\s*,?\s*(?:or|unless|except)\b)")
_IMPLIES = [re.compile(p) for p in (
    rf"\b[Ii]f\s+{_CHOICE}\s+is\s+{_CHOSEN}\s*,?\s*(?:then\s+)?{_CHOICE}\s+(?:must|has\s+to|"
    rf"should|needs\s+to)\s+(?:also\s+)?be{_TOO}",
    rf"\b{_CHOICE}\s+(?:can|may)\s+(?:only\s+be\s+{_CHOSEN}\s+if|be\s+{_CHOSEN}\s+only\s+if)\s+"
    rf"{_CHOICE}\s+is{_TOO}",
    rf"\b{_CHOICE}\s+requires\s+(?:that\s+)?{_CHOICE}\b(?!\s+to\s+be\s+(?!{_CHOSEN}\b)\w)")]
_KIND_BEFORE = re.compile(rf"\b{_KIND}\s+$", re.I)
_GOES_ON = re.compile(r"\s+(?!(?:to|too|also|and|as|first|then|is|be|must|has|should|needs|"
                      r"well)\b)[a-z]")
_PAIRED = re.compile(rf"\b{_CHOICE}\s+and\s+{_CHOICE}\b")


def stated_implications(text: str) -> list[tuple[str, str]]:
    """(if, then) for each implication between two choices the text states, in order."""
    out: list[tuple[str, str]] = []
    for pattern in _IMPLIES:
        for m in pattern.finditer(text):
            pair = (m.group(1), m.group(2))
            if any(re.fullmatch(_KIND, label) for label in pair):
                continue  # 'Site C requires Site D ...': a kind is no choice's name
            # a number names a choice only after its kind ('project 2'); 'requires 20 ml' is
            # an amount
            if any(label.isdigit() and not _KIND_BEFORE.search(text[:m.start(k)])
                   for k, label in ((1, pair[0]), (2, pair[1]))) or \
                    _GOES_ON.match(text, m.end(2)):
                continue
            if pair[0] != pair[1] and pair not in out:
                out.append(pair)
    return out


def _tokens(name: str) -> list[str]:
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name)
    return [t for t in re.split(r"[_\W]+|(?<=[A-Za-z])(?=\d)", name) if t]


def _variable(f: Formulation, label: str) -> str | None:
    """The one binary variable named for the choice ('D', 'project_D', 'site3'), or None."""
    found = [v.name for v in f.variables if not v.index and v.domain == "binary" and
             (v.name == label or label in _tokens(v.name))]
    return found[0] if len(found) == 1 else None


def implications(text: str, f: Formulation) -> list[Check]:
    """A warning per implication the model lacks, with the exact line as the fix (module
    docstring)."""
    out: list[Check] = []
    stated = stated_implications(text)
    for first, then in stated:
        a, b = _variable(f, first), _variable(f, then)
        if a is None or b is None or a == b:
            continue
        right = f"{a} <= {b}"
        pair = [c for c in f.constraints if not c.for_each and
                (read := linear_constraint(c.expression)) is not None and
                set(read[0]) - {""} == {a, b}]
        if any(equivalent(c.expression, right) or equivalent(c.expression, f"{a} == {b}")
               for c in pair):
            continue  # stated, or implied by a line that ties the two together
        others = sum(1 for m in _PAIRED.finditer(text) if {m.group(1), m.group(2)} ==
                     {first, then}) + sum(1 for p in stated if set(p) == {first, then}) - 1
        name = pair[0].name if len(pair) == 1 and not others else f"if_{a}_then_{b}"
        out.append(Check(code="implication", severity="warning", where=f"constraint '{name}'",
                         names=[a, b], fix={"constraints": {name: right}}, message=(
                             f"The text says that choosing {first} requires {then}: with both "
                             f"0/1, that is {right}"
                             + (f", not {pair[0].expression}" if pair else "") + ".")))
    return out
