"""Bad formulations: each is a FormulationError with a helpful message, and nothing runs.

The fuzz tests at the end feed random expression text (token soup, random unicode, and
well-formed expressions from a small grammar that reach the compilers and both solvers) into a
tiny model's constraint and objective through ``solve_formulation``: only FormulationError or a
SolveResult may come out. They are derandomized so that every run checks the same examples.
"""

from __future__ import annotations

import builtins
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optiform.errors import FormulationError
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult
from optiform.solvers.validate import parse_model

BASE: dict[str, Any] = {
    "sets": [
        {"name": "Plants", "elements": ["a", "b", "c"]},
        {"name": "T", "elements": [1, 2, 3]},
        {"name": "Arcs", "elements": [["a", "b"], ["b", "c"]]},
    ],
    "parameters": [
        {"name": "cap", "index": ["Plants"], "values": {"a": 4, "b": 5, "c": 6}},
        {"name": "budget", "value": 10},
    ],
    "variables": [
        {"name": "x", "index": ["Plants"], "ub": 10},
        {"name": "y", "ub": 10},
        {"name": "flow", "index": ["Arcs"], "ub": 3},
    ],
    "objective": {"sense": "maximize", "expression": "sum(x[p] for p in Plants) + y"},
    "constraints": [
        {"name": "limit", "for_each": "p in Plants", "expression": "x[p] <= cap[p]"},
    ],
}


def model(constraint: str | None = None, objective: str | None = None,
          for_each: str | None = None, **changes: Any) -> dict[str, Any]:
    d = {k: (list(v) if isinstance(v, list) else v) for k, v in BASE.items()}
    if constraint is not None:
        c: dict[str, Any] = {"name": "extra", "expression": constraint}
        if for_each:
            c["for_each"] = for_each
        d["constraints"] = [*d["constraints"], c]
    if objective is not None:
        d["objective"] = {"sense": "maximize", "expression": objective}
    d.update(changes)
    return d


def fails(d: dict[str, Any]) -> FormulationError:
    """The error a formulation raises, from construction, static checks or compilation."""
    with pytest.raises(FormulationError) as info:
        solve_formulation(Formulation.from_dict(d), time_limit=5)
    return info.value


def test_the_base_model_solves() -> None:
    res = solve_formulation(Formulation.from_dict(model()))
    assert res.status == "optimal" and res.objective == pytest.approx(4 + 5 + 6 + 10)


# -- names, arity, subscripts ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "bad", "suggestion"), [
    ("sum(x[p] for p in Plnts) <= 5", "Plnts", "Plants"),
    ("sum(xx[p] for p in Plants) <= 5", "xx", "x"),
    ("sum(x[p] * capp[p] for p in Plants) <= 5", "capp", "cap"),
    ("y <= budgte", "budgte", "budget"),
    ("Y <= 3", "Y", "y"),
])
def test_unknown_names_suggest_the_closest(text: str, bad: str, suggestion: str) -> None:
    err = fails(model(text))
    msg = str(err)
    assert bad in msg and f"did you mean '{suggestion}'?" in msg
    assert err.where == "constraint 'extra'" and err.expression == text
    assert err.suggestion == suggestion


def test_unknown_name_in_the_objective_and_in_for_each() -> None:
    err = fails(model(objective="sum(x[p] for p in Plants) + yy"))
    assert err.where == "objective" and "did you mean 'y'?" in str(err)
    err = fails(model("x[p] <= 1", for_each="p in Plant"))
    assert "Plant" in str(err) and "did you mean 'Plants'?" in str(err)


@pytest.mark.parametrize("name", ["pi", "π"])
def test_pi_in_a_formulation_file_is_unknown_with_its_number_as_hint(name: str) -> None:
    # the LLM's replies have it written as the number (agent/schema.py); a file must say it
    err = fails(model(f"y <= 2*{name}"))
    assert f"unknown name '{name}'" in str(err) and err.hint is not None and \
        "3.141592653589793" in err.hint


def test_unknown_index_set_of_a_variable() -> None:
    d = model()
    d["variables"] = [*d["variables"], {"name": "z", "index": ["Plnts"]}]
    err = fails(d)
    assert "unknown index set 'Plnts'" in str(err) and "did you mean 'Plants'?" in str(err)


@pytest.mark.parametrize(("text", "words"), [
    ("x[p, p] <= 1", ["'x' takes 1 index", "got 2"]),
    ("cap[1, 2] + y <= 1", ["'cap' takes 1 index", "got 2"]),
    ("flow['a', 'b', 'c'] <= 1", ["'flow' takes 1 (or 2 unpacked)", "got 3"]),
    ("y[1] <= 1", ["'y' is not indexed"]),
    ("budget['a'] + y <= 1", ["'budget' is not indexed"]),
    ("x <= 1", ["'x' is indexed", "x[...]"]),
    ("y + cap <= 1", ["'cap' is indexed"]),
    ("y <= Plants", ["set 'Plants' cannot be used as a number", "len(Plants)"]),
    ("y <= len(x)", ["len() takes one set name"]),
    ("y[0][1] <= 1", ["'y' is not indexed"]),  # read as y[0, 1]: y has no index
    ("(x + y)[0] <= 1", ["only variables and parameters can be subscripted"]),
])
def test_arity_and_subscript_mistakes(text: str, words: list[str]) -> None:
    msg = str(fails(model(text, for_each="p in Plants")))
    for w in words:
        assert w in msg, msg


def test_out_of_set_subscript_names_the_binding() -> None:
    err = fails(model("x[p] <= x[q]", for_each="p in Plants, q in T"))
    assert "is not an element of set 'Plants'" in str(err)
    assert "p='a', q=1" in str(err)


def test_loop_variable_may_not_hide_a_model_name() -> None:
    assert "hides a name" in str(fails(model("y <= 1", for_each="x in Plants")))


def test_unpacking_a_plain_set_into_a_tuple() -> None:
    msg = str(fails(model("y <= 1", for_each="(i, j) in Plants")))
    assert "cannot unpack into 2 names" in msg
    msg = str(fails(model("y <= 1", for_each="(i, j) in range(3)")))
    assert "cannot unpack into 2 names" in msg


# -- syntax and the allowlist ---------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ("x.__class__ <= 1", "attribute access"),
    ("y.real <= 1", "attribute access"),
    ("open('f') <= 1", "function 'open' is not allowed"),
    ("__import__('os') <= 1", "function '__import__' is not allowed"),
    ("eval('1') <= 1", "function 'eval' is not allowed"),
    ("exec('1') <= y", "function 'exec' is not allowed"),
    ("getattr(y, 'x') <= 1", "function 'getattr' is not allowed"),
    ("(lambda: 1)() <= y", "only calls to"),
    ("y <= (lambda q: q)", "lambda is not allowed"),
    ("y <= [1, 2]", "list literal"),
    ("y <= {'a': 1}", "dict literal"),
    ("y <= {1}", "set literal"),
    ("y <= (1 if y else 2)", "conditional expression"),
    ("y <= f'{y}'", "f-string"),
    ("(z := 1) <= y", "syntax error"),
    ("y <= budget % 3", "'%'"),
    ("y <= budget // 3", "'//'"),
    ("y <= x[0:2]", "slice"),
    ("y <= x**1000000", "exponent 1000000 is too large"),
    ("y <= 2 ** -100", "exponent 100 is too large"),
    ("y <= 1" + "0" * 400, "number too large"),
    ("y <= 1e999", "number too large"),
    ("y <= max(x[p] for p in Plants, key=abs)", "syntax error"),
    ("y <= True", "booleans are not allowed"),
    ("y <= None", "constant None"),
    ("y <= b'x'", "constant b'x'"),
    ("y <= ...", "constant Ellipsis"),
    ("y <= sum(x[p] for p in Plants if y)", "a condition must be a comparison"),
    ("y and y <= 1", "a constraint must be a comparison"),
    ("not y <= 1", "a constraint must be a comparison"),
    ("y <= 2 * (y or 1)", "and / or / not"),
    ("y <= 2 * (not y)", "and / or / not"),
    ("(y <= 1) + y <= 3", "a comparison cannot be used as a number"),
    ("y is y", "'is' is not allowed"),
    ("y in Plants", "'in' outside a generator"),
    ("y != 3", "only <=, >=, ==, <, > may be used"),
    ("y <= 3 for y in Plants", "syntax error"),
    ("y <= {x for x in Plants}", "set comprehension"),
    ("y <= [p for p in Plants]", "a generator must be the argument of sum"),
    ("y <= await y", "await"),
    ("y <= sum(x[p] async for p in Plants)", "async"),
    ("y <= range(3)", "range() can only be looped over"),
    ("y <= sum(1, 2)", "sum() takes a generator"),
    ("y <= exp(1, 2)", "exp() takes exactly one argument"),
    ("y <= exp", "'exp' is a function; call it"),
    ("y <= *x", "syntax error"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("y + 3", "a constraint must be a comparison"),
    ("y <= 'a'", "text 'a' used as a number"),
])
def test_disallowed_syntax(text: str, words: str) -> None:
    msg = str(fails(model(text)))
    assert words in msg, msg


def test_objective_may_not_be_a_comparison() -> None:
    assert "must be an expression" in str(fails(model(objective="y <= 3")))


def test_deeply_nested_and_very_long_expressions() -> None:
    parens = "(" * 150 + "y" + ")" * 150 + " <= 1"  # parentheses alone add no depth
    assert solve_formulation(Formulation.from_dict(model(parens))).status == "optimal"
    deep = "-(" * 100 + "y" + ")" * 100 + " <= 1"
    assert "nested too deeply" in str(fails(model(deep)))
    many = "(" * 5000 + "y" + ")" * 5000 + " <= 1"
    assert "too many nested parentheses" in str(fails(model(many)))
    long = " + ".join(["y"] * 6000) + " <= 1"
    assert "longer than 20000 characters" in str(fails(model(long)))
    chain = "-" * 3000 + "y <= 1"
    assert "cannot be parsed" in str(fails(model(chain)))


def test_nothing_is_executed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hostile text is rejected before anything could run it: eval and exec are never called,
    and compile only ever builds syntax trees (ast.parse), never code."""
    import ast

    calls: list[str] = []
    for name in ("eval", "exec", "compile", "__import__"):
        real = getattr(builtins, name)

        def spy(*a: Any, _real: Any = real, _name: str = name, **k: Any) -> Any:
            flags = a[3] if len(a) > 3 else k.get("flags", 0)
            if _name != "__import__" and not (_name == "compile" and flags & ast.PyCF_ONLY_AST):
                calls.append(_name)
            if _name == "__import__" and a and a[0] == "os":
                calls.append("import os")
            return _real(*a, **k)

        monkeypatch.setattr(builtins, name, spy)
    for text in ["__import__('os').system('touch /tmp/optiform-pwned') <= 1",
                 "open('/etc/passwd').read() <= 1", "eval('y') <= 1",
                 "[c for c in ().__class__.__base__.__subclasses__()] <= y"]:
        with pytest.raises(FormulationError):
            parse_model(Formulation.from_dict(model(text)))
    assert calls == []


# -- structure of the formulation -----------------------------------------------------------


def test_duplicate_and_reserved_names() -> None:
    d = model()
    d["variables"] = [*d["variables"], {"name": "cap"}]
    assert "'cap' is used by a parameter and a variable" in str(fails(d))
    d = model()
    d["constraints"] = [*d["constraints"], {"name": "limit", "expression": "y <= 1"}]
    assert "duplicate constraint names: limit" in str(fails(d))
    d = model()
    d["sets"] = [*d["sets"], {"name": "sum", "elements": [1]}]
    assert "'sum' is reserved" in str(fails(d))
    d = model()
    d["variables"] = [*d["variables"], {"name": "lambda"}]
    assert "'lambda' is reserved" in str(fails(d))


def test_parameter_with_value_and_values() -> None:
    d = model()
    d["parameters"] = [{"name": "w", "index": ["T"], "value": 1, "values": [1, 2, 3]}]
    assert "exactly one of value, values, source" in str(fails(d))
    d["parameters"] = [{"name": "w", "value": 1, "index": ["T"]}]
    assert "indexed but has a scalar 'value'" in str(fails(d))
    d["parameters"] = [{"name": "w", "values": [1, 2]}]
    assert "has 'values' but no 'index'" in str(fails(d))


def test_parameter_values_that_do_not_fit() -> None:
    for w, words in [({"values": [1, 2]}, "shape (2,)"),
                     ({"values": [[1, 2, 3]]}, "shape (1, 3)"),
                     ({"values": {"1": 1, "7": 2}}, "'7' is not an element of set 'T'"),
                     ({"values": {"1": "lots"}}, "is not a number"),
                     ({"values": {"1": {"2": 3}}}, "has 2 parts but the parameter has 1")]:
        d = model()
        d["parameters"] = [*d["parameters"], {"name": "w", "index": ["T"], **w}]
        msg = str(fails(d))
        assert words in msg and "parameter 'w'" in msg, msg


def test_set_mixing_tuple_sizes_and_duplicate_elements() -> None:
    d = model()
    d["sets"] = [*d["sets"], {"name": "Mixed", "elements": [["a", "b"], ["a", "b", "c"]]}]
    assert "mixes tuple sizes [2, 3]" in str(fails(d))
    d = model()
    d["sets"] = [*d["sets"], {"name": "Mixed", "elements": ["a", ["a", "b"]]}]
    assert "mixes tuple sizes [1, 2]" in str(fails(d))
    d = model()
    d["sets"] = [{"name": "Plants", "elements": ["a", "a"]}, *d["sets"][1:]]
    assert "duplicate element 'a'" in str(fails(d))
    d["sets"] = [{"name": "Plants", "elements": [1, "1", 2]}, *d["sets"][1:]]
    assert "elements 1 and '1' read the same" in str(fails(d))  # their values shared a key


def test_bad_bounds_and_shapes() -> None:
    d = model()
    d["variables"] = [*d["variables"], {"name": "z", "lb": 5, "ub": 1}]
    assert "lower bound 5 is above upper bound 1" in str(fails(d))
    d = model()
    d["variables"] = [*d["variables"], {"name": "z", "domain": "real"}]
    assert "domain" in str(fails(d))
    assert "variables" in str(fails({"objective": {"sense": "min", "expression": "1"}}))


def test_undefined_numbers_are_errors() -> None:
    assert "undefined" in str(fails(model("y <= 1 / (budget - 10)")))
    assert "undefined" in str(fails(model("y <= log(0)")))
    assert "infinite, undefined or beyond 1e20" in str(fails(model("1e300 * 1e300 * y <= 1")))
    assert "beyond 1e20" in str(fails(model("y + 1e300 <= 1e300 - 1e290")))
    assert "50,000,000 combinations" in str(fails(model(
        "y <= sum(1 for i in range(1000) for j in range(1000) for k in range(1000))")))
    assert "range() with more than" in str(fails(model("y <= sum(1 for i in range(10**9))")))
    assert "cannot compare text with a number" in str(
        fails(model("y <= sum(x[p] for p in Plants if p > 1)")))


# -- fuzz -----------------------------------------------------------------------------------

FUZZ_MODEL = Formulation.from_dict(BASE)
TOKENS = [
    "x", "y", "cap", "budget", "flow", "Plants", "T", "Arcs", "p", "i", "j", "t", "z",
    "0", "1", "2.5", "-3", "1e308", "1e-9", "10**9", "1" + "0" * 30,
    "+", "-", "*", "/", "**", "^", "<=", ">=", "==", "<", ">", "=", "!=", "%", "@", "|",
    "(", ")", "[", "]", "{", "}", ",", ":", ".", ";",
    "sum(", "min(", "max(", "exp(", "log(", "sqrt(", "abs(", "len(", "range(", "for", "in",
    "if", "and", "or", "not", "lambda", "None", "True", "__import__", "__class__", "open(",
    "eval(", "'a'", '"b"', "'", '"', "x[p]", "cap[p]", "flow[i, j]", "(i, j)", "t-1",
    "for p in Plants", "for (i, j) in Arcs", "for t in range(1, 3)", "≤", "≥", "×", "·",
    "\u00e9", "\u4e2d", "\x00", "\n", "#", "\\",
]
# well-formed expressions built from a small grammar (these reach the compilers and solvers)
ATOMS = ["y", "budget", "x['a']", "flow['a', 'b']", "flow[('b', 'c')]", "0", "1", "2.5",
         "-1", "1e300", "len(Plants)", "len(Arcs)", "x['zz']"]
LOOPS = [  # (generator, atoms using its names, conditions)
    ("for p in Plants", ["x[p]", "cap[p]", "p"], ["", " if p != 'a'", " if cap[p] >= 5",
                                                   " if x[p] > 0", " if p > 1"]),
    ("for t in T", ["x[t]", "cap[t - 1]", "t"], ["", " if t > 1", " if not t < 2 or t == 3"]),
    ("for (i, j) in Arcs", ["flow[i, j]", "cap[i]", "x[j]"], ["", " if i == 'a'"]),
    ("for a in Arcs", ["flow[a]", "a"], [""]),
    ("for t in range(1, 4)", ["t", "y * t"], ["", " if t != 2"]),
]


def _combine(e: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(e, st.sampled_from(["+", "-", "*", "/", "**", "^"]), e).map(
            lambda a: f"({a[0]} {a[1]} {a[2]})"),
        st.tuples(st.sampled_from(["exp", "log", "sqrt", "abs", "-", ""]), e).map(
            lambda a: f"{a[0]}({a[1]})"),
        st.tuples(st.sampled_from(["min", "max"]), e, e).map(
            lambda a: f"{a[0]}({a[1]}, {a[2]})"),
    )


def _reduction(loop: tuple[str, list[str], list[str]]) -> st.SearchStrategy[str]:
    head, atoms, conds = loop
    body = st.recursive(st.sampled_from(ATOMS + atoms + atoms), _combine, max_leaves=4)
    return st.tuples(st.sampled_from(["sum", "sum", "min", "max"]), body,
                     st.sampled_from(conds)).map(lambda a: f"{a[0]}({a[1]} {head}{a[2]})")


algebra = st.recursive(
    st.one_of(st.sampled_from(ATOMS), st.sampled_from(LOOPS).flatmap(_reduction)),
    _combine, max_leaves=6)
comparisons = st.tuples(algebra, st.sampled_from(["<=", ">=", "==", "<", ">", "="]), algebra,
                        st.sampled_from(["", " <= 100", " >= -5"])).map(
    lambda a: f"{a[0]} {a[1]} {a[2]}{a[3]}")
expressions = st.one_of(
    comparisons,
    algebra,
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map(" ".join),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25).map("".join),
    st.text(max_size=80),
)


def _run(f: Formulation) -> None:
    try:
        out = solve_formulation(f, time_limit=2)
    except FormulationError:
        return
    assert isinstance(out, SolveResult)


@pytest.mark.timeout(240, method="thread")  # a hang inside a solver call ignores signals
@settings(max_examples=300, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(text=expressions, in_objective=st.booleans(), indexed=st.booleans())
def test_fuzz_only_formulation_errors_come_out(text: str, in_objective: bool,
                                               indexed: bool) -> None:
    if in_objective:
        obj = FUZZ_MODEL.objective.model_copy(update={"expression": text})
        f = FUZZ_MODEL.model_copy(update={"objective": obj})
    else:
        extra = FUZZ_MODEL.constraints[0].model_copy(update={
            "name": "extra", "expression": text,
            "for_each": "p in Plants" if indexed else None})
        f = FUZZ_MODEL.model_copy(update={"constraints": [*FUZZ_MODEL.constraints, extra]})
    _run(f)


@pytest.mark.timeout(240, method="thread")  # a hang inside a solver call ignores signals
@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(constraint=comparisons, objective=algebra)
def test_fuzz_well_formed_expressions(constraint: str, objective: str) -> None:
    extra = FUZZ_MODEL.constraints[0].model_copy(update={
        "name": "extra", "expression": constraint, "for_each": None})
    obj = FUZZ_MODEL.objective.model_copy(update={"expression": objective})
    _run(FUZZ_MODEL.model_copy(update={"constraints": [*FUZZ_MODEL.constraints, extra],
                                       "objective": obj}))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(head=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map(" ".join))
def test_fuzz_for_each_heads(head: str) -> None:
    extra = FUZZ_MODEL.constraints[0].model_copy(update={
        "name": "extra", "expression": "y <= 5", "for_each": head})
    _run(FUZZ_MODEL.model_copy(update={"constraints": [*FUZZ_MODEL.constraints, extra]}))


def test_a_range_up_to_a_loop_variable_gets_the_filter_that_does_it() -> None:
    f = Formulation.from_dict({
        "sets": [{"name": "T", "elements": [1, 2, 3]}],
        "variables": [{"name": "x", "index": ["T"], "ub": 5}],
        "objective": {"sense": "max", "expression": "sum(x[t] for t in T)"},
        "constraints": [{"name": "cum", "for_each": "t in T",
                         "expression": "sum(x[s] for s in range(1, t + 1)) <= 2*t"}]})
    with pytest.raises(FormulationError, match=r"range\(\) bounds must be numbers") as err:
        solve_formulation(f)
    assert err.value.hint == "to run up to a loop variable, filter its set: " \
        "'sum(x[s] for s in T if s <= t)'"


WITH_Z = {"variables": [*BASE["variables"], {"name": "z", "index": ["T"], "ub": 5}]}


@pytest.mark.parametrize(("text", "for_each", "outside"), [
    # the row's p only picks data: every row bounds the same total
    ("sum(x[p] for p in Plants) <= cap[p]", "p in Plants", "cap[p]"),
    # the row's t only as a number
    ("sum(z[t] for t in T) <= 2 * t", "t in T", "t"),
    # the row's p only filters a sum of data
    ("sum(cap[q] for q in Plants if q != p) * y + sum(x[p] for p in Plants) <= 20",
     "p in Plants", "q != p"),
])
def test_a_sum_rebinding_a_for_each_name_used_outside_only_on_data_fails(
        text: str, for_each: str, outside: str) -> None:
    err = fails(model(text, for_each=for_each, **WITH_Z))
    name = for_each[0]
    assert err.token == name and err.where == "constraint 'extra'"
    assert f"is already bound by the for_each: inside the sum the outer '{name}' is hidden, " \
        f"and elsewhere it only picks data or is a number ({outside}), so the rows for the " \
        f"different {name} hold the same sum and differ only in their numbers" in err.message
    assert err.hint is not None
    assert f"for one total, drop the for_each and write the limit without '{name}'" in err.hint


def test_the_hint_for_a_sum_meant_per_element_is_the_constraint_without_it() -> None:
    err = fails(model("sum(x[p] for p in Plants) <= cap[p]", for_each="p in Plants"))
    assert "loop variable 'p' of 'for p in Plants' is already bound" in err.message
    assert err.hint == ("for one row per p, drop the sum: 'x[p] <= cap[p]'; for one total, "
                        "drop the for_each and write the limit without 'p'; to sum over other "
                        "elements, use another name ('for q in Plants')")


def test_a_sum_rebinding_a_for_each_name_used_nowhere_else_fails() -> None:
    err = fails(model("sum(x[p] for p in Plants) <= 9", for_each="p in Plants"))
    assert "inside the sum the outer 'p' is hidden and it appears nowhere else, so the rows " \
        "for the different p are all the same" in err.message
    assert err.hint == ("for one row per p, drop the sum: 'x[p] <= 9'; for one total, drop "
                        "the for_each; to sum over other elements, use another name "
                        "('for q in Plants')")


def test_a_sum_rebinding_one_name_of_a_tuple_keeps_the_elements_with_it() -> None:
    err = fails(model("sum(flow[i, j] for (i, j) in Arcs) <= 3", for_each="i in Plants, t in T"))
    assert err.token == "i" and "of 'for (i, j) in Arcs' is already bound by the for_each" \
        in err.message
    assert err.hint is not None and err.hint.startswith(
        "for one row per i, sum only the elements with that i: "
        "'sum(flow[i, j] for q, j in Arcs if q == i) <= 3'; for one total, take 'i' out of the "
        "for_each;")


@pytest.mark.parametrize(("text", "outside"), [
    ("sum(sum(x[p] for p in Plants) for p in Plants) <= 9", None),
    ("sum(cap[p] * sum(x[p] for p in Plants) for p in Plants) <= 90", "cap[p]"),
])
def test_a_sum_rebinding_an_enclosing_sums_name_is_judged_alike(text: str,
                                                                outside: str | None) -> None:
    err = fails(model(text))
    assert "loop variable 'p' of 'for p in Plants' is already bound by an enclosing " \
        "'for p in Plants'" in err.message
    assert ("nowhere else, so the terms of that sum for the different p are all the same"
            if outside is None else f"only picks data or is a number ({outside})") \
        in err.message
    assert err.hint is not None and err.hint.startswith("for one term per p, drop the sum: ")


def test_a_for_each_may_not_bind_one_name_twice() -> None:
    err = fails(model("y <= 5", for_each="p in Plants, p in T"))
    assert "loop variable 'p' of 'for p in T' is already bound by an earlier loop of the " \
        "for_each" in err.message
    assert err.hint == "use another name ('p2 in T')"


@pytest.mark.parametrize("solver", ["highs", "scip"])
def test_each_share_at_most_half_of_the_total_rebinding_the_rows_name(solver: str) -> None:
    # inside the sum p is the sum's own; outside, the row's p picks x[p]: Python's reading
    res = solve_formulation(Formulation.from_dict(model(
        "x[p] <= sum(x[p] for p in Plants) / 2", for_each="p in Plants",
        objective="3 * x['c'] - x['a'] - x['b']")), solver=solver)
    assert res.status == "optimal" and res.objective == pytest.approx(12)
    assert res.values["x"]["c"] == pytest.approx(6)


def test_each_at_least_a_tenth_of_the_total_rebinding_the_rows_name() -> None:
    res = solve_formulation(Formulation.from_dict(model(
        "x[p] >= 0.1 * sum(x[p] for p in Plants)", for_each="p in Plants",
        objective="x['c'] - 0.01 * x['a'] - 0.01 * x['b']")))
    assert res.status == "optimal" and res.objective == pytest.approx(6 - 0.015)
    assert res.values["x"] == pytest.approx({"a": 0.75, "b": 0.75, "c": 6})


def test_a_rows_name_that_filters_a_sum_of_variables_makes_the_rows_differ() -> None:
    parse_model(Formulation.from_dict(model(
        "sum(x[q] for q in Plants if q != p) <= sum(x[p] for p in Plants) / 2",
        for_each="p in Plants")))


def test_a_sum_over_another_name_inside_for_each_is_fine() -> None:
    res = solve_formulation(Formulation.from_dict(
        model("x[p] <= sum(x[q] for q in Plants) - y", for_each="p in Plants")))
    assert res.status == "optimal"


@pytest.mark.parametrize(("model", "hint"), [
    # named after a variable it does not hold: most likely that variable's definition
    ({"variables": {"stock1": "integer", "chairs1": "integer"},
      "constraints": {"stock1": "chairs1 - 80"}},
     "'stock1 == chairs1 - 80' if it says what stock1 is"),
    ({"variables": {"x": "integer"}, "constraints": {"x": "x + 2"}}, "'x <= x + 2' for at most"),
    # a number alone: the variable of the constraint's number, else the scalars' sum, else x
    ({"variables": {"make1": "integer", "make2": "integer"}, "constraints": {"demand2": "260"}},
     "write what 260 bounds, e.g. 'make2 >= 260'"),
    ({"variables": {"make1": "integer", "make2": "integer"}, "constraints": {"supply": "250"}},
     "e.g. 'make1 + make2 >= 250'"),
    ({"sets": {"I": ["a", "b"]}, "variables": {"make": {"index": ["I"]}},
      "constraints": {"demand": "200"}},  # the only variable indexed: no crash, x
     "write what 200 bounds, e.g. 'x >= 200'"),
])
def test_an_expression_alone_as_a_constraint_is_hinted_with_the_comparison_it_means(model, hint):
    from optiform.agent.schema import to_formulation
    from optiform.solvers.validate import parse_model

    first = next(iter(model["variables"]))
    f = to_formulation({**model, "objective": {"sense": "minimize", "expression": (
        f"sum({first}[i] for i in I)" if "sets" in model else first)}})
    with pytest.raises(FormulationError) as err:
        parse_model(f)
    assert hint in str(err.value)


@pytest.mark.parametrize("reply", [
    {"variables": 3, "objective": {"sense": "minimize", "expression": "x"}},
    {"variables": [{"name": "x", "domain": "continuous"}], "constraints": "x <= 3",
     "objective": {"sense": "minimize", "expression": "x"}},
    {"sets": [{"name": ["S"], "elements": ["a"]}],
     "variables": [{"name": "x", "domain": "continuous"}],
     "objective": {"sense": "minimize", "expression": "x"}},
    {"parameters": [{"name": {"p": 1}, "value": 1}],
     "variables": [{"name": "x", "domain": "continuous"}],
     "objective": {"sense": "minimize", "expression": "x"}},
    {"variables": [{"name": ["x"], "domain": "continuous"}],
     "objective": {"sense": "minimize", "expression": "x"}},
    {"variables": [{"name": "x", "domain": "continuous"}],
     "objective": {"sense": "minimize", "expression": "x"},
     "constraints": [{"name": ["c"], "expression": "x >= 1"}]},
])
def test_a_reply_of_another_shape_is_a_formulation_error(reply):
    from optiform.agent.schema import to_formulation

    # clean()'s mends read lists of named items; anything else is said, not a TypeError
    with pytest.raises(FormulationError):
        to_formulation(reply)
