"""The Answer and its explanation, binding constraints, data tables, the module-level solve()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiform.agent.activity import binding_constraints, constraint_rows
from optiform.agent.answer import Answer, explain
from optiform.agent.answer_numbers import fmt
from optiform.agent.checks import Check
from optiform.agent.fake import FakeLLM
from optiform.agent.state import Trace, TraceStep
from optiform.agent.tables import prepare_tables, read_rows
from optiform.errors import DataError
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult, Status

PROBLEMS = Path(__file__).resolve().parents[1] / "examples" / "problems"


def warehouses() -> Formulation:
    return Formulation.load(PROBLEMS / "warehouses.model.json")


WAREHOUSE_VALUES = {"ship": {"North,A": 30.0, "North,B": 0.0, "North,C": 35.0,
                             "South,A": 0.0, "South,B": 40.0, "South,C": 0.0}}


def test_binding_rows_of_an_indexed_model():
    f = warehouses()
    rows = {r.label: r for r in constraint_rows(f, WAREHOUSE_VALUES)}
    assert rows["supply_limit[North]"].slack == pytest.approx(5.0)
    assert rows["supply_limit[South]"].slack == pytest.approx(10.0)
    assert binding_constraints(f, WAREHOUSE_VALUES) == [
        "meet_demand[A]", "meet_demand[B]", "meet_demand[C]"]


def test_binding_with_ranges_conditions_and_tuple_sets():
    f = Formulation.from_dict({
        "sets": [{"name": "A", "elements": [["a", "b"], ["b", "c"]]},
                 {"name": "N", "elements": ["a", "b", "c"]}],
        "parameters": [{"name": "cap", "index": ["A"], "values": [4, 6]}],
        "variables": [{"name": "flow", "index": ["A"]}],
        "objective": {"sense": "maximize", "expression": "sum(flow[i, j] for (i, j) in A)"},
        "constraints": [
            {"name": "cap_limit", "for_each": "(i, j) in A",
             "expression": "flow[i, j] <= cap[i, j]"},
            {"name": "band", "expression": "1 <= sum(flow[i, j] for (i, j) in A if i != 'b') <= 4"},
        ]})
    values = {"flow": {"a,b": 4.0, "b,c": 5.0}}
    assert binding_constraints(f, values) == ["cap_limit[a,b]", "band"]


def test_an_unevaluable_constraint_is_left_out():
    f = Formulation.from_dict({
        "variables": [{"name": "x"}], "objective": {"sense": "minimize", "expression": "x"},
        "constraints": [{"name": "c", "expression": "x >= 1"},
                        {"name": "d", "expression": "log(x) >= 0"}]})
    assert [r.constraint for r in constraint_rows(f, {"x": 0.0})] == ["c"]


def test_fmt():
    assert fmt(600.0) == "600" and fmt(333.3333333) == "333.333" and fmt(None) == "none"


def test_explanation_of_an_optimal_answer():
    f = warehouses()
    result = SolveResult(status=Status.OPTIMAL, objective=275.0, values=WAREHOUSE_VALUES)
    text = explain(status="optimal", formulation=f, result=result,
                   binding=["meet_demand[A]", "meet_demand[B]"],
                   checks=[Check(code="integer_cue", severity="warning", message="ship counts")])
    assert text.startswith("Optimal objective (minimize sum(cost[w,s]*ship[w,s]")
    assert "- ship[North,A] = 30  (units shipped)" in text and "South,A" not in text
    assert "meet_demand (A, B)" in text and "Worth a second look:\n- ship counts" in text


def _explained(d: dict) -> str:
    """The explanation of a model solved as the agent solves it (binding rows from activity)."""
    from optiform.solvers.api import solve_formulation

    f = Formulation.from_dict(d)
    result = solve_formulation(f)
    assert result.status is Status.OPTIMAL
    return explain(status="optimal", formulation=f, result=result,
                   binding=binding_constraints(f, result.values))


FARM = {"variables": [{"name": "wheat"}, {"name": "corn"}],
        "objective": {"sense": "maximize", "expression": "300*wheat + 250*corn"},
        "constraints": [{"name": "land", "expression": "wheat + corn <= 100"},
                        {"name": "labor", "expression": "240 >= 3*wheat + 2*corn"}]}
WHAT = " (the objective's change per unit more of each limit)."


def test_shadow_prices_of_a_maximization():
    lines = _explained(FARM).split("\n")
    # one more acre earns 150, one more hour of labor 50 (by hand: 300 = l + 3h, 250 = l + 2h)
    at = lines.index("Binding constraints (at their limit): land; labor.")
    assert lines[at + 1] == "Shadow prices: land +150; labor +50" + WHAT


def test_no_shadow_price_for_a_constraint_without_a_number():
    # profit == ... defines a variable and corn <= 2*wheat is a ratio: neither states a limit
    # (their duals, +1 and the ratio's, are per unit of a 0 nobody wrote)
    d = {"variables": [{"name": "wheat"}, {"name": "corn"}, {"name": "profit"}],
         "objective": {"sense": "maximize", "expression": "profit"},
         "constraints": [{"name": "profit_def", "expression": "profit == 300*wheat + 250*corn"},
                         *FARM["constraints"],
                         {"name": "balance", "expression": "corn <= 0.5*wheat"}]}
    lines = _explained(d).split("\n")
    assert "Binding constraints (at their limit): labor; balance." in lines
    prices = next(line for line in lines if line.startswith("Shadow prices:"))
    assert prices.startswith("Shadow prices: labor +")
    assert "profit_def" not in prices and "balance" not in prices


def test_shadow_prices_of_a_minimization():
    diet = {"variables": [{"name": "x"}, {"name": "y"}],
            "objective": {"sense": "minimize", "expression": "2*x + 3*y"},
            "constraints": [{"name": "need", "expression": "x + y >= 90"},
                            {"name": "cap", "expression": "x <= 40"},
                            {"name": "room", "expression": "x + y <= 100"}]}
    # one more unit needed costs 3 (made of y); one more of the cheap x allowed saves 1
    assert "Shadow prices: need +3; cap -1" + WHAT in _explained(diet).split("\n")


def test_shadow_prices_of_equalities_and_indexed_rows():
    items = [f"i{k:02d}" for k in range(14)]
    d = {"sets": [{"name": "I", "elements": items}],
         "parameters": [{"name": "v", "index": ["I"], "values": list(range(1, 15))}],
         "variables": [{"name": "x", "index": ["I"]}, {"name": "slack"}],
         "objective": {"sense": "maximize", "expression": "sum(v[i]*x[i] for i in I) - slack"},
         "constraints": [{"name": "one", "for_each": "i in I", "expression": "x[i] <= 1"},
                         {"name": "fixed", "expression": "slack == 2"},
                         {"name": "chain", "expression": "x['i13'] <= slack - 1.5 <= 5"}]}
    text = _explained(d)
    assert "chain" in text.split("\n")[-2]  # it binds, but its dual prices one comparison
    line = text.split("\n")[-1]
    shown = ", ".join(f"i{k:02d} +{k + 1}" for k in range(12))  # of 13 (x[i13] <= 0.5)
    # slack == 2 costs 1 a unit, and lets x[i13] rise a unit worth 14
    assert line == (f"Shadow prices: one ({shown}, ...); fixed +13 (the objective's change per "
                    "unit more of each limit, or of an equality's number).")


@pytest.mark.parametrize(("solver", "labor"), [("highs", "; labor +0.0001"), ("pdhg", "")])
def test_a_dual_within_the_solvers_accuracy_is_none(solver: str, labor: str):
    # none: within 1e-9 (a simplex), 1e-6 (PDHG) of the objective, here 27000
    result = SolveResult(status=Status.OPTIMAL, objective=27000.0, solver=solver,
                         values={"wheat": 40.0, "corn": 60.0},
                         duals={"land": 150.0, "labor": 1e-4})
    text = explain(status="optimal", formulation=Formulation.from_dict(FARM), result=result,
                   binding=["land", "labor"])
    assert f"Shadow prices: land +150{labor}{WHAT}" in text.split("\n")


def test_no_shadow_prices_for_an_integer_model():
    farm = {**FARM, "variables": [{"name": "wheat", "domain": "integer"}, {"name": "corn"}]}
    assert "Shadow prices" not in _explained(farm)
    # duals of an integer model price its relaxation: said nowhere, even when a result has them
    f = Formulation.from_dict(farm)
    result = SolveResult(status=Status.OPTIMAL, objective=27000.0,
                         values={"wheat": 40.0, "corn": 60.0},
                         duals={"land": 150.0, "labor": 50.0})
    text = explain(status="optimal", formulation=f, result=result, binding=["land", "labor"])
    assert "Binding constraints" in text and "Shadow prices" not in text


def test_explanation_of_a_failure():
    result = SolveResult(status=Status.INFEASIBLE, conflict=["a", "b"])
    text = explain(status="infeasible", formulation=None, result=result, binding=[],
                   message="Gave up after 3 repair rounds: infeasible", repairs=3)
    assert "Gave up after 3" in text and "Conflicting constraints: a, b." in text
    assert "repaired 3 times" in text


def test_trace_json_round_trip(tmp_path):
    trace = Trace(steps=[TraceStep(node="formulate", kind="llm", reply="{}",
                                   usage={"prompt_tokens": 10, "completion_tokens": 3}),
                         TraceStep(node="solve", kind="solve", seconds=0.5, at=1.0)])
    answer = Answer(status="optimal", objective=1.0, trace=trace)
    data = json.loads(answer.save_trace(tmp_path / "sub" / "t.json").read_text())
    again = Trace.model_validate(data)
    assert again == trace and again.usage.prompt_tokens == 10 and again.seconds == 1.5


def test_tables_from_paths_mappings_rows_and_dataframe_likes(tmp_path):
    class Frame:
        def to_csv(self, path, index=False):
            Path(path).write_text("a,b\n1,x\n")

    src = tmp_path / "src.csv"
    src.write_text("k,v\np,1.5\nq,2\n")
    infos = prepare_tables({"costs": src, "frame": Frame(), "cols": {"n": [1, 2, 3]},
                            "rows.csv": [{"x": 1, "y": None}, {"x": 2, "y": 3}],
                            "keys": [{1: "a", "2": 5}]}, tmp_path / "data")
    by_file = {i["file"]: i for i in infos}
    assert by_file["costs.csv"]["columns"] == ["k", "v"] and by_file["costs.csv"]["n_rows"] == 2
    assert by_file["frame.csv"]["rows"] == [["1", "x"]]
    assert by_file["cols.csv"]["n_rows"] == 3
    assert by_file["rows.csv"]["columns"] == ["x", "y"]
    assert read_rows(tmp_path / "data", "rows.csv") == [{"x": 1, "y": ""}, {"x": 2, "y": 3}]
    assert read_rows(tmp_path / "data", "keys.csv") == [{"1": "a", "2": 5}]  # keys as text
    assert read_rows(tmp_path / "data", "costs.csv") == [{"k": "p", "v": 1.5}, {"k": "q", "v": 2}]


@pytest.mark.parametrize("table", [Path("/no/such/file.csv"), 42, {"a": [1], "b": [1, 2]}])
def test_unusable_tables_are_data_errors(tmp_path, table):
    with pytest.raises(DataError):
        prepare_tables({"t": table}, tmp_path)


def test_rows_that_leave_out_a_column_are_refused(tmp_path):
    """An empty cell would be read as a value the row never gave (null is one given)."""
    with pytest.raises(DataError, match=r"'t': row 2 has no 'cost'.*'item', 'cost'") as exc:
        prepare_tables({"t": [{"item": "chair", "cost": 3}, {"item": "desk"}]}, tmp_path)
    assert "null" in exc.value.hint
    (tmp_path / "t.json").write_text('[{"item": "chair"}, {"cost": 3}]')
    with pytest.raises(DataError, match="row 1 has no 'cost'"):
        prepare_tables({"t": tmp_path / "t.json"}, tmp_path / "data")


@pytest.mark.parametrize(("name", "content", "error"), [
    ("t.csv", "item,cost\nchair,30,2\ntable,50\n", r"t\.csv, row 2: 3 cells but 2 columns"),
    ("t.csv", "item,cost\nchair\n", r"row 2: 1 cells but 2 columns"),
    ("t.csv", "item,cost,cost\nchair,1,2\n", "column 'cost' is named twice"),
    ("t.tsv", "item\tcost\nchair\t30\t2\n",
     r"t\.tsv \(read as t\.csv\), row 2: 3 cells but 2 columns"),
    ("t.tsv", "item\tcost\tcost\nchair\t1\t2\n", "column 'cost' is named twice"),
    ("t.tsv", "", "the file is empty"),
    ("t.json", "{not json", "not valid JSON"),
    ("t.json", '{"item": "chair"}', "the JSON is not a table"),
    ("t.xlsx", "PK", "a .xlsx file is not a table optiform reads"),
])
def test_table_files_a_model_cannot_use_are_named(tmp_path, name, content, error):
    (tmp_path / name).write_text(content)
    with pytest.raises(DataError, match=error):
        prepare_tables({"t": tmp_path / name}, tmp_path / "data")


def test_common_csv_shapes_are_read(tmp_path):
    (tmp_path / "index.csv").write_text(",product,profit\n0,A,3\n1,B,5\n")  # pandas' index
    (tmp_path / "trailing.csv").write_text("product,profit,\nA,3,\nB,5,\n")
    (tmp_path / "rows.csv").write_text("product,profit\r\nA,3,\r\n\"B, large\",5\r\n")
    infos = {i["name"]: i for i in prepare_tables(
        {n: tmp_path / f"{n}.csv" for n in ("index", "trailing", "rows")}, tmp_path / "data")}
    assert infos["index"]["columns"] == ["", "product", "profit"]
    assert infos["trailing"]["n_rows"] == 2 and infos["rows"]["rows"][1] == ["B, large", "5"]


def test_json_and_tsv_table_files_are_read_as_tables(tmp_path):
    (tmp_path / "rows.json").write_text(
        '[{"item": "chair", "cost": 30}, {"item": "desk", "cost": null}]')
    (tmp_path / "cols.json").write_text('{"item": ["chair"], "cost": [30]}')
    (tmp_path / "tabs.tsv").write_text("item\tcost\nchair\t30\n\n")
    infos = {i["name"]: i for i in prepare_tables(
        {"rows": tmp_path / "rows.json", "cols": tmp_path / "cols.json",
         "tabs": tmp_path / "tabs.tsv"}, tmp_path / "data")}
    assert infos["rows"]["columns"] == ["item", "cost"] and infos["rows"]["n_rows"] == 2
    assert infos["cols"]["rows"] == [["chair", "30"]] and infos["tabs"]["rows"] == [["chair", "30"]]
    assert read_rows(tmp_path / "data", "rows.csv")[1] == {"item": "desk", "cost": ""}


@pytest.mark.parametrize(("data", "error"), [
    ({"t": {"item": "abc", "cost": "123"}}, "column 'item' is one value .'abc'., not a list"),
    ({"t": {"a": 5}}, "column 'a' is one value"),
    ({"x": {"a": [1]}, "x.csv": {"a": [2]}}, "'x' and 'x.csv' would both be x.csv"),
    (["f.csv"], "data must map table names to tables, not be a list"),
    ("f.csv", "not be a str"),
])
def test_data_that_would_be_changed_or_lost_is_refused(tmp_path, data, error):
    with pytest.raises(DataError, match=error):  # "abc" became the rows a, b, c
        prepare_tables(data, tmp_path)


@pytest.mark.parametrize(("table", "error"), [({}, "has no columns"), ([], "has no rows")])
def test_empty_tables_say_so(tmp_path, table, error):
    with pytest.raises(DataError, match=error):  # as a JSON body of the HTTP API sends them
        prepare_tables({"t": table}, tmp_path)


def test_module_level_solve():
    from optiform import solve

    model = {"sets": [], "parameters": [], "variables": [{"name": "x", "domain": "continuous"}],
             "objective": {"sense": "maximize", "expression": "3*x"},
             "constraints": [{"name": "cap", "expression": "x <= 4"}]}
    answer = solve("Maximize 3 times x where x is at most 4.", llm=FakeLLM([model]), max_repairs=0,
                   library=False)
    assert answer.status == "optimal" and answer.objective == pytest.approx(12.0)
    assert answer.binding == ["cap"]


@pytest.mark.parametrize(("options", "error"), [
    ({"max_repair": 2}, "(?s)unknown option 'max_repair'.*did you mean 'max_repairs'"),
    ({"max_repairs": "x"}, "option max_repairs='x': Input should be a valid integer"),
    ({"samples": 0}, "option samples=0: Input should be greater than or equal to 1"),
    ({"time_budget": True}, "option time_budget=True: time_budget is not a yes-or-no"),
    ({"samples": True}, "samples is not a yes-or-no setting"),
])
def test_agent_options_are_checked_before_any_work(options, error):
    from optiform.api import Assistant
    from optiform.config import load_settings
    from optiform.errors import InputError

    with Assistant(load_settings(backend="fake", library=False), llm=FakeLLM([])) as assistant, \
            pytest.raises(InputError, match=error):
        assistant.solve("Maximize 3x + 2y subject to x + y <= 4.", **options)


def test_a_misspelt_setting_is_named():
    from optiform.config import load_settings
    from optiform.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown setting 'sample'") as err:
        load_settings(sample=3)
    assert err.value.hint == "did you mean 'samples'?"


def test_agent_options_are_taken_as_their_settings_read_them():
    from optiform.agent.deps import Deps
    from optiform.config import load_settings

    deps = Deps.from_settings(load_settings(library=False), llm=FakeLLM([]), max_repairs="2",
                              code_strategy="no", samples=2.0)
    assert deps.max_repairs == 2 and deps.code_strategy is False and deps.samples == 2


@pytest.mark.parametrize(("table", "error"), [
    # pandas' df.to_dict(): each column a mapping, whose keys would have become the cells
    ({"crop": {0: "wheat", 1: "corn"}, "profit": {0: 300, 1: 250}},
     "column 'crop' is a dict, not a list"),
    ({"crop": {"wheat", "corn"}}, "column 'crop' is a set"),
    ({"crop": ["wheat"], "ok": [True]}, r"row 1, column 'ok': True is not a number or a text"),
    ([{"crop": "wheat", "mix": [1, 2]}], r"column 'mix': \[1, 2\] is not a number"),
    ({"crop": ["wheat"], "profit": [float("inf")]}, "inf is not a finite number"),
    ({"crop": [], "profit": []}, "has no rows, only its header"),
    ([{1: "a", "1": "b"}], "row 1 names column '1' twice"),
    ({"crop": ["wheat\ud800"]}, r"row 1, column 'crop' holds a broken character"),
    ({"cr\ud800op": ["wheat"]}, "column .* holds a broken character"),
    ({"crop": ["wh\x00eat"]}, "holds a NUL character"),
])
def test_tables_whose_cells_would_read_back_changed_are_refused(tmp_path, table, error):
    with pytest.raises(DataError, match=error):
        prepare_tables({"t": table}, tmp_path)


def test_table_files_and_names_that_would_be_misread_are_refused(tmp_path):
    (tmp_path / "semi.csv").write_text("crop;profit\nwheat;300\n")
    with pytest.raises(DataError, match="separated by semicolons") as exc:
        prepare_tables({"semi": tmp_path / "semi.csv"}, tmp_path / "data")
    assert "commas" in exc.value.hint
    (tmp_path / "tabs.txt").write_text("crop\tprofit\nwheat\t300\n")
    with pytest.raises(DataError, match="separated by tabs"):
        prepare_tables({"tabs": tmp_path / "tabs.txt"}, tmp_path / "data")
    (tmp_path / "head.csv").write_text("crop,profit\n")
    with pytest.raises(DataError, match=r"head\.csv has no rows"):
        prepare_tables({"head": tmp_path / "head.csv"}, tmp_path / "data")
    (tmp_path / "notes.txt").write_text("just one line of notes\n")
    with pytest.raises(DataError, match=r"notes\.txt \(read as notes\.csv\) has no rows"):
        prepare_tables({"notes": tmp_path / "notes.txt"}, tmp_path / "data")
    with pytest.raises(DataError, match="is a path, not a name"):
        prepare_tables({"../x": {"a": [1]}}, tmp_path / "data")
    with pytest.raises(DataError, match="is a folder, not a table file"):
        prepare_tables({"t": tmp_path}, tmp_path / "data")
    from optiform.agent.tables import tables_by_name

    with pytest.raises(DataError, match="is a folder, not a table file"):
        tables_by_name([tmp_path])  # --data DIR, /data DIR
    with pytest.raises(DataError, match="not found") as missing:
        tables_by_name([tmp_path / "none.csv"])
    assert missing.value.hint == "check the path; pass a .csv, .tsv or .json table file"
    with pytest.raises(DataError, match="has 300 characters; at most 100"):
        prepare_tables({"t" * 300: {"a": [1]}}, tmp_path / "data")
    for name in ("t\x00", "t\udc00"):
        with pytest.raises(DataError, match="its name holds"):
            prepare_tables({name: {"a": [1]}}, tmp_path / "data")


def test_a_tsv_cell_keeps_its_quotes_and_a_named_index_stays_a_column(tmp_path):
    (tmp_path / "q.tsv").write_text('item\tcost\n"Deluxe" pipe\t3\nopen "quote\t4\n')
    prepare_tables({"q": tmp_path / "q.tsv"}, tmp_path / "data")
    assert read_rows(tmp_path / "data", "q.csv") == [
        {"item": '"Deluxe" pipe', "cost": 3}, {"item": 'open "quote', "cost": 4}]

    class Index:
        names = ("crop",)

    class Frame:  # what pandas gives after df.set_index("crop")
        index = Index()

        def reset_index(self):
            frame = Frame()
            frame.index = type("Plain", (), {"names": [None]})()
            frame.reset = True
            return frame

        def to_csv(self, path, index=False):
            assert getattr(self, "reset", False), "the named index would be dropped"
            Path(path).write_text("crop,profit\nwheat,300\n")

    prepare_tables({"f": Frame()}, tmp_path / "data")
    assert read_rows(tmp_path / "data", "f.csv") == [{"crop": "wheat", "profit": 300}]


def test_numpy_and_decimal_numbers_are_cells(tmp_path):
    np = pytest.importorskip("numpy")
    from decimal import Decimal

    prepare_tables({"t": {"a": [np.int64(3), np.float64(0.5), Decimal("2.5")],
                          "b": ["x", "y", None]}}, tmp_path)
    assert read_rows(tmp_path, "t.csv") == [{"a": 3, "b": "x"}, {"a": 0.5, "b": "y"},
                                            {"a": 2.5, "b": ""}]
    with pytest.raises(DataError, match="is not a number or a text"):
        prepare_tables({"t": {"a": [np.bool_(True)]}}, tmp_path)


def test_quoted_tsv_and_a_semicolon_in_a_one_column_header_are_read_as_written(tmp_path):
    import csv as csv_module

    with (tmp_path / "q.tsv").open("w", newline="") as fh:  # as pandas and Excel quote
        csv_module.writer(fh, delimiter="\t").writerows(
            [["item", "cost"], ['5" pipe', 3], ["Smith, J.", 4], ["two\nlines", 5]])
    prepare_tables({"q": tmp_path / "q.tsv"}, tmp_path / "data")
    assert [r["item"] for r in read_rows(tmp_path / "data", "q.csv")] == [
        '5" pipe', "Smith, J.", "two\nlines"]
    (tmp_path / "remark.csv").write_text("remark; free text\nfine\nalso fine; really\n")
    (tmp_path / "quoted.csv").write_text('"a;b"\n"1;2"\n')
    infos = prepare_tables({"remark": tmp_path / "remark.csv", "quoted": tmp_path / "quoted.csv",
                            "written": {"a;b": [1, 2]}}, tmp_path / "data")
    assert [i["columns"] for i in infos] == [["remark; free text"], ["a;b"], ["a;b"]]


def test_missing_values_and_numbers_a_text_would_change(tmp_path):
    from decimal import Decimal
    from fractions import Fraction

    prepare_tables({"t": {"a": [1.0, float("nan"), 3.0], "b": ["x", None, "z"]}}, tmp_path)
    # NaN is pandas' missing value: an empty cell; a row with no value at all is no row
    assert read_rows(tmp_path, "t.csv") == [{"a": 1, "b": "x"}, {"a": 3, "b": "z"}]
    with pytest.raises(DataError, match="no row has a value"):
        prepare_tables({"t": {"a": [None], "b": [float("nan")]}}, tmp_path)
    for number in (10**400, Decimal("sNaN"), Decimal("Infinity")):
        with pytest.raises(DataError, match="is not a finite number"):
            prepare_tables({"t": {"a": [number]}}, tmp_path)
    with pytest.raises(DataError, match=r"Fraction.* is not a number or a text"):
        prepare_tables({"t": {"a": [Fraction(1, 2)]}}, tmp_path)


class _Frame:
    """What the table code reads of a pandas DataFrame (pandas is not a dependency)."""

    def __init__(self, columns, rows):
        self.columns, self.rows = columns, rows
        self.index = type("Plain", (), {"names": [None]})()

    def itertuples(self, index=False, name=None):
        assert index is False and name is None
        return iter(self.rows)

    def to_csv(self, path, index=False):
        raise AssertionError("a DataFrame is written cell by cell, through the checks")


def test_a_dataframe_gets_the_cell_checks_of_every_other_table(tmp_path):
    import datetime

    nan = float("nan")
    prepare_tables({"f": _Frame(["crop", "profit", "day"],
                                [("wheat", 300, datetime.date(2026, 1, 5)),
                                 ("corn", nan, datetime.datetime(2026, 1, 6, 8, 30))])},
                   tmp_path)
    assert read_rows(tmp_path, "f.csv") == [
        {"crop": "wheat", "profit": 300, "day": "2026-01-05"},
        {"crop": "corn", "profit": "", "day": "2026-01-06T08:30:00"}]
    for rows, error in ([("wheat", True, None)], r"row 1, column 'profit': True is not"), \
                       ([("a", 1, None), ("b", float("inf"), None)], "row 2.*not a finite"):
        with pytest.raises(DataError, match=error):
            prepare_tables({"f": _Frame(["crop", "profit", "day"], rows)}, tmp_path)
    with pytest.raises(DataError, match="names column 'x' twice"):
        prepare_tables({"f": _Frame(["x", "x"], [(1, 2)])}, tmp_path)


@pytest.mark.parametrize("solver", ["highs", "pdhg"])
def test_no_shadow_prices_at_a_degenerate_optimum(solver: str):
    from optiform.solvers.api import solve_formulation

    # three limits hold at x = 1500, y = 500 and there are two variables: the duals are not
    # unique (PDHG priced cap +708, yet raising cap changes nothing; HiGHS gave 0)
    d = {"variables": [{"name": "x"}, {"name": "y"}],
         "objective": {"sense": "maximize", "expression": "1000*x + 1000*y"},
         "constraints": [{"name": "cap", "expression": "x + y <= 2000"},
                         {"name": "xmax", "expression": "x <= 1500"},
                         {"name": "gap", "expression": "x - y >= 1000"}]}
    f = Formulation.from_dict(d)
    result = solve_formulation(f, solver=solver)
    assert result.status is Status.OPTIMAL and result.duals
    text = explain(status="optimal", formulation=f, result=result,
                   binding=binding_constraints(f, result.values))
    assert "Binding constraints (at their limit): cap; xmax; gap." in text
    assert "Shadow prices" not in text
