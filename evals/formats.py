"""Records in the formats benchmark files come in, turned into `Item`s. Pure: no file I/O.

- normalized (../shared/benchmarks): ``{"id", "question", "answer", ["disputed", "alt_answers"]}``;
  other common field names for the text and the value are accepted too.
- NL4Opt original (nl4opt-competition ``generation_data/*.jsonl``): one line per problem,
  ``{"<id>": {"document", "vars", "order_mapping", "obj_declaration", "const_declarations",
  ...}}``. The original carries no optimum; the loader computes it by solving the annotated
  LP (non-negative continuous variables, as the competition framed each problem).
- OptiBench / ReSocratic original (``e-opt.json``): ``{"question", "results": {label: value},
  "index", "type", ...}``; the objective is the result whose label names it (total, maximum,
  minimum, objective...), else the last result.
"""

from __future__ import annotations

import math
import re
from typing import Any

from pydantic import BaseModel, Field

from optiform.errors import EvalError
from optiform.evals.scoring import as_number

QUESTION_KEYS = ("question", "en_question", "problem", "description", "text")
ANSWER_KEYS = ("answer", "en_answer", "optimal_value", "objective", "ground_truth")


class Item(BaseModel):
    """One benchmark problem: the text and the optimal objective value (None: no optimum)."""

    id: str
    question: str
    answer: float | None = None
    disputed: bool = False
    alt_answers: list[float | None] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)


_JSON_KINDS = {"list": "array", "str": "string", "int": "number", "float": "number",
               "bool": "boolean", "NoneType": "null"}


def detect_format(record: Any) -> str:
    """``normalized``, ``nl4opt`` or ``optibench`` for one record; EvalError otherwise."""
    if isinstance(record, dict):
        if len(record) == 1:
            (inner,) = record.values()
            if isinstance(inner, dict) and "document" in inner:
                return "nl4opt"
        if "question" in record and isinstance(record.get("results"), dict):
            return "optibench"
        if any(k in record for k in QUESTION_KEYS):
            return "normalized"
    what = (f"keys: {sorted(record)}" if isinstance(record, dict)
            else f"a JSON {_JSON_KINDS.get(type(record).__name__, type(record).__name__)}, "
                 "not an object")
    raise EvalError(
        f"record in an unknown format ({what})",
        hint="use JSONL with 'id', 'question' and 'answer' per line, or an original NL4Opt "
        "or OptiBench file",
    )


def to_item(record: Any, *, fallback_id: str) -> Item:
    """One record in any known format as an Item."""
    kind = detect_format(record)
    if kind == "nl4opt":
        return nl4opt_item(record)
    if kind == "optibench":
        return optibench_item(record, fallback_id=fallback_id)
    return normalized_item(record, fallback_id=fallback_id)


NO_OPTIMUM_WORDS = frozenset({"", "none", "null", "infeasible", "no feasible solution",
                              "no optimal solution", "no solution", "no best solution"})


def _number_or_none(value: Any, where: str) -> float | None:
    """A truth: a number, or None for no optimum (null, or a text that says so). A text that
    is neither ("$1,200", "12.5%") is an error, never read as "no optimum"."""
    if value is None:
        return None
    number = as_number(value)
    if number is not None:
        return number
    if isinstance(value, str) and value.strip().lower().rstrip(".") in NO_OPTIMUM_WORDS:
        return None
    raise EvalError(f"{where}: answer {value!r} is not a number or null",
                    hint="write the optimal objective as a plain number, or null when the "
                         "problem has no optimum")


def normalized_item(record: dict[str, Any], *, fallback_id: str) -> Item:
    question = next((record[k] for k in QUESTION_KEYS if isinstance(record.get(k), str)), None)
    if not question or not question.strip():
        raise EvalError(f"{fallback_id}: no question text", hint="add a 'question' field")
    item_id = str(record.get("id", fallback_id))
    answer_key = next((k for k in ANSWER_KEYS if k in record), None)
    if answer_key is None:  # scoring needs the truth; null is a truth (no optimum), absence not
        raise EvalError(f"{item_id}: no answer field",
                        hint="give 'answer': the optimal objective value, or null when the "
                             "problem has no optimum (infeasible or unbounded)")
    answer = _number_or_none(record.get(answer_key), item_id)
    alts = record.get("alt_answers") or []
    known = {"id", "disputed", "alt_answers", *QUESTION_KEYS, *ANSWER_KEYS}
    return Item(
        id=item_id,
        question=question,
        answer=answer,
        disputed=bool(record.get("disputed", False)),
        alt_answers=[_number_or_none(a, item_id) for a in alts],
        meta={k: v for k, v in record.items() if k not in known},
    )


# -- OptiBench (ReSocratic) ----------------------------------------------------------------

_OBJECTIVE_WORDS = re.compile(
    r"\b(total|maximum|minimum|max|min|maximi[sz]ed|minimi[sz]ed|objective|optimal|overall)\b",
    re.IGNORECASE,
)


def optibench_objective(results: dict[str, Any]) -> tuple[str | None, float | None]:
    """The label and value of the objective among a ReSocratic ``results`` mapping.

    Scans from the last entry back for a label naming an objective; falls back to the last
    entry. A non-numeric value (e.g. a note that no solution exists) gives None.
    """
    if not results:
        return None, None
    labels = list(results)
    chosen = next((k for k in reversed(labels) if _OBJECTIVE_WORDS.search(k)), labels[-1])
    return chosen, as_number(results[chosen])


def optibench_item(record: dict[str, Any], *, fallback_id: str) -> Item:
    label, value = optibench_objective(record["results"])
    index = record.get("index", record.get("id"))
    item_id = f"optibench:{index}" if index is not None else fallback_id
    meta = {"objective_label": label, "format": "optibench"}
    for key in ("type", "var_num"):
        if key in record:
            meta[key] = record[key]
    return Item(id=item_id, question=record["question"], answer=value, meta=meta)


# -- NL4Opt original -----------------------------------------------------------------------


_NUMBER_WORDS = {
    "half": 0.5, "a half": 0.5, "one": 1, "once": 1, "two": 2, "twice": 2, "double": 2,
    "three": 3, "thrice": 3, "triple": 3, "three times": 3, "four": 4, "four times": 4,
    "five": 5, "five times": 5, "ten": 10, "a third": 1 / 3, "one third": 1 / 3,
    "a quarter": 0.25, "a fourth": 0.25,
}


def parse_nl4opt_number(text: Any) -> float:
    """A number as the NL4Opt annotations write it: '1,200', '$30', '70%', '0.5', 'twice'."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    raw = str(text).strip().replace(",", "").strip(";$ ")
    if raw.lower() in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[raw.lower()])
    scale = 1.0
    if raw.endswith("%") or raw.lower().endswith("percent"):
        raw = raw.rstrip("%").removesuffix("percent").strip()
        scale = 0.01
    number = as_number(raw)
    if number is None:
        match = re.search(r"-?\d+(?:\.\d+)?", raw)
        if match is None:
            raise EvalError(f"cannot read the number {text!r} in an NL4Opt annotation")
        number = float(match.group())
    return number * scale


def _var_index(name: str, data: dict[str, Any]) -> int:
    order = data.get("order_mapping") or {}
    if name in order:
        return int(order[name])
    first = (data.get("var_mention_to_first_var") or {}).get(name)
    if first is not None and first in order:
        return int(order[first])
    folded = {k.strip().lower(): v for k, v in order.items()}
    if name.strip().lower() in folded:
        return int(folded[name.strip().lower()])
    raise EvalError(f"NL4Opt annotation names an unknown variable {name!r}")


def nl4opt_lp(data: dict[str, Any]) -> tuple[list[float], list[list[float]], list[float], bool]:
    """The annotated problem as ``(c, A_ub, b_ub, maximize)`` with every row as ``a x <= b``.

    Constraint types (as the NL4Opt baseline reads them): ``linear`` (terms, limit), ``sum``
    (all variables, limit), ``upperbound`` / ``lowerbound`` (var, limit), ``ratio`` (var is at
    most / at least a share of the total), ``xby`` (x compared with param * y), ``xy`` (x
    compared with y). ``operator`` GREATER_OR_EQUAL flips a row.
    """
    order = data.get("order_mapping") or {}
    n = len(set(order.values())) if order else len(data.get("vars", []))
    if n == 0:
        raise EvalError("NL4Opt annotation has no variables")
    obj = data["obj_declaration"]
    c = [0.0] * n
    if "terms" in obj:
        for name, value in obj["terms"].items():
            c[_var_index(name, data)] += parse_nl4opt_number(value)
    elif obj.get("vars"):  # type "objvar": the sum of the listed variables
        for name in obj["vars"]:
            c[_var_index(name, data)] += 1.0
    else:
        c = [1.0] * n
    maximize = "max" in str(obj.get("direction", "")).lower()
    rows: list[list[float]] = []
    rhs: list[float] = []
    for const in data.get("const_declarations", []):
        kind = const.get("type")
        row = [0.0] * n
        limit = parse_nl4opt_number(const["limit"]) if "limit" in const else 0.0
        if kind == "linear":
            for name, value in const["terms"].items():
                row[_var_index(name, data)] += parse_nl4opt_number(value)
        elif kind == "sum":
            row = [1.0] * n
        elif kind in ("upperbound", "lowerbound"):
            row[_var_index(const["var"], data)] = 1.0
        elif kind == "ratio":
            row = [-limit] * n
            row[_var_index(const["var"], data)] += 1.0
            limit = 0.0
        elif kind == "xby":
            row[_var_index(const["x_var"], data)] += 1.0
            row[_var_index(const["y_var"], data)] -= parse_nl4opt_number(const["param"])
        elif kind == "xy":
            row[_var_index(const["x_var"], data)] += 1.0
            row[_var_index(const["y_var"], data)] -= 1.0
        else:
            raise EvalError(f"unknown NL4Opt constraint type {kind!r}")
        if str(const.get("operator", "")).upper().startswith("GREATER"):
            row = [-a for a in row]
            limit = -limit
        rows.append(row)
        rhs.append(limit)
    return c, rows, rhs, maximize


def solve_nl4opt_lp(data: dict[str, Any]) -> float | None:
    """The optimal objective of the annotated LP; None when infeasible or unbounded."""
    from scipy.optimize import linprog

    c, rows, rhs, maximize = nl4opt_lp(data)
    sign = -1.0 if maximize else 1.0
    result = linprog(
        [sign * v for v in c],
        A_ub=rows or None,
        b_ub=rhs or None,
        bounds=[(0, None)] * len(c),
        method="highs",
    )
    if result.status != 0 or not math.isfinite(result.fun):
        return None
    return sign * float(result.fun)


def nl4opt_item(record: dict[str, Any]) -> Item:
    """An Item from one original NL4Opt line.

    The answer is the line's own answer field when it has one, else the optimum of the
    annotated LP. An annotation that cannot be read raises EvalError (the loader skips it).
    """
    ((key, data),) = record.items()
    answer_key = next((k for k in ANSWER_KEYS if k in data), None)
    if answer_key is not None:
        answer = _number_or_none(data[answer_key], f"nl4opt:{key}")
        source = "given"
    else:
        try:
            answer = solve_nl4opt_lp(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise EvalError(f"nl4opt:{key}: unreadable annotation ({exc!r})") from exc
        except EvalError as exc:
            raise EvalError(f"nl4opt:{key}: {exc.message}") from exc
        source = "lp from annotations"
    return Item(
        id=f"nl4opt:{key}",
        question=data["document"],
        answer=answer,
        meta={"format": "nl4opt", "answer_source": source},
    )
