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
import bisect
import difflib
import re
import warnings
from collections.abc import Mapping
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
    ast.Not, ast.And, ast.Or, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq,
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
    # param/var -> number of index components when tuple sets are unpacked (x[i, j] for an
    # x indexed by a set of pairs); absent where it equals the number of indices
    components: dict[str, int] = field(default_factory=dict)

    def with_loop(self, names: set[str] | frozenset[str]) -> Scope:
        return Scope(self.sets, self.params, self.variables, self.loop | frozenset(names),
                     self.components)

    def known(self) -> list[str]:
        return [*self.loop, *self.variables, *self.params, *self.sets]


_QUOTED = re.compile(r"""('[^']*'|"[^"]*")""")


def normalize(text: str) -> str:
    """Math spellings to Python ones, outside quoted element names: ``^`` is ``**`` (with its
    precedence), a lone ``=`` is ``==``, and the unicode operators are their ASCII forms."""
    parts = _QUOTED.split(text)
    for k in range(0, len(parts), 2):  # even parts lie outside quotes
        t = (parts[k].replace("≤", "<=").replace("≥", ">=").replace("≠", "!=")
             .replace("×", "*").replace("−", "-").replace("·", "*").replace("^", "**"))
        parts[k] = re.sub(r"(?<![<>=!])=(?!=)", "==", t)
    return "".join(parts)


def parse(text: str, *, where: str | None = None) -> ast.expr:
    """Parse one expression; syntax errors and disallowed constructs are FormulationErrors."""
    if not isinstance(text, str) or not text.strip():
        raise FormulationError("empty expression", where=where,
                               hint="write an expression such as 'x + y <= 10'")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise FormulationError(f"expression longer than {MAX_EXPRESSION_CHARS} characters",
                               where=where, hint="use sets and sum(...) instead of long sums")
    src = normalize(text.strip())
    try:
        with warnings.catch_warnings():  # "invalid decimal literal" and the like
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(src, mode="eval")
    except SyntaxError as exc:
        token = None
        if exc.offset and exc.text:
            token = exc.text[max(exc.offset - 1, 0):exc.offset + 8].strip() or None
        hint = None
        if re.match(r"\s*(<=|>=|==|<|>|=)", text):
            hint = ("the left side is missing: write what is limited, e.g. "
                    f"'2*x + 3*y {text.strip()}' with the variables it is about")
        raise FormulationError(f"syntax error: {exc.msg}", where=where, expression=text,
                               token=token, hint=hint) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise FormulationError(f"expression cannot be parsed ({type(exc).__name__})",
                               where=where, expression=text) from None
    _check_nodes(tree, text, src, where)
    return _joined_subscripts(tree.body)


def _joined_subscripts(node: ast.expr) -> ast.expr:
    """``p[i][j]`` read as ``p[i, j]`` (how Python and most LLMs index a nested table; the
    language indexes a parameter once, with every index): the same model, written either way."""

    class Join(ast.NodeTransformer):
        def visit_Subscript(self, sub: ast.Subscript) -> ast.AST:
            self.generic_visit(sub)
            inner = sub.value
            if isinstance(inner, ast.Subscript) and isinstance(inner.value, ast.Name):
                first = inner.slice.elts if isinstance(inner.slice, ast.Tuple) else [inner.slice]
                last = sub.slice.elts if isinstance(sub.slice, ast.Tuple) else [sub.slice]
                joined = ast.Tuple(elts=[*first, *last], ctx=ast.Load())
                return ast.copy_location(ast.Subscript(value=inner.value, slice=joined,
                                                       ctx=sub.ctx), sub)
            return sub

    return ast.fix_missing_locations(Join().visit(node))


def _check_nodes(tree: ast.AST, text: str, src: str, where: str | None) -> None:
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise FormulationError("expression nested too deeply", where=where, expression=text)
        if not isinstance(node, _ALLOWED_NODES):
            what = _NODE_WORDS.get(type(node), type(node).__name__)
            raise FormulationError(f"{what} is not allowed in expressions", where=where,
                                   expression=text, token=_segment(src, node))
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, str)):
            raise FormulationError(f"constant {node.value!r} is not allowed", where=where,
                                   expression=text)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise FormulationError("booleans are not allowed", where=where, expression=text)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) \
                and not (abs(node.value) <= 1e300):  # also catches inf and nan
            raise FormulationError("number too large (at most 1e300)", where=where,
                                   expression=text, token=_segment(src, node))
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise FormulationError("only calls to sum, min, max, exp, log, sqrt, abs, "
                                       "range and len are allowed", where=where,
                                       expression=text, token=_segment(src, node.func))
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


def _segment(src: str, node: ast.AST) -> str | None:
    try:
        seg = ast.get_source_segment(src, node)
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

_IN_WORD = re.compile(r"\bin\b")
_GEN_START = re.compile(r"\s*(?:\(\s*[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*){0,7}\s*\)"
                        r"|[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*){0,7})\s+in\s")


def _join_generators(text: str) -> str:
    """``"i in I, j in J"`` -> ``"i in I for j in J"``: a comma at bracket depth 0 that ends a
    generator (one with its ``in``) and is followed by ``name in``, ``a, b in`` or
    ``(a, b) in`` starts a new generator; other commas stay."""
    ins = [m.start() for m in _IN_WORD.finditer(text)]
    out: list[str] = []
    depth = 0
    start = 0  # where the current generator began
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0 and bisect.bisect_left(ins, start) < bisect.bisect_left(
                ins, k) and _GEN_START.match(text, k + 1):
            out.append(" for ")
            start = k + 1
            continue
        out.append(ch)
    return "".join(out)


def parse_for_each(head: str, *, where: str | None = None) -> list[ast.comprehension]:
    """Parse a head such as ``"i in I, j in J if i != j"`` into comprehension generators."""
    text = head.strip()
    if len(text) > MAX_EXPRESSION_CHARS:
        raise FormulationError(f"for_each longer than {MAX_EXPRESSION_CHARS} characters",
                               where=where)
    if text.startswith("for "):
        text = text[4:]
    text = _join_generators(text)
    node = parse(f"[0 for {text}]", where=where)
    if not isinstance(node, ast.ListComp):
        raise FormulationError("for_each must look like 'i in I' or 'i in I, j in J if ...'",
                               where=where, expression=head)
    return list(node.generators)


def subscript_groups(parts: list[ast.expr], index: list[str], arity: Mapping[str, int]
                     ) -> list[list[ast.expr]]:
    """The subscript parts of each index set, in order. A set of k-tuples takes one part (an
    element, e.g. ``f[a]`` for ``a in A``) or, unpacked, k parts (``f[i, j]`` for
    ``(i, j) in A``); the checker has made sure the count is one of the two."""
    if len(parts) == len(index):
        return [[p] for p in parts]
    out, k = [], 0
    for s in index:
        n = arity.get(s, 1)
        out.append(parts[k:k + n])
        k += n
    return out


def target_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Tuple) and all(isinstance(e, ast.Name) for e in target.elts):
        return [e.id for e in target.elts]  # type: ignore[union-attr]
    raise FormulationError("a loop variable must be a name or a tuple of names such as (i, j)",
                           token=ast.unparse(target))
