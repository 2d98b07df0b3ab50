"""A portfolio written as the embedded model wrote it (recorded, 2026-12-07): fractions declared
binary and the covariance counted once. fraction_domains (agent/checks.py) makes the fractions
continuous and covariance_terms (agent/portfolio_risk.py) doubles the cross term."""

from __future__ import annotations

import pytest

from optiform.agent.checks import fraction_domains, solution_checks
from optiform.agent.portfolio_risk import covariance_terms, stated_covariances
from optiform.agent.schema import to_formulation

TEXT = ("An investor splits her money between two stocks. Stock A has an expected return of 10% "
        "and a variance of 0.04; stock B has an expected return of 15% and a variance of 0.09; "
        "their covariance is 0.01. The fractions invested must add up to 1 and the expected "
        "return must be at least 12%. Find the fractions that minimize the variance of the "
        "portfolio.")
WRITTEN = {
    "variables": {"stock_A": "binary", "stock_B": "binary"},
    "objective": {"sense": "minimize",
                  "expression": "0.04*stock_A^2 + 0.09*stock_B^2 + 0.01*stock_A*stock_B"},
    "constraints": {"investment": "stock_A + stock_B == 1",
                    "expected_return": "0.10*stock_A + 0.15*stock_B >= 0.12"}}


def model(**changes):
    return to_formulation({**WRITTEN, **changes})


def test_the_covariance_counted_once_is_doubled():
    (check,) = covariance_terms(TEXT, model())
    assert check.code == "covariance_term" and check.names == ["stock_A", "stock_B"]
    assert check.fix == {"objective": {
        "expression": "0.04*stock_A**2 + 0.02*stock_A*stock_B + 0.09*stock_B**2"}}


@pytest.mark.parametrize("objective", [
    "0.04*stock_A^2 + 0.09*stock_B^2 + 2*0.01*stock_A*stock_B",
    "0.04*stock_A**2 + 0.09*stock_B**2 + 0.01*stock_A*stock_B + 0.01*stock_B*stock_A",
    "0.04*stock_A*stock_A + 0.09*stock_B*stock_B + 0.02*stock_A*stock_B",
])
def test_a_variance_written_right_is_left_alone(objective):
    assert covariance_terms(TEXT, model(objective={"sense": "minimize",
                                                   "expression": objective})) == []


@pytest.mark.parametrize(("text", "objective"), [
    # a return maximized is no variance
    (TEXT, {"sense": "maximize", "expression": "0.01*stock_A*stock_B + stock_A^2 + stock_B^2"}),
    # no covariance in the text
    (TEXT.replace("their covariance is 0.01", "they move apart"), WRITTEN["objective"]),
    # covariances of 0.01 and 0.02: a 0.02 term may be 0.01 doubled
    (TEXT.replace("their covariance is 0.01", "their covariance is 0.01 in a calm year and "
                  "0.02 in a volatile one"), WRITTEN["objective"]),
    # half the variance: its cross term once is right
    (TEXT, {"sense": "minimize",
            "expression": "0.02*stock_A^2 + 0.045*stock_B^2 + 0.01*stock_A*stock_B"}),
    # a cross term without its squares is no variance
    (TEXT, {"sense": "minimize", "expression": "0.01*stock_A*stock_B + 0.04*stock_A"}),
])
def test_covariance_terms_stay_silent_where_unsure(text, objective):
    assert covariance_terms(text, model(objective=objective)) == []


def test_stated_covariances_are_the_numbers_of_covariance_sentences():
    assert stated_covariances(TEXT) == [0.01]


def test_fractions_declared_binary_are_made_continuous():
    check = fraction_domains(TEXT, model())
    assert check is not None and check.fix == {"domains": {"stock_A": "continuous",
                                                           "stock_B": "continuous"}}


@pytest.mark.parametrize(("text", "changes"), [
    # a choice of one: yes/no wording
    (TEXT.replace("Find the fractions", "Choose which stock to buy, with fractions"), {}),
    # no fractions in the text
    (TEXT.replace("fractions", "amounts"), {}),
    # decisions not summed to 1
    (TEXT, {"constraints": {"investment": "stock_A + stock_B <= 2"}}),
    # already continuous
    (TEXT, {"variables": {"stock_A": "continuous", "stock_B": "continuous"}}),
])
def test_fraction_domains_stay_silent_otherwise(text, changes):
    assert fraction_domains(text, model(**changes)) is None


TENTS = ("A hiker can take at most one of three tents. Tent A has a weight of 3 kg and a comfort "
         "score of 7, tent B 2 kg and 5, tent C 4 kg and 9. Her pack can add at most 3.5 kg. "
         "Maximize comfort.")


@pytest.mark.parametrize("text", [
    TENTS,
    TENTS.replace("at most one of three tents", "a single tent out of three"),
    ("A company will build its new plant in exactly one of three towns, A, B and C. The share "
     "of local workers must be at least 30%: 50% in A, 20% in B and 40% in C."),
])
def test_a_pick_of_one_with_weights_or_shares_stays_binary(text):
    f = to_formulation({"variables": {"A": "binary", "B": "binary", "C": "binary"},
                        "objective": {"sense": "maximize", "expression": "7*A + 5*B + 9*C"},
                        "constraints": {"one": "A + B + C <= 1",
                                        "weight": "3*A + 2*B + 4*C <= 3.5"}})
    assert fraction_domains(text, f) is None


def test_the_agent_solves_the_portfolio_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(0.0336)
    assert answer.values["stock_A"] == pytest.approx(0.6)
    after = answer.formulation
    assert {"fraction_domain", "covariance_term"}.isdisjoint(
        c.code for c in solution_checks(TEXT, after, None))
