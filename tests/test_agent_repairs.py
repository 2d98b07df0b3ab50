"""Repairs that do not loop: identical replies resampled, broken first replies retried, IIS
variable bounds and binary counts named in the feedback, duplicate names handled."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiform.agent import checks, prompts
from optiform.agent.fake import FakeLLM
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import FormulationError, LLMOutputError
from optiform.solvers.result import SolveResult, Status

BANK_FILE = Path(__file__).resolve().parent / "fixtures" / "agent" / "bank.json"
_BANK = json.loads(BANK_FILE.read_text())
BANK, BINARY, INTEGER = _BANK["text"], _BANK["binary"], _BANK["integer"]
OPTIMAL = SolveResult(status=Status.OPTIMAL, objective=12.0, values={"small": 0.0, "large": 12.0})
INFEASIBLE = SolveResult(status=Status.INFEASIBLE, conflict=["customers"],
                         conflict_bounds=["small", "large"])


class Solver:
    """Infeasible while any variable is binary, else optimal."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, f, **_):
        self.calls += 1
        return INFEASIBLE if any(v.domain == "binary" for v in f.variables) else OPTIMAL


def assistant(llm, solver, **settings):
    # these tests are about LLM repairs: the autofix (which corrects binary counts) is off
    settings.setdefault("autofix", False)
    return Assistant(load_settings(library=False, **settings), llm=llm, solve=solver,
                     export=None)


def prompt(llm: FakeLLM, i: int) -> str:
    return llm.requests[i]["messages"][-1].content


def test_a_repair_identical_to_an_earlier_model_is_resampled_with_a_note():
    llm = FakeLLM([BINARY, BINARY, INTEGER])
    answer = assistant(llm, Solver(), max_repairs=3, temperature=0.0).solve(BANK)
    assert answer.status == "optimal" and answer.repair_rounds == 2
    temps = [r["temperature"] for r in llm.requests]
    seeds = [r["seed"] for r in llm.requests]
    # the first repair is greedy; it gave back the first model, so the next round is sampled
    # with a new seed, and its prompt says the answer repeated itself
    assert temps == [0.0, 0.0, 0.7] and len(set(seeds)) == 3
    assert prompts.IDENTICAL_NOTE not in prompt(llm, 1)
    assert prompts.IDENTICAL_NOTE in prompt(llm, 2)
    notes = [s for s in answer.trace.steps if s.node == "repair" and s.kind == "note"]
    assert notes and notes[0].detail["resample"] is True


def test_a_changed_repair_is_not_resampled():
    other = {**BINARY, "constraints": [{"name": "customers",
                                        "expression": "50*small + 100*large >= 100"}]}
    llm = FakeLLM([BINARY, other, INTEGER])
    assistant(llm, Solver(), max_repairs=3).solve(BANK)
    assert all(prompts.IDENTICAL_NOTE not in prompt(llm, i) for i in range(3))


def test_a_cut_off_first_reply_is_asked_again_before_any_repair():
    from optiform.agent.llm import Usage

    cut = LLMOutputError("the answer was cut off at the token limit", model="fake",
                         reply='{"variables": {"a": "integer", "a": "integer", "a', latency=9.5,
                         usage=Usage(prompt_tokens=300, completion_tokens=1200))
    llm = FakeLLM([cut, INTEGER])
    answer = assistant(llm, Solver(), temperature=0.0).solve(BANK)
    assert answer.status == "optimal" and answer.repair_rounds == 0
    # the cut-off call counts: its tokens and seconds, and the end of what it wrote
    note = next(s for s in answer.trace.steps if s.detail.get("reply_tail"))
    assert note.usage.completion_tokens == 1200 and note.seconds == 9.5
    assert note.detail["reply_tail"].endswith('"a": "integer", "a')
    assert answer.trace.usage.completion_tokens >= 1200
    assert llm.requests[1]["temperature"] == 0.5
    assert llm.requests[1]["seed"] != llm.requests[0]["seed"]
    assert "Your model" not in prompt(llm, 1)  # a fresh formulate prompt, not a repair


def test_a_reply_that_is_not_json_is_asked_again_once():
    llm = FakeLLM(["this is not json", "still not json", INTEGER])
    answer = assistant(llm, Solver(), max_repairs=1).solve(BANK)
    assert answer.status == "optimal" and answer.repair_rounds == 1
    assert "Your model" not in prompt(llm, 1) and "Your model" in prompt(llm, 2)


def test_an_invalid_formulation_goes_to_repair_not_retry():
    bad = {**INTEGER, "variables": []}
    llm = FakeLLM([bad, INTEGER])
    answer = assistant(llm, Solver()).solve(BANK)
    assert answer.repair_rounds == 1 and "Your model" in prompt(llm, 1)


def test_infeasibility_feedback_names_binary_bounds():
    f = to_formulation(BINARY)
    [c] = checks.status_checks(INFEASIBLE, f)
    assert "constraint customers cannot hold with the bounds of variables small, large " \
           "(binary: 0 or 1)" in c.message
    assert "count variable declared binary instead of integer" in c.message
    assert c.names == ["customers", "small", "large"]
    [plain] = checks.status_checks(INFEASIBLE, to_formulation(INTEGER))
    assert "bounds of variables small, large" in plain.message and "binary" not in plain.message


def test_repair_prompt_shows_the_iis_bounds():
    attempt = {"result": INFEASIBLE.model_dump(mode="json")}
    assert "with the bounds of variables: small, large" in prompts.execution_trace(attempt)


def test_highs_reports_the_variable_bounds_of_the_iis():
    from optiform.solvers.api import solve_formulation

    data = {"sets": [{"name": "B", "elements": ["a", "b"]}],
            "variables": [{"name": "small", "domain": "binary"},
                          {"name": "big", "domain": "binary", "index": ["B"]},
                          {"name": "z", "domain": "integer", "ub": 5}],
            "objective": {"sense": "minimize", "expression": "small + z"},
            "constraints": [{"name": "customers",
                             "expression": "50*small + 100*big['a'] >= 1200"},
                            {"name": "z_cap", "expression": "z <= 4"}]}
    result = solve_formulation(to_formulation(data), solver="highs")
    assert result.status is Status.INFEASIBLE and result.conflict == ["customers"]
    assert sorted(result.conflict_bounds) == ["big[a]", "small"]


@pytest.mark.parametrize(("text", "variables", "flagged"), [
    (BANK, BINARY["variables"], ["small", "large"]),
    ("Decide the number of trucks and whether to open the depot. Each truck moves 20 boxes.",
     [{"name": "trucks", "domain": "binary"}, {"name": "open_depot", "domain": "binary"}],
     ["trucks"]),
    ("Choose which of three projects to fund with a budget of 100.",
     [{"name": "project_a", "domain": "binary"}, {"name": "project_b", "domain": "binary"}],
     None),
    ("How many trucks should it run? A truck used at all costs 50 to set up.",
     [{"name": "trucks", "domain": "integer"}, {"name": "use_trucks", "domain": "binary"}],
     None),
])
def test_binary_counts_warning(text, variables, flagged):
    f = to_formulation({"variables": variables,
                        "objective": {"sense": "minimize", "expression": variables[0]["name"]}})
    found = checks.binary_counts(text, f)
    if flagged is None:
        assert found is None
    else:
        assert found is not None and found.names == flagged and found.severity == "warning"
        assert '"integer", not "binary"' in found.message


def test_binary_counts_is_part_of_the_solution_checks():
    found = checks.solution_checks(BANK, to_formulation(BINARY), OPTIMAL)
    assert "binary_count" in [c.code for c in found]


def test_identical_duplicate_definitions_are_dropped():
    data = {"parameters": [{"name": "a", "value": 3}, {"name": "a", "value": 3}],
            "variables": [{"name": "x", "domain": "integer"}],
            "objective": {"sense": "maximize", "expression": "a*x"},
            "constraints": [{"name": "cap", "expression": "x <= a"},
                            {"name": "cap", "expression": "x <= a"}]}
    f = to_formulation(data)
    assert [p.name for p in f.parameters] == ["a"] and [c.name for c in f.constraints] == ["cap"]


def test_a_name_defined_twice_differently_says_which_name_to_rename():
    data = {"parameters": [{"name": "calorie", "index": ["S"], "values": {"s": 300}},
                           {"name": "calorie", "index": ["S"], "values": {"p": 250}}],
            "sets": [{"name": "S", "elements": ["s", "p"]}],
            "variables": [{"name": "x", "domain": "integer"}],
            "objective": {"sense": "maximize", "expression": "x"}}
    with pytest.raises(FormulationError) as err:
        to_formulation(data)
    assert err.value.where == "parameter 'calorie'"
    assert "'calorie' is defined twice as a parameter" in err.value.message
    assert "'calorie_2'" in err.value.message
    clash = {**data, "parameters": [{"name": "x", "value": 1}]}
    with pytest.raises(FormulationError) as err:
        to_formulation(clash)
    assert "names both a parameter and a variable: rename one of them (e.g. the parameter " \
           "to 'x_parameter')" in err.value.message


def test_a_set_named_like_a_variable_is_left_out_or_renamed():
    # the model listed its variables' elements as sets of their own ('make', 'stock_cost')
    months = ["Jan", "Feb"]
    data = {"sets": [{"name": "month", "elements": months}, {"name": "make", "elements": months},
                     {"name": "stock_cost", "elements": months}],
            "parameters": [{"name": "stock_cost", "index": ["month"],
                            "values": {"Jan": 3, "Feb": 3}}],
            "variables": [{"name": "make", "index": ["month"]}],
            "objective": {"sense": "minimize",
                          "expression": "sum(stock_cost[m]*make[m] for m in month)"},
            "constraints": [{"name": "need", "expression": "make[m] >= 1",
                             "for_each": "m in month"}]}
    f = to_formulation(data)
    assert [s.name for s in f.sets] == ["month"]
    # a set a loop, an index list or len() names is renamed where it is used as a set; the
    # subscripted name stays the variable's
    food = {"sets": [{"name": "food", "elements": ["oats", "milk"]}],
            "parameters": [{"name": "cost", "index": ["food"],
                            "values": {"oats": 0.3, "milk": 0.25}}],
            "variables": [{"name": "food", "index": ["food"], "domain": "integer"}],
            "objective": {"sense": "minimize", "expression": "sum(cost[f]*food[f] for f in food)"},
            "constraints": [{"name": "any", "expression": "sum(food[f] for f in food) >= 2"},
                            {"name": "each", "expression": "food[f] <= len(food)",
                             "for_each": "f in food"}]}
    f = to_formulation(food)
    assert [s.name for s in f.sets] == ["food_set"]
    assert [v.index for v in f.variables] == [["food_set"]]
    assert f.parameters[0].index == ["food_set"]
    assert f.objective.expression == "sum(cost[f]*food[f] for f in food_set)"
    assert [(c.expression, c.for_each) for c in f.constraints] == [
        ("sum(food[f] for f in food_set) >= 2", None),
        ("food[f] <= len(food_set)", "f in food_set")]
    taken = {**food, "parameters": [*food["parameters"], {"name": "food_set", "value": 1}]}
    assert [s.name for s in to_formulation(taken).sets] == ["food_set_"]
    # a quoted element name is no use of the set: 'made in food' keeps its name
    quoted = {**food, "sets": [{"name": "food", "elements": ["oats", "made in food"]}],
              "parameters": [{"name": "cost", "index": ["food"],
                              "values": {"oats": 0.3, "made in food": 0.25}}],
              "constraints": [{"name": "some", "expression": "food['made in food'] >= 1"}]}
    f = to_formulation(quoted)
    assert f.constraints[0].expression == "food['made in food'] >= 1"
    assert f.objective.expression == "sum(cost[f]*food[f] for f in food_set)"


def test_two_constraints_of_one_name_are_named_apart():
    # 'between 1800 and 2500 calories' came back as two constraints both named calories
    data = {"variables": {"x": "continuous"},
            "objective": {"sense": "minimize", "expression": "x"},
            "constraints": [{"name": "calories", "expression": "150*x >= 1800"},
                            {"name": "calories", "expression": "150*x <= 2500"},
                            {"name": "calories_2", "expression": "x <= 100"},
                            {"name": "calories", "expression": "150*x >= 1800"}]}
    f = to_formulation(data)
    assert [(c.name, c.expression) for c in f.constraints] == [
        ("calories", "150*x >= 1800"), ("calories_3", "150*x <= 2500"),
        ("calories_2", "x <= 100")]


def test_a_loop_written_after_the_comparison_becomes_the_for_each():
    # 'at most 3 servings of any single food' came back as a comprehension's tail
    data = {"sets": [{"name": "F", "elements": ["oats", "milk"]}],
            "variables": [{"name": "food", "index": ["F"]}, {"name": "y", "index": ["F", "F"]}],
            "objective": {"sense": "minimize", "expression": "sum(food[f] for f in F)"},
            "constraints": [
                {"name": "limit", "expression": "food[f] <= 3 for f in F"},
                {"name": "pairs",
                 "expression": "y[f, g] <= food[f] for f in F for g in F if f != g"},
                {"name": "total", "expression": "sum(food[f] for f in F) >= 2"},
                {"name": "prose", "expression": "food['oats'] <= 3 for the month"},
                {"name": "given", "expression": "food[f] >= 0 for f in F", "for_each": "f in F"}]}
    f = to_formulation(data)
    assert [(c.expression, c.for_each) for c in f.constraints] == [
        ("food[f] <= 3", "f in F"), ("y[f, g] <= food[f]", "f in F, g in F if f != g"),
        ("sum(food[f] for f in F) >= 2", None), ("food['oats'] <= 3 for the month", None),
        ("food[f] >= 0 for f in F", "f in F")]


def test_values_by_element_with_no_index_take_the_set_of_those_elements():
    months = ["Jan", "Feb"]
    data = {"sets": [{"name": "month", "elements": months}, {"name": "chairs", "elements": months},
                     {"name": "sizes", "elements": ["S", "L"]}],
            "parameters": [{"name": "demand", "index": ["month"],
                            "values": {"Jan": 80, "Feb": 110}},
                           {"name": "max_make", "values": {"Jan": 120, "Feb": 120}},
                           {"name": "weight", "values": {"S": 1, "L": 2}},
                           {"name": "odd", "values": {"Jan": 1, "Mar": 2}}],
            "variables": [{"name": "make", "index": ["month"]}],
            "objective": {"sense": "minimize", "expression": "sum(make[m] for m in month)"},
            "constraints": [{"name": "cap", "expression": "make[m] <= max_make[m]",
                             "for_each": "m in month"}]}
    with pytest.raises(FormulationError, match="'odd' has 'values' but no 'index'"):
        to_formulation(data)
    data["parameters"].pop()
    f = to_formulation(data)
    # two sets hold Jan and Feb: the one the model uses; one set holds S and L
    assert {p.name: p.index for p in f.parameters} == {
        "demand": ["month"], "max_make": ["month"], "weight": ["sizes"]}


def test_a_wide_table_read_a_column_at_a_time_becomes_one_parameter():
    # what the 1.5B model wrote for a 4-by-4 assignment from hours.csv (a row per worker, a
    # column per task): four parameters named 'hours', one per column
    columns = ["task1", "task2", "task3", "task4"]
    data = {"sets": [{"name": "worker", "elements": ["Ann", "Ben", "Cal", "Dee"]},
                     {"name": "task", "elements": columns}],
            "parameters": [{"name": "hours", "source": {"file": "hours.csv", "column": c,
                                                        "key": ["worker", c]}}
                           for c in columns],
            "variables": [{"name": "x", "domain": "binary", "index": ["worker", "task"]}],
            "objective": {"sense": "minimize",
                          "expression": "sum(hours[p,t]*x[p,t] for p in worker for t in task)"}}
    (hours,) = to_formulation(data).parameters
    assert (hours.index, hours.source.columns, hours.source.key) == (
        ["worker", "task"], columns, ["worker"])
    # columns that name no set's elements stay as they were: the duplicate is named
    data["sets"][1]["elements"] = ["t1", "t2", "t3", "t4"]
    with pytest.raises(FormulationError, match="'hours' is defined twice"):
        to_formulation(data)


ASSIGN_TEXT = ("Four workers must be assigned to four tasks, one task each and each task to one "
               "worker. The hours each worker needs for each task are in hours.csv. Minimize "
               "the total hours.")
HOURS_CSV = "worker,task1,task2,task3,task4\nAnn,9,2,7,8\nBen,6,4,3,7\nCal,5,8,1,8\nDee,7,6,9,4\n"


def test_a_sum_that_hides_its_for_each_name_is_written_per_row_by_autofix(tmp_path: Path):
    # the 1.5B model's assignment: each row sums over p again, so every row is the same
    reply = _assignment_reply("binary", [
        {"name": "one_task", "for_each": "p in worker",
         "expression": "sum(x[p,t] for p in worker for t in task) == 1"},
        {"name": "one_worker", "for_each": "t in task",
         "expression": "sum(x[p,t] for p in worker for t in task) == 1"}])
    llm = FakeLLM([reply])
    answer = Assistant(load_settings(library=False), llm=llm).solve(
        ASSIGN_TEXT, data={"hours": _csv(tmp_path, HOURS_CSV)})
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == pytest.approx(13)
    assert {c.name: c.expression for c in answer.formulation.constraints} == {
        "one_task": "sum(x[p, t] for t in task) == 1",
        "one_worker": "sum(x[p, t] for p in worker) == 1"}


def _assignment_reply(domain: str, constraints: list[dict[str, str]]) -> dict[str, object]:
    """The 1.5B model's reply for the 4-by-4 assignment: hours.csv read a column at a time
    into four parameters named 'hours', and the constraints given."""
    columns = ["task1", "task2", "task3", "task4"]
    return {"sets": [{"name": "worker", "elements": ["Ann", "Ben", "Cal", "Dee"]},
                     {"name": "task", "elements": columns}],
            "parameters": [{"name": "hours", "source": {"file": "hours.csv", "column": c,
                                                        "key": ["worker", c]}}
                           for c in columns],
            "variables": [{"name": "x", "domain": domain, "index": ["worker", "task"]}],
            "objective": {"sense": "minimize",
                          "expression": "sum(hours[p,t]*x[p,t] for p in worker for t in task)"},
            "constraints": constraints}


def _csv(folder: Path, text: str) -> Path:
    path = folder / "hours.csv"
    path.write_text(text)
    return path


def test_the_recorded_assignment_reply_gets_both_sides_and_solves_to_13(tmp_path: Path):
    # the 1.5B model's first reply as it came: a wide table read per column, both sums
    # hiding their row's name, an invented limit of 48 hours, and no constraint per task
    reply = _assignment_reply("continuous", [
        {"name": "task_assignment", "for_each": "p in worker",
         "expression": "sum(x[p,t] for p in worker for t in task) == 1"},
        {"name": "worker_hours", "for_each": "p in worker",
         "expression": "sum(hours[p,t]*x[p,t] for p in worker for t in task) <= 48"}])
    llm = FakeLLM([reply])
    answer = Assistant(load_settings(library=False), llm=llm).solve(
        ASSIGN_TEXT, data={"hours": _csv(tmp_path, HOURS_CSV)})
    assert len(llm.requests) == 1 and answer.objective == pytest.approx(13)
    added = {c.name: (c.expression, c.for_each) for c in answer.formulation.constraints}
    assert added["one_per_task"] == ("sum(x[i, j] for i in worker) == 1", "j in task")


def test_an_assignment_with_both_sides_or_uneven_sets_gets_no_side_added():
    from optiform.agent.assignment_sides import assignment_sides

    def model(workers: int, *rows: tuple[str, str, str]) -> object:
        return to_formulation({
            "sets": [{"name": "W", "elements": [f"w{i}" for i in range(workers)]},
                     {"name": "T", "elements": ["t1", "t2", "t3"]}],
            "variables": [{"name": "x", "index": ["W", "T"], "domain": "binary"}],
            "objective": {"sense": "minimize", "expression": "sum(x[w,t] for w in W for t in T)"},
            "constraints": [{"name": n, "for_each": h, "expression": e} for n, h, e in rows]})

    per_w = ("a", "w in W", "sum(x[w,t] for t in T) == 1")
    per_t = ("b", "t in T", "sum(x[w,t] for w in W) <= 1")
    text = "Three workers are assigned to three tasks, one task each."
    assert [c.names for c in assignment_sides(text, model(3, per_w))] == [["one_per_T"]]
    assert assignment_sides(text, model(3, per_w, per_t)) == []
    assert assignment_sides(text, model(4, per_w)) == []
    assert assignment_sides("Workers do tasks.", model(3, per_w)) == []
    # the other side has a capacity of its own: 'each task can take up to 2 workers'
    per_t_cap = ("b", "t in T", "sum(x[w,t] for w in W) <= 2")
    assert assignment_sides(text + " Each task can take up to 2 workers.",
                            model(3, per_w, per_t_cap)) == []
