"""Bounds written without their variable, and names that stand for a variable.

A small model writing the scalar shape often puts a bound under a name instead of in the
expression: ``"medium": "5"``, ``"horses_max": "<= 40"``, ``"medium": "at least 5"``. None of
these builds, and told so the model tends to write the same line again. When the name stands
for exactly one variable (``medium``, ``horses_max`` -> ``horses``, ``kayak_trips`` ->
``kayaks``: the variable's words plus only generic ones such as max, min, limit, count, trips)
and the direction is known (an operator or phrase in the expression, a word of the name, or
the words the text puts before that number), the bound is exact: ``medium >= 5``.

The same reading resolves an unknown name used inside an expression (``kayak_trips >= ...``
when the variable is ``kayaks``; ``total_carts`` beside golf_carts and pull_carts is their sum;
``DM24000`` is the number the text writes "DM24,000"). Pure functions of the text and the
formulation.
"""

from __future__ import annotations

import ast
import keyword
import re

from optiform.agent import bound_cues, ratio_cues, textcues
from optiform.agent.comparison import comparison
from optiform.solvers.expr import FUNCTIONS
from optiform.solvers.formulation import Formulation

GENERIC = textcues.wordset(
    "max min maximum minimum limit limits lim bound bounds lower upper lb ub cap capacity count "
    "number num total trip trips unit units amount qty quantity least most req required "
    "requirement needed demand constraint con cons used use")
_UPPER_WORDS = textcues.wordset("max maximum limit limits lim upper ub cap capacity most")
_LOWER_WORDS = textcues.wordset("min minimum lower lb least req required requirement needed demand")
_PHRASES = (
    (re.compile(r"^(?:at least|a minimum of|minimum of|minimum|min|no less than|no fewer than|"
                r">=|=>|>)\s*"), ">="),
    (re.compile(r"^(?:at most|a maximum of|maximum of|maximum|max|no more than|up to|<=|=<|<)"
                r"\s*"), "<="),
    (re.compile(r"^(?:exactly|equal to|==|=)\s*"), "=="),
)
IDENTIFIER = re.compile(r"(?<![\w.])[A-Za-z_]\w*")  # a name, not a digit run's tail (1e5)


def name_words(name: str) -> list[str]:
    """'horses_max' -> ['horses', 'max']; 'maxHorses' -> ['max', 'horses']."""
    return [w.lower() for w in re.split(r"_+|(?<=[a-z0-9])(?=[A-Z])", name) if w]


def named_variable(name: str, variables: list[str]) -> str | None:
    """The one variable ``name`` stands for: the name itself, or the variable's words (as
    singulars) followed or preceded only by generic words; None when none or several."""
    if name in variables:
        return name
    words = name_words(name)
    stems = [textcues.stem(w) for w in words]
    hits = []
    for v in variables:
        target = [textcues.stem(w) for w in name_words(v)]
        for i in range(len(stems) - len(target) + 1):
            if stems[i:i + len(target)] == target:
                rest = words[:i] + words[i + len(target):]
                # 'medium_2': a repeated key's later value (see keep_repeated_comparisons)
                if rest and all(w in GENERIC or w.isdigit() for w in rest):
                    hits.append(v)
                break
    return hits[0] if len(hits) == 1 else None


def number_value(text: str) -> float | None:
    """The number ``text`` is ('10', '-2.5', '60,000'), or None."""
    try:
        node = ast.parse(text.strip().replace(",", ""), mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number_node(node.operand)
        return None if inner is None else -inner
    return _number_node(node)


def _number_node(node: ast.AST) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            not isinstance(node.value, bool):
        return float(node.value)
    return None


def _text_direction(text: str, value: float, variable: str | None = None) -> str | None:
    """The direction every cue before ``value`` in the text agrees on, or None. When the
    number is stated several times, the statements followed by the words of ``variable``
    ('at least 5 units of each large art piece' for large_art) are the ones that count."""
    found = [n for n in textcues.numbers_in_text(text)
             if abs(n.value - value) <= 1e-9 * max(1.0, abs(value))]
    if variable and len(found) > 1:
        wanted = {textcues.stem(w) for w in name_words(variable) if len(w) > 2}
        about = [n for n in found if wanted & {
            textcues.stem(w) for w in textcues.words(
                re.split(r"[.;?!](?:\s|$)", text[n.start:n.start + 60])[0])[:8]}]
        found = about or found
    cues = [(n, bound_cues.cue_before(text, n.start)) for n in found]
    if any(cue for _, cue in cues):
        # a price or a share with no bound phrase ('bread earns $3' beside 'at least 3
        # cakes') is data, not this bound
        cues = [(n, cue) for n, cue in cues if cue or not (n.percent or n.text[0] in "$€£")]
    directions = {cue.direction if cue else None for _, cue in cues}
    return directions.pop() if len(directions) == 1 else None


def _name_direction(name: str) -> str | None:
    """'<=' for a name with an upper word only ('horses_max'), '>=' for a lower word only
    ('protein_min'), else None."""
    words = set(name_words(name))
    upper, lower = bool(words & _UPPER_WORDS), bool(words & _LOWER_WORDS)
    return None if upper == lower else "<=" if upper else ">="


def completed_bound(name: str, expression: str, variables: list[str], text: str,
                    ratios: tuple[ratio_cues.RatioCue, ...] = ()) -> str | None:
    """The bound ``expression`` means under ``name`` ('medium', '5' -> 'medium >= 5' when the
    text says "at least 5"; 'clothing', '4*tech' -> 'clothing >= 4*tech' when a ratio cue of
    the text says "at least four times"), or None when it is not a bare bound or is
    ambiguous."""
    variable = named_variable(name, variables)
    if variable is None:
        return None
    ratio = _completed_ratio(variable, expression, ratios)
    if ratio is not None:
        return ratio
    raw = expression.strip()
    body = raw.lower()
    direction = None
    for pattern, op in _PHRASES:
        m = pattern.match(body)
        if m:
            direction, body, raw = op, body[m.end():], raw[m.end():]
            break
    value = number_value(body)
    if value is None:
        # 'at least 2*large_kegs' under small_kegs: the phrase gives the direction and the
        # rest is the other side, an expression in the other variables
        # 'camels' under horses_max: the name's words give the direction
        names = set(IDENTIFIER.findall(raw))
        if direction is None:
            direction = _name_direction(name)
        if direction is not None and parses(raw) and variable not in names and \
                names & (set(variables) - {variable}) and not names - set(variables):
            return f"{variable} {direction} {raw.strip()}"
        return None
    if direction is None:
        # a word of the name says the direction ("horses_max"), else the text's words do
        direction = _name_direction(name) or _text_direction(text, value, variable)
    if direction is None and value == 0:
        # a bare 0 under a variable's name is its sign: nobody writes "x <= 0" (which would
        # fix the variable at zero) as a bound without its operator
        direction = ">="
    if direction is None:
        return None
    return f"{variable} {direction} {body.strip()}"


_TOTAL_WORDS = frozenset({"total", "all", "overall", "combined", "sum"})


def total_members(name: str, variables: list[str]) -> list[str]:
    """The variables ``name`` totals ('total_kegs' -> small_kegs, large_kegs: a total word and
    one noun that two or more variable names share); empty when it names no such total."""
    words = name_words(name)
    if not _TOTAL_WORDS & set(words):
        return []
    nouns = {textcues.stem(w) for w in words if w not in _TOTAL_WORDS and w not in GENERIC}
    if len(nouns) != 1:
        return []
    noun = nouns.pop()
    members = [v for v in variables if noun in {textcues.stem(w) for w in name_words(v)}]
    return members if len(members) >= 2 else []


def total_bound(name: str, expression: str, variables: list[str], text: str) -> str | None:
    """'total_kegs': '25' (or 'at most 25') beside small_kegs and large_kegs: a bound on the
    sum of the variables whose names share the name's noun, in the direction the expression,
    the name or the text gives; None when it is no such total."""
    members = total_members(name, variables)
    if not members:
        return None
    body, direction = expression.strip().lower(), None
    for pattern, op in _PHRASES:
        m = pattern.match(body)
        if m:
            direction, body = op, body[m.end():]
            break
    value = number_value(body)
    if value is None:
        return None
    if direction is None:
        direction = _name_direction(name) or _text_direction(text, value)
    if direction is None:
        return None
    return f"{' + '.join(members)} {direction} {body.strip()}"


_GLUED = re.compile(r"([A-Z]{2,3}|Rs|Rp)_?(\d+)")  # DM, USD, EUR, RMB, INR, Rs


def glued_number(name: str, text: str) -> str | None:
    """The number a currency or unit glued to it hides ('DM24000' -> '24000' when the text
    says "DM24,000" or "DM 24000"), or None: a currency code, and the text must write those
    letters right before that number, so 'x1' or 'P1' stays a name."""
    m = _GLUED.fullmatch(name)
    if m is None:
        return None
    letters, digits = m.groups()
    pattern = rf"(?<![A-Za-z]){re.escape(letters)}\s?\d+(?:,\d{{3}})*(?![\d.])"
    for found in re.finditer(pattern, text):
        if found.group(0)[len(letters):].strip().replace(",", "") == digits:
            return digits
    return None


def parses(expression: str) -> bool:
    """Whether ``expression`` is Python expression syntax (the language's parser may still
    reject it)."""
    try:
        ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return False
    return True


def _completed_ratio(variable: str, expression: str,
                     ratios: tuple[ratio_cues.RatioCue, ...]) -> str | None:
    """'k*other' under ``variable``'s name, completed by the text's ratio cue about the two."""
    try:
        term = ratio_cues.term(ast.parse(expression.strip(), mode="eval").body)
    except SyntaxError:
        return None
    if term is None or term[1] == variable:
        return None
    k, other = term
    for cue in ratios:
        if {cue.subject, cue.object} == {variable, other} and \
                abs(cue.factor - k) <= 1e-9 * max(1.0, abs(k)):
            return f"{cue.subject} {cue.direction} {cue.factor:g}*{cue.object}"
    return None


_ARITHMETIC = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
               ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)


def _arithmetic(expression: str) -> bool:
    """Whether ``expression`` is numbers and names joined by + - * / and parentheses only."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return False
    return all(isinstance(node, _ARITHMETIC) for node in ast.walk(tree))


def definition(name: str, expression: str, variables: list[str]) -> str | None:
    """'green', '3*red + 5*blue' -> 'green == 3*red + 5*blue': an expression in two or more
    other variables with no comparison, under the exact name of a variable, defines it (a
    single term such as '2*tractor' is a ratio bound whose direction only the text gives, and
    is left to ``completed_bound``)."""
    if name not in variables or not _arithmetic(expression):
        return None
    names = set(IDENTIFIER.findall(expression))
    others = names & (set(variables) - {name})
    if name in names or names - set(variables) or len(others) < 2:
        return None
    return f"{name} == {expression.strip()}"


def unknown_names(expression: str, known: set[str]) -> list[str]:
    """Identifiers of ``expression`` that are not ``known`` names, functions or keywords."""
    return [n for n in dict.fromkeys(IDENTIFIER.findall(expression))
            if n not in known and n not in FUNCTIONS and not keyword.iskeyword(n)]


def resolved(expression: str, mapping: dict[str, str]) -> str:
    """``expression`` with each name of ``mapping`` replaced by its value."""
    return IDENTIFIER.sub(lambda m: mapping.get(m.group(0), m.group(0)), expression)


def _meaning(name: str, variables: list[str], text: str) -> str | None:
    """What an unknown name stands for: one variable ('kayak_trips' -> kayaks), the sum of
    the variables a total names ('total_carts' -> '(golf_carts + pull_carts)'), or a number
    with its currency glued on ('DM24000' -> 24000); None when nothing sure."""
    if (variable := named_variable(name, variables)) is not None:
        return variable
    if members := total_members(name, variables):
        return f"({' + '.join(members)})"
    return glued_number(name, text)


def bare_bound_fixes(f: Formulation, text: str) -> dict[str, dict[str, str]]:
    """``{"constraints": {name: fixed}}`` for the bare bounds of a scalar-shaped model, and for
    unknown names in its expressions whose meaning is sure (``_meaning``); empty when none. Models
    with sets, parameters or loops are left alone (their names are not all variables)."""
    if f.sets or f.parameters or any(c.for_each for c in f.constraints):
        return {}
    variables = [v.name for v in f.variables]
    known = set(variables)
    out: dict[str, dict[str, str]] = {}
    ratios = tuple(ratio_cues.ratio_cues(text, f))
    for c in f.constraints:
        if comparison(c.expression) is None:
            bound = completed_bound(c.name, c.expression, variables, text, ratios) or \
                total_bound(c.name, c.expression, variables, text) or \
                definition(c.name, c.expression, variables)
            if bound is not None:
                out.setdefault("constraints", {})[c.name] = bound
                continue
        mapping = {n: v for n in unknown_names(c.expression, known)
                   if (v := _meaning(n, variables, text)) is not None}
        if mapping:
            out.setdefault("constraints", {})[c.name] = resolved(c.expression, mapping)
    mapping = {n: v for n in unknown_names(f.objective.expression, known)
               if (v := _meaning(n, variables, text)) is not None}
    if mapping:
        out["objective"] = {"expression": resolved(f.objective.expression, mapping)}
    return out
