"""A portfolio's variance written with its covariance once. For 'stock A has a variance of 0.04,
stock B of 0.09, their covariance is 0.01; minimize the variance' the embedded 1.5B model
wrote ``0.04*a^2 + 0.09*b^2 + 0.01*a*b``, where the variance of the portfolio is
``0.04*a^2 + 0.09*b^2 + 2*0.01*a*b``: each pair's covariance counts twice (a*b and b*a).

The check reads the covariances the text states (the numbers of the sentences that name a
covariance) and the objective as a polynomial. Where it is minimized, holds the square of each
variable of a cross term, and every cross term of two variables weighs one of the text's
covariances once (not twice, and the text states no covariance that is twice another, which
would make the reading unsure), the fix doubles each cross term. The squares must weigh
numbers of the text (a variance, or a standard deviation squared): a variance scaled as a
whole (half of it: ``0.02*a^2 + 0.045*b^2 + 0.01*a*b``) is right with its cross term once.
"""

from __future__ import annotations

import ast
import re

from optiform.agent import textcues
from optiform.agent.check_model import Check, close
from optiform.agent.open_top import Polynomial, polynomial
from optiform.solvers.expr import normalize
from optiform.solvers.formulation import Formulation

_COVARIANCE = re.compile(r"\bco-?variances?\b", re.I)


def stated_covariances(text: str) -> list[float]:
    """The numbers of the sentences that name a covariance, but not their percentages."""
    return [n.value for s in textcues.sentences(text) if _COVARIANCE.search(s)
            for n in textcues.numbers_in_text(s) if not n.percent]


def _render(poly: Polynomial) -> str:
    terms = []
    for monomial, k in sorted(poly.items(), key=lambda item: (-len(item[0]), item[0])):
        factors = [f"{name}**{monomial.count(name)}" if monomial.count(name) > 1 else name
                   for name in dict.fromkeys(monomial)]
        body = "*".join(factors)
        terms.append(f"{k:g}*{body}" if body else f"{k:g}")
    return " + ".join(terms).replace("+ -", "- ")


def covariance_terms(text: str, f: Formulation) -> list[Check]:
    """A warning, with the doubled cross terms as the fix, where a minimized variance weighs
    each covariance once (module docstring)."""
    covariances = stated_covariances(text)
    if not covariances or f.objective.sense != "minimize" or \
            any(close(2 * a, b) for a in covariances for b in covariances):
        return []
    try:
        tree = ast.parse(normalize(f.objective.expression), mode="eval")
    except SyntaxError:
        return []
    poly = polynomial(tree.body)
    variables = {v.name for v in f.variables if not v.index}
    if poly is None or not set().union(*poly) <= variables:
        return []
    cross = [m for m in poly if len(m) == 2 and m[0] != m[1]]
    if not cross or any(not any(close(poly[m], c) for c in covariances) or
                        (m[0], m[0]) not in poly or (m[1], m[1]) not in poly for m in cross):
        return []
    stated = [n.value for n in textcues.numbers_in_text(text) if not n.percent]
    squares = {sq for m in cross for sq in ((m[0], m[0]), (m[1], m[1]))}
    if not all(any(close(poly[m], q) or close(poly[m], q * q) for q in stated) for m in squares):
        return []  # the variance scaled as a whole, or unsure what the squares weigh
    doubled = {m: 2 * k if m in cross else k for m, k in poly.items()}
    names = sorted({name for m in cross for name in m})
    pairs = ", ".join(f"{poly[m]:g}*{m[0]}*{m[1]}" for m in cross)
    return [Check(code="covariance_term", severity="warning", where="objective", names=names,
                  fix={"objective": {"expression": _render(doubled)}}, message=(
                      f"The variance weighs each covariance once ({pairs}), but it counts "
                      f"twice, for a*b and for b*a: the portfolio's variance is the sum of "
                      f"each weight squared times its variance plus 2 * covariance * the two "
                      f"weights of each pair. Double the cross terms."))]
