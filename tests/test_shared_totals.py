"""shared_totals (agent/shared_totals.py): 'A farmer has 100 acres to plant with wheat and
corn' written as ``wheat <= 100`` is the bound of the sum; a bound of one variable whose
sentence also names others but gives the number to that one alone is left as written."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.schema import to_formulation
from optiform.agent.shared_totals import shared_totals
from optiform.solvers.api import solve_formulation

FARM = ("A farmer has 100 acres to plant with wheat and corn. Wheat gives $200 profit per acre "
        "and corn $150. Wheat takes 3 hours of labor per acre and corn 2 hours, and 240 hours "
        "are available. At least 30 acres must be corn. Maximize profit.")
FARM_WRITTEN = {"land": "wheat <= 100", "labor": "3*wheat + 2*corn <= 240",
                "min_corn": "corn >= 30"}


def model(constraints: dict[str, str], names: tuple[str, ...] = ("wheat", "corn"),
          objective: str = "200*wheat + 150*corn"):
    return to_formulation({"variables": dict.fromkeys(names, "continuous"),
                           "objective": {"sense": "maximize", "expression": objective},
                           "constraints": constraints})


def test_the_farm_bound_on_wheat_alone_belongs_to_wheat_and_corn():
    (check,) = shared_totals(FARM, model(FARM_WRITTEN))
    assert check.code == "shared_total" and check.names == ["land"]
    assert check.fix == {"constraints": {"land": "wheat + corn <= 100"}}


def test_the_fixed_farm_plants_100_acres():
    """As written, all the labor goes to 120 acres of corn on a farm of 100 (18000); fixed,
    40 acres of wheat and 60 of corn earn 17000."""
    f = model(FARM_WRITTEN)
    written = solve_formulation(f)
    assert written.objective == pytest.approx(18000.0)
    assert written.values["corn"] == pytest.approx(120)
    fixes = [c for c in solution_checks(FARM, f, None) if c.fix]
    assert [c.code for c in fixes] == ["shared_total"]
    result = solve_formulation(to_formulation(apply_fixes(f.model_dump(), fixes)))
    assert result.status == "optimal" and result.objective == pytest.approx(17000.0)
    assert (result.values["wheat"], result.values["corn"]) == pytest.approx((40, 60))


@pytest.mark.parametrize(("text", "constraints", "names", "fixed"), [
    # the names right after the number: '60 workers to assign to the assembly and packing
    # lines' (read past 40 characters)
    ("A factory has 60 workers to assign to the assembly and packing lines. At least 15 "
     "workers must be on packing.", {"staff": "assembly <= 60", "p": "packing >= 15"},
     ("assembly", "packing"), "assembly + packing <= 60"),
    ("A maximum of 12 vans and buses may be rented by the school.", {"v": "vans <= 12"},
     ("vans", "buses"), "vans + buses <= 12"),
    ("An investor has $10000 to invest in stocks and bonds. At most $6000 can go to stocks.",
     {"total": "bonds <= 10000", "s": "stocks <= 6000"}, ("stocks", "bonds"),
     "stocks + bonds <= 10000"),
])
def test_a_number_stated_for_several_bounds_their_sum(text, constraints, names, fixed):
    (check,) = shared_totals(text, model(constraints, names, " + ".join(names)))
    assert list(check.fix["constraints"].values()) == [fixed]


@pytest.mark.parametrize(("text", "constraints"), [
    # each its own number
    ("A farmer can plant at most 100 acres of wheat and 50 acres of corn.",
     {"w": "wheat <= 100", "c": "corn <= 50"}),
    ("The store can sell up to 50 wheat and corn bags each.", {"w": "wheat <= 50"}),
    # the sentence names wheat again, on its own
    ("Between wheat and corn, wheat can take at most 60 acres.", {"w": "wheat <= 60"}),
    ("The farmer plants wheat and corn, but wheat is limited to 100 acres.",
     {"w": "wheat <= 100"}),
    ("The demand for wheat and corn is at least 40 tons, of which wheat must be at most 25 "
     "tons.", {"d": "wheat + corn >= 40", "w": "wheat <= 25"}),
    # 'and' joins two clauses, not two names
    ("At most 70 acres can be wheat and corn must be planted too.", {"w": "wheat <= 70"}),
    ("At most 70 acres can be wheat and corn must be planted on at least 20 acres.",
     {"w": "wheat <= 70", "c": "corn >= 20"}),
    # the same after an amount with its currency sign (read one character past the number)
    ("The farmer has $500, wheat and corn are the crops he may plant.", {"w": "wheat <= 500"}),
    # a resource the two use at rates of their own
    ("There are 200 kg of seed for wheat and corn. An acre of wheat needs 1 kg and an acre "
     "of corn 2 kg.", {"seed": "wheat <= 200"}),
    # already bounded together
    ("A farm has 150 acres for wheat and corn. At most 60 acres can be wheat.",
     {"land": "wheat + corn <= 150", "w": "wheat <= 60"}),
    # another number in the sentence: 'at most 40 ... with at most 25 of them wheat'
    ("Up to 40 acres of wheat and corn can be planted, with at most 25 acres wheat.",
     {"t": "wheat + corn <= 40", "w": "wheat <= 25"}),
    ("The farm grows wheat and corn up to 400 acres, and at least 20% must be corn.",
     {"w": "wheat <= 400"}),
])
def test_a_number_the_text_gives_to_one_variable_is_left_alone(text, constraints):
    assert shared_totals(text, model(constraints)) == []


CROPS = ("A farmer has 500 acres for wheat, barley and oats. Profits per acre are $120, $90 and "
         "$70. Wheat needs 4 hours of labor per acre, barley 3 and oats 2; 1600 hours of labor "
         "are available. At least 50 acres must be oats, and wheat cannot take more than half "
         "of the land. How many acres of each crop maximize profit?")
# what the 1.5B model wrote: 500 only in "half of the land", no land constraint (48500)
CROPS_WRITTEN = {"labor": "4*wheat + 3*barley + 2*oats <= 1600", "oats": "oats >= 50",
                 "wheat": "0 <= wheat <= 500/2"}
CROP_NAMES = ("wheat", "barley", "oats")
CROP_PROFIT = "120*wheat + 90*barley + 70*oats"


def test_a_total_stated_for_several_that_no_constraint_holds_is_added():
    from optiform.agent.shared_totals import missing_totals

    f = model(CROPS_WRITTEN, CROP_NAMES, CROP_PROFIT)
    assert solve_formulation(f).objective != pytest.approx(49500)
    # 'at least 50 acres must be oats, and wheat cannot ...': two clauses, 50 is the oats'
    assert shared_totals(CROPS, f) == []
    (check,) = missing_totals(CROPS, f)
    assert (check.code, check.names) == ("missing_total", ["total_acre"])
    assert check.fix == {"constraints": {"total_acre": "wheat + barley + oats <= 500"}}
    assert "missing_total" in {c.code for c in solution_checks(CROPS, f, None)}
    fixed = to_formulation(apply_fixes(f.model_dump(), [check]))
    assert solve_formulation(fixed).objective == pytest.approx(49500)  # 250, 100, 150
    # the sum already bounded, or the number on one crop alone (shared_totals' case): none
    assert missing_totals(CROPS, model({**CROPS_WRITTEN, "land": "wheat + barley + oats <= 500"},
                                       CROP_NAMES, CROP_PROFIT)) == []
    assert missing_totals(CROPS, model({**CROPS_WRITTEN, "land": "wheat <= 500"},
                                       CROP_NAMES, CROP_PROFIT)) == []


@pytest.mark.parametrize("text", [
    CROPS.replace("has 500 acres for", "must plant at least 500 acres of"),     # a minimum
    CROPS.replace("has 500 acres for wheat, barley and oats",
                  "has 500 acres; each crop needs its own field of wheat, barley and oats"),
    CROPS.replace("A farmer has 500 acres for wheat, barley and oats.",
                  "A farmer plans the next 500 months for wheat, barley and oats."),  # a horizon
    CROPS.replace("Profits per acre", "Each plot uses 2 acres. Profits per acre"),  # a rate
    CROPS.replace("has 500 acres for wheat, barley and oats",
                  "has 500 acres and grows wheat; barley and oats are bought"),
])
def test_a_total_that_is_no_shared_pool_is_not_added(text):
    from optiform.agent.shared_totals import missing_totals

    assert missing_totals(text, model(CROPS_WRITTEN, CROP_NAMES, CROP_PROFIT)) == []


def test_the_agent_adds_the_land_the_model_left_out():
    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.config import load_settings

    reply = {"variables": dict.fromkeys(CROP_NAMES, "continuous"),
             "objective": {"sense": "maximize", "expression": CROP_PROFIT},
             "constraints": CROPS_WRITTEN}
    llm = FakeLLM([reply])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(CROPS)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.objective == pytest.approx(49500)
