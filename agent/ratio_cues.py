"""'The number of trams must be at least twice the number of trains': which side the factor is
on. Small models often write it the wrong way round (trains >= 2*trams). The check finds such
sentences, maps their two things to the model's variables by name, and compares with the
constraint over exactly those two variables; it warns and never changes the model.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.agent import textcues
from optiform.agent.comparison import FLIP, comparison
from optiform.solvers.formulation import Formulation

_FACTORS = {"twice": 2.0, "double": 2.0, "thrice": 3.0, "triple": 3.0, "two times": 2.0,
            "three times": 3.0, "four times": 4.0, "five times": 5.0, "half": 0.5}
_DIRECTIONS = {"at least": ">=", "no less than": ">=", "not less than": ">=",
               "a minimum of": ">=", "at most": "<=", "no more than": "<=",
               "not more than": "<=", "a maximum of": "<=", "exactly": "=="}
_MODAL_BE = re.compile(r"(?:must|should|has to|have to|needs? to) be")
# "must be three times the number of": a requirement with no bound word is an equality
_PATTERN = re.compile(
    r"(?P<dir>at least|no less than|not less than|a minimum of|at most|no more than|"
    r"not more than|a maximum of|exactly|(?:must|should|has to|have to|needs? to) be)\s+"
    r"(?P<k>twice|double|thrice|triple|half|"
    r"(?:two|three|four|five|\d+(?:\.\d+)?)\s+times)\b(?P<obj>[^.;?!]{0,80})")


# "twice as many A as B", and "3 times the amount of A as B" (NLP4LP train A102)
_AS_MANY = re.compile(r"\s*(?:as (?:many|much)|the (?:amount|number|quantity) of)\b"
                      r"(?P<a>.*?)\b(?:as|than)\b(?P<b>.*)")


@dataclass(frozen=True)
class RatioCue:
    subject: str  # variable names
    object: str
    direction: str  # ">=", "<=" or "==" ("must be three times", "exactly twice")
    factor: float
    sentence: str


def _factor(k: str) -> float:
    k = k.strip()
    if k in _FACTORS:
        return _FACTORS[k]
    return float(k.split()[0])


def _mentions(words: list[str], f: Formulation) -> list[tuple[int, str]]:
    """(position, variable) for each word matching a part of a variable's name, the variable
    with the most matching parts around that word winning."""
    stems = [textcues.stem(w) for w in words]
    out = []
    for i in range(len(stems)):
        best, score = None, 0
        window = set(stems[max(0, i - 2):i + 3])
        for v in f.variables:
            parts = {textcues.stem(p) for p in v.name.lower().split("_") if len(p) > 2}
            if stems[i] not in parts:
                continue
            s = len(parts & window)
            if s > score:
                best, score = v.name, s
            elif s == score:
                best = None if best != v.name else best
        if best is not None:
            out.append((i, best))
    return out


def ratio_cues(text: str, f: Formulation) -> list[RatioCue]:
    out = []
    for sentence in textcues.sentences(text):
        low = sentence.lower()
        for m in _PATTERN.finditer(low):
            before = _mentions(textcues.words(low[:m.start()]), f)
            after = _mentions(textcues.words(m.group("obj")), f)
            as_many = _AS_MANY.match(m.group("obj"))
            if as_many:  # "at least twice as many A as B": both named after the cue
                a = _mentions(textcues.words(as_many.group("a")), f)
                b = _mentions(textcues.words(as_many.group("b")), f)
                if a and b:
                    before, after = a[-1:], b
            if not before or not after:
                continue
            subject, obj = before[-1][1], after[0][1]
            if subject != obj:
                direction = "==" if _MODAL_BE.fullmatch(m.group("dir")) else \
                    _DIRECTIONS[m.group("dir")]
                out.append(RatioCue(subject, obj, direction,
                                    _factor(m.group("k")), sentence))
    return out


def term(node: ast.AST) -> tuple[float, str] | None:
    """(k, name) for 'name', 'k*name', 'name*k' or 'name/k'."""
    if isinstance(node, ast.Name):
        return 1.0, node.id
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and \
            isinstance(node.left, ast.Name) and isinstance(node.right, ast.Constant) and \
            isinstance(node.right.value, (int, float)) and node.right.value:
        return 1.0 / float(node.right.value), node.left.id
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            if isinstance(a, ast.Constant) and isinstance(a.value, (int, float)) and \
                    isinstance(b, ast.Name):
                return float(a.value), b.id
    return None


def _ratio(expression: str) -> tuple[str, str, str, float] | None:
    """(a, op, b, k) for constraints of the form 'a op k*b' (either side first)."""
    parts = comparison(expression)
    if parts is None or parts[1] == "==":
        return None
    left, right = term(parts[0]), term(parts[2])
    op = parts[1]
    if left is None or right is None or left[1] == right[1]:
        return None
    if left[0] == 1.0:
        return left[1], op, right[1], right[0]
    if right[0] == 1.0:
        return right[1], FLIP[op], left[1], left[0]
    return None


def reversed_ratios(text: str, f: Formulation) -> list[tuple[str, RatioCue]]:
    """(constraint, cue) for each 'a op k*b' whose factor sits on the other thing than the
    text says."""
    cues = ratio_cues(text, f)
    out = []
    for c in f.constraints:
        if c.for_each:
            continue
        ratio = _ratio(c.expression)
        if ratio is None:
            continue
        a, op, b, k = ratio
        for cue in cues:
            if abs(cue.factor - k) > 1e-9 or {a, b} != {cue.subject, cue.object}:
                continue
            if not (a == cue.subject and op == cue.direction):
                out.append((c.name, cue))
    return out


_SHARE = re.compile(
    r"(?P<dir>at least|no less than|not less than|a minimum of|at most|no more than|"
    r"not more than|a maximum of|up to)\s+(?:[a-z]+\s+){0,2}?(?P<p>\d+(?:\.\d+)?)\s?"
    r"(?:%|percent)\s+of\s+"
    r"(?P<rest>[^.;?!]{0,100})")


# where the words about a share's subject stop: a reason or the question follows
_CLAUSE_END = re.compile(r"\b(?:because|since|so that|while|whereas|but|how many|how much|"
                         r"what)\b|,\s*and\b")


@dataclass(frozen=True)
class ShareCue:
    variable: str | None  # None: the text names no single variable (the model's may say)
    direction: str
    fraction: float
    percent_text: str
    sentence: str


def share_cues(text: str, f: Formulation) -> list[ShareCue]:
    """'At most 35 percent of the pipes can be high-volume ones': one variable's share of the
    total of all of them, when exactly one variable is named after the cue, up to a reason or
    the question (or, failing that, before it); the cue's variable is None when none is
    named, and the cue is dropped when several are."""
    out = []
    for sentence in textcues.sentences(text):
        low = sentence.lower()
        for m in _SHARE.finditer(low):
            rest = _CLAUSE_END.split(m.group("rest"), maxsplit=1)[0]
            named = {v for _, v in _mentions(textcues.words(rest), f)}
            if not named:
                named = {v for _, v in _mentions(textcues.words(low[:m.start()]), f)}
            if len(named) > 1:
                continue
            direction = "<=" if m.group("dir") in ("at most", "no more than", "not more than",
                                                    "a maximum of", "up to") else ">="
            out.append(ShareCue(named.pop() if named else None, direction,
                                float(m.group("p")) / 100.0, m.group("p"), sentence))
    return out
