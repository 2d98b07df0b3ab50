"""An order quantity whose ordering cost is not counted per order. For 'a shop sells 1200 units a
year; each order it places costs $50, and holding one unit in stock for a year costs $3; the
average stock is half the order quantity; what order quantity minimizes the total yearly
ordering and holding cost?' the embedded 1.5B model wrote ``50*order_quantity +
3*order_quantity/2`` with the order quantity pinned to 1200 (61800, where 600 is right).

The check reads the economic-order-quantity data where the text gives each once: the demand
per year (or per month), the cost of one order and the cost of holding a unit for the same
period, and asks for the order quantity (or lot size). A year's orders are the demand over the
order quantity, so the yearly ordering cost is the order cost times demand / quantity, and the
holding cost is the holding rate times quantity / 2 (the average stock). Where the model has
one variable that is the order quantity and its objective divides nothing by it, the fix is
that objective; lines that pin the quantity to the whole demand go.
"""

from __future__ import annotations

import ast
import re

from optiform.agent.check_model import Check, parse_tree
from optiform.agent.share_check import linear_constraint
from optiform.solvers.formulation import Formulation

_NUM = r"(\d[\d,]*(?:\.\d+)?)"
_PERIOD = r"(?:a|per|each|every)\s+(year|month)"
_ASKED = re.compile(r"\b(?:order\s+(?:quantity|size)|lot\s+size|batch\s+size|how\s+many\s+"
                    r"(?:units\s+)?(?:to|should\s+(?:it|they|we|the\s+\w+)|does\s+\w+)\s+order\s+"
                    r"(?:each|per|at\s+a)\s+(?:time|order))\b", re.I)
_DEMAND = re.compile(rf"\b(?:sells|uses|needs|demand\s+(?:is|of)|consumes|requires)\s+{_NUM}\s+"
                     rf"(?:\w+\s+){{0,4}}?{_PERIOD}\b|\b(annual|yearly|monthly)\s+demand\s+(?:is\s+|of\s+)"
                     rf"{_NUM}\b", re.I)
_ORDER_COST = re.compile(rf"\b(?:each|every|per|an?)\s+order\b[^.;]*?\bcosts?\s+\${_NUM}|"
                         rf"\bcosts?\s+\${_NUM}\s+(?:to\s+place\s+an\s+order|per\s+order|"
                         rf"for\s+each\s+order|an\s+order)\b|\bordering\s+cost\s+(?:is\s+|of\s+)"
                         rf"\${_NUM}", re.I)
_HOLDING = re.compile(rf"\b(?:holding|storing|keeping|carrying)\b[^.;]*?\bcosts?\s+\${_NUM}|"
                      rf"\b(?:holding|carrying|storage)\s+cost\s+(?:is\s+|of\s+)\${_NUM}", re.I)
_CLAUSE_PERIOD = re.compile(r"\b(year|month)\b", re.I)
_PER_UNIT = re.compile(r"\b(?:one|a|each|per)\s+unit\b", re.I)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def order_data(text: str) -> tuple[float, float, float] | None:
    """The demand, the cost of one order and the holding cost per unit, over one period, where
    the text gives each once and asks for the order quantity; else None."""
    if not _ASKED.search(text):
        return None
    demands, orders, holds = (list(p.finditer(text)) for p in (_DEMAND, _ORDER_COST, _HOLDING))
    if len(demands) != 1 or len(orders) != 1 or len(holds) != 1:
        return None
    d, o, h = demands[0], orders[0], holds[0]
    clause = text[text.rfind(".", 0, h.start()) + 1:]
    clause = re.split(r"[.;](?:\s|$)", clause, maxsplit=1)[0]
    periods = {p.lower() for p in _CLAUSE_PERIOD.findall(clause)}
    if not _PER_UNIT.search(clause) or len(periods) != 1:
        return None
    demand, period = (d.group(1), d.group(2)) if d.group(1) else (d.group(4), d.group(3))
    period = {"annual": "year", "yearly": "year", "monthly": "month"}.get(period.lower(),
                                                                           period.lower())
    holding = h.group(1) or h.group(2)
    if period not in periods:
        return None
    cost = next(g for g in o.groups() if g)
    data = _number(demand), _number(cost), _number(holding)
    return data if min(data) > 0 else None


def _divides_by(expression: str, name: str) -> bool:
    tree = parse_tree(expression)
    if tree is None:
        return True  # unreadable: no claim

    def names_it(node: ast.AST) -> bool:
        return any(isinstance(m, ast.Name) and m.id == name for m in ast.walk(node))

    def negative(node: ast.AST) -> bool:
        return (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)) or \
            (isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and \
            node.value < 0)

    # q in a denominator: 1200/q, or q**-1 (1800*n**-1 is a right objective)
    return any(isinstance(n, ast.BinOp) and (
        (isinstance(n.op, ast.Div) and names_it(n.right)) or
        (isinstance(n.op, ast.Pow) and names_it(n.left) and negative(n.right)))
        for n in ast.walk(tree))


def _pins(expression: str, name: str, demand: float) -> bool:
    """``q == demand`` or ``q >= demand`` (either side, any positive multiple)."""
    read = linear_constraint(expression)
    if read is None:
        return False
    form, op = read
    k = form.get(name, 0.0)
    if set(form) - {name, ""} or k == 0.0:
        return False
    at_least = op == "==" or (op == ">=") == (k > 0)
    return at_least and abs(-form.get("", 0.0) / k - demand) <= 1e-9 * max(1.0, demand)


def order_costs(text: str, f: Formulation) -> list[Check]:
    """A warning, with the economic-order-quantity objective as the fix, where the model does
    not count the orders as the demand over the order quantity (module docstring)."""
    data = order_data(text)
    if data is None or len(f.variables) != 1 or f.variables[0].index or \
            f.objective.sense != "minimize":
        return []
    q = f.variables[0].name
    if _divides_by(f.objective.expression, q):
        return []
    demand, cost, holding = data
    objective = f"{cost:g}*{demand:g}/{q} + {holding:g}*{q}/2"
    pinned = {c.name: "pins the order quantity to the whole demand" for c in f.constraints
              if not c.for_each and _pins(c.expression, q, demand)}
    fix: dict[str, dict[str, str]] = {"objective": {"expression": objective}}
    if pinned:
        fix["drop"] = pinned
    return [Check(code="order_cost", severity="warning", where="objective", names=[q],
                  fix=fix, message=(
                      f"The text gives a demand of {demand:g}, a cost of {cost:g} per order and "
                      f"a holding cost of {holding:g} per unit, and asks for the order quantity, "
                      f"but the objective does not count the orders: ordering {q} units at a "
                      f"time takes {demand:g}/{q} orders, so the ordering cost is "
                      f"{cost:g}*{demand:g}/{q}, and the average stock {q}/2 costs "
                      f"{holding:g}*{q}/2. Minimize {objective}."))]
