"""Static checks of a Formulation: every name known, every subscript of the right arity.

``parse_model`` returns the parsed trees that the compilers and exporters walk; every problem
is a FormulationError naming the part, the expression and the token, with a "did you mean".
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from optiform.errors import FormulationError
from optiform.solvers.expr import (
    FUNCTIONS,
    Scope,
    parse,
    parse_for_each,
    suggest,
    target_names,
)
from optiform.solvers.formulation import Formulation
from optiform.solvers.rebound_loops import per_row_rewrite, rebound_loop_error

_CONSTRAINT_OPS = (ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq)


@dataclass(frozen=True)
class ParsedConstraint:
    name: str
    generators: list[ast.comprehension]
    body: ast.Compare
    source: str
    for_each: str | None


@dataclass(frozen=True)
class ParsedModel:
    formulation: Formulation
    scope: Scope
    objective: ast.expr
    constraints: list[ParsedConstraint]


def make_scope(f: Formulation) -> Scope:
    sets = {}
    for s in f.sets:
        arities = {len(e) if isinstance(e, list) else 1 for e in s.elements}
        if len(arities) > 1:
            raise FormulationError(f"set '{s.name}' mixes tuple sizes {sorted(arities)}",
                                   where=f"set '{s.name}'")
        sets[s.name] = arities.pop() if arities else 1
    set_names = list(sets)
    for item, kind in [*((p, "parameter") for p in f.parameters),
                       *((v, "variable") for v in f.variables)]:
        for idx in item.index:
            if idx not in sets:
                raise FormulationError(f"unknown index set '{idx}'", where=f"{kind} '{item.name}'",
                                       token=idx, suggestion=suggest(idx, set_names))
    components = {item.name: sum(sets[i] for i in item.index)
                  for item in [*f.parameters, *f.variables]
                  if sum(sets[i] for i in item.index) != len(item.index)}
    return Scope(
        sets=sets,
        params={p.name: len(p.index) for p in f.parameters},
        variables={v.name: len(v.index) for v in f.variables},
        components=components,
    )


def parse_model(f: Formulation) -> ParsedModel:
    """The formulation's parsed trees; a FormulationError for the first problem found."""
    try:
        return _parse_model(f)
    except FormulationError as exc:
        names = {c.name: c.expression for c in f.constraints}
        if exc.token in names and f"unknown name '{exc.token}'" in exc.message:
            lhs = names[exc.token].split("<")[0].split(">")[0].split("=")[0].strip()
            raise FormulationError(
                f"unknown name '{exc.token}': that is the name of a constraint, not a quantity",
                where=exc.where, expression=exc.expression, token=exc.token,
                hint=f"write the quantity itself with the variables, e.g. ({lhs}) if that is "
                     "what is meant") from None
        raise


def _comparison_hint(name: str, rhs: str, body: ast.AST, f: Formulation) -> str:
    """What to write for a constraint that is an expression alone. Named after a variable it
    does not hold ('stock2': 'stock1 + make2 - 110'), it most likely defines that variable."""
    if not any(v.name == name for v in f.variables):
        if isinstance(body, ast.Constant) and isinstance(body.value, int | float):
            return _bare_number_hint(name, rhs, f)
        return "write e.g. '2*x + 3*y <= 100'"
    if not any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(body)):
        return (f"write the whole comparison: '{name} == {rhs}' if it says what {name} is, or "
                f"'{name} <= {rhs}' (at most) or '{name} >= {rhs}' (at least) for a limit")
    return (f"write the whole comparison, e.g. '{name} <= {rhs}' for at most or "
            f"'{name} >= {rhs}' for at least")


def _bare_number_hint(name: str, number: str, f: Formulation) -> str:
    """'demand1': '200' limits nothing: the comparison it stands for bounds a decision, in a
    numbered model most likely the variable with the constraint's number (make1)."""
    digits = re.search(r"\d+$", name)
    same = [v.name for v in f.variables if not v.index and digits and
            re.search(rf"(?<!\d){digits.group(0)}$", v.name)]
    scalars = [v.name for v in f.variables if not v.index]
    if len(same) == 1:
        target = same[0]
    elif len(scalars) != len(f.variables) or not 1 <= len(scalars) <= 4:
        target = "x"  # no scalar, an indexed one, or too many to sum: a placeholder
    else:
        target = " + ".join(scalars)
    return (f"a number alone limits nothing: write what {number} bounds, e.g. "
            f"'{target} >= {number}' (at least, a demand) or '{target} <= {number}' (at most, "
            f"a capacity)")


def _parse_model(f: Formulation) -> ParsedModel:
    scope = make_scope(f)
    where = "objective"
    obj = parse(f.objective.expression, where=where)
    if isinstance(obj, ast.Compare):
        raise FormulationError("the objective must be an expression, not a comparison",
                               where=where, expression=f.objective.expression)
    _Checker(scope, where, f.objective.expression, rebind=True).check(obj)
    _check_rebound_loops([], obj, scope, where, f.objective.expression)
    constraints = []
    for c in f.constraints:
        where = f"constraint '{c.name}'"
        gens = parse_for_each(c.for_each, where=where) if c.for_each else []
        inner = _Checker(scope, where, c.for_each or "").check_generators(gens)
        body = parse(c.expression, where=where)
        if not isinstance(body, ast.Compare):
            hint = _comparison_hint(c.name, c.expression.strip(), body, f)
            raise FormulationError("a constraint must be a comparison (<=, >=, ==, <, >)",
                                   where=where, expression=c.expression, hint=hint)
        for op in body.ops:
            if not isinstance(op, _CONSTRAINT_OPS):
                raise FormulationError("only <=, >=, ==, <, > may be used in a constraint",
                                       where=where, expression=c.expression)
        checker = _Checker(inner, where, c.expression, rebind=True)
        for side in (body.left, *body.comparators):
            checker.check(side)
        _check_rebound_loops(gens, body, scope, where, c.expression)
        constraints.append(ParsedConstraint(c.name, gens, body, c.expression, c.for_each))
    return ParsedModel(f, scope, obj, constraints)


def _check_rebound_loops(gens: list[ast.comprehension], tree: ast.expr, scope: Scope,
                         where: str, text: str) -> None:
    found = rebound_loop_error(gens, tree, scope.variables)
    if found:
        msg, token, hint = found
        exc = FormulationError(msg, where=where, expression=text, token=token, hint=hint)
        rows = per_row_rewrite(gens, tree, scope.variables)
        if rows is not None:  # the one sensible reading, for the agent's autofix
            exc.details["per_row"] = rows
        raise exc


def _rebound_head(name: str, gen: ast.comprehension) -> tuple[str, str, None, str]:
    """The message, token and hint for a for_each (or a loop in its filters) whose loop reuses
    a name an earlier loop of it binds: the earlier one is hidden from there on."""
    over = ast.unparse(gen.iter)
    return (f"loop variable '{name}' of 'for {name} in {over}' is already bound by an earlier "
            f"loop of the for_each: from there on the first '{name}' is hidden", name, None,
            f"use another name ('{name}2 in {over}')")


class _Checker:
    def __init__(self, scope: Scope, where: str, text: str, *, rebind: bool = False) -> None:
        self.scope = scope
        self.where = where
        self.text = text
        # whether a sum may reuse an outer loop's name (rebound_loops judges it afterwards)
        self.rebind = rebind

    def within(self, scope: Scope) -> _Checker:
        return _Checker(scope, self.where, self.text, rebind=self.rebind)

    def fail(self, msg: str, token: str | None = None, suggestion: str | None = None,
             hint: str | None = None) -> FormulationError:
        return FormulationError(msg, where=self.where, expression=self.text, token=token,
                                suggestion=suggestion, hint=hint)

    def check_generators(self, gens: list[ast.comprehension]) -> Scope:
        scope = self.scope
        for g in gens:
            self.within(scope)._check_iter(g.iter)
            names = target_names(g.target)
            for n in names:
                if n in scope.sets or n in scope.params or n in scope.variables:
                    raise self.fail(f"loop variable '{n}' hides a name of the model", token=n,
                                    hint="use a lower-case letter such as i, j, p")
                if n in scope.loop and not self.rebind:
                    raise self.fail(*_rebound_head(n, g))
            arity = scope.sets[g.iter.id] if isinstance(g.iter, ast.Name) else 1
            if len(names) not in (1, arity):
                what = f"set '{g.iter.id}' has tuples of {arity}" if arity > 1 \
                    else f"'{ast.unparse(g.iter)}' has single elements"
                raise self.fail(f"{what}, cannot unpack into {len(names)} names",
                                token=ast.unparse(g.target))
            scope = scope.with_loop(set(names))
            for cond in g.ifs:
                self.within(scope).check_condition(cond)
        return scope

    def _check_iter(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            if node.id not in self.scope.sets:
                raise self.fail(f"'{node.id}' is not a set", token=node.id,
                                suggestion=suggest(node.id, list(self.scope.sets)))
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "range" and 1 <= len(node.args) <= 2:
            for a in node.args:
                self.check(a)
            return
        raise self.fail("a loop must run over a set name or range(a, b)",
                        token=ast.unparse(node))

    def check_condition(self, node: ast.expr) -> None:
        """A condition after ``if``: comparisons joined by and / or / not."""
        match node:
            case ast.BoolOp(values=vals):
                for v in vals:
                    self.check_condition(v)
            case ast.UnaryOp(op=ast.Not(), operand=a):
                self.check_condition(a)
            case ast.Compare(left=a, comparators=rest):
                for r in (a, *rest):
                    self.check(r)
            case _:
                raise self.fail("a condition must be a comparison such as i != j or t > 1",
                                token=ast.unparse(node)[:40])

    def check(self, node: ast.expr) -> None:
        """An algebraic (numeric) expression."""
        match node:
            case ast.Constant():
                return
            case ast.Name(id=name):
                self._check_name(name)
            case ast.Subscript(value=base, slice=sl):
                self._check_subscript(base, sl)
            case ast.Call(func=ast.Name(id=fn), args=args):
                self._check_call(fn, args)
            case ast.BinOp(left=a, right=b):
                self.check(a)
                self.check(b)
            case ast.UnaryOp(op=ast.Not()) | ast.BoolOp():
                raise self.fail("and / or / not may only join the conditions after 'if'",
                                token=ast.unparse(node)[:40])
            case ast.UnaryOp(operand=a):
                self.check(a)
            case ast.Compare():
                raise self.fail("a comparison cannot be used as a number; a constraint has "
                                "one comparison (chains such as 0 <= x <= 5 are fine)",
                                token=ast.unparse(node)[:40])
            case ast.Tuple():
                raise self.fail("a tuple cannot be used as a number",
                                token=ast.unparse(node)[:40])
            case ast.GeneratorExp() | ast.ListComp():
                raise self.fail("a generator must be the argument of sum, min or max",
                                token=ast.unparse(node)[:40])
            case _:
                raise self.fail(f"unsupported expression {type(node).__name__}",
                                token=ast.unparse(node)[:40])

    def _check_name(self, name: str) -> None:
        s = self.scope
        if name in s.loop:
            return
        if name in s.variables or name in s.params:
            arity = s.variables.get(name, s.params.get(name, 0))
            if arity:
                raise self.fail(f"'{name}' is indexed ({arity} index); write {name}[...] or "
                                f"sum({name}[i] for i in ...)", token=name)
            return
        if name in s.sets:
            raise self.fail(f"set '{name}' cannot be used as a number", token=name,
                            hint=f"loop over it: sum(... for i in {name}) or use len({name})")
        if name in FUNCTIONS or name in ("sum", "range", "len"):
            raise self.fail(f"'{name}' is a function; call it", token=name)
        hint = "write π as the number 3.141592653589793" if name in ("pi", "π") else None
        raise self.fail(f"unknown name '{name}'", token=name,
                        suggestion=suggest(name, s.known()), hint=hint)

    def _check_subscript(self, base: ast.expr, sl: ast.expr) -> None:
        if not isinstance(base, ast.Name):
            raise self.fail("only variables and parameters can be subscripted",
                            token=ast.unparse(base))
        name = base.id
        s = self.scope
        if name not in s.variables and name not in s.params:
            raise self.fail(f"unknown name '{name}'", token=name,
                            suggestion=suggest(name, [*s.variables, *s.params]))
        arity = s.variables.get(name, s.params.get(name, 0))
        parts = sl.elts if isinstance(sl, ast.Tuple) else [sl]
        if arity == 0:
            raise self.fail(f"'{name}' is not indexed; write {name} without [...]", token=name)
        flat = s.components.get(name, arity)
        if len(parts) not in (arity, flat):
            takes = f"{arity}" if flat == arity else f"{arity} (or {flat} unpacked)"
            raise self.fail(f"'{name}' takes {takes} index(es), got {len(parts)}",
                            token=ast.unparse(sl))
        for p in parts:
            self.check(p)

    def _check_call(self, fn: str, args: list[ast.expr]) -> None:
        s = self.scope
        if fn in ("sum", "min", "max") and len(args) == 1 \
                and isinstance(args[0], (ast.GeneratorExp, ast.ListComp)):
            gen = args[0]
            inner = self.check_generators(list(gen.generators))
            self.within(inner).check(gen.elt)
            return
        if fn == "sum" and len(args) == 1 and isinstance(args[0], ast.Name) \
                and (args[0].id in s.variables or args[0].id in s.params):
            return
        if fn == "len":
            if len(args) != 1 or not isinstance(args[0], ast.Name) or args[0].id not in s.sets:
                raise self.fail("len() takes one set name", token="len")
            return
        if fn in ("min", "max") and len(args) >= 2:
            for a in args:
                self.check(a)
            return
        if fn in ("exp", "log", "sqrt", "abs"):
            if len(args) != 1:
                raise self.fail(f"{fn}() takes exactly one argument", token=fn)
            self.check(args[0])
            return
        if fn == "range":
            raise self.fail("range() can only be looped over", token="range")
        if fn in ("sum", "min", "max"):
            raise self.fail(f"{fn}() takes a generator such as {fn}(x[i] for i in I)",
                            token=fn)
        raise self.fail(f"function '{fn}' is not allowed", token=fn,
                        suggestion=suggest(fn, sorted(FUNCTIONS | {"sum"})),
                        hint="allowed: sum, min, max, exp, log, sqrt, abs, len, range")


MAX_REPORTED = 8


def model_errors(f: Formulation) -> list[FormulationError]:
    """Every static error of the formulation, not only the first: the objective's, then each
    constraint's, checked alone (at most ``MAX_REPORTED``), so that one repair can fix them
    all. Empty when ``parse_model`` succeeds."""
    try:
        parse_model(f)
        return []
    except FormulationError:
        pass
    out: list[FormulationError] = []
    try:
        parse_model(f.model_copy(update={"constraints": []}))
    except FormulationError as exc:
        out.append(exc)
    for c in f.constraints:
        if len(out) >= MAX_REPORTED:
            break
        try:
            parse_model(f.model_copy(update={"constraints": [c]}))
        except FormulationError as exc:
            if not any(str(exc) == str(e) for e in out):
                out.append(exc)
    return out
