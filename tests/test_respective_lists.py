"""Names paired with numbers in order ('North and South hold 70 and 50'), and the one bound
a model pools over them, split into a bound per name."""

from __future__ import annotations

from pathlib import Path

from optiform.agent.fake import FakeLLM
from optiform.agent.respective_lists import pooled_bounds, respective_lists
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation

WAREHOUSES = (Path(__file__).parents[1] / "examples" / "problems" / "warehouses.txt").read_text()
ROUTES = [f"{w}_to_{s}" for w in ("north", "south") for s in "ABC"]
# the embedded model's first reply on examples/problems/warehouses.txt (2026-12-05): one
# capacity over all routes by a number the text never states, the demands as a comma list
POOLED = {"variables": dict.fromkeys(ROUTES, "integer"),
          "objective": {"sense": "minimize",
                        "expression": "2*north_to_A + 4*north_to_B + 5*north_to_C + "
                                      "3*south_to_A + 1*south_to_B + 7*south_to_C"},
          "constraints": {"warehouse_capacity": " + ".join(ROUTES) + " <= 100",
                          "store_demand": " + ".join(ROUTES) + " = 100",
                          "store_reach": "north_to_A + south_to_A >= 30, north_to_B + "
                                         "south_to_B >= 40, north_to_C + south_to_C >= 35"}}


def test_lists_of_names_pair_with_the_list_of_numbers_after_them():
    found = [(r.names, r.values) for r in respective_lists(WAREHOUSES)]
    assert found == [(["North", "South"], [70.0, 50.0]), (["A", "B", "C"], [30.0, 40.0, 35.0])]
    # a list of other length, or no names before the numbers, pairs nothing
    assert respective_lists("Chairs and tables take 3, 4 and 5 hours.") == []
    assert respective_lists("It has 30 and 40 units.") == []
    (big,) = respective_lists("Plants P1 and P2 make 1,000 and 2,500 units.")
    assert (big.names, big.values) == (["P1", "P2"], [1000.0, 2500.0])


def test_a_bound_pooled_over_the_listed_names_is_split_by_name():
    f = to_formulation({**POOLED, "constraints": {
        "cap": " + ".join(ROUTES) + " <= 100", "a": "north_to_A + south_to_A >= 30"}})
    (pooled,) = pooled_bounds(WAREHOUSES, f)
    assert pooled.name == "cap"
    assert pooled.split == {"cap": "north_to_A + north_to_B + north_to_C <= 70",
                            "cap_2": "south_to_A + south_to_B + south_to_C <= 50"}


def test_no_split_when_the_model_uses_the_listed_numbers_or_a_stated_bound():
    per_warehouse = to_formulation({**POOLED, "constraints": {
        "n": "north_to_A + north_to_B + north_to_C <= 70",
        "s": "south_to_A + south_to_B + south_to_C <= 50"}})
    assert pooled_bounds(WAREHOUSES, per_warehouse) == []
    # 35 is stated in the text: a pooled bound by a stated number is not ours to split
    stated = to_formulation({**POOLED, "constraints": {"cap": " + ".join(ROUTES) + " <= 35"}})
    assert pooled_bounds(WAREHOUSES, stated) == []
    # terms that do not fall apart by the listed names
    other = to_formulation({**POOLED, "constraints": {
        "cap": "north_to_A + north_to_B + north_to_C <= 100"}})
    assert pooled_bounds(WAREHOUSES, other) == []


def test_the_example_is_solved_from_the_models_first_reply_without_an_llm_round():
    llm = FakeLLM([POOLED])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=lambda f, data_dir=None: "# script").solve(WAREHOUSES)
    assert len(llm.requests) == 1 and answer.repair_rounds == 0
    # North: 30 to A, 35 to C; South: 40 to B (each store from its cheapest warehouse)
    assert answer.status == "optimal" and answer.objective == 275.0
    names = {c.name for c in answer.formulation.constraints}
    assert {"warehouse_capacity", "warehouse_capacity_2", "store_reach", "store_reach_2",
            "store_reach_3"} <= names
