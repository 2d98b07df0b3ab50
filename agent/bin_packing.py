"""A bin packing the model did not write as one. For 'seven boxes weigh 4, 8, 1, 4, 2, 1 and 7 kg;
they must be packed into bins that each hold at most 10 kg; what is the smallest number of
bins that holds all the boxes?' the embedded 1.5B model wrote two variables (boxes, bins) and no
line that puts a box in a bin (0 bins, where 3 are right).

The check reads the items' sizes where the text lists three or more of them in one run ('weigh
4, 8, 1 and 7 kg'; a count before them, 'seven boxes', must agree), the one capacity of the
bins ('bins that each hold at most 10 kg', 'trucks with a capacity of 20 tons') and the ask for
the fewest bins (their number: not the cost of the bins or the distance the trucks drive), where
the text has no other number (how many of each size, a price, trips a day). No number of bins
is right below the total size over the capacity (rounded up) nor above what first-fit
decreasing packs them into; where the model's answer is outside those bounds (or it has none),
the fix is the bin-packing model: bins 1 .. the first-fit count,
each used or not, every item in exactly one bin, no used bin filled past its capacity and no
unused bin holding anything, bins used in order, and the bins used minimized. The model's own
variables and lines go.
"""

from __future__ import annotations

import math
import re

from optiform.agent.check_model import Check, replacement
from optiform.agent.textcues import NUMBER_WORDS, numbers_outside
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

_NUM = r"\d+(?:\.\d+)?"
_RUN = rf"{_NUM}(?:\s*(?:,\s*(?:and\s+)?|and\s+){_NUM}){{2,}}"
_BIN = (r"(?:bins?|containers?|trucks?|crates?|bags?|vehicles?|disks?|pallets?|boxes|trailers?|"
        r"shelves|shelf|boats?|lorries|lorry)")
_SIZE_VERB = (r"(?:weigh(?:ing)?|(?:with\s+)?(?:weights?|sizes?)(?:\s+(?:of|are))?|of|are|"
              r"measur(?:e|ing)|tak(?:e|ing)|need(?:ing)?|us(?:e|ing))")
_SIZES = re.compile(rf"\b(?:(\w+)\s+(?:\w+\s+)?)?{_SIZE_VERB}\s+({_RUN})\s*([a-zA-Z]+)?", re.I)
_CAPACITY_VERB = (r"(?:holds?|carry|carries|takes?|fits?|(?:with\s+)?a\s+capacity\s+of|"
                  r"capacity\s+(?:of|is)|of(?:\s+(?:size|capacity))?)")
_CAPACITY = re.compile(rf"\b{_BIN}\b[^.;]*?\b{_CAPACITY_VERB}\s+(?:at\s+most\s+|up\s+to\s+|"
                       rf"only\s+)?({_NUM})\s*([a-zA-Z]+)?", re.I)
# the count of bins asked: 'the smallest number of bins', 'use the fewest crates', not 'minimize
# the total distance driven by the trucks' or 'the total cost of the crates used'
_FEWEST = re.compile(rf"\b(?:smallest|fewest|least|minimum|minimi[sz]e)\s+(?:(?:the|possible|total|"
                     rf"number|count|of)\s+)*(?:\w+\s+)?{_BIN}\b", re.I)
_MAX_ITEMS = 30


def item_sizes(text: str) -> tuple[list[float], float] | None:
    """The items' sizes and the bins' capacity the text gives, with the ask for the fewest bins;
    else None (module docstring)."""
    if not _FEWEST.search(text):
        return None
    runs = list(_SIZES.finditer(text))
    caps = list(_CAPACITY.finditer(text))
    if len(runs) != 1 or len(caps) != 1:
        return None
    run, cap = runs[0], caps[0]
    if numbers_outside(text, [run.span(2), cap.span(1)]):
        return None  # another number: a count of each size, a cost, trips a day
    sizes = [float(x) for x in re.findall(_NUM, run.group(2))]
    head = (run.group(1) or "").lower()
    count = NUMBER_WORDS.get(head) or (int(head) if head.isdigit() else None)
    unit, cap_unit = (run.group(3) or "").lower(), (cap.group(2) or "").lower()
    capacity = float(cap.group(1))
    if (count is not None and count != len(sizes)) or len(sizes) > _MAX_ITEMS or \
            (unit and cap_unit and unit.rstrip("s") != cap_unit.rstrip("s")) or \
            capacity <= 0 or max(sizes) > capacity or min(sizes) <= 0:
        return None
    return sizes, capacity


def first_fit_decreasing(sizes: list[float], capacity: float) -> int:
    """The number of bins first-fit decreasing packs the items into."""
    loads: list[float] = []
    for size in sorted(sizes, reverse=True):
        for k, load in enumerate(loads):
            if load + size <= capacity + 1e-9:
                loads[k] += size
                break
        else:
            loads.append(size)
    return len(loads)


def _packing_model(f: Formulation, sizes: list[float], capacity: float,
                   bins: int) -> dict[str, dict[str, str]]:
    used = [f"bin{b}" for b in range(1, bins + 1)]
    put = {(i, b): f"item{i}_in_bin{b}" for i in range(1, len(sizes) + 1)
           for b in range(1, bins + 1)}
    constraints = {f"item{i}_packed": " + ".join(put[i, b] for b in range(1, bins + 1)) + " == 1"
                   for i in range(1, len(sizes) + 1)}
    for b in range(1, bins + 1):
        load = " + ".join(f"{size:g}*{put[i, b]}" for i, size in enumerate(sizes, 1))
        constraints[f"bin{b}_capacity"] = f"{load} <= {capacity:g}*{used[b - 1]}"
    for b in range(1, bins):
        constraints[f"bin{b + 1}_after_bin{b}"] = f"{used[b]} <= {used[b - 1]}"
    return replacement(f, constraints, dict.fromkeys([*used, *put.values()], "binary"),
                       {"sense": "minimize", "expression": " + ".join(used)}, "the packing")


def bin_counts(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """A warning, with the bin-packing model as the fix, where the text asks for the fewest bins
    for listed items and the model's answer is outside the bounds its sizes set (module
    docstring)."""
    read = item_sizes(text)
    if read is None:
        return []
    sizes, capacity = read
    low = math.ceil(sum(sizes) / capacity - 1e-9)
    high = first_fit_decreasing(sizes, capacity)
    answer = result.objective if result is not None and result.ok else None
    if answer is not None and low - 1e-6 <= answer <= high + 1e-6:
        return []
    got = f"the model's answer is {answer:g}" if answer is not None else "the model gives none"
    listed = ", ".join(f"{s:g}" for s in sizes)
    return [Check(code="bin_count", severity="warning", where="objective",
                  names=[v.name for v in f.variables],
                  fix=_packing_model(f, sizes, capacity, high), message=(
                      f"The text asks for the fewest bins of capacity {capacity:g} for items of "
                      f"sizes {listed}: at least {low} (their total over the capacity) and at "
                      f"most {high} (first-fit decreasing), but {got}. Decide for each item and "
                      f"bin whether the item goes in that bin (each item in exactly one bin), "
                      f"and for each bin whether it is used; a used bin holds at most "
                      f"{capacity:g}, an unused one nothing; minimize the bins used."))]
