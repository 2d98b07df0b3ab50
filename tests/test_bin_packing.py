"""A bin packing written as the embedded model wrote it (recorded, 2026-12-07): two variables and
no line that puts a box in a bin. bin_counts (agent/bin_packing.py) replaces it with the packing
model where its answer is outside the bounds the sizes set."""

from __future__ import annotations

import pytest

from optiform.agent.autofix import apply_fixes
from optiform.agent.bin_packing import bin_counts, first_fit_decreasing, item_sizes
from optiform.agent.schema import to_formulation
from optiform.solvers.api import solve_formulation

TEXT = ("Seven boxes weigh 4, 8, 1, 4, 2, 1 and 7 kg. They must be packed into bins that each "
        "hold at most 10 kg. What is the smallest number of bins that holds all the boxes?")
WRITTEN = {
    "variables": {"boxes": "integer", "bins": "integer"},
    "objective": {"sense": "minimize", "expression": "bins"},
    "constraints": {"box_weight": "boxes * 10 <= 4 + 8 + 1 + 4 + 2 + 1 + 7",
                    "bin_capacity": "boxes * 10 <= 10"}}


def test_the_sizes_and_the_capacity_are_read():
    assert item_sizes(TEXT) == ([4, 8, 1, 4, 2, 1, 7], 10)
    assert item_sizes("A mover has items of 30, 40, 50, 20 and 60 kg. Each truck can carry up "
                      "to 100 kg. Find the minimum number of trucks needed.") == (
        [30, 40, 50, 20, 60], 100)
    assert item_sizes("Files with sizes 300, 500, 700 and 200 MB go on disks of 1000 MB each. "
                      "Use the fewest disks.") == ([300, 500, 700, 200], 1000)
    assert first_fit_decreasing([4, 8, 1, 4, 2, 1, 7], 10) == 3


def test_the_recorded_model_is_replaced_by_the_packing():
    f = to_formulation(WRITTEN)
    (check,) = bin_counts(TEXT, f, solve_formulation(f))
    assert "at least 3" in check.message and "answer is 0" in check.message
    assert check.fix["constraints"]["bin2_capacity"].endswith("<= 10*bin2")
    assert check.fix["constraints"]["item7_packed"] == (
        "item7_in_bin1 + item7_in_bin2 + item7_in_bin3 == 1")
    assert set(check.fix["drop_variables"]) == {"boxes", "bins"}


def test_the_agent_answers_the_fewest_bins_from_the_recorded_reply(solve_recorded):
    answer = solve_recorded(TEXT, WRITTEN)
    assert answer.status == "optimal" and answer.objective == pytest.approx(3.0)


def test_the_packing_model_finds_fewer_bins_than_first_fit():
    # first-fit decreasing packs 5 5 | 4 4 3 | 3 (3 crates); 5 4 3 | 5 4 3 fills two
    text = ("Six parcels weigh 5, 5, 4, 4, 3 and 3 kg. Crates hold at most 12 kg. Use the "
            "fewest crates.")
    sizes, capacity = item_sizes(text)
    written = {"variables": {"crates": "integer"},
               "objective": {"sense": "minimize", "expression": "crates"},
               "constraints": {"c": "crates >= 0"}}
    f = to_formulation(written)
    (check,) = bin_counts(text, f, solve_formulation(f))  # 0 crates: below 24 / 12
    fixed = to_formulation(apply_fixes(f.model_dump(), [check]))
    assert solve_formulation(fixed).objective == pytest.approx(2.0)
    assert first_fit_decreasing(sizes, capacity) == 3


def test_an_answer_within_the_bounds_is_left_alone():
    written = {"variables": {"bins": "integer"},
               "objective": {"sense": "minimize", "expression": "bins"},
               "constraints": {"enough": "10*bins >= 27"}}
    f = to_formulation(written)
    assert bin_counts(TEXT, f, solve_formulation(f)) == []


@pytest.mark.parametrize("text", [
    TEXT.replace("Seven boxes", "Six boxes"),  # the count disagrees with the sizes listed
    TEXT.replace("at most 10 kg", "at most 10 liters"),  # another unit
    TEXT.replace("smallest number of bins", "total weight"),  # no fewest bins asked
    TEXT.replace("at most 10 kg", "at most 6 kg"),  # a box larger than a bin
])
def test_bin_counts_stays_silent_otherwise(text):
    f = to_formulation(WRITTEN)
    assert bin_counts(text, f, solve_formulation(f)) == []


def _packing(sizes, capacity, bins, per_bin=1):
    """A right packing model whose objective counts each bin used at per_bin."""
    put = {(i, b): f"x{i}_{b}" for i in range(len(sizes)) for b in range(bins)}
    constraints = {f"item{i}": " + ".join(put[i, b] for b in range(bins)) + " == 1"
                   for i in range(len(sizes))}
    constraints.update({f"bin{b}": " + ".join(f"{s}*{put[i, b]}" for i, s in enumerate(sizes)) +
                        f" <= {capacity}*u{b}" for b in range(bins)})
    return {"variables": dict.fromkeys([*(f"u{b}" for b in range(bins)), *put.values()],
                                       "binary"),
            "objective": {"sense": "minimize",
                          "expression": " + ".join(f"{per_bin}*u{b}" for b in range(bins))},
            "constraints": constraints}


@pytest.mark.parametrize(("text", "written", "answer"), [
    # the cost of the crates, not their number, is asked (36, right)
    ("Seven boxes weigh 4, 8, 1, 4, 2, 1 and 7 kg. They are shipped in crates that each hold at "
     "most 10 kg, and each crate used costs $12. Minimize the total cost of the crates used.",
     _packing([4, 8, 1, 4, 2, 1, 7], 10, 4, per_bin=12), 36),
    # three orders of each size: nine items, not three (6 boxes, right)
    ("A shop must ship orders of 4, 6 and 7 kg, with 3 orders of each size. Boxes hold at most "
     "10 kg. What is the fewest number of boxes needed?",
     _packing([4, 6, 7] * 3, 10, 6), 6),
    # a distance the trucks drive is asked
    ("Customers need deliveries that weigh 30, 40, 50 and 20 kg. Each truck can carry up to 100 "
     "kg. Minimize the total distance driven by the trucks.",
     {"variables": {"d": "continuous"}, "objective": {"sense": "minimize", "expression": "d"},
      "constraints": {"route": "d >= 57"}}, 57),
])
def test_a_right_model_for_another_ask_is_left_alone(text, written, answer):
    f = to_formulation(written)
    result = solve_formulation(f)
    assert result.objective == pytest.approx(answer)
    assert bin_counts(text, f, result) == []
