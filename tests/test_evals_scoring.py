"""Scoring: tolerances, null truth, NaN / inf / None / strings."""

from __future__ import annotations

import math

import pytest

from optiform.evals.scoring import TOLERANCES, as_number, is_correct, score

PRIMARY, TIGHT, REL5 = TOLERANCES


@pytest.mark.parametrize(
    ("pred", "truth", "expected"),
    [
        (100.0, 100.0, True),
        (100.0 + 1e-4 * 101 * 0.99, 100.0, True),  # just inside 1e-4 * (|truth| + 1)
        (100.0 + 1e-4 * 101 * 1.01, 100.0, False),  # just outside
        (0.00009, 0.0, True),  # near zero the +1 makes it absolute
        (0.00011, 0.0, False),
        (-50.004, -50.0, True),
        (-50.006, -50.0, False),
        (12, 12.0, True),  # ints are numbers
    ],
)
def test_primary_tolerance(pred, truth, expected):
    assert is_correct(pred, truth, "optimal", PRIMARY) is expected


def test_tight_and_relative_tolerances_differ_from_primary():
    truth = 1000.0
    assert is_correct(1000.05, truth, "optimal", PRIMARY)
    assert not is_correct(1000.05, truth, "optimal", TIGHT)
    assert is_correct(1000.0005, truth, "optimal", TIGHT)
    assert is_correct(1049.0, truth, "optimal", REL5)
    assert not is_correct(1051.0, truth, "optimal", REL5)
    # relative only: a zero truth needs an exact zero
    assert is_correct(0.0, 0.0, "optimal", REL5)
    assert not is_correct(1e-9, 0.0, "optimal", REL5)


@pytest.mark.parametrize(
    ("status", "expected"),
    [("infeasible", True), ("optimal", False), ("infeasible_or_unbounded", False),
     ("unbounded", False), ("error", False), (None, False)],
)
def test_null_truth_is_correct_only_when_infeasible(status, expected):
    for tol in TOLERANCES:
        assert is_correct(None, None, status, tol) is expected
        assert is_correct(5.0, None, status, tol) is expected


@pytest.mark.parametrize("pred", [math.nan, math.inf, -math.inf, None, "abc", "", "nan",
                                  "inf", True, [], {}])
def test_non_numbers_are_never_correct(pred):
    for truth in (0.0, 1.0, 1e30):
        for tol in TOLERANCES:
            assert not is_correct(pred, truth, "optimal", tol)


def test_numeric_strings_are_parsed():
    assert is_correct("12.0", 12.0, "optimal")
    assert is_correct(" 1,234.5 ", 1234.5, "optimal")
    assert is_correct(540.0, "540.0", "optimal")  # truth as text (OptiBench results)
    assert not is_correct("12 units", 12.0, "optimal")


def test_a_value_with_a_no_solution_status_is_wrong():
    assert not is_correct(12.0, 12.0, "infeasible")
    assert not is_correct(12.0, 12.0, "unbounded")
    assert is_correct(12.0, 12.0, "time_limit")  # a best-found value still counts


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), ("2.5", 2.5), ("-1e3", -1000.0), ("x", None), (math.nan, None),
     (False, None), ("1,000", 1000.0), (None, None)],
)
def test_as_number(value, expected):
    assert as_number(value) == expected


def test_score_record_fields():
    rec = score(10.0005, 10.0, "optimal")
    assert rec["correct"] is True
    assert rec["correct_at"] == {"1e-4": True, "1e-6": False, "rel5%": True}
    assert rec["abs_error"] == pytest.approx(0.0005)
    assert rec["executed"] is True

    rec = score(None, 10.0, "error")
    assert rec == {"abs_error": None, "correct": False,
                   "correct_at": {"1e-4": False, "1e-6": False, "rel5%": False},
                   "executed": False}

    rec = score(None, None, "infeasible")
    assert rec["correct"] and all(rec["correct_at"].values()) and rec["executed"]
    assert rec["abs_error"] is None
