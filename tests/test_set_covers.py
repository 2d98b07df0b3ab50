"""coverage_lines (agent/set_covers.py): the set cover the embedded model wrote with the
set-covering seed insight shown (recorded, 2026-12-07): a variable per district, but every
district covered by the sum of all stations."""

from __future__ import annotations

import pytest

from optiform.agent.schema import to_formulation
from optiform.agent.set_covers import coverage_lines, neighbor_lists

TEXT = ("A city must decide where to open fire stations among 5 districts, numbered 1 to 5. A "
        "station in a district covers that district and its neighbors. District 1 neighbors 2 "
        "and 3; district 2 neighbors 1 and 4; district 3 neighbors 1, 4 and 5; district 4 "
        "neighbors 2, 3 and 5; district 5 neighbors 3 and 4. Every district must be covered by "
        "at least one station. Minimize the number of stations.")
STATIONS = [f"station{k}" for k in range(1, 6)]
WRITTEN = {
    "variables": dict.fromkeys(STATIONS, "integer"),
    "objective": {"sense": "minimize", "expression": " + ".join(STATIONS)},
    "constraints": {("district_coverage" + (f"_{k}" if k > 1 else "")): f"{' + '.join(STATIONS)} "
                    f">= {6 - k}" for k in range(1, 6)}}


def test_neighbor_lists_are_read_for_every_district():
    assert neighbor_lists(TEXT) == {1: {2, 3}, 2: {1, 4}, 3: {1, 4, 5}, 4: {2, 3, 5},
                                    5: {3, 4}}
    assert neighbor_lists(TEXT.replace("district 5 neighbors 3 and 4.", "")) == {}


def test_each_district_gets_its_coverage_line():
    (check,) = coverage_lines(TEXT, to_formulation(WRITTEN))
    assert check.fix["constraints"]["cover3"] == "station1 + station3 + station4 + station5 >= 1"
    assert set(check.fix["drop"]) == set(WRITTEN["constraints"])


def test_the_agent_solves_the_cover_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(2.0)


@pytest.mark.parametrize(("text", "changes"), [
    # written right already
    (TEXT, {"constraints": {f"c{a}": row for a, row in {
        1: "station1 + station2 + station3 >= 1", 2: "station1 + station2 + station4 >= 1",
        3: "station1 + station3 + station4 + station5 >= 1",
        4: "station2 + station3 + station4 + station5 >= 1",
        5: "station3 + station4 + station5 >= 1"}.items()}}),
    # no coverage asked
    (TEXT.replace("Every district must be covered by at least one station. ", ""), {}),
    # a line of another kind the fix would lose
    (TEXT, {"variables": {**WRITTEN["variables"], "budget": "continuous"},
            "constraints": {**WRITTEN["constraints"], "money": "budget >= 3"}}),
])
def test_coverage_lines_stay_silent_otherwise(text, changes):
    assert coverage_lines(text, to_formulation({**WRITTEN, **changes})) == []
