"""The checks: pure functions from text, formulation and result to feedback."""

from __future__ import annotations

from optiform.agent import checks, textcues
from optiform.errors import FormulationError, LLMOutputError
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult, Status


def model(constraints: list[tuple[str, str]], *, objective: str = "30*chairs + 50*tables",
          sense: str = "maximize", domain: str = "integer",
          names: tuple[str, ...] = ("chairs", "tables")) -> Formulation:
    return Formulation.from_dict({
        "variables": [{"name": n, "domain": domain} for n in names],
        "objective": {"sense": sense, "expression": objective},
        "constraints": [{"name": n, "expression": e} for n, e in constraints],
    })


SHOP = ("A shop makes chairs and tables. A chair earns $30 and takes 2 hours; a table earns $50 "
        "and takes 5 hours. 40 hours are available. Maximize profit.")


# -- text cues --------------------------------------------------------------------------


def test_numbers_in_text_skip_enumerations_labels_and_years():
    text = "1. Product 2 sells 1,200 units at a 15% margin in 2023.\n(2) It costs $4.5."
    found = {n.text for n in textcues.numbers_in_text(text)}
    assert found == {"1,200", "15%", "$4.5"}


def test_counted_things_leave_out_measures():
    things = textcues.counted_things("How many trucks, and how many kilograms of flour?")
    assert "truck" in things
    assert "kilogram" not in things and "flour" not in things


def test_goal_sense_needs_one_clear_direction():
    assert textcues.goal_sense("Maximize the total profit.") == "maximize"
    assert textcues.goal_sense("at the minimum total cost") == "minimize"
    assert textcues.goal_sense("a minimum of 5 and a maximum of 10 units") is None
    assert textcues.goal_sense("so that the makespan is as small as possible") == "minimize"
    assert textcues.goal_sense("finish as soon as possible") == "minimize"
    assert textcues.goal_sense("make the garden as large as possible") == "maximize"


# -- errors -----------------------------------------------------------------------------


def test_error_check_keeps_the_location_and_suggestion():
    exc = FormulationError("unknown name 'tabels'", where="constraint 'labor'",
                           expression="2*chairs + 5*tabels <= 40", suggestion="tables")
    c = checks.error_check(exc)
    assert c.severity == "error" and c.code == "invalid"
    assert c.where == "constraint 'labor'"
    assert "constraint 'labor'" in c.message and "did you mean 'tables'" in c.message
    assert checks.error_check(LLMOutputError("not JSON")).code == "bad_output"


def test_infeasible_names_the_conflicting_constraints():
    result = SolveResult(status=Status.INFEASIBLE, conflict=["labor", "min_tables"])
    [c] = checks.status_checks(result)
    assert c.code == "infeasible" and c.severity == "error"
    assert c.names == ["labor", "min_tables"]
    assert "labor, min_tables" in c.message


def test_unbounded_and_solver_error_are_errors():
    assert checks.status_checks(SolveResult(status=Status.UNBOUNDED))[0].code == "unbounded"
    err = checks.status_checks(SolveResult(status=Status.ERROR, message="boom"))[0]
    assert err.severity == "error" and "boom" in err.message
    assert checks.status_checks(SolveResult(status=Status.OPTIMAL, objective=1.0)) == []


# -- warnings ---------------------------------------------------------------------------


def test_unused_numbers_flags_data_the_model_ignores():
    f = model([("labor", "2*chairs + 5*tables <= 40")])
    assert checks.unused_numbers(SHOP, f) is None
    c = checks.unused_numbers(SHOP + " At most 6 tables can be sold.", f)
    assert c is not None and c.names == ["6"]


def test_unused_numbers_accepts_percentages_as_fractions():
    f = model([("share", "chairs >= 0.4*(chairs + tables)")])
    assert checks.unused_numbers("At least 40% of the items are chairs.", f) is None
    assert checks.unused_numbers("At most 60% of the items are tables.", model(
        [("share", "chairs >= 0.4*(chairs + tables)")])) is None


def test_integer_cue_on_a_continuous_count():
    f = model([("cap", "trucks + vans <= 10")], objective="trucks + vans", domain="continuous",
              names=("trucks", "vans"))
    c = checks.integer_cues("How many trucks and vans should the company buy?", f)
    assert c is not None and set(c.names) == {"trucks", "vans"}
    fk = model([("cap", "flour <= 10")], objective="flour", domain="continuous",
               names=("flour",))
    assert checks.integer_cues("How many kilograms of flour are needed?", fk) is None


def test_objective_sense_against_the_wording():
    f = model([("labor", "2*chairs + 5*tables <= 40")], sense="minimize")
    c = checks.objective_sense(SHOP, f)
    assert c is not None and "maximize" in c.message
    assert checks.objective_sense(SHOP, model([("labor", "2*chairs <= 40")])) is None


def test_equality_on_an_available_resource():
    f = model([("labor", "2*chairs + 5*tables == 40 - tables")])
    [c] = checks.limit_equalities(SHOP, f)
    assert c.code == "limit_equality" and c.names == ["labor"] and "<=" in c.message
    exact = SHOP.replace("40 hours are available", "exactly 40 hours must be used")
    assert checks.limit_equalities(exact, f) == []


def test_a_comparison_the_text_writes_in_symbols_is_no_word_cue():
    # 'has' before 'x*y = 32' read as a limit had pinned_bound write x*y <= 32
    text = "A rectangle has sides x and y with x*y = 32. Minimize the perimeter 2x + 2y."
    f = model([("area", "chairs*tables == 32")])
    assert checks.bound_directions(text, f) == []


def test_a_limit_in_another_clause_of_the_sentence_is_not_the_number_s():
    text = ("The mix must weigh 100 kg, contain at least 20% protein and at most 4% fat. "
            "Minimize cost.")
    weight = model([("weight", "chairs + tables == 100")])
    assert checks.limit_equalities(text, weight) == []
    protein = model([("protein", "chairs + tables == 20")])
    [c] = checks.limit_equalities(text, protein)
    assert ">=" in c.message


def test_an_equality_pinning_an_available_amount_is_fixed_by_the_bound_check():
    f = model([("labor", "2*chairs + 5*tables == 40")])
    assert checks.limit_equalities(SHOP, f) == []  # the bound check carries the fix
    [c] = [c for c in checks.bound_directions(SHOP, f) if c.code == "pinned_bound"]
    assert c.fix == {"constraints": {"labor": "2*chairs + 5*tables <= 40"}}
    exact = SHOP.replace("40 hours are available", "exactly 40 hours must be used")
    assert checks.bound_directions(exact, f) == []


def test_equality_on_a_minimum_suggests_greater_equal():
    f = model([("demand", "chairs == 12 + 0*tables")])
    [c] = checks.limit_equalities("The shop must make at least 12 chairs.", f)
    assert ">=" in c.message
    f = model([("demand", "chairs == 12")])
    [c] = checks.bound_directions("The shop must make at least 12 chairs.", f)
    assert c.fix == {"constraints": {"demand": "chairs >= 12"}}


def test_strict_inequalities():
    f = model([("labor", "2*chairs + 5*tables < 40"), ("ok", "chairs >= 1")])
    [c] = checks.strict_inequalities(f)
    assert c.severity == "warning" and c.names == ["labor"] and "<=" in c.message
    g = model([("labor", "2*chairs + 5*tables < 40")], domain="continuous")
    [note] = checks.strict_inequalities(g)
    assert note.severity == "info"


def test_all_zero_solution():
    f = model([("labor", "2*chairs + 5*tables <= 40")], sense="minimize")
    zero = SolveResult(status=Status.OPTIMAL, objective=0.0, values={"chairs": 0.0, "tables": 0})
    assert checks.trivial_solution(f, zero) is not None
    some = SolveResult(status=Status.OPTIMAL, objective=0.0, values={"chairs": 2.0})
    assert checks.trivial_solution(f, some) is None


def test_solution_checks_and_feedback_text():
    f = model([("labor", "2*chairs + 5*tables == 40")], sense="minimize")
    result = SolveResult(status=Status.OPTIMAL, objective=300.0,
                         values={"chairs": 10.0, "tables": 0.0})
    found = checks.solution_checks(SHOP, f, result)
    assert {c.code for c in found} == {"objective_sense", "pinned_bound"}
    text = checks.feedback_text(found)
    assert text.startswith("1. [check (may not apply)]")
    assert checks.errors(found) == [] and len(checks.warnings(found)) == 2


def integer_model(*constraints: tuple[str, str]):
    """``model`` with every variable integer."""
    f = model(list(constraints))
    return f.model_copy(update={"variables": [v.model_copy(update={"domain": "integer"})
                                              for v in f.variables]})


def test_integer_amounts_of_a_measure_are_made_continuous():
    text = ("Machine 1 delivers 0.5 units a minute and machine 2 delivers 0.3 units a minute. "
            "How many minutes should each machine be used to minimize the waste?")
    f = integer_model(("dose", "0.5*chairs + 0.3*tables >= 4"))
    c = checks.measure_integers(text, f)
    assert c is not None and c.fix == {"domains": {"chairs": "continuous",
                                                   "tables": "continuous"}}
    assert checks.measure_integers(text.replace("How many minutes", "How many times"), f) is None
    mixed = f.model_copy(update={"variables": [f.variables[0].model_copy(
        update={"domain": "continuous"}), f.variables[1]]})
    assert checks.measure_integers(text, mixed) is None


def test_goods_priced_per_kilogram_are_continuous_amounts():
    # NL4Opt train F062: "Feed A costs $100 per kilogram and contains 10 units of protein"
    text = ("Feed A costs $100 per kilogram and contains 10 units of protein. Feed B costs $80 "
            "per kilogram and contains 7 units of protein. Determine the minimum cost.")
    f = integer_model(("protein", "10*chairs + 7*tables >= 30"))
    c = checks.measure_integers(text, f)
    assert c is not None and "per kilogram" in c.message
    assert c.fix == {"domains": {"chairs": "continuous", "tables": "continuous"}}
    # "each" or a rate per distance says nothing about divisible goods
    assert checks.measure_integers(text.replace("per kilogram", "each"), f) is None
    assert checks.measure_integers("Trucks cost $5 per kilometre to run.", f) is None
    # "each kg of corn costs": the 1.5B model made a feed mix of kilograms integer (50.4
    # where 50 is right)
    assert checks.measure_integers("Each kg of corn costs $0.30 and holds 10% protein.",
                                   f) is not None


def test_a_constraint_comparing_a_quantity_with_itself_is_flagged():
    from optiform.agent.checks import vacuous_constraints
    from optiform.agent.schema import to_formulation

    f = to_formulation({"variables": {"P500": "integer", "A400": "integer", "rye": "continuous"},
                        "objective": {"sense": "maximize", "expression": "P500 + A400 + rye"},
                        "constraints": {"a": "3*P500 <= 3*P500", "b": "45*rye == 45*rye",
                                        "c": "2*(P500 + A400) >= 2*A400 + 2*P500",
                                        "d": "3*P500 <= 3*A400", "e": "P500 <= 10",
                                        "f": "5 <= 5", "g": "rye*rye >= rye*rye - 1"}})
    flagged = [c.names[0] for c in vacuous_constraints(f)]
    assert flagged == ["a", "b", "c"]
    assert all(c.severity == "warning" for c in vacuous_constraints(f))


def test_a_constraint_the_objective_cannot_feel_is_flagged():
    from optiform.agent.checks import detached_constraints
    from optiform.agent.schema import to_formulation

    # a follow-up turn named new quantities instead of writing the limit in loaves and cakes
    f = to_formulation({
        "variables": {"loaves": "integer", "cakes": "integer", "oven_loaf": "integer",
                      "oven_cake": "integer"},
        "objective": {"sense": "maximize", "expression": "3*loaves + 10*cakes"},
        "constraints": {"flour": "0.5*loaves + cakes <= 60", "sales": "cakes <= 30",
                        "oven": "10*oven_loaf + 30*oven_cake <= 1200"}})
    check = detached_constraints(f)
    assert check is not None and check.names == ["oven"] and check.severity == "warning"
    assert "oven_cake, oven_loaf" in check.message and "(cakes, loaves)" in check.message
    assert "detached" in {c.code for c in checks.solution_checks(SHOP, f, None)}
    # tied through a chain of constraints: an auxiliary variable is not detached
    g = to_formulation({
        "variables": {"x": "continuous", "y": "continuous", "t": "continuous",
                      "u": "continuous"},
        "objective": {"sense": "minimize", "expression": "t"},
        "constraints": {"a": "t >= x - y", "b": "x + u >= 4", "c": "u <= 3"}})
    assert detached_constraints(g) is None
    # indexed: the for_each ties nothing, the expression does
    h = Formulation.from_dict({
        "sets": [{"name": "P", "elements": ["a", "b"]}],
        "variables": [{"name": "make", "index": ["P"]}, {"name": "spare", "index": ["P"]}],
        "objective": {"sense": "maximize", "expression": "sum(make[p] for p in P)"},
        "constraints": [{"name": "cap", "for_each": "p in P", "expression": "make[p] <= 4"},
                        {"name": "idle", "for_each": "p in P",
                         "expression": "spare[p] <= 2"}]})
    assert detached_constraints(h).names == ["idle"]
    # no decision in the objective: no verdict
    k = to_formulation({"variables": {"x": "continuous"},
                        "objective": {"sense": "minimize", "expression": "0"},
                        "constraints": {"a": "x >= 1"}})
    assert detached_constraints(k) is None


def test_an_objective_with_no_decision_in_it_is_flagged():
    from optiform.agent.checks import constant_objective
    from optiform.agent.schema import to_formulation

    # a makespan computed by hand: every assignment of the jobs scores 7
    text = ("Four jobs with processing times 7, 5, 4 and 6 hours must each be done on one of "
            "two identical machines. Assign the jobs so that the makespan is as small as "
            "possible.")
    f = to_formulation({
        "variables": {"job1": "binary", "job2": "binary"},
        "objective": {"sense": "minimize", "expression": "max(7, 5, 4, 6)"},
        "constraints": {"m1": "7*job1 + 5*job2 <= 24"}})
    check = constant_objective(text, f)
    assert check is not None and check.severity == "warning" and check.where == "objective"
    assert "max(7, 5, 4, 6)" in check.message and "(job1, job2)" in check.message
    assert "constant_objective" in {c.code for c in checks.solution_checks(text, f, None)}
    # a feasibility model (objective 0, no goal in the text) is no mistake
    find = "Find a way to place the jobs on the machines so that each machine has at most 12 hours."
    zero = f.model_copy(update={"objective": f.objective.model_copy(update={"expression": "0"})})
    assert constant_objective(find, zero) is None
    assert constant_objective(text, zero) is not None
    # any decision in the objective: no check
    used = f.model_copy(update={"objective": f.objective.model_copy(
        update={"expression": "7*job1 + 5*job2"})})
    assert constant_objective(text, used) is None


def test_a_bound_phrase_carries_over_a_list_of_numbers_each_with_its_words():
    from optiform.agent import bound_cues, textcues

    # the 1.5B model wrote afternoon <= 12 and night <= 6 for this call center
    text = ("A call center needs at least 8 agents on the morning shift, 12 on the afternoon "
            "shift and 6 on the night shift.")
    cues = [bound_cues.cue_before(text, n.start) for n in textcues.numbers_in_text(text)]
    assert [(c.direction, c.phrase) for c in cues] == [(">=", "at least")] * 3
    f = model([("afternoon", "chairs <= 12"), ("night", "tables <= 6")])
    assert {c.fix["constraints"][c.names[0]] for c in checks.bound_directions(text, f)} == {
        "chairs >= 12", "tables >= 6"}
