"""Staff counted per period, as the embedded model wrote them (recorded, 2026-12-07), where the
text has them start shifts that cover several periods. shift_starts (agent/shift_starts.py)
writes the model per shift start."""

from __future__ import annotations

import pytest

from optiform.agent.schema import to_formulation
from optiform.agent.shift_starts import roster, shift_starts
from optiform.solvers.api import solve_formulation

CLERKS = ("A store is open from 8am to 8pm. It needs at least 4 clerks from 8am to noon, 6 clerks "
          "from noon to 4pm and 3 clerks from 4pm to 8pm. Each clerk works an 8-hour shift that "
          "starts either at 8am or at noon. How many clerks should start at each time to hire "
          "the fewest clerks?")
CLERKS_WRITTEN = {
    "variables": dict.fromkeys(["clerk_8am", "clerk_12pm", "clerk_4pm"], "integer"),
    "objective": {"sense": "minimize", "expression": "clerk_8am + clerk_12pm + clerk_4pm"},
    "constraints": {"clerk_8am": "4 <= clerk_8am <= 6", "clerk_12pm": "6 <= clerk_12pm <= 8",
                    "clerk_4pm": "3 <= clerk_4pm <= 6",
                    "clerk_8am_2": "clerk_12pm + clerk_4pm <= 12",
                    "clerk_12pm_2": "clerk_8am + clerk_4pm <= 12",
                    "clerk_4pm_2": "clerk_8am + clerk_12pm <= 12"}}
NURSES = ("A hospital needs nurses on each day of the week: Monday 5, Tuesday 6, Wednesday 5, "
          "Thursday 7, Friday 6, Saturday 4 and Sunday 3. Each nurse works five days in a row "
          "and then has two days off. How many nurses should start on each day to meet every "
          "day's need with the fewest nurses?")
NURSES_WRITTEN = {
    "variables": {"nurses": "integer", "day": "integer"},
    "objective": {"sense": "minimize", "expression": "nurses"},
    "constraints": {"nurses_per_day": "nurses == 5", "off_days": "nurses % 5 == 2",
                    "day_of_week": "day % 7 == 0"}}


def test_the_periods_and_starts_are_read():
    clerks = roster(CLERKS)
    assert clerks.periods == [("8am_to_noon", 4), ("noon_to_4pm", 6), ("4pm_to_8pm", 3)]
    assert clerks.covers == {"8am_to_noon": ["8am"], "noon_to_4pm": ["8am", "noon"],
                             "4pm_to_8pm": ["noon"]}
    nurses = roster(NURSES)
    assert nurses.covers["Tuesday"] == ["Monday", "Tuesday", "Friday", "Saturday", "Sunday"]


def test_the_recorded_clerk_model_is_replaced():
    f = to_formulation(CLERKS_WRITTEN)
    (check,) = shift_starts(CLERKS, f, solve_formulation(f))
    assert check.fix["constraints"] == {"cover_8am_to_noon": "start_8am >= 4",
                                        "cover_noon_to_4pm": "start_8am + start_noon >= 6",
                                        "cover_4pm_to_8pm": "start_noon >= 3"}


@pytest.mark.parametrize(("text", "written", "fewest"), [
    (CLERKS, CLERKS_WRITTEN, 7),
    (NURSES, NURSES_WRITTEN, 8),  # ceil(36 / 5) = 8 is reached
])
def test_the_agent_answers_from_the_recorded_reply(solve_recorded, text, written, fewest):
    answer = solve_recorded(text, written)
    assert answer.status == "optimal" and answer.objective == pytest.approx(fewest)


def test_a_model_per_start_is_left_alone():
    written = {"variables": dict.fromkeys(["x8", "x12"], "integer"),
               "objective": {"sense": "minimize", "expression": "x8 + x12"},
               "constraints": {"a": "x8 >= 4", "b": "x8 + x12 >= 6", "c": "x12 >= 3"}}
    f = to_formulation(written)
    assert shift_starts(CLERKS, f, solve_formulation(f)) == []


@pytest.mark.parametrize("text", [
    CLERKS.replace("hire the fewest clerks", "meet the needs"),  # no fewest staff asked
    CLERKS.replace("Each clerk works", "Each clerk is paid $15 an hour and works"),  # costed
    CLERKS.replace("starts either at 8am or at noon", "starts at 2pm or at 4pm"),  # morning
    NURSES.replace("Sunday 3", "Sunday off"),  # a day without its need
])
def test_shift_starts_stays_silent_otherwise(text):
    f = to_formulation(CLERKS_WRITTEN)
    assert shift_starts(text, f, solve_formulation(f)) == []


AGENTS = ("A call center needs 4 agents from 8am to noon, 6 agents from noon to 4pm, 5 agents from "
          "4pm to 8pm and 2 agents from 8pm to midnight. Agents work 8-hour shifts that start at "
          "8am, noon or 4pm. At least 5 agents must start at noon. Find the fewest agents.")
AGENTS_RIGHT = {  # per start, with a total the objective names: 11 (the roster alone gives 9)
    "variables": dict.fromkeys(["s8", "s12", "s16", "total"], "integer"),
    "objective": {"sense": "minimize", "expression": "total"},
    "constraints": {"a": "s8 >= 4", "b": "s8 + s12 >= 6", "c": "s12 + s16 >= 5", "d": "s16 >= 2",
                    "noon": "s12 >= 5", "t": "total == s8 + s12 + s16"}}
WEEKEND = NURSES.replace("How many", "Part-time nurses who work only on Saturday and Sunday may "
                         "also be hired. How many")


def _weekend_right():
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    need = [5, 6, 5, 7, 6, 9, 9]
    cover = {d: " + ".join(f"s_{days[(k - j) % 7]}" for j in range(5)) for k, d in enumerate(days)}
    return {"variables": {**{f"s_{d}": "integer" for d in days}, "part_time": "integer"},
            "objective": {"sense": "minimize",
                          "expression": " + ".join(f"s_{d}" for d in days) + " + part_time"},
            "constraints": {f"c_{d}": cover[d] + (" + part_time" if d in ("Sat", "Sun") else "")
                            + f" >= {n}" for d, n in zip(days, need, strict=True)}}


@pytest.mark.parametrize(("text", "written"), [
    (AGENTS, AGENTS_RIGHT),  # a limit on a start the roster does not read
    (WEEKEND.replace("Saturday 4 and Sunday 3", "Saturday 9 and Sunday 9"), _weekend_right()),
])
def test_a_right_model_with_more_than_the_roster_is_left_alone(text, written):
    assert roster(text) is not None
    f = to_formulation(written)
    assert solve_formulation(f).ok
    assert shift_starts(text, f, solve_formulation(f)) == []
