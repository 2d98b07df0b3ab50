"""The autofix node: exact corrections from the checks, applied without an LLM round."""

from __future__ import annotations

from optiform.agent.autofix import apply_fixes, pending_fixes
from optiform.agent.checks import Check
from optiform.agent.fake import FakeLLM
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation

RAIL = ("Each train can transport 120 people per hour and each tram can transport 30 people per "
        "hour. Since trains take longer to build, the number of trams must be at least twice the "
        "number of trains. If the company wants to transport at least 600 people per hour, "
        "minimize the total number of transportation units required.")
REVERSED = {"variables": {"trains": "integer", "trams": "integer"},
            "objective": {"sense": "minimize", "expression": "trains + trams"},
            "constraints": {"people": "120*trains + 30*trams <= 600",
                            "ratio": "trains >= 2*trams"}}


def run(llm, **settings):
    return Assistant(load_settings(library=False, **settings), llm=llm, solve=solve_formulation,
                     export=lambda f, data_dir=None: "# script").solve(RAIL)


def test_reversed_bound_and_ratio_are_fixed_without_an_llm_round():
    llm = FakeLLM([REVERSED])
    answer = run(llm)
    assert len(llm.requests) == 1 and answer.repair_rounds == 0
    assert answer.status == "optimal" and answer.objective == 11.0  # 2 trains, 9 trams
    assert answer.source == "autofix"
    exprs = {c.name: c.expression for c in answer.formulation.constraints}
    assert exprs == {"people": "120*trains + 30*trams >= 600", "ratio": "trams >= 2*trains"}
    step = next(s for s in answer.trace.steps if s.kind == "autofix")
    assert {f["code"] for f in step.detail["fixes"]} == {"bound_direction", "ratio_direction"}


def test_without_autofix_the_llm_is_told_instead():
    llm = FakeLLM([REVERSED, REVERSED])
    answer = run(llm, autofix=False, max_repairs=1)
    assert answer.repair_rounds == 1 and len(llm.requests) == 2
    assert "trams >= 2*trains" in llm.requests[1]["messages"][-1].content


def test_each_fix_is_applied_once():
    check = Check(code="bound_direction", severity="warning", message="m", where="constraint 'a'",
                  fix={"constraints": {"a": "x >= 1"}})
    attempt = {"formulation": {"variables": [], "constraints": []}, "checks": [check.model_dump()]}
    assert pending_fixes(attempt, []) == [check]
    assert pending_fixes(attempt, [f"fix:{check.key}"]) == []
    assert pending_fixes({"formulation": None, "checks": [check.model_dump()]}, []) == []


def test_apply_fixes_changes_only_what_the_fixes_name():
    f = {"variables": [{"name": "x", "domain": "binary"}, {"name": "y", "domain": "continuous"}],
         "objective": {"sense": "maximize", "expression": "x + y"},
         "constraints": [{"name": "a", "expression": "x <= 5"},
                         {"name": "b", "expression": "y <= 2"}]}
    fixes = [Check(code="c", severity="warning", message="m",
                   fix={"constraints": {"a": "x >= 5"}, "domains": {"x": "integer"},
                        "objective": {"sense": "minimize"}})]
    out = apply_fixes(f, fixes)
    assert out["constraints"][0]["expression"] == "x >= 5"
    assert out["constraints"][1] == f["constraints"][1]
    assert [v["domain"] for v in out["variables"]] == ["integer", "continuous"]
    assert out["objective"] == {"sense": "minimize", "expression": "x + y"}
    assert f["constraints"][0]["expression"] == "x <= 5"  # the original is untouched


def test_a_for_each_part_sets_a_constraints_index_head():
    f = {"sets": [{"name": "S", "elements": ["a", "b"]}],
         "variables": [{"name": "x", "domain": "continuous", "index": ["S"]}],
         "objective": {"sense": "maximize", "expression": "sum(x[i] for i in S)"},
         "constraints": [{"name": "cap", "expression": "sum(x[i] for i in S) <= 3"},
                         {"name": "low", "expression": "x[i] >= 0", "for_each": "i in S"}]}
    fixes = [Check(code="c", severity="warning", message="m",
                   fix={"constraints": {"cap": "x[i] <= 3", "floor": "x[j] >= 1"},
                        "for_each": {"cap": "i in S", "floor": "j in S"}})]
    out = apply_fixes(f, fixes)
    assert out["constraints"] == [
        {"name": "cap", "expression": "x[i] <= 3", "for_each": "i in S"},
        {"name": "low", "expression": "x[i] >= 0", "for_each": "i in S"},
        {"name": "floor", "expression": "x[j] >= 1", "for_each": "j in S"}]
    assert "for_each" not in f["constraints"][0]  # the original is untouched
    # without a for_each part a constraint keeps its own, or has none
    plain = apply_fixes(f, [Check(code="c", severity="warning", message="m",
                                  fix={"constraints": {"low": "x[i] >= 2", "new": "x['a'] <= 1"}})])
    assert plain["constraints"][1]["for_each"] == "i in S"
    assert plain["constraints"][2] == {"name": "new", "expression": "x['a'] <= 1"}


def test_autofix_rounds_are_bounded_and_never_hit_the_recursion_limit():
    # every reply has a reversed bound under a new name (a new fix each time) and the solver
    # always says infeasible (an error, so repairs go on): at most one autofix per LLM attempt
    from optiform.solvers.result import SolveResult, Status

    def reply(k: int) -> dict:
        return {**REVERSED, "constraints": {f"people_{k}": "120*trains + 30*trams <= 600",
                                            "ratio": "trams >= 2*trains"}}

    llm = FakeLLM([reply(k) for k in range(10)])
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["ratio"])
    answer = Assistant(load_settings(library=False, max_repairs=3), llm=llm,
                       solve=lambda f, **kw: infeasible, export=None).solve(RAIL)
    assert answer.status == "infeasible" and answer.repair_rounds == 3
    assert sum(s.kind == "autofix" for s in answer.trace.steps) == 4
    assert len(llm.requests) == 4


# -- a constraint's name used as a quantity -------------------------------------------------

KAYAKS = {"variables": {"kayaks": "integer", "boats": "integer"},
          "objective": {"sense": "minimize", "expression": "kayaks + boats"},
          "constraints": {"people": "4*kayaks + 5*boats >= 550",
                          "boat_limit": "boats <= 25",
                          "by_kayak": "4*kayaks >= people - 200"}}


def test_substitutions_put_the_named_constraints_side_in_place_of_its_name():
    from optiform.agent.name_fixes import substitutions
    from optiform.agent.schema import to_formulation

    f = to_formulation({**KAYAKS, "objective": {"sense": "minimize",
                                                "expression": "people + 0*kayaks"}})
    assert substitutions(f) == {
        "objective": {"expression": "(4*kayaks + 5*boats) + 0*kayaks"},
        "constraints": {"by_kayak": "4*kayaks >= (4*kayaks + 5*boats) - 200"}}


def test_substitutions_leave_declared_names_own_names_and_numbers_alone():
    from optiform.agent.name_fixes import constrained_side, substitutions
    from optiform.agent.schema import to_formulation

    f = to_formulation({"variables": {"x": "continuous", "e5": "continuous"},
                        "objective": {"sense": "maximize", "expression": "x + 1e5*e5"},
                        "constraints": {"e5": "e5 <= 3", "cap": "x + 2*e5 <= cap + 1e5"}})
    assert substitutions(f) == {}  # 'e5' is a variable; 'cap' is the constraint's own name
    assert constrained_side("10 <= x + y", {"x", "y"}) == "x + y"
    assert constrained_side("x <= y", {"x", "y"}) is None  # both sides hold variables
    assert constrained_side("a <= x <= b", {"x"}) is None


def test_a_constraint_name_used_as_a_quantity_is_substituted_without_an_llm_round():
    llm = FakeLLM([KAYAKS])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(
        "Kayaks carry 4 people and boats 5; at least 550 people must cross, at most 25 boats "
        "may be used and at most 200 people go by boat. Minimize the vessels used.")
    assert len(llm.requests) == 1 and answer.repair_rounds == 0
    assert answer.status == "optimal" and answer.source == "autofix"
    exprs = {c.name: c.expression for c in answer.formulation.constraints}
    assert exprs["by_kayak"] == "4*kayaks >= (4*kayaks + 5*boats) - 200"
    assert answer.objective == 132.0  # 25 boats carry 125, so 107 kayaks for the other 425
    step = next(s for s in answer.trace.steps if s.kind == "autofix")
    assert [f["where"] for f in step.detail["fixes"]] == ["constraint 'by_kayak'"]


# -- bare bounds and names that stand for a variable ----------------------------------------

CARTS = ("A farm hauls hay in small and big wagons. A small wagon needs 2 oxen and carries 30 kg; "
         "a big wagon needs 4 oxen and carries 70 kg. The farm has 60 oxen. It must use at least "
         "5 small wagons and at least 4 big wagons. How many of each maximize the hay carried?")


def test_names_stand_for_a_variable_only_with_generic_words_beside_them():
    from optiform.agent.bare_bounds import named_variable

    variables = ["kayaks", "motor_boats", "horses"]
    assert named_variable("horses", variables) == "horses"
    assert named_variable("horses_max", variables) == "horses"
    assert named_variable("maxHorses", variables) == "horses"
    assert named_variable("kayak_trips", variables) == "kayaks"
    assert named_variable("min_motor_boats", variables) == "motor_boats"
    assert named_variable("kayak_share", variables) is None  # a share is another quantity
    assert named_variable("boats", variables) is None
    assert named_variable("horses_kayaks_max", variables) is None


def test_bare_bounds_take_their_direction_from_the_expression_the_name_or_the_text():
    from optiform.agent.bare_bounds import completed_bound

    v = ["small", "big"]
    assert completed_bound("small", "at least 5", v, "") == "small >= 5"
    assert completed_bound("big_max", "<= 40", v, "") == "big <= 40"
    assert completed_bound("big_max", "40", v, "") == "big <= 40"
    assert completed_bound("small", "5", v, CARTS) == "small >= 5"
    assert completed_bound("big", "4", v, CARTS) == "big >= 4"
    both = "At least 5 small wagons are used, and at most 5 small wagons may stand idle."
    assert completed_bound("small", "5", v, both) is None  # the text says both directions
    # of two statements of 5, the one that names the variable decides
    named = "At least 5 small wagons are used, and at most 5 may stand idle."
    assert completed_bound("small", "5", v, named) == "small >= 5"
    assert completed_bound("small", "7", v, CARTS) is None  # no cue for 7
    # 3 is also a price with no bound phrase ('bread earns $3'): a price is no such bound
    bakery = ("The bakery must make at least 5 breads and at least 3 cakes each day. Bread "
              "earns $3 and cake earns $7.")
    assert completed_bound("cake", "3", ["bread", "cake"], bakery) == "cake >= 3"
    assert completed_bound("oxen", "<= 60", v, CARTS) is None  # no variable named so
    assert completed_bound("small", "2*big", v, CARTS) is None  # not a bound
    # a bare 0 is the variable's sign, whatever the text says
    assert completed_bound("small", "0", v, "") == "small >= 0"
    assert completed_bound("big_max", "0", v, "") == "big <= 0"  # the name still decides


def test_a_bare_ratio_under_a_variables_name_takes_the_texts_ratio():
    from optiform.agent.bare_bounds import bare_bound_fixes
    from optiform.agent.schema import to_formulation

    text = ("The money in bonds must be at least four times as much as the money in stocks, "
            "and at most $500 goes to stocks.")
    f = to_formulation({"variables": {"bonds": "continuous", "stocks": "continuous"},
                        "objective": {"sense": "maximize", "expression": "0.07*bonds + 0.1*stocks"},
                        "constraints": {"bonds": "4*stocks", "stocks": "<= 500"}})
    # ("stocks": "<= 500" under the variable's own name is completed when the reply is read)
    assert bare_bound_fixes(f, text) == {"constraints": {"bonds": "bonds >= 4*stocks"}}
    f = to_formulation({**f.model_dump(), "constraints": [{"name": "bonds",
                                                           "expression": "3*stocks"}]})
    assert bare_bound_fixes(f, text) == {}  # the text says four times, not three


def test_bare_bounds_are_completed_without_an_llm_round():
    bare = {"variables": {"small": "integer", "big": "integer"},
            "objective": {"sense": "maximize", "expression": "30*small + 70*big"},
            "constraints": {"oxen": "2*small + 4*big <= 60", "small": "5",
                            "big_min": "at least 4", "total": "small + big_count <= 40"}}
    llm = FakeLLM([bare])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(CARTS)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    exprs = {c.name: c.expression for c in answer.formulation.constraints}
    assert exprs["small"] == "small >= 5" and exprs["big_min"] == "big >= 4"
    assert exprs["total"] == "small + big <= 40"
    assert answer.status == "optimal" and answer.objective == 1020.0  # 6 small, 12 big


def test_a_bare_number_under_a_name_is_a_named_number_written_where_it_is_used():
    from optiform.agent.name_fixes import static_fixes
    from optiform.agent.schema import to_formulation

    stock = {"variables": {"gift": "integer", "combo": "integer"},
             "objective": {"sense": "maximize", "expression": "6*gift + 7*combo"},
             "constraints": {"apples_available": "10", "grapes_available": "80",
                             "apples": "6*gift + 5*combo <= apples_available",
                             "grapes": "30*gift + 20*combo <= grapes_available"}}
    fixes = static_fixes(to_formulation(stock))
    assert fixes["constraints"] == {"apples": "6*gift + 5*combo <= (10)",
                                    "grapes": "30*gift + 20*combo <= (80)"}
    assert set(fixes["drop"]) == {"apples_available", "grapes_available"}
    # one that nothing uses is an unfinished constraint: kept (its error asks for the
    # comparison), since dropping it would lose what it bounds ("demand1": "200")
    unused = static_fixes(to_formulation({**stock, "constraints": {
        **stock["constraints"], "acres": "300"}}))
    assert "acres" not in unused["drop"] and set(unused["drop"]) == {"apples_available",
                                                                      "grapes_available"}
    # a bare number under a name that stands for a variable is a bound, not a named number
    assert static_fixes(to_formulation({**stock, "constraints": {"gift_max": "4"}})) == {
        "constraints": {"gift_max": "gift <= 4"}}
    llm = FakeLLM([stock])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(
        "A shop has 10 apples and 80 grapes. A gift box takes 6 apples and 30 grapes and earns "
        "6 euros; a combo takes 5 apples and 20 grapes and earns 7 euros. Maximize profit.")
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert {c.name for c in answer.formulation.constraints} == {"apples", "grapes"}
    assert answer.status == "optimal" and answer.objective == 14.0  # two combos


def test_a_note_written_as_a_constraint_is_dropped_and_never_rewritten():
    from optiform.agent.name_fixes import is_prose, static_fixes
    from optiform.agent.schema import to_formulation

    f = to_formulation({"variables": {"crepe": "integer", "sponge": "integer"},
                        "objective": {"sense": "maximize", "expression": "12*crepe + 10*sponge"},
                        "constraints": {"batter": "400*crepe + 500*sponge <= 20000",
                                        "notes": "The bakery has 20000 grams of batter for "
                                                 "its cakes, and so on."}})
    assert static_fixes(f) == {"drop": {"notes": "a sentence, not a constraint"}}
    assert is_prose("The bakery has 20000 grams of batter") and not is_prose("x + y <= 5")
    assert not is_prose("at least 5")  # too short to be a note: a bare bound, maybe


PROCESSES = ("A plant runs two processes. Process A uses 10 units of wood and 20 units of oxygen "
             "and makes 15 units of gas; process B uses 15 units of wood and 12 units of oxygen "
             "and makes 18 units of gas. 300 units of wood and 300 units of oxygen are "
             "available. How many of each process should be run to maximize the gas made?")
# the model declares the processes binary, restates that as '0 <= a <= 1', and declares two
# variables (wood, oxygen) that no expression uses
PROCESSES_BINARY = {
    "variables": {"wood": "integer", "oxygen": "integer", "a": "binary", "b": "binary"},
    "objective": {"sense": "maximize", "expression": "15*a + 18*b"},
    "constraints": {"wood_used": "10*a + 15*b <= 300", "oxygen_used": "20*a + 12*b <= 300",
                    "a_yes_no": "0 <= a <= 1", "b_cap": "b <= 1"}}


def test_binary_counts_among_unused_variables_become_integers_with_their_restated_bounds():
    llm = FakeLLM([PROCESSES_BINARY])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(PROCESSES)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == 369.0  # 9 of A, 14 of B
    domains = {v.name: v.domain for v in answer.formulation.variables}
    assert domains["a"] == domains["b"] == "integer"
    assert sorted(c.name for c in answer.formulation.constraints) == ["oxygen_used",
                                                                       "wood_used"]


def test_comparisons_joined_by_and_become_one_constraint_each():
    from optiform.agent.name_fixes import conjunctions, static_fixes
    from optiform.agent.schema import to_formulation

    cars = {"variables": {"regular": "integer", "premium": "integer"},
            "objective": {"sense": "maximize", "expression": "5000*regular + 8500*premium"},
            "constraints": {"demand": "regular <= 8 and premium <= 6 and regular + premium <= 12",
                            "demand_2": "premium >= 1"}}
    f = to_formulation(cars)
    assert conjunctions(f) == {"demand": "regular <= 8", "demand_3": "premium <= 6",
                               "demand_4": "regular + premium <= 12"}
    assert static_fixes(f)["constraints"] == conjunctions(f)
    llm = FakeLLM([cars])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(
        "A maker sells regular cars ($5000 profit) and premium cars ($8500). It can sell at "
        "most 8 regular and 6 premium cars a day and make at most 12 cars a day, with at least "
        "one premium car. How many of each maximize profit?")
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == 81000.0  # 6 regular, 6 premium


def test_a_share_written_as_no_comparison_is_completed_as_the_share_of_the_total():
    from optiform.agent.name_fixes import static_fixes
    from optiform.agent.schema import to_formulation

    text = ("Ducks go to shore by boat or by canoe. A boat takes 10 ducks a trip and a canoe 8. "
            "There can be at most 12 boat trips and at least 60% of the trips should be by "
            "canoe. If at least 300 ducks must go, how many trips of each minimize the time?")
    f = to_formulation({"variables": {"boat": "integer", "canoe": "integer"},
                        "objective": {"sense": "minimize", "expression": "20*boat + 40*canoe"},
                        "constraints": {"ducks": "10*boat + 8*canoe >= 300",
                                        "boat_max": "boat <= 12", "canoe_share": "0.6*300"}})
    assert static_fixes(f, text) == {
        "constraints": {"canoe_share": "canoe >= 0.6*(boat + canoe)"}}
    assert static_fixes(f, "") == {}  # without the text's cue nothing says whose share


def test_bound_phrases_with_an_expression_and_a_named_total_complete_without_an_llm_round():
    from optiform.agent.bare_bounds import completed_bound, total_bound

    kegs = ["small_kegs", "large_kegs"]
    assert completed_bound("small_kegs", "at least 2*large_kegs", kegs, "") == \
        "small_kegs >= 2*large_kegs"
    assert completed_bound("small_kegs", "at least 2*barrels", kegs, "") is None
    assert total_bound("total_kegs", "at most 25", kegs, "") == "small_kegs + large_kegs <= 25"
    assert total_bound("total_kegs", "25", kegs, "He can carry 25 kegs or less.") == \
        "small_kegs + large_kegs <= 25"
    assert total_bound("total_cost", "25", kegs, "") is None  # no variable is a cost
    # repeated keys holding bound phrases are all kept, and the total is no named number
    reply = ('{"variables": {"small_kegs": "integer", "large_kegs": "integer"}, "objective": '
             '{"sense": "maximize", "expression": "40*small_kegs + 100*large_kegs"}, '
             '"constraints": {"small_kegs": "at most 30", "large_kegs": "at most 10", '
             '"total_kegs": "25", "large_kegs": "at least 5", '
             '"small_kegs": "at least 2*large_kegs"}}')
    llm = FakeLLM([reply])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(
        "A seller carries water in small kegs (40 liters) and large kegs (100 liters). He has "
        "at most 30 small kegs and 10 large kegs, and must use at least twice as many small "
        "kegs as large ones. He can carry at most 25 kegs total and at least 5 must be large. "
        "How many of each maximize the water carried?")
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert sorted(c.expression for c in answer.formulation.constraints) == [
        "large_kegs <= 10", "large_kegs >= 5", "small_kegs + large_kegs <= 25",
        "small_kegs <= 30", "small_kegs >= 2*large_kegs"]
    assert answer.objective == 1480.0  # 17 small, 8 large


def test_comparisons_listed_with_commas_become_one_constraint_each():
    from optiform.agent.name_fixes import conjunctions
    from optiform.agent.schema import to_formulation

    f = to_formulation({"variables": {"a": "continuous", "b": "continuous"},
                        "objective": {"sense": "minimize", "expression": "a + b"},
                        "constraints": {"need": "a + b >= 30, a >= 10", "cap": "max(a, b) <= 40"}})
    # the comma inside max(a, b) separates arguments, not comparisons
    assert conjunctions(f) == {"need": "a + b >= 30", "need_2": "a >= 10"}


def test_an_expression_under_a_bound_name_takes_the_names_direction():
    from optiform.agent.bare_bounds import completed_bound

    fleet = ["vans", "trucks"]
    assert completed_bound("trucks_max", "vans", fleet, "") == "trucks <= vans"
    assert completed_bound("trucks_min", "2*vans", fleet, "") == "trucks >= 2*vans"
    assert completed_bound("trucks", "vans", fleet, "") is None  # no word says which way
    assert completed_bound("trucks_max", "trucks + vans", fleet, "") is None  # not a bound
    assert completed_bound("trucks_max", "bikes", fleet, "") is None  # unknown name


def test_a_definition_is_written_where_it_is_used_and_a_total_names_its_sum():
    from optiform.agent.name_fixes import static_fixes
    from optiform.agent.schema import to_formulation

    base = {"variables": {"red_boxes": "integer", "blue_boxes": "integer"},
            "objective": {"sense": "minimize", "expression": "red_boxes + blue_boxes"},
            "constraints": {"share": "red_boxes <= 0.6*total_boxes",
                            "items": "4*red_boxes + blue_boxes >= 80"}}
    # 'total_boxes' unknown: the total of the boxes
    assert static_fixes(to_formulation(base)) == {
        "constraints": {"share": "red_boxes <= 0.6*(red_boxes + blue_boxes)"}}
    # defined as a 'constraint' with no comparison: written in, the definition dropped
    defined = {**base, "constraints": {**base["constraints"],
                                       "total_boxes": "red_boxes + blue_boxes"}}
    fixes = static_fixes(to_formulation(defined))
    assert fixes["constraints"] == {"share": "red_boxes <= 0.6*(red_boxes + blue_boxes)"}
    assert set(fixes["drop"]) == {"total_boxes"}
    # the model wrote the sum in itself: the leftover definition states nothing
    done = {**defined, "constraints": {"share": "red_boxes <= 0.6*(red_boxes + blue_boxes)",
                                       "total_boxes": "red_boxes + blue_boxes"}}
    assert static_fixes(to_formulation(done)) == {
        "drop": {"total_boxes": "a definition, written into the expressions that use it"}}
    # an expression nothing uses is an unfinished constraint: left to the model
    unfinished = {**base, "constraints": {"items": "4*red_boxes + blue_boxes >= 80",
                                          "weight": "3*red_boxes + 2*blue_boxes"}}
    assert static_fixes(to_formulation(unfinished)) == {}
    answer = Assistant(load_settings(library=False), llm=FakeLLM([defined]),
                       solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(
        "A shop packs red boxes holding 4 items and blue boxes holding 1 item. At least 80 "
        "items must be packed, and at most 60% of the boxes may be red. Minimize the boxes.")
    assert answer.source == "autofix" and answer.status == "optimal"
    assert answer.objective == 29.0  # 17 red (68 items) + 12 blue: 17 <= 0.6*29


def test_a_number_with_its_currency_glued_on_is_the_number():
    from optiform.agent.bare_bounds import glued_number
    from optiform.agent.name_fixes import static_fixes
    from optiform.agent.schema import to_formulation

    text = "Each lathe earns DM12,500 and each drill DM 4000; x1 lathes are planned."
    assert glued_number("DM12500", text) == "12500"
    assert glued_number("DM4000", text) == "4000"
    assert glued_number("DM1250", text) is None  # not the number the text writes
    assert glued_number("x1", text) is None  # a name, not a currency
    f = to_formulation({"variables": {"lathes": "integer", "drills": "integer"},
                        "objective": {"sense": "maximize",
                                      "expression": "DM12500*lathes + DM4000*drills"},
                        "constraints": {"hours": "5*lathes + 2*drills <= 40"}})
    assert static_fixes(f, text) == {
        "objective": {"expression": "12500*lathes + 4000*drills"}}
    assert static_fixes(f, "") == {}


def test_an_expression_in_other_variables_under_a_variables_name_defines_it():
    from optiform.agent.bare_bounds import definition
    from optiform.agent.name_fixes import static_fixes
    from optiform.agent.schema import to_formulation

    lab = ["first", "second", "gas"]
    assert definition("gas", "5*first + 6*second", lab) == "gas == 5*first + 6*second"
    assert definition("gas", "2*first", lab) is None  # one term: a ratio bound, direction unknown
    assert definition("gas", "gas + first", lab) is None  # not a definition of itself
    assert definition("gas", "first + smoke", lab) is None  # unknown name
    assert definition("fuel", "first + second", lab) is None  # no variable of that name
    assert definition("gas", "first >= 1 and second <= 2", lab) is None  # not arithmetic
    f = to_formulation({"variables": {"first": "integer", "second": "integer",
                                      "gas": "continuous"},
                        "objective": {"sense": "maximize", "expression": "gas"},
                        "constraints": {"red": "3*first + 5*second <= 80",
                                        "gas": "5*first + 6*second"}})
    assert static_fixes(f, "") == {"constraints": {"gas": "gas == 5*first + 6*second"}}


def test_fixes_that_rewrite_one_expression_are_applied_one_after_another():
    from optiform.agent.autofix import compatible_fixes

    def fix(code, **parts):
        return Check(code=code, severity="warning", message="m", fix=parts)

    pi = fix("rounded_pi", objective={"expression": "3.141592653589793*x"})
    setup = fix("forced_zero", objective={"expression": "3.14*x - 5*s"},
                constraints={"a": "x <= 4*s"}, variables={"s": "binary"})
    sense = fix("objective_sense", objective={"sense": "maximize"})
    other = fix("bound_direction", constraints={"b": "x >= 1"})
    assert compatible_fixes([pi, setup, sense, other]) == [pi, sense, other]
    assert compatible_fixes([other, fix("c", drop={"b": "a note"})]) == [other]
    head = fix("per_item_limit", constraints={"b": "x[i] >= 1"}, for_each={"b": "i in S"})
    assert compatible_fixes([other, head]) == [other]  # both write constraint b
    assert compatible_fixes([head, fix("c", for_each={"b": "j in S"})]) == [head]
    # through the agent: π in full and the setup's yes/no variable, both in the objective
    text = ("A workshop makes round tables and stools. A round table has a top of radius 2 "
            "meters and earns $10 per square meter of top; it needs 3 hours of carpentry. A "
            "stool earns $25 and needs 2 hours of carpentry. Each week there are 120 hours of "
            "carpentry. If any tables are made, a setup costing $200 is needed. How many "
            "tables and stools maximize weekly profit?")
    reply = {"variables": {"tables": "integer", "stools": "integer"},
             "objective": {"sense": "maximize", "expression": "10*3.14*2**2*tables + 25*stools"},
             "constraints": {"carpentry": "3*tables + 2*stools <= 120",
                             "setup": "200*tables <= 0"}}
    llm = FakeLLM([reply])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(text)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal"
    assert abs(answer.objective - (1600 * 3.141592653589793 - 200)) < 1e-6  # 40 tables
    rounds = [s for s in answer.trace.steps if s.kind == "autofix"]
    assert [{f["code"] for f in s.detail["fixes"]} for s in rounds] in (
        [{"rounded_pi"}, {"forced_zero"}], [{"forced_zero"}, {"rounded_pi"}])
