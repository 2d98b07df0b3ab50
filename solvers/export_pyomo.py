"""A formulation as a standalone, readable Pyomo script (what a user takes away).

The script holds the data as literals, builds ``model`` at module level (so a sandbox can pick
it up), defines one rule per constraint whose body is the formulation's expression, and has a
``main()`` that solves with HiGHS (linear and quadratic models) or SCIP (nonlinear ones) and
prints ``objective: <value>`` and one JSON line with the status and variable values.
"""

from __future__ import annotations

import ast
from pathlib import Path

from optiform.solvers.data import ModelData, load_data
from optiform.solvers.expr import target_names
from optiform.solvers.formulation import Formulation
from optiform.solvers.pyomo_names import (
    component_names,
    constraint_pieces,
    piece_counts,
)
from optiform.solvers.script_data import data_section, literal
from optiform.solvers.script_expr import (
    ScriptNames,
    ToPyomo,
    python_names,
    ranged,
    relation,
    return_lines,
)
from optiform.solvers.script_text import header, helpers_text, main_text
from optiform.solvers.validate import ParsedConstraint, ParsedModel, parse_model


def to_pyomo_script(f: Formulation, data_dir: Path | None = None) -> str:
    """The Pyomo source of ``f``; FormulationError/DataError when it does not check."""
    parsed = parse_model(f)
    data = load_data(f, data_dir)
    solvers = _solvers(parsed, data)
    shifts = _strict_shifts(parsed, data)
    loop_names = [n for pc in parsed.constraints for g in pc.generators
                  for n in target_names(g.target)] + _inner_loop_names(parsed)
    taken: set[str] = set()
    ident = python_names([*(s.name for s in f.sets), *(p.name for p in f.parameters),
                          *loop_names], taken)
    comps = component_names(f, piece_counts(parsed))
    names = ScriptNames(ident, dict(comps.sets), dict(comps.variables), dict(comps.params))
    block = next(b for b in ("m", "mdl", "blk", "b_") if b not in taken and b not in ident)
    rule_names = python_names([f"{c}_rule" for cs in comps.constraints.values() for c in cs],
                              taken | {block})
    model_part = _model_section(parsed, data, names, comps, block, rule_names, shifts)
    parts = [header(f, solvers), data_section(f, data, names), helpers_text(names.helpers),
             "\n".join(model_part), main_text(solvers, comps.objective, comps.variables)]
    return "\n\n\n".join(p.strip("\n") for p in parts if p.strip()) + "\n"


def _inner_loop_names(parsed: ParsedModel) -> list[str]:
    trees = [parsed.objective, *(pc.body for pc in parsed.constraints),
             *(c for pc in parsed.constraints for g in pc.generators for c in g.ifs)]
    return [n for t in trees for node in ast.walk(t) if isinstance(node, ast.comprehension)
            for n in target_names(node.target)]


def _solvers(parsed: ParsedModel, data: ModelData) -> list[str]:
    """Solvers the script tries in order: HiGHS for LP/MILP/QP, SCIP for the rest."""
    from optiform.solvers.algebra import NonLinear
    from optiform.solvers.linear import compile_linear

    try:
        lm = compile_linear(parsed, data)
    except NonLinear:
        return ["scip_direct"]
    if lm.q is None:
        return ["highs"]
    from optiform.solvers.convexity import quadratic_is_convex

    if lm.integer.any() or not quadratic_is_convex(lm.q, lm.sense):
        return ["scip_direct"]
    return ["highs", "scip_direct"]


def _strict_shifts(parsed: ParsedModel, data: ModelData) -> dict[str, float]:
    """Per constraint with a strict comparison: the step its rows move in (0: none)."""
    if not any(isinstance(op, (ast.Lt, ast.Gt)) for pc in parsed.constraints
               for op in pc.body.ops):
        return {}
    from optiform.solvers.pyomo_build import build_pyomo_model

    return build_pyomo_model(parsed, data).shifts


def _domain(v: object) -> str:
    lb, ub, domain = v.lb, v.ub, v.domain  # type: ignore[attr-defined]
    if domain == "binary":
        bounds = "" if lb in (None, 0) and ub in (None, 1) else f", bounds=({lb!r}, {ub!r})"
        return f"domain=pyo.Binary{bounds}"
    kind = "Integers" if domain == "integer" else "Reals"
    if lb == 0 and ub is None:
        return f"domain=pyo.NonNegative{kind}"
    if lb is None and ub is None:
        return f"domain=pyo.{kind}"
    return f"domain=pyo.{kind}, bounds=({_num(lb)}, {_num(ub)})"


def _num(x: float | None) -> str:
    if x is None:
        return "None"
    return repr(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _model_section(parsed: ParsedModel, data: ModelData, names: ScriptNames, comps: object,
                   block: str, rule_names: dict[str, str], shifts: dict[str, float]
                   ) -> list[str]:
    f = parsed.formulation
    out = ["# -- model " + "-" * 86, "",
           f"model = pyo.ConcreteModel(name={literal(f.name)})"]
    for s in f.sets:
        dimen = parsed.scope.sets[s.name]
        extra = f", dimen={dimen}" if dimen > 1 else ""
        out.append(f"model.{names.sets[s.name]} = pyo.Set(initialize={names.ident[s.name]}, "
                   f"ordered=True{extra})")
    for p in f.parameters:
        if p.index:
            sets = "".join(f"model.{names.sets[s]}, " for s in p.index)
            out.append(f"model.{names.params[p.name]} = pyo.Param({sets}"
                       f"initialize={names.ident[p.name]}, within=pyo.Reals)")
    for v in f.variables:
        sets = "".join(f"model.{names.sets[s]}, " for s in v.index)
        if v.description:
            out.append(f"# {v.description}")
        out.append(f"model.{names.variables[v.name]} = pyo.Var({sets}{_domain(v)})")
    t = ToPyomo(names, block)
    sense = "pyo.maximize" if f.objective.sense == "maximize" else "pyo.minimize"
    out += ["", "", f"def objective_rule({block}):"]
    if f.objective.description:
        out.append(f"    {_doc(f.objective.description)}")
    out += [f"    {line}" for line in return_lines(t.visit(_copy(parsed.objective)))]
    out += ["", "",
            f"model.{comps.objective} = pyo.Objective(rule=objective_rule, "  # type: ignore
            f"sense={sense})"]
    for pc in parsed.constraints:
        out += _constraint(pc, parsed, names, comps.constraints[pc.name],  # type: ignore
                           block, rule_names, shifts.get(pc.name, 0.0))
    return out


def _doc(text: str) -> str:
    return '"""' + text.replace('"""', "'''").replace("\\", "\\\\") + '"""'


def _constraint(pc: ParsedConstraint, parsed: ParsedModel, names: ScriptNames,
                comp_names: list[str], block: str, rule_names: dict[str, str],
                shift: float) -> list[str]:
    t = ToPyomo(names, block)
    desc = parsed.formulation.constraint(pc.name).description  # type: ignore[union-attr]
    params, unpack = _rule_params(pc, parsed, names)
    index = _index_arg(pc, parsed, names)
    pieces = constraint_pieces(pc.body, parsed.scope.variables)
    bodies = ([ranged(t, pc.body, shift)] if pieces is None
              else [relation(t, a, op, b, shift) for a, op, b in pieces])
    out: list[str] = []
    for comp, body in zip(comp_names, bodies, strict=True):
        rule = rule_names[f"{comp}_rule"]
        out += ["", "", f"def {rule}({', '.join([block, *params])}):"]
        if desc:
            out.append(f"    {_doc(desc)}")
        out += [f"    {line}" for line in unpack]
        out += [f"    {line}" for line in return_lines(body)]
        line = f"model.{comp} = pyo.Constraint({index}rule=skip_trivial({rule}))"
        if len(line) > 96:
            line = (f"model.{comp} = pyo.Constraint(\n    {index}rule=skip_trivial({rule}),\n)")
        out += ["", "", line]
    return out


def _widths(pc: ParsedConstraint, parsed: ParsedModel) -> list[tuple[str, int]]:
    """Loop names of a for_each with the number of flat index parts each one takes."""
    out = []
    for g in pc.generators:
        tnames = target_names(g.target)
        arity = parsed.scope.sets.get(g.iter.id, 1) if isinstance(g.iter, ast.Name) else 1
        for n in tnames:
            out.append((n, arity if len(tnames) == 1 else 1))
    return out


def _rule_params(pc: ParsedConstraint, parsed: ParsedModel, names: ScriptNames
                 ) -> tuple[list[str], list[str]]:
    params: list[str] = []
    unpack: list[str] = []
    for n, width in _widths(pc, parsed):
        ident = names.ident[n]
        if width == 1:
            params.append(ident)
            continue
        parts = [f"{ident}_{k + 1}" for k in range(width)]
        params += parts
        unpack.append(f"{ident} = ({', '.join(parts)})")
    return params, unpack


def _index_arg(pc: ParsedConstraint, parsed: ParsedModel, names: ScriptNames) -> str:
    if not pc.generators:
        return ""
    t = ToPyomo(names, "model")
    if all(isinstance(g.iter, ast.Name) and not g.ifs for g in pc.generators):
        return "".join(f"{t.expr(g.iter)}, " for g in pc.generators)
    keys = [(f"*{names.ident[n]}" if w > 1 else names.ident[n]) for n, w in _widths(pc, parsed)]
    key = keys[0] if len(keys) == 1 and not keys[0].startswith("*") else \
        "(" + ", ".join(keys) + ("," if len(keys) == 1 else "") + ")"
    gens = ast.unparse(ast.ListComp(ast.Name("KEY", ast.Load()),
                                    [t.visit(_copy(g)) for g in pc.generators]))
    return gens.replace("[KEY ", f"[{key} ", 1) + ", "


def _copy(node: ast.AST) -> ast.AST:
    import copy

    return copy.deepcopy(node)
