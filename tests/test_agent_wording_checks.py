"""The checks that read the words around the numbers (agent/wording_checks.py) and their cues."""

from __future__ import annotations

import pytest

from optiform.agent import bound_cues
from optiform.agent.checks import solution_checks
from optiform.agent.schema import to_formulation
from optiform.agent.wording_checks import (
    bound_directions,
    percents_as_whole_numbers,
    ratio_directions,
    split_totals,
    time_objective,
)

WORKERS = ("Full time workers work 8 hours per shift while part time workers work 4 hours per "
           "shift. Full time workers are paid $300 per shift while part time workers are paid $100 "
           "per shift. The firm has a project requiring 500 hours of labor. If the firm has a "
           "budget of $15000, how many of each type of worker should be scheduled to minimize the "
           "total number of workers?")


def workers(labor: str, budget: str):
    return to_formulation({
        "variables": {"full": "integer", "part": "integer"},
        "objective": {"sense": "minimize", "expression": "full + part"},
        "constraints": {"labor": labor, "budget": budget}})


def test_a_requirement_written_as_a_limit_is_flagged_with_the_sentence():
    f = workers("8*full + 4*part <= 500", "300*full + 100*part <= 15000")
    (check,) = bound_directions(WORKERS, f)
    assert check.code == "bound_direction" and check.names == ["labor"]
    assert "requiring" in check.message and ">= 500" in check.message
    assert "project requiring 500 hours" in check.message


def test_a_limit_written_as_a_requirement_is_flagged_also_with_the_number_on_the_left():
    f = workers("8*full + 4*part >= 500", "15000 <= 300*full + 100*part")
    (check,) = bound_directions(WORKERS, f)
    assert check.names == ["budget"] and "<= 15000" in check.message


def test_a_limit_held_in_a_scalar_parameter_reads_as_its_number():
    """'150*oats <= calories_min' with calories_min = 2000 where the text says 'at least
    2000 calories' (the embedded model wrote this, 2026-12-06)."""
    text = "Each day needs at least 2000 calories and at most 25 g of fiber."
    f = to_formulation({
        "parameters": {"calories_min": 2000, "fiber_max": 25},
        "variables": {"oats": "continuous"},
        "objective": {"sense": "minimize", "expression": "oats"},
        "constraints": {"calories": "150*oats <= calories_min",
                        "fiber": "4*oats <= fiber_max"}})
    (check,) = bound_directions(text, f)
    assert check.names == ["calories"] and ">= 2000" in check.message
    assert check.fix == {"constraints": {"calories": "150*oats >= calories_min"}}


def test_right_directions_and_other_shapes_pass():
    assert bound_directions(WORKERS, workers("8*full + 4*part >= 500",
                                             "300*full + 100*part <= 15000")) == []
    # a ratio is not a bound on a stated number; an equality on the budget is pinned
    (pinned,) = bound_directions(WORKERS, workers("full >= 0.5*part", "300*full == 15000"))
    assert pinned.code == "pinned_bound" and pinned.fix == {
        "constraints": {"budget": "300*full <= 15000"}}


@pytest.mark.parametrize(("text", "value", "direction"), [
    ("The wired team can make at most 100 headphones.", 100, "<="),
    ("They need to serve at least 1200 customers.", 1200, ">="),
    ("40 hours of labor are available each week.", 40, "<="),
    ("The store sells 30 or more units a day.", 30, ">="),
    ("If 2000 units of ore need to be moved, minimize the wagons.", 2000, ">="),
    ("At least 300 boards are needed.", 300, ">="),
    ("It has available 200 tellers and needs at least 1200 customers served.", 200, "<="),
])
def test_the_nearest_cue_decides(text, value, direction):
    start = text.index(str(value))
    cue = bound_cues.cue_before(text, start)
    assert cue is not None and cue.direction == direction


def test_per_unit_needs_are_coefficients_not_bounds():
    text = "Each scooter needs 2 hours with the design team."
    assert bound_cues.cue_before(text, text.index("2")) is None
    # and a cue before an earlier number does not reach past it
    text = "A branch requires 10 tellers and costs 5000 dollars."
    assert bound_cues.cue_before(text, text.index("5000")) is None


def test_a_number_stated_with_both_directions_is_not_flagged():
    text = "Make at least 50 chairs. At most 50 tables can be sold."
    f = to_formulation({"variables": {"chairs": "integer", "tables": "integer"},
                        "objective": {"sense": "maximize", "expression": "chairs + tables"},
                        "constraints": {"c": "chairs <= 50", "t": "tables <= 50"}})
    assert bound_directions(text, f) == []


PIPES = ("At most 35 percent of the pipes can be high-volume ones. There must be a minimum of 8 "
         "low-volume pipes. Minimize the total number of pipes.")


def pipes(share: str):
    return to_formulation({"variables": {"high": "integer", "low": "integer"},
                           "objective": {"sense": "minimize", "expression": "high + low"},
                           "constraints": {"share": share, "low_min": "low >= 8"}})


def test_a_percentage_written_as_a_whole_number_is_flagged():
    check = percents_as_whole_numbers(PIPES, pipes("35*high <= 1"))
    assert check is not None and check.code == "percent_as_whole"
    assert "0.35*(x + y)" in check.message
    assert percents_as_whole_numbers(PIPES, pipes("high <= 0.35*(high + low)")) is None
    assert percents_as_whole_numbers(PIPES, pipes("0.65*high <= 0.35*low")) is None


def test_the_new_checks_are_part_of_the_solution_checks():
    codes = {c.code for c in solution_checks(PIPES, pipes("35*high <= 1"), None)}
    assert "percent_as_whole" in codes
    codes = {c.code for c in solution_checks(
        WORKERS, workers("8*full + 4*part <= 500", "300*full + 100*part <= 15000"), None)}
    assert "bound_direction" in codes


RAIL = ("Each train can transport 120 people per hour and each tram can transport 30 people per "
        "hour. Since trains take longer to build, the number of trams must be at least twice the "
        "number of trains. Minimize the total number of transportation units.")


def rail(expression: str):
    return to_formulation({"variables": {"trains": "integer", "trams": "integer"},
                           "objective": {"sense": "minimize", "expression": "trains + trams"},
                           "constraints": {"people": "120*trains + 30*trams >= 600",
                                           "ratio": expression}})


@pytest.mark.parametrize("wrong", ["trains >= 2*trams", "trams <= 2*trains", "2*trams <= trains"])
def test_a_factor_on_the_wrong_side_is_flagged(wrong):
    (check,) = ratio_directions(RAIL, rail(wrong))
    assert check.code == "ratio_direction" and check.names == ["ratio"]
    assert "trams >= 2*trains" in check.message


@pytest.mark.parametrize("right", ["trams >= 2*trains", "2*trains <= trams", "trains*2 <= trams"])
def test_the_factor_on_the_right_side_passes(right):
    assert ratio_directions(RAIL, rail(right)) == []


def test_variables_are_told_apart_by_their_other_name_parts():
    text = "The number of small trucks must be at most three times the number of large trucks."
    f = to_formulation({"variables": {"small_trucks": "integer", "large_trucks": "integer"},
                        "objective": {"sense": "minimize", "expression": "small_trucks"},
                        "constraints": {"mix": "large_trucks <= 3*small_trucks"}})
    (check,) = ratio_directions(text, f)
    assert "small_trucks <= 3*large_trucks" in check.message


def test_half_written_as_a_division_the_wrong_way_round_is_flagged():
    text = ("Due to government restrictions, the number of trucks used has to at most half the "
            "number of containers used.")
    f = to_formulation({"variables": {"containers": "integer", "trucks": "integer"},
                        "objective": {"sense": "minimize", "expression": "containers + trucks"},
                        "constraints": {"limit": "containers <= trucks/2"}})
    (check,) = ratio_directions(text, f)
    assert "trucks <= 0.5*containers" in check.message
    right = to_formulation({**f.model_dump(), "constraints": [
        {"name": "limit", "expression": "trucks <= containers/2"}]})
    assert ratio_directions(text, right) == []


def test_fewest_things_with_a_cost_weighted_objective_is_flagged():
    from optiform.agent.wording_checks import count_objective

    cost = to_formulation({"variables": {"full": "integer", "part": "integer"},
                           "objective": {"sense": "minimize", "expression": "300*full + 100*part"},
                           "constraints": {"labor": "8*full + 4*part >= 500"}})
    check = count_objective(WORKERS, cost)
    assert check is not None and "full + part" in check.message and "workers" in check.message
    assert count_objective(WORKERS, workers("8*full + 4*part >= 500", "300*full <= 15000")) is None
    people = "Minimize the total number of people exposed to the risk."
    assert count_objective(people, cost) is None


def test_a_count_goal_also_fixes_a_maximizing_objective_but_a_minimum_count_does_not():
    from optiform.agent.wording_checks import count_objective

    seats = to_formulation({"variables": {"sedans": "integer", "buses": "integer"},
                            "objective": {"sense": "maximize",
                                          "expression": "50*sedans + 250*buses"},
                            "constraints": {"riders": "50*sedans + 250*buses >= 4600"}})
    goal = ("A sedan seats 50 and a bus 250; at least 4600 riders a day. How many of each "
            "should be bought to decrease the total number of vehicles needed?")
    assert count_objective(goal, seats).fix == {
        "objective": {"expression": "sedans + buses", "sense": "minimize"}}
    profit = ("Each sedan earns $50 and each bus $250; a minimum number of 3 sedans must be "
              "bought. How many of each maximize the profit?")
    assert count_objective(profit, seats) is None


def test_the_count_objective_is_fixed_only_when_every_decision_is_a_count():
    from optiform.agent.wording_checks import count_objective

    counts = to_formulation({"variables": {"full": "integer", "part": "integer"},
                             "objective": {"sense": "minimize",
                                           "expression": "300*full + 100*part"},
                             "constraints": {"labor": "8*full + 4*part >= 500"}})
    assert count_objective(WORKERS, counts).fix == {
        "objective": {"expression": "full + part", "sense": "minimize"}}
    mixed = to_formulation({**counts.model_dump(), "variables": [
        {"name": "full", "domain": "integer"}, {"name": "part", "domain": "continuous"}]})
    assert count_objective(WORKERS, mixed).fix is None


def pipe_model(**constraints):
    return to_formulation({"variables": {"high_volume": "integer", "low_volume": "integer"},
                           "objective": {"sense": "minimize",
                                         "expression": "high_volume + low_volume"},
                           "constraints": {**constraints, "low": "low_volume >= 8"}})


SHARE_TEXT = ("At most 35 percent of the pipes can be high-volume ones. There must be a minimum "
              "of 8 low-volume pipes.")
RIGHT_SHARE = "high_volume <= 0.35*(high_volume + low_volume)"


@pytest.mark.parametrize("wrong", ["35*high_volume <= 1", "high_volume <= 0.35*low_volume",
                                   "high_volume >= 0.35*(high_volume + low_volume)"])
def test_a_share_written_wrong_is_fixed_to_a_share_of_the_total(wrong):
    from optiform.agent.wording_checks import share_of_total

    (check,) = share_of_total(SHARE_TEXT, pipe_model(share=wrong))
    assert check.fix == {"constraints": {"share": RIGHT_SHARE}}


@pytest.mark.parametrize("right", [RIGHT_SHARE, "0.65*high_volume <= 0.35*low_volume",
                                   "100*high_volume <= 35*(low_volume + high_volume)"])
def test_an_equivalent_share_passes(right):
    from optiform.agent.wording_checks import share_of_total

    assert share_of_total(SHARE_TEXT, pipe_model(share=right)) == []


def test_a_missing_share_is_added_and_words_may_sit_between_cue_and_number():
    from optiform.agent.wording_checks import share_of_total

    (check,) = share_of_total(SHARE_TEXT, pipe_model())
    assert check.fix == {"constraints": {"high_volume_share": RIGHT_SHARE}}
    text = "He can at most perform 40% of his concerts as pop concerts."
    f = to_formulation({"variables": {"pop": "integer", "jazz": "integer"},
                        "objective": {"sense": "minimize", "expression": "pop + jazz"},
                        "constraints": {"share": "pop <= 0.4*jazz"}})
    (check,) = share_of_total(text, f)
    assert check.fix == {"constraints": {"share": "pop <= 0.4*(pop + jazz)"}}


def test_a_share_of_money_is_left_to_the_llm():
    from optiform.agent.wording_checks import share_of_total

    text = "At least 20 percent of the money must be invested in bonds."
    f = to_formulation({"variables": {"bonds": "continuous", "stocks": "continuous"},
                        "objective": {"sense": "maximize", "expression": "0.05*bonds + 0.1*stocks"},
                        "constraints": {"share": "bonds >= 20"}})
    assert share_of_total(text, f) == []
    assert percents_as_whole_numbers(text, f).fix is None


def test_has_is_a_limit_unless_it_describes_each_unit():
    text = "The company has 160 technicians. Each pipe has 12 valves."
    assert bound_cues.cue_before(text, text.index("160")).direction == "<="
    assert bound_cues.cue_before(text, text.index("12")) is None


def test_a_share_takes_its_subject_from_before_a_reason_or_else_from_the_model():
    from optiform.agent.wording_checks import share_of_total

    variables = {"pop": "integer", "folk": "integer"}
    # the variable named in the reason ("because he likes pop") is not the share's subject
    text = ("He can at most perform 40% of his concerts as R&B because he likes pop songs more. "
            "How many of each minimize the concerts?")
    f = to_formulation({"variables": {"pop": "integer", "rnb": "integer"},
                        "objective": {"sense": "minimize", "expression": "pop + rnb"},
                        "constraints": {"share": "rnb <= 0.4*pop"}})
    (check,) = share_of_total(text, f)
    assert check.fix == {"constraints": {"share": "rnb <= 0.4*(pop + rnb)"}}
    # no subject in the text, none alone in the model's constraint: left to the LLM
    f = to_formulation({"variables": variables,
                        "objective": {"sense": "minimize", "expression": "pop + folk"},
                        "constraints": {"share": "2*pop <= 0.4*folk + 0.4*pop"}})
    assert share_of_total(text.replace("he likes pop songs", "he likes it"), f) == []


def test_an_equality_on_a_number_the_text_calls_a_minimum_becomes_that_bound():
    from optiform.agent.checks import limit_equalities
    from optiform.agent.wording_checks import bound_directions

    text = ("The mill must ship a total of at least 60,000 square feet each week and can make "
            "at most 900 doors. Exactly 500 planks are used.")
    f = to_formulation({"variables": {"h": "integer", "v": "integer"},
                        "objective": {"sense": "maximize", "expression": "h + v"},
                        "constraints": {"ship": "60000 <= h + v <= 60000", "doors": "h == 900",
                                        "planks": "h + v == 500", "other": "v == 7"}})
    fixes = {c.where: c.fix for c in bound_directions(text, f) if c.code == "pinned_bound"}
    assert fixes == {"constraint 'ship'": {"constraints": {"ship": "h + v >= 60000"}},
                     "constraint 'doors'": {"constraints": {"doors": "h <= 900"}}}
    # the fixed ones are not reported again by the equality check; "exactly 500" stays
    assert [c.where for c in limit_equalities(text, f)] == []


def test_a_count_of_something_the_coefficients_measure_is_no_count_objective():
    from optiform.agent.wording_checks import count_objective

    text = ("A large pill requires 3 units of medicine and 2 units of filler. A small pill "
            "requires 2 units of medicine and 1 unit of filler. How many of each minimize the "
            "total number of filler material needed?")
    f = to_formulation({"variables": {"large": "integer", "small": "integer"},
                        "objective": {"sense": "minimize", "expression": "2*large + small"},
                        "constraints": {"medicine": "3*large + 2*small <= 1000"}})
    assert count_objective(text, f) is None


def test_a_need_after_the_number_of_another_thing_is_no_cue():
    text = "The farm keeps 60 horses that need to be fed."
    assert bound_cues.cue_before(text, text.index("60")) is None


# -- an equality ratio, a total split per variable, a time objective, unused numbers -------

CARTS = ("A farm moves hay in small and large carts. A small cart needs 2 horses and carries 30 "
         "kg; a large cart needs 4 horses and carries 70 kg. The farm has 60 horses. The number "
         "of small carts must be three times the number of large carts, and there must be at "
         "least 5 of each. How many carts of each size maximize the hay moved?")


def test_must_be_k_times_is_an_equality_that_completes_a_bare_ratio():
    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.config import load_settings
    from optiform.solvers.api import solve_formulation

    reply = ('{"variables": {"small": "integer", "large": "integer"}, "objective": {"sense": '
             '"maximize", "expression": "30*small + 70*large"}, "constraints": {"horses": '
             '"2*small + 4*large <= 60", "small": "3*large", "small": ">= 5", "large": ">= 5"}}')
    llm = FakeLLM([reply])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(CARTS)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    exprs = sorted(c.expression for c in answer.formulation.constraints)
    assert exprs == ["2*small + 4*large <= 60", "large >= 5", "small == 3*large", "small >= 5"]
    assert answer.objective == 960.0  # 18 small, 6 large
    wrong = to_formulation({"variables": {"small": "integer", "large": "integer"},
                            "objective": {"sense": "maximize", "expression": "small + large"},
                            "constraints": {"ratio": "small >= 3*large"}})
    [check] = ratio_directions(CARTS, wrong)
    assert check.fix == {"constraints": {"ratio": "small == 3*large"}}


CHICKENS = ("A farmer ships chickens by bus or by car. A bus takes 100 chickens per trip and a car "
            "takes 40. There can be at most 10 bus trips. If the farmer needs to move 1200 "
            "chickens, how many trips of each minimize the number of trips?")


def test_a_total_split_into_one_bound_per_variable_is_merged():
    f = to_formulation({"variables": {"bus": "integer", "car": "integer"},
                        "objective": {"sense": "minimize", "expression": "bus + car"},
                        "constraints": {"bus_load": "100*bus <= 1200", "car_load": "40*car <= 1200",
                                        "bus_max": "bus <= 10"}})
    [check] = split_totals(CHICKENS, f)
    assert check.names == ["bus_load", "car_load"]
    assert check.fix == {"constraints": {"bus_load": "100*bus + 40*car >= 1200"},
                         "drop": {"car_load": ""}}
    assert "split_total" in [c.code for c in solution_checks(CHICKENS, f, None)]


def test_a_number_each_thing_has_stays_per_variable():
    text = ("Each of two mills can grind at most 500 kg a day. Mill A grinds 20 kg an hour and "
            "mill B 25 kg an hour. How many hours should each run to grind the most?")
    f = to_formulation({"variables": {"a": "continuous", "b": "continuous"},
                        "objective": {"sense": "maximize", "expression": "20*a + 25*b"},
                        "constraints": {"a_cap": "20*a <= 500", "b_cap": "25*b <= 500"}})
    assert split_totals(text, f) == []
    unit = to_formulation({"variables": {"a": "integer", "b": "integer"},
                           "objective": {"sense": "minimize", "expression": "a + b"},
                           "constraints": {"a_max": "a <= 1200", "b_max": "b <= 1200"}})
    assert split_totals(CHICKENS, unit) == []  # no per-unit amounts: plain caps


PLANTS = ("Plant North makes 800 g of cream an hour and uses 40 units of plastic an hour; plant "
          "West makes 650 g an hour and uses 35 units. 60000 units of plastic are available and "
          "at least 800000 g of cream must be made. How many hours should each plant run to "
          "minimize the total time needed?")


def test_hours_asked_for_and_total_time_minimized_is_the_plain_sum():
    f = to_formulation({"variables": {"north": "continuous", "west": "continuous"},
                        "objective": {"sense": "minimize", "expression": "40*north + 35*west"},
                        "constraints": {"plastic": "40*north + 35*west <= 60000",
                                        "cream": "800*north + 650*west >= 800000"}})
    check = time_objective(PLANTS, f)
    assert check is not None and check.fix == {
        "objective": {"expression": "north + west", "sense": "minimize"}}
    trips = PLANTS.replace("How many hours should each plant run", "How many runs of each")
    assert time_objective(trips, f) is None  # decisions that are not time: weights are right


def test_a_number_counts_as_used_in_percent_forms_only_when_it_is_a_percentage():
    from optiform.agent.checks import unused_numbers

    text = "Make at least 100 large pills; at least 60% of the pills are small. Minimize filler."
    f = to_formulation({"variables": {"large": "integer", "small": "integer"},
                        "objective": {"sense": "minimize", "expression": "2*large + 1*small"},
                        "constraints": {"share": "small >= 0.6*(large + small)"}})
    check = unused_numbers(text, f)
    assert check is not None and check.names == ["100"]


JARS = ("A farmer fills small and large jars. A small jar holds 5 units of honey and a large jar "
        "20 units. He has at most 300 small jars and at most 100 large jars, and 2000 units of "
        "honey. At least twice as many small jars must be used than large jars. How many of "
        "each maximize the honey moved?")


def test_a_count_bound_multiplied_by_a_per_unit_amount_is_put_on_the_count():
    from optiform.agent.wording_checks import scaled_counts

    f = to_formulation({"variables": {"small_jars": "integer", "large_jars": "integer"},
                        "objective": {"sense": "maximize",
                                      "expression": "5*small_jars + 20*large_jars"},
                        "constraints": {"small": "5*small_jars <= 300",
                                        "large": "20*large_jars <= 100",
                                        "honey": "5*small_jars + 20*large_jars <= 2000"}})
    found = scaled_counts(JARS, f)
    assert [c.fix for c in found] == [{"constraints": {"small": "small_jars <= 300"}},
                                      {"constraints": {"large": "large_jars <= 100"}}]
    trucks = to_formulation({"variables": {"trucks": "integer"},
                             "objective": {"sense": "minimize", "expression": "trucks"},
                             "constraints": {"boxes": "20*trucks >= 90"}})
    vans = to_formulation({"variables": {"small_vans": "integer", "large_vans": "integer"},
                           "objective": {"sense": "minimize",
                                         "expression": "80*small_vans + 120*large_vans"},
                           "constraints": {"trips": "small_vans + large_vans <= 6"}})
    text = "A small van carries 20 crates, a large van 45. There are drivers for at most 6 " \
        "large-van trips. Move 300 crates at the least cost."
    assert [c.fix for c in scaled_counts(text, vans)] == [
        {"constraints": {"trips": "large_vans <= 6"}}]
    assert scaled_counts(text.replace("large-van trips", "van trips"), vans) == []
    # the count's words come after another number: 90 is boxes, not trucks
    assert scaled_counts("Carry 90 boxes, 20 per truck: how many trucks?", trucks) == []


def test_at_least_twice_as_many_a_than_b_names_both_after_the_cue():
    wrong = to_formulation({"variables": {"small_jars": "integer", "large_jars": "integer"},
                            "objective": {"sense": "maximize", "expression": "small_jars"},
                            "constraints": {"mix": "2*small_jars <= large_jars"}})
    [check] = ratio_directions(JARS, wrong)
    assert check.fix == {"constraints": {"mix": "small_jars >= 2*large_jars"}}


def test_a_number_continuing_a_list_takes_the_cue_of_the_list():
    text = ("The lab has available 80 units of red dye and 70 units of blue dye. Each batch "
            "requires 3 units of red dye and 4 units of blue dye.")
    cues = bound_cues.value_cues(text)
    assert [c.direction for c in cues[70.0]] == ["<="]
    assert 4.0 not in cues  # a per-unit amount stays a coefficient
    # what one unit needs is listed, not bounded: no cue carries over to its second item
    cake = "A small cake needs 400 grams of flour and 200 grams of milk."
    assert 200.0 not in bound_cues.value_cues(cake)


def test_a_bare_bound_reads_the_statement_of_its_number_that_names_its_variable():
    from optiform.agent.bare_bounds import completed_bound

    text = ("A large piece needs 5 units of glue. A small piece needs 2 units of glue. The "
            "store must make at least 5 units of each large and small piece.")
    assert completed_bound("large", "5", ["large", "small"], text) == "large >= 5"
    assert completed_bound("large", "5", ["large", "small"],
                           "A large piece needs 5 units of glue; 5 are on hand.") is None


BONES = ("A small bone requires 10 units of medication and 12 units of meat. A large bone "
         "requires 15 units of medication and 15 units of meat. The hospital has 2000 units of "
         "medication and must make at least 30 large bones. How many of each minimize the "
         "meat used?")


def bones(*constraints: str):
    return to_formulation({
        "variables": {"small_bones": "integer", "large_bones": "integer"},
        "objective": {"sense": "minimize", "expression": "12*small_bones + 15*large_bones"},
        "constraints": {f"c{i}": c for i, c in enumerate(constraints)}})


def test_a_count_bound_the_model_left_out_is_added():
    # NL4Opt train F004: the model wrote '30*large_bones <= 2000' and lost "at least 30"
    from optiform.agent.wording_checks import missing_counts

    f = bones("10*small_bones + 15*large_bones <= 2000")
    (check,) = missing_counts(BONES, f)
    assert check.fix == {"constraints": {"large_bones_min": "large_bones >= 30"}}
    assert "at least 30 large bones" in check.message and "no constraint" in check.message
    # written with its number as a coefficient, as the model did: that constraint is replaced
    (check,) = missing_counts(BONES, bones("10*small_bones <= 2000", "30*large_bones <= 2000"))
    assert check.fix == {"constraints": {"c1": "large_bones >= 30"}}
    # stated already (as written, scaled, or reversed: the direction check owns that one)
    for stated in ("large_bones >= 30", "2*large_bones >= 60", "large_bones <= 30"):
        assert missing_counts(BONES, bones("10*small_bones <= 2000", stated)) == []
    # a difference, a multiple, or words that name no one variable are no count bound
    for text in ("It must make at least 30 more large bones than small bones.",
                 "It must make at least 3 times as many large bones as small bones.",
                 "It must make at least 30 bones."):
        assert missing_counts(text, f) == [], text
    per_day = missing_counts("It must make at least 30 large bones per day.", f)
    assert [c.fix for c in per_day] == [{"constraints": {"large_bones_min": "large_bones >= 30"}}]


PRINTERS = ("The color team can produce at most 20 color printers per day while the black and "
            "white team can produce at most 30 black and white printers per day. The tray "
            "machine can make at most 35 printers of either type each day. How many of each "
            "maximize the profit?")


def test_a_count_bound_written_as_a_coefficient_replaces_that_constraint():
    # NL4Opt train F000: '20*color_printers <= 35' for "at most 20 color printers", and
    # '35*color + 35*mono <= 35' for "at most 35 printers of either type"
    from optiform.agent.wording_checks import missing_counts

    f = to_formulation({
        "variables": {"color_printers": "integer", "black_and_white_printers": "integer"},
        "objective": {"sense": "maximize",
                      "expression": "200*color_printers + 70*black_and_white_printers"},
        "constraints": {"color": "20*color_printers <= 35",
                        "mono": "30*black_and_white_printers <= 35",
                        "tray": "35*color_printers + 35*black_and_white_printers <= 35"}})
    found = missing_counts(PRINTERS, f)
    assert [c.fix for c in found] == [
        {"constraints": {"color": "color_printers <= 20"}},
        {"constraints": {"mono": "black_and_white_printers <= 30"}},
        {"constraints": {"tray": "color_printers + black_and_white_printers <= 35"}}]
    assert "misreads" in found[0].message
    # a sum whose constant is another number may be a real resource: left alone
    other = f.model_copy(update={"constraints": [
        c.model_copy(update={"expression": "35*color_printers + 35*black_and_white_printers "
                                           "<= 700"}) if c.name == "tray" else c
        for c in f.constraints]})
    assert "tray" not in {c.names[0] for c in missing_counts(PRINTERS, other)}


def test_an_amount_of_a_thing_is_no_count_of_it():
    # NL4Opt train F158: variables named after the nutrients; "40 units of sleep-inducing
    # medicine" bounds a nutrient total, not a count of a variable's thing
    from optiform.agent.wording_checks import missing_counts

    f = to_formulation({
        "variables": {"sleep_inducing_medicine": "integer", "anti_medicine": "integer"},
        "objective": {"sense": "minimize",
                      "expression": "4*sleep_inducing_medicine + 5*anti_medicine"},
        "constraints": {"s": "3*sleep_inducing_medicine + 6*anti_medicine >= 40"}})
    text = "The patient must get at least 40 units of sleep-inducing medicine."
    assert missing_counts(text, f) == []


def test_the_most_people_served_with_a_time_weighted_objective_is_their_count():
    # NL4Opt train F032: "maximize the number of patients that can be vaccinated", with the
    # minutes each vaccine takes as weights
    from optiform.agent.wording_checks import count_objective

    text = ("The pill vaccine takes 10 minutes to administer while the shot takes 20 minutes. "
            "If the clinic only operates for 10000 minutes, maximize the number of patients "
            "that can be vaccinated.")
    f = to_formulation({"variables": {"pill": "integer", "shot": "integer"},
                        "objective": {"sense": "maximize", "expression": "10*pill + 20*shot"},
                        "constraints": {"time": "10*pill + 20*shot <= 10000"}})
    check = count_objective(text, f)
    assert check.fix == {"objective": {"expression": "pill + shot", "sense": "maximize"}}
    assert "the most patients" in check.message
    # weights that are amounts of the noun are right; a unit of measure is no count
    carried = ("A bus carries 30 patients and a van 10 patients. Maximize the number of "
               "patients moved.")
    assert count_objective(carried, f.model_copy(update={"objective": f.objective.model_copy(
        update={"expression": "30*pill + 10*shot"})})) is None
    hours = text.replace("number of patients that can be vaccinated", "number of hours used")
    assert count_objective(hours, f) is None


def test_the_words_naming_a_count_stop_at_a_clause():
    # '90 boxes if each truck carries 20': 90 counts boxes, not trucks
    from optiform.agent import textcues
    from optiform.agent.bound_targets import named_after

    low = "rent trucks to move 90 boxes if each truck carries 20 boxes."
    (n,) = [n for n in textcues.numbers_in_text(low) if n.value == 90]
    assert named_after(low, n, ["trucks"]) is None
    low = "make at most 30 black and white printers per day"
    (n,) = textcues.numbers_in_text(low)
    assert named_after(low, n, ["color_printers", "black_and_white_printers"]) == \
        "black_and_white_printers"
    # after a unit, 'and' starts the next subject: 300 is Austin's, not Boston's
    low = "austin can ship up to 300 units and boston up to 250 units."
    (n, _) = textcues.numbers_in_text(low)
    assert named_after(low, n, ["austin", "boston"]) is None


def test_the_words_after_a_price_start_right_after_its_digits():
    # '$5.' ends a sentence: the words after it are none, not the next sentence's 'trucks'
    from optiform.agent import textcues
    from optiform.agent.bound_targets import named_after

    low = "each box costs $5. trucks carry 20 boxes."
    n = textcues.numbers_in_text(low)[0]
    assert (n.text, low[n.stop:n.stop + 2]) == ("$5", ". ")
    assert named_after(low, n, ["trucks"]) is None
    (p,) = [p for p in textcues.numbers_in_text("at most 40 % of it") if p.percent]
    assert "at most 40 % of it"[p.stop:] == " of it"


def test_a_ratio_cue_reads_the_amount_of_one_as_another():
    # NLP4LP train A102: the model wrote "gummies": "3*pills", completed by this cue
    from optiform.agent.bare_bounds import bare_bound_fixes
    from optiform.agent.ratio_cues import ratio_cues
    from optiform.agent.schema import to_formulation

    text = "Since he prefers gummies, he must eat at least 3 times the amount of gummies as pills."
    f = to_formulation({"variables": {"gummies": "integer", "pills": "integer"},
                        "objective": {"sense": "maximize", "expression": "4*gummies + 5*pills"},
                        "constraints": {"magnesium": "3*gummies + 2*pills <= 200",
                                        "gummies": "3*pills"}})
    [cue] = ratio_cues(text, f)
    assert (cue.subject, cue.direction, cue.factor, cue.object) == ("gummies", ">=", 3.0, "pills")
    assert bare_bound_fixes(f, text) == {"constraints": {"gummies": "gummies >= 3*pills"}}
    other = "There must be at least three times the number of trams as trains."
    g = to_formulation({"variables": {"trams": "integer", "trains": "integer"},
                        "objective": {"sense": "minimize", "expression": "trams + trains"},
                        "constraints": {}})
    assert [(c.subject, c.object) for c in ratio_cues(other, g)] == [("trams", "trains")]
