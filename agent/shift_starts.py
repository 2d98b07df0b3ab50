"""Staff counted per period where they must be counted per shift start. Two shapes, from user
checks with the embedded 1.5B model:

- 'needs at least 4 clerks from 8am to noon, 6 from noon to 4pm and 3 from 4pm to 8pm; each
  clerk works an 8-hour shift that starts either at 8am or at noon; hire the fewest clerks':
  the model wrote a variable per period (13 clerks, where 7 are right);
- 'nurses each day of the week: Monday 5, Tuesday 6, ...; each nurse works five days in a row
  and then has two days off; meet every day's need with the fewest nurses': the model wrote
  one variable for all nurses and lines with ``%`` (no model).

The check reads the needs per period (from one time to another, or per weekday, each once),
how long a shift lasts (hours, or days in a row with the week repeating) and, for times of
day, the times a shift may start; and the ask for the fewest staff, with no cost that would
weigh the starts apart. The staff on duty in a period are those whose shift started within
the shift length before it. Where the model has not a variable per start (or reached no
answer), the fix is that model: the staff starting at each start, for each period the starts
that cover it adding up to at least its need, and the starts' sum minimized. The model's own
variables and lines go.
A model that answers is left alone where the text says more than the roster reads: a number
that is no need, shift length or time ('at least 5 agents must start at noon') or staff of
another kind (part-time nurses for the weekend); the roster model would drop them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from optiform.agent.check_model import Check, replacement
from optiform.agent.textcues import NUMBER_WORDS, numbers_outside
from optiform.solvers.formulation import Formulation
from optiform.solvers.result import SolveResult

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_NEED = re.compile(rf"\b({'|'.join(_DAYS)})\b\s*(?::|-|–|needs?)?\s*(\d+)\b")
_COUNT = rf"(\d+|{'|'.join(NUMBER_WORDS)})"
_IN_A_ROW = re.compile(rf"\b{_COUNT}\s+(?:consecutive\s+days|days\s+in\s+a\s+row|straight\s+days|"
                       r"days\s+straight)\b", re.I)
_TIME = r"(?:\d{1,2}(?::\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}|noon|midday|midnight)"
_PERIOD_NEED = re.compile(rf"\b(\d+)\s+(?:[a-z]+\s+){{0,2}}?(?:from\s+({_TIME})\s+"
                          rf"(?:to|until|till)\s+({_TIME})|between\s+({_TIME})\s+and\s+"
                          rf"({_TIME}))", re.I)
_SHIFT_HOURS = re.compile(rf"\b{_COUNT}[- ]hours?\s+shifts?\b|\bshifts?\s+(?:of|lasts?|last)\s+"
                          rf"{_COUNT}\s+hours\b|\bworks?\s+{_COUNT}\s+(?:consecutive\s+)?hours\b",
                          re.I)
_STARTS = re.compile(rf"\bstarts?\s+(?:either\s+|only\s+)?at\s+({_TIME}(?:\s*(?:,|or|and)\s*"
                     rf"(?:at\s+)?{_TIME})+)", re.I)
_STAFF = (r"(?:nurses|clerks|workers|staff|employees|agents|people|drivers|operators|officers|"
          r"guards|cashiers|servers|doctors|tellers|attendants)")
_FEWEST = re.compile(rf"\b(?:fewest|minimum|smallest|(?<!at )least|minimi[sz]e)\b[^.?!]*"
                     rf"\b{_STAFF}\b", re.I)
_COSTED = re.compile(r"\$|\bcosts?\b|\bwages?\b|\bpaid\b|\bsalar", re.I)
_OTHER_STAFF = re.compile(r"\b(?:part[- ]time|full[- ]time|overtime|temporary|temps?|contractors?|"
                          r"volunteers?|on[- ]call)\b", re.I)


def _other_numbers(text: str) -> bool:
    """A number the roster does not read (a need, a shift's length, a time of day): a limit
    on the starts ('at least 5 must start at noon') the roster model would drop."""
    spans = [m.span() for p in (_PERIOD_NEED, _DAY_NEED, _SHIFT_HOURS, _IN_A_ROW,
                                re.compile(_TIME, re.I)) for m in p.finditer(text)]
    return bool(numbers_outside(text, spans))


@dataclass(frozen=True)
class Roster:
    """Periods with their needs, the shift starts, and which starts cover which periods."""
    periods: list[tuple[str, int]]  # (label, need)
    starts: list[str]  # labels
    covers: dict[str, list[str]]  # period label -> start labels


def _count(word: str) -> int:
    return NUMBER_WORDS.get(word.lower()) or int(word)


def _minutes(time: str) -> int:
    t = time.lower().replace(".", "").replace(" ", "")
    if t in ("noon", "midday"):
        return 12 * 60
    if t == "midnight":
        return 0
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(am|pm)?", t)
    if m is None:
        raise ValueError(time)
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if m.group(3) == "pm" and hour != 12:
        hour += 12
    if m.group(3) == "am" and hour == 12:
        hour = 0
    return (hour * 60 + minute) % (24 * 60)


def _label(time: str) -> str:
    return re.sub(r"[^0-9a-z]", "", time.lower())


def _week(text: str) -> Roster | None:
    needs = _DAY_NEED.findall(text)
    rows = _IN_A_ROW.findall(text)
    if sorted(d for d, _ in needs) != sorted(_DAYS) or len(rows) != 1:
        return None
    length = _count(rows[0])
    if not 1 < length < 7:
        return None
    order = {d: k for k, d in enumerate(_DAYS)}
    covers = {d: [s for s in _DAYS if (order[d] - order[s]) % 7 < length] for d in _DAYS}
    return Roster(periods=[(d, int(n)) for d, n in sorted(needs, key=lambda x: order[x[0]])],
                  starts=list(_DAYS), covers=covers)


def _day(text: str) -> Roster | None:
    needs = _PERIOD_NEED.findall(text)
    hours, starts = _SHIFT_HOURS.findall(text), _STARTS.findall(text)
    if len(needs) < 2 or len(hours) != 1 or len(starts) != 1:
        return None
    length = 60 * _count(next(h for h in hours[0] if h))
    start_times = re.findall(_TIME, starts[0], re.I)
    begins = {_label(t): _minutes(t) for t in start_times}
    periods: list[tuple[str, int]] = []
    covers: dict[str, list[str]] = {}
    for need, a, b, c, d in needs:
        first, last = (a, b) if a else (c, d)
        lo, hi = _minutes(first), _minutes(last)
        span = (hi - lo) % (24 * 60)
        label = f"{_label(first)}_to_{_label(last)}"
        if span == 0 or label in covers:
            return None
        covering = [s for s, at in begins.items() if (lo - at) % (24 * 60) + span <= length]
        if not covering:
            return None
        periods.append((label, int(need)))
        covers[label] = covering
    return Roster(periods=periods, starts=list(begins), covers=covers)


def roster(text: str) -> Roster | None:
    """The periods, needs and shift starts the text gives, where it asks for the fewest staff
    and weighs no start by a cost; else None (module docstring)."""
    if not _FEWEST.search(text) or _COSTED.search(text):
        return None
    try:
        return _week(text) or _day(text)
    except ValueError:
        return None


def roster_number_starts(text: str) -> frozenset[int]:
    """Where the shift length and the times of day start, where the text gives a roster: the
    model uses them through which starts cover which periods, not as numbers."""
    if roster(text) is None:
        return frozenset()
    starts = {m.start(k) for m in _SHIFT_HOURS.finditer(text)
              for k in range(1, 4) if m.group(k)}
    starts |= {m.start() for m in re.finditer(_TIME, text, re.I)}
    return frozenset(starts)


def _roster_model(f: Formulation, r: Roster) -> dict[str, dict[str, str]]:
    start = {s: f"start_{s}" for s in r.starts}
    constraints = {f"cover_{p}": f"{' + '.join(start[s] for s in r.covers[p])} >= {need}"
                   for p, need in r.periods}
    return replacement(f, constraints, dict.fromkeys(start.values(), "integer"),
                       {"sense": "minimize", "expression": " + ".join(start.values())},
                       "the roster of shift starts")


def shift_starts(text: str, f: Formulation, result: SolveResult | None) -> list[Check]:
    """A warning, with the shift-start model as the fix, where the model does not decide the
    staff per shift start (module docstring)."""
    r = roster(text)
    if r is None:
        return []
    answered = result is not None and result.ok
    if answered and (any(v.index for v in f.variables) or len(f.variables) == len(r.starts) or
                     _other_numbers(text) or _OTHER_STAFF.search(text)):
        return []  # a model that answers, with more to it than the roster: no replacing it
    starts = ", ".join(r.starts)
    return [Check(code="shift_start", severity="warning", where="variables",
                  names=[v.name for v in f.variables], fix=_roster_model(f, r), message=(
                      f"Staff work shifts that start at {starts} and each period needs a "
                      f"number on duty, but the model does not decide how many start at each "
                      f"start ({len(f.variables)} variables for {len(r.starts)} starts). Decide "
                      f"start_X for each start X; the staff on duty in a period are all who "
                      f"started within a shift's length before it, and add up to at least its "
                      f"need; minimize the sum of the starts."))]
