"""A cost added to a profit: 'up to 20 overtime hours can be bought at $15 per hour', asked to
maximize profit after overtime costs, came back from the embedded 1.5B model as
``maximize 40*shelves + 55*cabinets + 15*overtime_hours``: the solver then buys every
overtime hour because it pays.

The check reads a maximized objective of money (the text speaks of profit, net, earnings,
income, revenue or return) as signed terms. A term added with a positive number times a
scalar decision is a cost the objective gains when every statement of that number in the text
is a price paid ('costs $15', 'at a cost of 15 dollars', 'bought at $15',
and no word of selling or earning in its clause) and the sentence that states it
names the decision (a word of its name, units and generic words left out). Its fix subtracts
that term, as written. A number stated once as a price and once as something else ('costs $15
and sells for $15'), a decision the sentence does not name, or an objective that is not a sum
of terms makes it stay silent.
"""

from __future__ import annotations

import ast
import copy
import re

from optiform.agent import textcues
from optiform.agent.bound_cues import sentence_at, sentence_start
from optiform.agent.check_model import Check, close
from optiform.agent.comparison import constant
from optiform.solvers.formulation import Formulation
from optiform.solvers.number_side import signed_terms

_MONEY_GOAL = re.compile(r"\b(?:profits?|net|earnings|income|revenues?|returns?|margins?|"
                         r"gains?)\b")
# a price paid, just before the number ('$' already left out)
# ('charges $50', 'can be rented for $15', 'hired for', 'leased at' leave out: a consultant
# who charges, a bike shop whose bikes are rented, is paid that price)
_PAID = re.compile(
    r"\b(?:costs?|costing|cost\s+(?:of|is)|expenses?(?:\s+(?:is|of))?|"
    r"charges?\s+(?:is|of)|(?:bought|purchased|"
    r"obtained|added|acquired|booked)\s+(?:for|at))"
    r"(?:\s+(?:only|just|an?\s+extra|an?\s+additional|an?))?$")
_EARNED = re.compile(r"\b(?:sells?|sold|selling|earns?|earned|earning|profits?|revenues?|"
                     r"income|returns?|yields?|worth|brings?\s+in|generates?)\b")
# what a customer pays for: 'an adult ticket costs $15' is the seller's revenue
_CHARGED = re.compile(r"\b(?:tickets?|admissions?|fares?|subscriptions?|memberships?|entry|"
                      r"entries|passes|seats?|rooms?|rides?|lessons?|sessions?)\b")
_EARNED_AFTER = re.compile(r"\s*(?:dollars?\s+|euros?\s+)?(?:of\s+|in\s+)?(?:profit|revenue|"
                           r"income|earnings)\b")
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:and|but|while|whereas)\b")
_GENERIC = textcues.UNIT_WORDS | textcues.wordset(
    "number num amount qty quantity total count extra additional each unit units per var "
    "value level x y z")


def _rate_term(node: ast.expr, scalars: set[str]) -> tuple[float, str] | None:
    """(15.0, 'overtime_hours') for '15*overtime_hours' or 'overtime_hours*15'."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for a, b in ((node.left, node.right), (node.right, node.left)):
            value = constant(a)
            if value is not None and isinstance(b, ast.Name) and b.id in scalars:
                return value, b.id
    return None


def _paid(text: str, n: textcues.TextNumber) -> bool:
    """Whether the number is stated as a price paid, with no word of selling in its clause."""
    before = text[sentence_start(text, n.start):n.start].rstrip("$€£ ").lower()
    if not _PAID.search(before):
        return False
    clause = _CLAUSE_BREAK.split(before)[-1]
    return not _EARNED.search(clause) and not _CHARGED.search(clause)


def _earned(text: str, n: textcues.TextNumber) -> bool:
    """Whether the number is stated as something earned ('earns $40', '$40 profit')."""
    before = text[sentence_start(text, n.start):n.start].rstrip("$€£ ").lower()
    return bool(_EARNED.search(_CLAUSE_BREAK.split(before)[-1]) or
                _EARNED_AFTER.match(text[n.end:n.end + 40].lower()))


def _names_decision(sentence: str, variable: str) -> bool:
    said = {textcues.stem(w) for w in textcues.words(sentence)}
    own = {textcues.stem(w) for w in textcues.words(variable)} - \
        {textcues.stem(w) for w in _GENERIC}
    return bool(own & said)


def _subtracted(tree: ast.Expression, target: ast.expr) -> str:
    """The objective with ``target`` (a term added at the top level) subtracted instead."""
    tree = copy.deepcopy(tree)
    wanted = ast.dump(target)

    class Flip(ast.NodeTransformer):
        done = False

        def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
            if not self.done and isinstance(node.op, ast.Add) and \
                    ast.dump(node.right) == wanted:
                self.done = True
                node.left = self.visit(node.left)
                return ast.BinOp(left=node.left, op=ast.Sub(), right=node.right)
            if not self.done and ast.dump(node) == wanted:
                self.done = True
                if isinstance(node.op, ast.Mult) and isinstance(node.left, ast.Constant):
                    return ast.BinOp(left=ast.Constant(-node.left.value), op=ast.Mult(),
                                     right=node.right)
                return ast.UnaryOp(op=ast.USub(), operand=node)
            if isinstance(node.op, (ast.Add, ast.Sub)):
                node.left = self.visit(node.left)
            return node

    tree.body = Flip().visit(tree.body)
    return ast.unparse(tree)


def cost_signs(text: str, f: Formulation) -> list[Check]:
    if f.objective.sense != "maximize" or not _MONEY_GOAL.search(text.lower()):
        return []
    try:
        tree = ast.parse(f.objective.expression.strip(), mode="eval")
    except SyntaxError:
        return []
    scalars = {v.name for v in f.variables if not v.index}
    numbers = textcues.numbers_in_text(text)
    terms = signed_terms(tree.body)
    rates = [_rate_term(term, scalars) if sign > 0 else None for sign, term in terms]
    if not any(rate and any(close(n.value, rate[0]) and _earned(text, n) for n in numbers)
               for rate in rates):
        return []  # no term earns: 'a ticket costs $15' may be the price customers pay
    flipped: list[tuple[str, str, str]] = []  # (term, number as written, decision)
    for (_, term), rate in zip(terms, rates, strict=True):
        if rate is None or rate[0] <= 0:
            continue
        value, name = rate
        stated = [n for n in numbers if close(n.value, value)]
        if stated and all(_paid(text, n) and _names_decision(sentence_at(text, n.start), name)
                          for n in stated):
            flipped.append((ast.unparse(term), stated[0].text, name))
            tree = ast.parse(_subtracted(tree, term), mode="eval")
    if not flipped:
        return []
    new = ast.unparse(tree)
    said = "; ".join(f"it adds {term}, but the text states {number} as a cost of {name}"
                     for term, number, name in flipped)
    return [Check(code="cost_sign", severity="warning", where="objective",
                  names=[name for *_, name in flipped], fix={"objective": {"expression": new}},
                  message=(f"The objective maximizes {f.objective.expression}: {said}. A cost is "
                           f"subtracted from what is maximized: {new}."))]
