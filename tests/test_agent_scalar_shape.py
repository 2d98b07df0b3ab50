"""The scalar shape: the short JSON the LLM writes for problems without data tables."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from optiform.agent import prompts
from optiform.agent.deps import Deps
from optiform.agent.fake import FakeLLM
from optiform.agent.schema import model_json, scalar_schema, schema_for, to_formulation, to_scalar
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import FormulationError
from optiform.solvers.result import SolveResult, Status

SHOP = ("A shop makes chairs and tables. A chair earns $30 profit and takes 2 hours of labor; a "
        "table earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 "
        "tables can be sold. How many of each should it make to maximize profit?")
SCALAR = {"variables": {"chairs": "integer", "tables": "integer"},
          "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
          "constraints": {"labor": "2*chairs + 5*tables <= 40", "table_sales": "tables <= 6"}}
OPTIMAL = SolveResult(status=Status.OPTIMAL, objective=600.0,
                      values={"chairs": 20.0, "tables": 0.0},
                      stats={"variables": 2, "constraints": 2, "integer": 2, "kind": "MILP"})


def test_the_scalar_example_validates_and_round_trips():
    (example,) = [json.loads(m) for m in re.findall(r"\nJSON: (\{.*\})", prompts.SYSTEM_SCALAR)]
    jsonschema.validate(example, scalar_schema())
    f = to_formulation(example)
    assert [v.domain for v in f.variables] == ["integer", "integer"]
    assert to_scalar(f) == example
    assert json.loads(model_json(f, "scalar")) == example


def test_the_scalar_schema_rejects_sets_and_bad_domains():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**SCALAR, "sets": []}, scalar_schema())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**SCALAR, "variables": {"x": "real number"}}, scalar_schema())


def test_the_scalar_schema_converts_to_a_llama_cpp_grammar():
    grammar = pytest.importorskip("llama_cpp.llama_grammar")
    assert "root ::=" in grammar.json_schema_to_gbnf(json.dumps(scalar_schema()))


def test_models_the_scalar_shape_cannot_say_are_shown_indexed():
    indexed = to_formulation({
        "sets": [{"name": "P", "elements": ["a", "b"]}],
        "variables": [{"name": "x", "domain": "continuous", "index": ["P"]}],
        "objective": {"sense": "maximize", "expression": "sum(x[p] for p in P)"},
        "constraints": [{"name": "cap", "expression": "x[p] <= 3", "for_each": "p in P"}]})
    assert to_scalar(indexed) is None
    assert json.loads(model_json(indexed, "scalar"))["sets"][0]["name"] == "P"
    bounded = to_formulation({**SCALAR, "variables": [{"name": "chairs", "domain": "integer",
                                                       "ub": 5}, {"name": "tables"}]})
    assert to_scalar(bounded) is None


def test_constraint_names_are_made_identifiers():
    f = to_formulation({**SCALAR, "constraints": {
        "labor hours": "2*chairs + 5*tables <= 40", "6 tables max": "tables <= 6",
        "": "chairs <= 9"}})
    assert [c.name for c in f.constraints] == ["labor_hours", "c_6_tables_max", "c3"]


@pytest.mark.parametrize(("configured", "tables", "expected"), [
    ("auto", False, "scalar"), ("auto", True, "indexed"),
    ("indexed", False, "indexed"), ("scalar", True, "scalar")])
def test_the_shape_follows_tables_unless_configured(configured, tables, expected):
    deps = Deps(llm=FakeLLM([]), formulation_shape=configured)
    assert deps.shape(tables=tables) == expected
    assert schema_for(expected, tables=tables) is not None


TRANSPORT = ("Two plants, P1 and P2, can supply 300 and 400 tons of cement. Three cities need "
             "200, 250 and 150 tons. The shipping cost per ton is 4, 6 and 9 dollars from P1 to "
             "the three cities, and 5, 3 and 7 dollars from P2. How much should each plant ship "
             "to each city to meet the needs at the lowest shipping cost?")


@pytest.mark.parametrize(("text", "expected"), [
    (TRANSPORT, "indexed"),
    ("Three workers must be assigned to three jobs, one job each. Minimize the hours.",
     "indexed"),
    ("Ship crates from each warehouse to the stores at the least cost.", "indexed"),
    ("A truck delivers to each of the four stores. Minimize the distance.", "indexed"),
    # a number route by route: two origins, two destinations
    ("Shipping one unit costs $4 from Austin to store 1, $6 from Austin to store 2, $7 from "
     "Boston to store 1 and $3 from Boston to store 2.", "indexed"),
    ("The bus runs from Austin to Boston and from Boston to Chicago.", "scalar"),  # one chain
    ("A farmer plants wheat and corn on 100 acres. Maximize profit.", "scalar"),
    ("Each table needs 3 hours and each chair 2 hours. Maximize profit.", "scalar"),
    ("Workers are assigned to shifts at the plant. Minimize wages.", "scalar")])
def test_a_decision_for_each_pair_of_two_groups_asks_for_the_indexed_shape(text, expected):
    # the 1.5B model lost the pairs of a 2-by-3 transport and a 3-by-3 assignment in the
    # scalar shape and wrote both right indexed
    assert Deps(llm=FakeLLM([]), formulation_shape="auto").shape(tables=False, text=text) == \
        expected
    assert Deps(llm=FakeLLM([]), formulation_shape="scalar").shape(tables=False,
                                                                   text=text) == "scalar"


def test_the_agent_asks_for_the_indexed_shape_for_a_transport():
    llm = FakeLLM([{"sets": [{"name": "P", "elements": ["P1", "P2"]},
                             {"name": "C", "elements": ["C1", "C2", "C3"]}],
                    "parameters": [
                        {"name": "supply", "index": ["P"], "values": {"P1": 300, "P2": 400}},
                        {"name": "demand", "index": ["C"],
                         "values": {"C1": 200, "C2": 250, "C3": 150}},
                        {"name": "cost", "index": ["P", "C"],
                         "values": {"P1": {"C1": 4, "C2": 6, "C3": 9},
                                    "P2": {"C1": 5, "C2": 3, "C3": 7}}}],
                    "variables": [{"name": "ship", "index": ["P", "C"], "domain": "integer"}],
                    "objective": {"sense": "minimize",
                                  "expression": "sum(cost[p,c]*ship[p,c] for p in P for c in C)"},
                    "constraints": [
                        {"name": "supply_limit", "for_each": "p in P",
                         "expression": "sum(ship[p,c] for c in C) <= supply[p]"},
                        {"name": "meet_demand", "for_each": "c in C",
                         "expression": "sum(ship[p,c] for p in P) >= demand[c]"}]}])
    from optiform.solvers.api import solve_formulation

    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(TRANSPORT)
    assert answer.status == "optimal" and answer.objective == pytest.approx(2600.0)
    first = llm.requests[0]
    assert first["schema"] == schema_for("indexed") and \
        first["messages"][0].content != prompts.SYSTEM_SCALAR


def test_the_agent_asks_for_the_scalar_shape_and_repairs_in_it():
    bad = {**SCALAR, "constraints": {"labor": "2*chairs + 5*tabels <= 40"}}
    llm = FakeLLM([bad, SCALAR])
    solver_calls = []

    def solve(f, **kwargs):
        solver_calls.append(f)
        if any("tabels" in c.expression for c in f.constraints):
            raise FormulationError("unknown name 'tabels'", where="constraint 'labor'",
                                   suggestion="tables")
        return OPTIMAL

    answer = Assistant(load_settings(library=False), llm=llm, solve=solve,
                       export=lambda f, data_dir=None: "# script").solve(SHOP)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    first, repair = llm.requests[0], llm.requests[1]
    assert first["messages"][0].content == prompts.SYSTEM_SCALAR
    assert first["schema"] == scalar_schema() and repair["schema"] == scalar_schema()
    assert '"labor":"2*chairs + 5*tabels <= 40"' in repair["messages"][-1].content


def test_a_bound_written_under_the_variables_name_is_completed():
    f = to_formulation({**SCALAR, "constraints": {"tables": "<= 6", "labor": "2*chairs <= 40"}})
    assert [c.expression for c in f.constraints] == ["tables <= 6", "2*chairs <= 40"]


def test_a_bare_number_under_a_variables_name_gets_a_hint_naming_both_readings():
    from optiform.solvers.validate import parse_model

    f = to_formulation({**SCALAR, "constraints": {"tables": "6"}})
    with pytest.raises(FormulationError) as info:
        parse_model(f)
    assert "'tables <= 6'" in str(info.value) and "'tables >= 6'" in str(info.value)


def test_variable_names_that_are_not_identifiers_are_renamed_everywhere():
    f = to_formulation({
        "variables": {"4_wheeler": "integer", "3_wheeler": "integer", "small trucks": "integer"},
        "objective": {"sense": "minimize", "expression": "4_wheeler + 3_wheeler + small trucks"},
        "constraints": {"luggage": "60*4_wheeler + 40*3_wheeler >= 1000",
                        "trucks": "small trucks <= 14_wheeler_count"}})
    assert [v.name for v in f.variables] == ["wheeler_4", "wheeler_3", "small_trucks"]
    assert f.objective.expression == "wheeler_4 + wheeler_3 + small_trucks"
    assert f.constraints[0].expression == "60*wheeler_4 + 40*wheeler_3 >= 1000"
    # a longer token that merely contains a name is left alone
    assert f.constraints[1].expression == "small_trucks <= 14_wheeler_count"


def test_every_invalid_constraint_is_reported_in_one_round():
    from optiform.solvers.validate import model_errors

    f = to_formulation({**SCALAR, "constraints": {"a": "chairs <= 5", "b": "<= 150",
                                                  "c": "tabels <= 3", "d": "tables <= 6"}})
    errors = model_errors(f)
    assert [e.where for e in errors] == ["constraint 'b'", "constraint 'c'"]
    assert "left side is missing" in str(errors[0]) and "'2*x + 3*y <= 150'" in str(errors[0])
    assert model_errors(to_formulation(SCALAR)) == []


def test_the_agent_feeds_back_all_the_errors_of_an_attempt():
    from optiform.solvers.api import solve_formulation

    bad = {**SCALAR, "constraints": {"labor": "<= 40", "table_sales": "tabels <= 6"}}
    llm = FakeLLM([bad, SCALAR])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(SHOP)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    repair = llm.requests[1]["messages"][-1].content
    assert "constraint 'labor'" in repair and "constraint 'table_sales'" in repair


def test_a_constraint_name_used_as_a_quantity_gets_a_hint():
    from optiform.solvers.validate import parse_model

    f = to_formulation({**SCALAR, "constraints": {
        "labor": "2*chairs + 5*tables <= 40", "share": "tables <= 0.5*labor"}})
    with pytest.raises(FormulationError) as info:
        parse_model(f)
    text = str(info.value)
    assert "name of a constraint, not a quantity" in text and "(2*chairs + 5*tables)" in text


def test_percent_literals_become_fractions_and_modulo_between_names_stays():
    from optiform.agent.schema import to_formulation

    f = to_formulation({"variables": {"a": "integer", "b": "integer"},
                        "objective": {"sense": "minimize", "expression": "a + 5%*b"},
                        "constraints": {"share": "a >= 75%(a + b)", "cap": "b <= 40%*80",
                                        "tail": "a <= 12.5 %"}})
    exprs = {c.name: c.expression for c in f.constraints}
    assert exprs == {"share": "a >= 0.75*(a + b)", "cap": "b <= 0.4*80", "tail": "a <= 0.125"}
    assert f.objective.expression == "a + 0.05*b"


def test_pi_is_written_as_its_number_unless_the_model_names_something_pi():
    pi = "3.141592653589793"
    f = to_formulation({"variables": {"r": "continuous", "h": "continuous"},
                        "objective": {"sense": "minimize",
                                      "expression": "2*pi*r**2 + 2*math.pi*r*h"},
                        "constraints": {"volume": "π*r**2*h == 500",
                                        "np": "np.pi*r + numpy.pi*h + pipe_r <= 100"}})
    assert f.objective.expression == f"2*{pi}*r**2 + 2*{pi}*r*h"
    assert [c.expression for c in f.constraints] == [
        f"{pi}*r**2*h == 500", f"{pi}*r + {pi}*h + pipe_r <= 100"]
    # a variable, or a loop variable, named pi is the model's own; math.pi is still π
    own = to_formulation({"variables": {"pi": "continuous", "r": "continuous"},
                          "objective": {"sense": "maximize", "expression": "pi + math.pi*r"},
                          "constraints": {"c": "pi + π*r <= 10"}})
    assert own.objective.expression == f"pi + {pi}*r"
    assert own.constraints[0].expression == f"pi + {pi}*r <= 10"
    def indexed(objective: str, elements: list[str], for_each: str = "p in P") -> Any:
        return to_formulation({
            "sets": {"P": elements},
            "variables": [{"name": "x", "index": ["P"], "domain": "continuous"}],
            "objective": {"sense": "maximize", "expression": objective},
            "constraints": [{"name": "c", "expression": "x[p] <= 2*pi", "for_each": for_each}]})

    loop = indexed("sum(x[pi] for pi in P)", ["a", "b"])
    assert loop.objective.expression == "sum(x[pi] for pi in P)"
    assert loop.constraints[0].expression == "x[p] <= 2*pi"
    head = indexed("x['a']", ["a", "b"], for_each="p in P, pi in P")
    assert head.constraints[0].expression == "x[p] <= 2*pi"
    element = indexed("x['pi']", ["pi", "e"])
    assert element.constraints[0].expression == "x[p] <= 2*pi"
    # a quoted element name is no number
    quoted = indexed("x['pi'] + pi", ["a", "b"])
    assert quoted.objective.expression == f"x['pi'] + {pi}"
    assert quoted.constraints[0].expression == f"x[p] <= 2*{pi}"


def test_variables_named_like_words_of_the_language_are_renamed_everywhere():
    f = to_formulation({
        "variables": {"or": "integer", "icu": "integer", "max": "continuous"},
        "objective": {"sense": "maximize", "expression": "3*or + 2*icu + max"},
        "constraints": {"beds": "or + icu <= 10", "cap": "max <= max(3, 4)"}})
    assert [v.name for v in f.variables] == ["or_", "icu", "max_"]
    assert f.objective.expression == "3*or_ + 2*icu + max_"
    # a call of the function keeps its name
    assert [c.expression for c in f.constraints] == ["or_ + icu <= 10", "max_ <= max(3, 4)"]


def test_a_keyword_variable_in_a_model_with_comprehensions_is_left_to_the_model():
    # 'in' and 'for' are syntax of sum(... for i in I); renaming there could break it, so the
    # error names the word instead
    with pytest.raises(FormulationError, match="'in' is reserved"):
        to_formulation({
            "sets": {"I": [1, 2]},
            "variables": [{"name": "in", "domain": "continuous"},
                          {"name": "x", "index": ["I"], "domain": "continuous"}],
            "objective": {"sense": "maximize", "expression": "sum(x[i] for i in I) + in"},
            "constraints": {"c": "in <= 3"}})
