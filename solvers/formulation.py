"""The formulation language: a small, validated, JSON-serializable description of a model.

A ``Formulation`` holds sets, parameters, variables, one objective and constraints. Expressions
are strings in a small algebraic language (see ``solvers/expr.py``), parsed with ``ast`` and an
allowlist; nothing is ever passed to eval/exec.

Conventions an LLM (or a person) writing one should know, also stated in the JSON schema:
- variables are non-negative unless ``lb`` is set (``null`` means unbounded below);
- ``for_each`` reads like a Python comprehension head: ``"i in I, j in J if i != j"``;
- indexed parameter ``values`` are a mapping (nested for several indices) or a list in the
  order of the set's elements.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from optiform.errors import FormulationError

_IDENT = r"^[A-Za-z_][A-Za-z0-9_]*$"
Element = str | int
TupleElement = list[str | int]

RESERVED = frozenset(
    {"sum", "exp", "log", "sqrt", "abs", "min", "max", "range", "len", "in", "for", "if",
     "and", "or", "not", "True", "False", "None", "lambda"}
)


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SetSource(_Base):
    """Set elements read from a column of an attached CSV file (unique values, in order)."""

    file: str = Field(description="CSV path, relative to the data directory.")
    column: str


class SetDef(_Base):
    """A finite set of elements that variables, parameters and constraints are indexed by."""

    name: str = Field(pattern=_IDENT, description="Identifier, e.g. 'P' or 'Products'.")
    elements: list[Element | TupleElement] = Field(
        default_factory=list,
        description="Elements: names or integers; a list like ['a','b'] makes a tuple element.",
    )
    source: SetSource | None = None
    description: str = ""

    @field_validator("elements")
    @classmethod
    def _unique(cls, v: list[Any]) -> list[Any]:
        from optiform.solvers.values import element_text

        seen: dict[str, Any] = {}
        for e in v:
            # as an answer keys it: 1 and "1" would be one key, and one value would be lost
            key = element_text(tuple(e) if isinstance(e, list) else e)
            if key in seen:
                raise ValueError(f"duplicate element {e!r}" if seen[key] == e else
                                 f"elements {seen[key]!r} and {e!r} read the same")
            seen[key] = e
        return v


class CSVSource(_Base):
    """A parameter read from a column of an attached CSV file, or from several columns of a
    wide table (a cost matrix: a row per worker, a column per task)."""

    file: str = Field(description="CSV path, relative to the data directory.")
    column: str | None = Field(None, description="Column holding the values.")
    columns: list[str] = Field(
        default_factory=list,
        description="A wide table: the columns holding the values, each named by an element "
                    "of the parameter's last index set (with 'key' naming the columns of the "
                    "others).",
    )
    key: list[str] = Field(
        default_factory=list,
        description="Columns holding the index, one per index set, in order.",
    )

    @model_validator(mode="after")
    def _one_way(self) -> CSVSource:
        if (self.column is None) == (not self.columns):
            raise ValueError(f"a source of {self.file} needs either 'column' (one column of "
                             "values) or 'columns' (a wide table), not both or neither")
        return self

    @property
    def what(self) -> str:
        """'column 'cost' of costs.csv' or 'columns 'task1', 'task2' of hours.csv'."""
        if self.column is not None:
            return f"column '{self.column}' of {self.file}"
        return f"columns {', '.join(repr(c) for c in self.columns)} of {self.file}"


class ParamDef(_Base):
    """A named constant: a scalar ``value``, an indexed table ``values``, or a CSV ``source``."""

    name: str = Field(pattern=_IDENT)
    index: list[str] = Field(default_factory=list, description="Index set names (empty: scalar).")
    value: float | None = Field(None, description="The value of a scalar parameter.")
    values: dict[str, Any] | list[Any] | None = Field(
        None,
        description="Indexed values: {element: number} (nested per index) or a list in set order.",
    )
    source: CSVSource | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> ParamDef:
        given = [x is not None for x in (self.value, self.values, self.source)]
        if sum(given) != 1:
            raise ValueError(
                f"parameter '{self.name}' needs exactly one of value, values, source"
            )
        if self.value is not None and self.index:
            raise ValueError(f"parameter '{self.name}' is indexed but has a scalar 'value'")
        if self.values is not None and not self.index:
            raise ValueError(f"parameter '{self.name}' has 'values' but no 'index'")
        return self


class VarDef(_Base):
    """A decision variable, possibly indexed by sets."""

    name: str = Field(pattern=_IDENT)
    index: list[str] = Field(default_factory=list, description="Index set names (empty: scalar).")
    domain: Literal["continuous", "integer", "binary"] = "continuous"
    lb: float | None = Field(0.0, description="Lower bound; default 0, null for unbounded.")
    ub: float | None = Field(None, description="Upper bound; null for unbounded.")
    description: str = ""

    @field_validator("lb", "ub")
    @classmethod
    def _a_number(cls, v: float | None) -> float | None:
        if v is not None and v != v:  # NaN, which JSON readers let through
            raise ValueError("a bound must be a number (null for no bound), not NaN")
        return v


class Objective(_Base):
    sense: Literal["minimize", "maximize"]
    expression: str = Field(description="e.g. 'sum(profit[p] * x[p] for p in P)'")
    description: str = ""

    @field_validator("sense", mode="before")
    @classmethod
    def _normalize(cls, v: Any) -> Any:
        if isinstance(v, str):
            low = v.strip().lower()
            if low in ("min", "minimise", "minimize"):
                return "minimize"
            if low in ("max", "maximise", "maximize"):
                return "maximize"
        return v


class ConstraintDef(_Base):
    name: str = Field(pattern=_IDENT)
    expression: str = Field(description="A comparison, e.g. 'sum(x[p] for p in P) <= 100'")
    for_each: str | None = Field(
        None, description="Optional index head, e.g. 'i in I' or 'i in I, j in J if i != j'."
    )
    description: str = ""


class Formulation(_Base):
    """A complete optimization model in optiform's formulation language."""

    name: str = "model"
    description: str = ""
    sets: list[SetDef] = Field(default_factory=list)
    parameters: list[ParamDef] = Field(default_factory=list)
    variables: list[VarDef] = Field(min_length=1)
    objective: Objective
    constraints: list[ConstraintDef] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Formulation:
        seen: dict[str, str] = {}
        groups: list[tuple[str, list[Any]]] = [
            ("set", self.sets), ("parameter", self.parameters), ("variable", self.variables)
        ]
        for kind, items in groups:
            for item in items:
                if item.name in RESERVED:
                    raise ValueError(f"{kind} name '{item.name}' is reserved; choose another")
                if item.name in seen:
                    raise ValueError(
                        f"name '{item.name}' is used by a {seen[item.name]} and a {kind}"
                    )
                seen[item.name] = kind
        names = [c.name for c in self.constraints]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate constraint names: {', '.join(dupes)}")
        return self

    # -- convenience ----------------------------------------------------------------------

    def set(self, name: str) -> SetDef | None:
        return next((s for s in self.sets if s.name == name), None)

    def parameter(self, name: str) -> ParamDef | None:
        return next((p for p in self.parameters if p.name == name), None)

    def variable(self, name: str) -> VarDef | None:
        return next((v for v in self.variables if v.name == name), None)

    def constraint(self, name: str) -> ConstraintDef | None:
        return next((c for c in self.constraints if c.name == name), None)

    @classmethod
    def from_json(cls, text: str | bytes) -> Formulation:
        """Parse JSON text; structural problems become a FormulationError."""
        from pydantic import ValidationError

        try:
            return cls.model_validate_json(text)
        except ValidationError as exc:
            raise FormulationError(
                "not a valid formulation: " + _first_error(exc),
                hint="see `optiform export --schema` for the expected shape",
            ) from exc

    @classmethod
    def from_dict(cls, data: Any) -> Formulation:
        from pydantic import ValidationError

        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise FormulationError("not a valid formulation: " + _first_error(exc)) from exc

    @classmethod
    def load(cls, path: str | Path) -> Formulation:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise FormulationError(f"cannot read formulation file {p}: {exc.strerror}",
                                   hint="check the path; `optiform export --schema` shows "
                                        "what a formulation file holds") from exc
        except UnicodeDecodeError as exc:
            raise FormulationError(f"formulation file {p} is not UTF-8 text ({exc.reason} at "
                                   f"byte {exc.start})",
                                   hint="a formulation is a JSON file; `optiform export "
                                        "--schema` prints its schema") from None
        return cls.from_json(text)

    def to_json(self, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent, exclude_defaults=True)


def _first_error(exc: Any) -> str:
    errs = exc.errors()
    msgs = []
    for e in errs[:3]:
        loc = ".".join(str(p) for p in e["loc"])
        msgs.append(f"{loc}: {e['msg']}" if loc else e["msg"])
    more = f" (+{len(errs) - 3} more)" if len(errs) > 3 else ""
    return "; ".join(msgs) + more


def formulation_json_schema() -> dict[str, Any]:
    """The JSON schema of a Formulation, as given to LLMs for constrained decoding."""
    return Formulation.model_json_schema()


def formulation_schema_text() -> str:
    return json.dumps(formulation_json_schema(), separators=(",", ":"))
