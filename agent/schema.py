"""The compact, LLM-facing JSON schema of a formulation, and its conversion to a Formulation.

The full ``Formulation`` schema (``solvers/formulation.py``) carries descriptions, CSV sources
and many optional fields; a small model writes better JSON, faster, under a smaller schema.
The compact shape is a subset of the full one (same key names), so a compact answer validates
into a ``Formulation`` after light clean-up. Keys are ordered as a person would write them
(sets, parameters, variables, objective, constraints) and the first ones are required, because
llama.cpp's grammar puts required properties first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from optiform.agent.jsonout import keep_repeated_comparisons
from optiform.agent.reply_mends import (
    distinct_names,
    expressions,
    inferred_index,
    pi_literals,
    set_uses,
    shadowing_sets,
    trailing_loop,
    wide_tables,
)
from optiform.errors import FormulationError
from optiform.solvers.expr import FUNCTIONS
from optiform.solvers.formulation import RESERVED, Formulation

_NAME: dict[str, Any] = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}
_NAMES: dict[str, Any] = {"type": "array", "items": _NAME}
_NUMBER_OR_NULL: dict[str, Any] = {"type": ["number", "null"]}

_DOMAIN_ALIASES = {
    "int": "integer", "integers": "integer", "integral": "integer", "bool": "binary",
    "boolean": "binary", "real": "continuous", "float": "continuous", "reals": "continuous",
    "nonnegativereals": "continuous", "nonnegativeintegers": "integer",
}


def _obj(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required,
            "additionalProperties": False}


def llm_schema(*, tables: bool = False) -> dict[str, Any]:
    """The compact schema; ``tables`` adds CSV ``source`` fields for attached data tables."""
    set_props: dict[str, Any] = {
        "name": _NAME,
        "elements": {"type": "array", "items": {"type": ["string", "integer"]}},
    }
    param_props: dict[str, Any] = {
        "name": _NAME,
        "index": _NAMES,
        "value": {"type": "number"},
        "values": {"type": ["object", "array"]},
    }
    if tables:
        set_props["source"] = _obj({"file": {"type": "string"}, "column": {"type": "string"}},
                                   ["file", "column"])
        param_props["source"] = _obj(
            {"file": {"type": "string"}, "column": {"type": "string"}, "key": _NAMES},
            ["file", "column", "key"])
    variable = _obj({
        "name": _NAME,
        "domain": {"enum": ["continuous", "integer", "binary"]},
        "index": _NAMES,
        "lb": _NUMBER_OR_NULL,
        "ub": _NUMBER_OR_NULL,
        "description": {"type": "string"},
    }, ["name", "domain"])
    constraint = _obj({
        "name": _NAME,
        "expression": {"type": "string"},
        "for_each": {"type": "string"},
    }, ["name", "expression"])
    return _obj({
        "sets": {"type": "array", "items": _obj(set_props, ["name"])},
        "parameters": {"type": "array", "items": _obj(param_props, ["name"])},
        "variables": {"type": "array", "items": variable, "minItems": 1},
        "objective": _obj({
            "sense": {"enum": ["maximize", "minimize"]},
            "expression": {"type": "string"},
        }, ["sense", "expression"]),
        "constraints": {"type": "array", "items": constraint},
    }, ["sets", "parameters", "variables", "objective", "constraints"])


def _as_list(value: Any, scalar_key: str) -> Any:
    """Accept ``{"name": spec}`` maps where a list of named items is expected."""
    if isinstance(value, dict):
        out = []
        for name, spec in value.items():
            if isinstance(spec, dict):
                out.append({"name": name, **spec})
            else:
                out.append({"name": name, scalar_key: spec})
        return out
    return value


def _drop_nones(item: Any, keep: tuple[str, ...] = ()) -> Any:
    if not isinstance(item, dict):
        return item
    return {k: v for k, v in item.items() if v is not None or k in keep}


def clean(data: Any) -> Any:
    """Light, meaning-preserving clean-up of an LLM's answer before validation."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    out["sets"] = _as_list(out.get("sets") or [], "elements")
    out["parameters"] = _as_list(out.get("parameters") or [], "value")
    out["variables"] = _as_list(out.get("variables") or [], "domain")
    out["constraints"] = _as_list(out.get("constraints") or [], "expression")
    out["parameters"] = [_clean_param(p) for p in out["parameters"]]
    out["variables"] = [_clean_variable(v) for v in out["variables"]]
    _rename_variables(out)
    names = {v.get("name") for v in out["variables"] if isinstance(v, dict)}
    out["constraints"] = [_complete_bound(_constraint_name(_drop_nones(c), i), names)
                          for i, c in enumerate(out["constraints"])]
    out["constraints"] = [trailing_loop({**c, "expression": _percent_literals(
        c.get("expression"))}) if isinstance(c, dict) else c for c in out["constraints"]]
    if isinstance(out.get("objective"), dict):
        out["objective"] = {**out["objective"],
                            "expression": _percent_literals(out["objective"].get("expression"))}
    pi_literals(out)
    out["sets"] = [_drop_nones(s) for s in out["sets"]]
    shadowing_sets(out)
    uses = set_uses(out)
    out["parameters"] = [inferred_index(p, out["sets"], uses) for p in out["parameters"]]
    wide_tables(out)
    for key in ("sets", "parameters", "variables", "constraints"):
        out[key] = _dedupe(out[key])
    out["constraints"] = distinct_names(out["constraints"])
    for key in ("sets", "parameters", "constraints"):
        if not out[key]:
            del out[key]
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _dedupe(items: Any) -> Any:
    """Items repeated word for word (same name, same content) kept once."""
    if not isinstance(items, list):
        return items
    seen: set[str] = set()
    out = []
    for item in items:
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _check_duplicates(data: dict[str, Any]) -> None:
    """A name defined twice with different content: say which, and what to do."""
    seen: dict[str, str] = {}
    for key, kind in (("sets", "set"), ("parameters", "parameter"), ("variables", "variable")):
        items = data.get(key)
        if not isinstance(items, list):
            continue
        for item in items:
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(name, str):
                continue
            if name in seen:
                if seen[name] == kind:
                    what = (f"is defined twice as a {kind}, with different contents: keep one "
                            f"{kind} '{name}'"
                            + (" (one indexed parameter holds every value in its \"values\" "
                               "map)" if kind == "parameter" else "")
                            + f", or rename the other (e.g. '{name}_2')")
                else:
                    what = (f"names both a {seen[name]} and a {kind}: rename one of them "
                            f"(e.g. the {seen[name]} to '{name}_{seen[name]}')")
                raise FormulationError(f"name '{name}' {what} and use the new name where it is "
                                       "meant", where=f"{kind} '{name}'")
            seen[name] = kind


def _constraint_name(c: Any, i: int) -> Any:
    """A constraint's name made an identifier ('labor hours' -> 'labor_hours'): nothing refers
    to it, so renaming it changes no meaning."""
    if isinstance(c, dict) and isinstance(c.get("name"), str):
        name = re.sub(r"\W+", "_", c["name"].strip()).strip("_")
        if not name:
            name = f"c{i + 1}"
        elif name[0].isdigit():
            name = f"c_{name}"
        c = {**c, "name": name}
    return c


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str) -> str:
    """'4_wheeler' -> 'wheeler_4', 'small trucks' -> 'small_trucks'."""
    parts = [p for p in re.split(r"\W+|_", name.strip()) if p]
    if not parts:
        return "x"
    lead = [p for p in parts if not p[0].isdigit()]
    rest = [p for p in parts if p[0].isdigit()]
    return "_".join(lead + rest) if lead else "x_" + "_".join(rest)


def _renamed_reserved(name: str, out: dict[str, Any]) -> bool:
    """Whether a variable named like a word of the language (``or`` for an operating room,
    ``max``) can be renamed safely: in a model without comprehensions every use of a keyword
    name is the variable, and a function name is the variable wherever no call follows."""
    if name not in RESERVED:
        return False
    if name in ("sum", "range", "len") or name in FUNCTIONS:
        return True
    return not any(re.search(r"\bfor\b", t) for t in expressions(out))


def _rename_variables(out: dict[str, Any]) -> None:
    """Variable names that are not identifiers, or are reserved words of the language (``or``,
    ``max``), renamed the same way everywhere they occur (meaning-preserving: the model
    clearly meant one name for one thing)."""
    taken = {v.get("name") for v in out["variables"] if isinstance(v, dict)}
    renames: dict[str, str] = {}
    for v in out["variables"]:
        name = v.get("name") if isinstance(v, dict) else None
        if not isinstance(name, str):
            continue
        if not _IDENTIFIER.match(name) or _renamed_reserved(name, out):
            new = identifier(name)
            while new in taken or new in RESERVED:
                new += "_"
            taken.add(new)
            renames[name] = new
            v["name"] = new
    if not renames:
        return
    # a reserved function name stays a call where one follows ("max(a, b)")
    pattern = re.compile("|".join(
        rf"(?<![A-Za-z0-9_.]){re.escape(old)}(?![A-Za-z0-9_])"
        + (r"(?!\s*\()" if old in RESERVED else "")
        for old in sorted(renames, key=len, reverse=True)))

    def fix(text: Any) -> Any:
        return pattern.sub(lambda m: renames[m.group(0)], text) if isinstance(text, str) \
            else text

    objective = out.get("objective")
    if isinstance(objective, dict):
        out["objective"] = {**objective, "expression": fix(objective.get("expression"))}
    out["constraints"] = [{**c, "expression": fix(c.get("expression"))}
                          if isinstance(c, dict) else c for c in out["constraints"]]


_LEADING_OP = re.compile(r"^\s*(<=|>=|==|=<|=>)")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%(?!\s*[\w(])")
_PERCENT_TIMES = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%(?=\s*[*(])(?P<paren>\s*\()?")


def _percent_literals(text: Any) -> Any:
    """``75%*80`` and ``x <= 40%`` as ``0.75*80`` and ``x <= 0.4``: a percent sign is no
    operator of the language (Python would read it as modulo); a number written with it is
    that fraction. ``a % b`` between names is left alone."""
    if not isinstance(text, str) or "%" not in text:
        return text
    def fraction(m: re.Match[str]) -> str:
        times = "*(" if m.groupdict().get("paren") else ""
        return f"{float(m.group(1)) / 100:g}{times}"
    return _PERCENT.sub(fraction, _PERCENT_TIMES.sub(fraction, text))


def _complete_bound(c: Any, variables: set[Any]) -> Any:
    """``"wired": "<= 100"`` (a bound written under the variable's name) as ``wired <= 100``."""
    if isinstance(c, dict) and c.get("name") in variables and not c.get("for_each") and \
            isinstance(c.get("expression"), str) and _LEADING_OP.match(c["expression"]):
        c = {**c, "expression": f"{c['name']} {c['expression'].strip()}"}
    return c


def _clean_param(p: Any) -> Any:
    p = _drop_nones(p)
    if isinstance(p, dict) and not p.get("index"):
        p.pop("index", None)
        if "values" in p and "value" not in p and isinstance(p["values"], (int, float)):
            p["value"] = p.pop("values")
    return p


def _clean_variable(v: Any) -> Any:
    # 'lb': null means "unbounded below"; keep it, drop every other null
    v = _drop_nones(v, keep=("lb",))
    if isinstance(v, dict):
        dom = v.get("domain")
        if isinstance(dom, str):
            v["domain"] = _DOMAIN_ALIASES.get(dom.strip().lower(), dom.strip().lower())
        if not v.get("index"):
            v.pop("index", None)
    return v


def _check_shape(data: dict[str, Any]) -> None:
    """Lists of items where ``clean`` reads them (a ``{"name": spec}`` map is taken too), and
    names that are strings: what clean's mends need to read a reply at all."""
    for key, kind in (("sets", "set"), ("parameters", "parameter"), ("variables", "variable"),
                      ("constraints", "constraint")):
        items = data.get(key)
        if items is None or isinstance(items, dict):
            continue
        if not isinstance(items, list):
            raise FormulationError(f"'{key}' must be a list of {kind}s, each an object with a "
                                   f"\"name\"; it is {json.dumps(items)[:40]}", where=key)
        for item in items:
            name = item.get("name") if isinstance(item, dict) else None
            if name is not None and not isinstance(name, str):
                raise FormulationError(f"a {kind}'s name must be a string, not "
                                       f"{json.dumps(name)[:40]}: write it as an identifier "
                                       "such as \"x1\"", where=f"{kind} {json.dumps(name)[:40]}")


def to_formulation(data: Any) -> Formulation:
    """A Formulation from the LLM's JSON (compact or full); FormulationError saying where."""
    if isinstance(data, str):
        try:
            data = json.loads(data, object_pairs_hook=keep_repeated_comparisons)
        except json.JSONDecodeError as exc:
            raise FormulationError(f"the reply is not JSON: {exc.msg} at column {exc.colno}",
                                   where="reply") from None
    if not isinstance(data, dict):
        raise FormulationError("the reply must be a JSON object with variables, objective "
                               "and constraints", where="reply")
    _check_shape(data)
    cleaned = clean(data)
    _check_duplicates(cleaned)
    return Formulation.from_dict(cleaned)


def to_compact(f: Formulation) -> dict[str, Any]:
    """A Formulation in the compact shape (defaults left out), as shown to the LLM."""
    full = f.model_dump(mode="json", exclude_defaults=True)
    full.pop("name", None)
    full.pop("description", None)
    for key in ("sets", "parameters", "variables", "constraints"):
        full.setdefault(key, [])
    full["variables"] = [
        {"name": v.name, "domain": v.domain,
         **{k: d[k] for k in ("index", "lb", "ub", "description") if k in d}}
        for v, d in zip(f.variables, full["variables"], strict=True)
    ]
    ordered = {k: full[k] for k in ("sets", "parameters", "variables", "objective",
                                    "constraints")}
    ordered["objective"].pop("description", None)
    return ordered


def compact_json(f: Formulation | dict[str, Any]) -> str:
    data = to_compact(f) if isinstance(f, Formulation) else f
    return json.dumps(data, separators=(",", ":"))


# The scalar shape: the smallest answer for the many word problems whose decisions are a few
# named quantities (NL4Opt's, most textbook problems). Variables and constraints are name ->
# domain and name -> expression maps, numbers are written into the expressions; there are no
# sets or parameters a small model could get wrong, and an answer is about half as many tokens.
Shape = str  # "scalar" | "indexed"
SHAPES = ("scalar", "indexed")


def scalar_schema() -> dict[str, Any]:
    """The schema of the scalar shape (a subset of what ``to_formulation`` accepts)."""
    return _obj({
        "variables": {"type": "object",
                      "additionalProperties": {"enum": ["continuous", "integer", "binary"]},
                      "minProperties": 1},
        "objective": _obj({
            "sense": {"enum": ["maximize", "minimize"]},
            "expression": {"type": "string"},
        }, ["sense", "expression"]),
        "constraints": {"type": "object", "additionalProperties": {"type": "string"}},
    }, ["variables", "objective", "constraints"])


def schema_for(shape: Shape, *, tables: bool = False) -> dict[str, Any]:
    return scalar_schema() if shape == "scalar" else llm_schema(tables=tables)


def to_scalar(f: Formulation) -> dict[str, Any] | None:
    """The formulation in the scalar shape, or None when it needs sets, parameters, indices or
    bounds other than the default (which the scalar shape cannot say)."""
    if f.sets or f.parameters:
        return None
    variables: dict[str, str] = {}
    for v in f.variables:
        if v.index or v.lb != 0 or v.ub is not None:
            return None
        variables[v.name] = v.domain
    constraints: dict[str, str] = {}
    for c in f.constraints:
        if c.for_each:
            return None
        constraints[c.name] = c.expression
    return {"variables": variables,
            "objective": {"sense": f.objective.sense, "expression": f.objective.expression},
            "constraints": constraints}


def model_json(f: Formulation, shape: Shape) -> str:
    """The formulation as shown to the LLM: in the scalar shape when asked and possible."""
    scalar = to_scalar(f) if shape == "scalar" else None
    return json.dumps(scalar, separators=(",", ":")) if scalar is not None else compact_json(f)
