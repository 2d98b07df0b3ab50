"""forced_zero (agent/forced_zero.py): a setup cost written as ``200*tables <= 0`` forces the
tables to 0; where the text states the charge and the model bounds the tables, autofix links
them to a yes/no setup that pays it."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.checks import solution_checks
from optiform.agent.fake import FakeLLM
from optiform.agent.forced_zero import big_m, forced_zero
from optiform.agent.schema import to_formulation
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.api import solve_formulation
from optiform.solvers.formulation import Formulation

TEXT = ("A factory makes tables and chairs. A table earns $40 profit and needs 3 hours of "
        "carpentry and 1 hour of finishing; a chair earns $25 and needs 2 hours of carpentry "
        "and 1 hour of finishing. Each week there are 120 hours of carpentry and 50 hours of "
        "finishing. If any tables are made, a setup costing $200 is needed. How many tables "
        "and chairs maximize weekly profit?")
# what the embedded 1.5B model wrote: the setup as a limit that forbids tables (answer 1250)
WRITTEN = {"variables": {"tables": "integer", "chairs": "integer"},
           "objective": {"sense": "maximize", "expression": "40*tables + 25*chairs"},
           "constraints": {"carpentry": "3*tables + 2*chairs <= 120",
                           "finishing": "1*tables + 1*chairs <= 50",
                           "setup": "200*tables <= 0"}}
# 40 tables use all 120 carpentry hours and 40 finishing hours: 1600 - 200 (20 tables and 30
# chairs earn 1550 - 200 = 1350, no tables 1250)
BEST = 1400.0


def model(setup: str = "200*tables <= 0", sense: str = "maximize",
          objective: str = "40*tables + 25*chairs", domains: dict | None = None,
          **constraints: str) -> Formulation:
    rows = {**WRITTEN["constraints"], "setup": setup, **constraints}
    return to_formulation({"variables": domains or WRITTEN["variables"],
                           "objective": {"sense": sense, "expression": objective},
                           "constraints": {k: v for k, v in rows.items() if v}})


def fixed(f: Formulation, checks) -> Formulation:
    return to_formulation(apply_fixes(f.model_dump(), [c for c in checks if c.fix]))


def test_the_setup_written_as_a_limit_is_linked_to_a_yes_no_setup():
    f = model()
    assert solve_formulation(f).objective == pytest.approx(1250.0)
    (check,) = forced_zero(TEXT, f)
    assert (check.code, check.severity, check.where, check.names) == \
        ("forced_zero", "warning", "constraint 'setup'", ["setup"])
    assert "forces tables to 0" in check.message
    assert check.fix == {"constraints": {"setup": "tables <= 40*tables_setup"},
                         "variables": {"tables_setup": "binary"},
                         "objective": {"expression": "40*tables + 25*chairs - 200*tables_setup"}}
    # a limit said with 'no more than' is no 'none'
    (limited,) = forced_zero(TEXT + " No more than 45 tables can be sold.", f)
    assert limited.fix == check.fix


def test_the_fixed_model_solves_to_the_best_plan():
    f = model()
    checks = solution_checks(TEXT, f, solve_formulation(f))
    assert "forced_zero" in {c.code for c in checks}
    after = fixed(f, checks)
    result = solve_formulation(after)
    assert result.status == "optimal" and result.objective == pytest.approx(BEST)
    assert result.values["tables_setup"] == pytest.approx(1.0)
    assert forced_zero(TEXT, after) == []


@pytest.mark.parametrize("setup", ["0 >= 200*tables", "200*tables <= 0*chairs",
                                   "tables*200 - 0 <= 0"])
def test_other_writings_of_the_same_limit(setup):
    (check,) = forced_zero(TEXT, model(setup))
    assert check.fix["constraints"] == {"setup": "tables <= 40*tables_setup"}


def test_a_fixed_cost_in_a_cost_minimization_is_added_to_the_cost():
    text = ("A plant must make at least 30 units in total on lines A and B. Line A can make at "
            "most 25 units and line B at most 40. A unit costs $4 on line A and $6 on line B. "
            "Line A has a fixed cost of $20 if any units are produced on it. Minimize the "
            "total cost.")
    f = to_formulation({"variables": {"a": "continuous", "b": "continuous"},
                        "objective": {"sense": "minimize", "expression": "4*a + 6*b"},
                        "constraints": {"demand": "a + b >= 30", "cap_a": "a <= 25",
                                        "cap_b": "b <= 40", "fixed": "20*a <= 0"}})
    assert solve_formulation(f).objective == pytest.approx(180.0)  # all 30 on line B
    (check,) = forced_zero(text, f)
    assert check.fix == {"constraints": {"fixed": "a <= 25*a_setup"},
                         "variables": {"a_setup": "binary"},
                         "objective": {"expression": "4*a + 6*b + 20*a_setup"}}
    # 25 on line A and 5 on line B: 100 + 30 + 20
    assert solve_formulation(fixed(f, [check])).objective == pytest.approx(150.0)


def test_without_a_bound_on_the_variable_it_only_says_what_to_write():
    f = model(finishing="", carpentry="chairs <= 50")
    assert big_m(f, "tables", "setup") is None
    (check,) = forced_zero(TEXT, f)
    assert check.fix is None
    assert "tables <= M*tables_setup" in check.message


def test_the_bound_comes_from_the_model_and_a_taken_name_gets_a_suffix():
    f = to_formulation({"variables": {"tables": "continuous", "chairs": "integer",
                                      "tables_setup": "integer"},
                        "objective": {"sense": "maximize",
                                      "expression": "40*tables + 25*chairs + 0*tables_setup"},
                        "constraints": {"carpentry": "3*tables + 2*chairs <= 100",
                                        "mixed": "tables - chairs <= 5",  # a negative c
                                        "setup": "200*tables <= 0"}})
    assert big_m(f, "tables", "setup") == pytest.approx(100 / 3)
    (check,) = forced_zero(TEXT, f)
    assert check.fix["constraints"] == {"setup": "tables <= 33.3334*tables_setup_2"}
    assert check.fix["variables"] == {"tables_setup_2": "binary"}


@pytest.mark.parametrize("text", [
    TEXT.replace("If any tables are made, a setup costing $200 is needed.",
                 "No tables may be made this week."),
    TEXT.replace("If any tables are made, a setup costing $200 is needed.",
                 "The factory cannot make any tables this week."),
    TEXT + " Tables must not be made.",
    TEXT + " Tables are no longer made.",
    TEXT + " No more tables will be made.",
])
def test_a_text_that_says_there_are_to_be_none_gets_no_check(text):
    assert forced_zero(text, model()) == []


@pytest.mark.parametrize(("setup", "domains"), [
    ("tables <= 20", None),                     # a limit, not zero
    ("tables - chairs <= 0", None),             # two variables
    ("200*tables >= 0", None),                  # holds anyway
    ("200*tables <= 0", {"tables": "binary", "chairs": "integer"}),  # a switch off
])
def test_limits_other_variables_and_binaries_get_no_check(setup, domains):
    assert forced_zero(TEXT, model(setup, domains=domains)) == []


def test_a_number_the_text_does_not_state_as_a_setup_is_not_fixed():
    text = TEXT.replace("If any tables are made, a setup costing $200 is needed.",
                        "If any chairs are made, a setup costing $200 is needed.")
    (check,) = forced_zero(text, model())
    assert check.fix is None  # the setup is the chairs'
    (check,) = forced_zero(TEXT, model("150*tables <= 0"))
    assert check.fix is None  # 150 is no number of the text


def test_the_agent_answers_the_factory_from_the_recorded_reply():
    llm = FakeLLM([WRITTEN])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(TEXT)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.status == "optimal" and answer.objective == pytest.approx(BEST)
    assert "forced_zero" not in {c.code for c in answer.checks}


def test_two_setups_are_linked_one_round_after_the_other_each_charged_once():
    text = TEXT + " If any chairs are made, a setup costing $100 is needed."
    both = {**WRITTEN, "constraints": {**WRITTEN["constraints"], "chair_setup": "100*chairs <= 0"}}
    checks = forced_zero(text, model(chair_setup="100*chairs <= 0"))
    assert [c.fix["objective"]["expression"] for c in checks] == [
        "40*tables + 25*chairs - 200*tables_setup", "40*tables + 25*chairs - 100*chairs_setup"]
    llm = FakeLLM([both])
    answer = Assistant(load_settings(library=False), llm=llm, solve=solve_formulation,
                       export=None).solve(text)
    assert len(llm.requests) == 1 and answer.source == "autofix"
    assert answer.formulation.objective.expression == \
        "40*tables + 25*chairs - 200*tables_setup - 100*chairs_setup"
    assert answer.objective == pytest.approx(BEST)  # 40 tables, no chairs: 1600 - 200
    assert len([s for s in answer.trace.steps if s.kind == "autofix"]) == 2


def test_a_share_of_itself_gets_a_warning_that_says_to_write_the_limit():
    text = ("A shop sells tables and chairs, a table for $40 and a chair for $25. At most 35% "
            "of the items sold can be tables. Maximize revenue.")
    (check,) = forced_zero(text, model("tables <= 0.35*tables"))
    assert check.fix is None
    assert "forces tables to 0" in check.message and "Write the limit the text states" in \
        check.message
