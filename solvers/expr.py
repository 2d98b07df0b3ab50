"""Expressions of the formulation language: parsed with ``ast`` against an allowlist.

Allowed: numbers, string literals (set elements), names, subscripts ``x[i, j]``, ``+ - * / **``
(``^`` is read as ``**``), comparisons, ``and or not`` in conditions, generator expressions
``sum(... for i in S if ...)`` (``sum``, ``min``, ``max``), ``range(a, b)`` as an iterable,
``len(S)``, and the functions exp, log, sqrt, abs, min, max. Anything else (attributes, calls to
other names, lambdas, comprehensions other than generators, ...) is a FormulationError. Nothing
is ever passed to eval/exec: later stages walk the checked tree themselves.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field

from optiform.errors import FormulationError

MAX_EXPRESSION_CHARS = 20_000
MAX_DEPTH = 60
MAX_EXPONENT = 64

FUNCTIONS = frozenset({"exp", "log", "sqrt", "abs", "min", "max"})
REDUCERS = frozenset({"sum", "min", "max"})
NONLINEAR_FUNCTIONS = frozenset({"exp", "log", "sqrt", "abs", "min", "max"})

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Constant, ast.Name,
    ast.Load, ast.Store, ast.Subscript, ast.Tuple, ast.Call, ast.GeneratorExp, ast.ListComp,
    ast.comprehension, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
    ast.Not, ast.And, ast.Or, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq, ast.BitXor,
)

_NODE_WORDS = {
    ast.Attribute: "attribute access ('.')",
    ast.Lambda: "lambda",
    ast.Dict: "dict literal",
    ast.Set: "set literal",
    ast.List: "list literal",
    ast.DictComp: "dict comprehension",
    ast.SetComp: "set comprehension",
    ast.IfExp: "conditional expression (a if c else b)",
    ast.Starred: "starred expression",
    ast.JoinedStr: "f-string",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.Slice: "slice",
    ast.Mod: "'%'",
    ast.FloorDiv: "'//'",
    ast.MatMult: "'@'",
    ast.Is: "'is'",
    ast.IsNot: "'is not'",
    ast.In: "'in' outside a generator",
    ast.NotIn: "'not in'",
}


@dataclass(frozen=True)
class Scope:
    """The names an expression may use and what each one is."""

    sets: dict[str, int] = field(default_factory=dict)  # set -> tuple arity (1 for plain)
    params: dict[str, int] = field(default_factory=dict)  # param -> number of indices
    variables: dict[str, int] = field(default_factory=dict)  # var -> number of indices
    loop: frozenset[str] = frozenset()

    def with_loop(self, names: set[str] | frozenset[str]) -> Scope:
        return Scope(self.sets, self.params, self.variables, self.loop | frozenset(names))

    def known(self) -> list[str]:
        return [*self.loop, *self.variables, *self.params, *self.sets]


def _normalize(text: str) -> str:
    text = (text.replace("≤", "<=").replace("≥", ">=").replace("≠", "!=")
            .replace("×", "*").replace("−", "-").replace("·", "*"))
    # a lone '=' (not part of <=, >=, ==, !=) means equality in a constraint
    return re.sub(r"(?<![<>=!])=(?!=)", "==", text)


class _Caret(ast.NodeTransformer):
    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.BitXor):
            node.op = ast.Pow()
        return node


def parse(text: str, *, where: str | None = None) -> ast.expr:
    """Parse one expression; syntax errors and disallowed constructs are FormulationErrors."""
    if not isinstance(text, str) or not text.strip():
        raise FormulationError("empty expression", where=where,
                               hint="write an expression such as 'x + y <= 10'")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise FormulationError(f"expression longer than {MAX_EXPRESSION_CHARS} characters",
                               where=where, hint="use sets and sum(...) instead of long sums")
    src = _normalize(text.strip())
    try:
        tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        token = None
        if exc.offset and exc.text:
            token = exc.text[max(exc.offset - 1, 0):exc.offset + 8].strip() or None
        raise FormulationError(f"syntax error: {exc.msg}", where=where, expression=text,
                               token=token) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FormulationError(f"expression cannot be parsed ({type(exc).__name__})",
                               where=where, expression=text) from None
    tree = _Caret().visit(tree)
    _check_nodes(tree, text, where)
    return tree.body


def _check_nodes(tree: ast.AST, text: str, where: str | None) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulationError("expression nested too deeply", where=where, expression=text)
        if not isinstance(node, _ALLOWED_NODES):
            what = _NODE_WORDS.get(type(node), type(node).__name__)
            raise FormulationError(f"{what} is not allowed in expressions", where=where,
                                   expression=text, token=_segment(text, node))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise FormulationError(f"constant {node.value!r} is not allowed", where=where,
                                   expression=text)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise FormulationError("booleans are not allowed", where=where, expression=text)
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulationError("only calls to sum, min, max, exp, log, sqrt, abs, "
                                       "range and len are allowed", where=where,
                                       expression=text, token=_segment(text, node.func))
            if node.keywords:
                raise FormulationError("keyword arguments are not allowed", where=where,
                                       expression=text, token=node.keywords[0].arg)
        if isinstance(node, ast.comprehension) and node.is_async:
            raise FormulationError("async comprehensions are not allowed", where=where,
                                   expression=text)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exp_node = node.right
            if isinstance(exp_node, ast.UnaryOp) and isinstance(exp_node.operand, ast.Constant):
                exp_node = exp_node.operand
            if (isinstance(exp_node, ast.Constant) and isinstance(exp_node.value, (int, float))
                    and abs(exp_node.value) > MAX_EXPONENT):
                raise FormulationError(f"exponent {exp_node.value} is too large "
                                       f"(at most {MAX_EXPONENT})", where=where,
                                       expression=text, token=str(exp_node.value))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _segment(text: str, node: ast.AST) -> str | None:
    try:
        seg = ast.get_source_segment(_normalize(text), node)
    except Exception:
        seg = None
    return seg[:40] if seg else None


def suggest(name: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return close[0]
    low = {k.lower(): k for k in known}
    return low.get(name.lower())


# -- for_each heads ----------------------------------------------------------------------

_HEAD_SPLIT = re.compile(r",\s*(?=(?:\(?\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s*\)?)\s+in\s)")


def parse_for_each(head: str, *, where: str | None = None) -> list[ast.comprehension]:
    """Parse a head such as ``"i in I, j in J if i != j"`` into comprehension generators."""
    text = head.strip()
    if text.startswith("for "):
        text = text[4:]
    text = _HEAD_SPLIT.sub(" for ", text)
    node = parse(f"[0 for {text}]", where=where)
    if not isinstance(node, ast.ListComp):
        raise FormulationError("for_each must look like 'i in I' or 'i in I, j in J if ...'",
                               where=where, expression=head)
    return list(node.generators)


def target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        return [e.id for e in target.elts]  # type: ignore[union-attr]
    raise FormulationError("a loop variable must be a name or a tuple of names such as (i, j)",
                           token=ast.unparse(target))
