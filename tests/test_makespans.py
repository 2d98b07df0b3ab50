"""makespan_sum (agent/makespans.py): the time until all jobs are done, as the embedded model
wrote it (recorded, 2026-12-07): a sum of durations over yes/no variables, answered 0."""

from __future__ import annotations

import pytest

from optiform.agent.makespans import durations, makespan_sums
from optiform.agent.schema import to_formulation

TEXT = ("Three jobs must be done on one of two identical machines each. The jobs take 4, 6 and 5 "
        "hours. Assign the jobs to the machines so that the time until all jobs are finished is "
        "as short as possible.")
WRITTEN = {
    "variables": dict.fromkeys(["job1", "job2", "job3"], "binary"),
    "objective": {"sense": "minimize", "expression": "4*job1 + 6*job2 + 5*job3"},
    "constraints": {"machine1": "job1 + job2 <= 1", "machine2": "job1 + job3 <= 1",
                    "total_time": "job1 + job2 + job3 <= 10"}}


def test_durations_are_one_list_as_long_as_the_jobs():
    assert durations(TEXT) == [4, 6, 5]
    assert durations(TEXT.replace("Three jobs", "Four jobs")) is None


def test_a_sum_for_the_finish_time_becomes_the_schedule():
    (check,) = makespan_sums(TEXT, to_formulation(WRITTEN))
    assert check.fix["constraints"]["load2"] == (
        "makespan >= 4*assign_1_2 + 6*assign_2_2 + 5*assign_3_2")
    assert check.fix["constraints"]["job3_once"] == "assign_3_1 + assign_3_2 == 1"
    assert check.fix["objective"] == {"expression": "makespan"}


def test_the_agent_schedules_the_jobs_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(9.0)


def test_without_the_data_it_is_only_said():
    text = TEXT.replace("The jobs take 4, 6 and 5 hours.", "Job times are in the table.")
    (check,) = makespan_sums(text, to_formulation(WRITTEN))
    assert check.fix is None and "makespan >= the load of each machine" in check.message


@pytest.mark.parametrize(("text", "objective"), [
    # the total time is asked, a sum is right
    (TEXT.replace("the time until all jobs are finished is as short as possible",
                  "the total processing cost is least"), "4*job1 + 6*job2 + 5*job3"),
    # a makespan already
    (TEXT, "makespan"),
])
def test_makespan_sums_stay_silent_otherwise(text, objective):
    variables = {**WRITTEN["variables"], "makespan": "continuous"} \
        if objective == "makespan" else WRITTEN["variables"]
    f = to_formulation({**WRITTEN, "variables": variables,
                        "objective": {"sense": "minimize", "expression": objective}})
    assert makespan_sums(text, f) == []
