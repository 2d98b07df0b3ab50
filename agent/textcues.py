"""What a problem text says, read with small heuristics: its numbers, its counted things, the
direction of its goal, the sentences that state limits. Pure functions over strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# the counts written as words, as texts give them ('seven boxes', 'the next three months')
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
                "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}


# a number written in digits, thousands commas included ('1,200'), not part of a word or label
DIGITS = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?")


def numbers_outside(text: str, spans: list[tuple[int, int]]) -> list[re.Match[str]]:
    """The numbers in digits that start outside every span: what a check that read only those
    spans left unread (a cost, a second count, a limit), where it must stay silent."""
    return [m for m in DIGITS.finditer(text) if not any(a <= m.start() < b for a, b in spans)]


def wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUMBER = re.compile(
    r"(?<![\w.])(?P<cur>[$€£])?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<pct>\s?%| percent)?(?![\w])"
)
_LABEL_WORDS = wordset(
    "product products type types machine machines plant plants factory factories option options "
    "line lines model models grade grades item items method methods process processes route "
    "routes site sites warehouse warehouses store stores region regions market markets step "
    "phase stage project projects worker shift shifts crop crops field fields mine mines "
    "facility facilities center centers depot depots city cities zone zones")
_YEAR_WORDS = ("in ", "year ", "since ", "by ")

UNIT_WORDS = wordset(
    "kg kgs kilogram kilograms gram grams g lb lbs pound pounds ton tons tonne tonnes ounce "
    "ounces oz liter liters litre litres ml gallon gallons cup cups hour hours minute minutes "
    "second seconds day days acre acres hectare hectares meter meters metre metres km mile "
    "miles foot feet square cubic dollar dollars money amount amounts calories grams "
    "milligrams mg percent portion portions fraction volume weight area length time")

COUNT_NOUNS = wordset(
    "truck trucks van vans bus buses car cars ship ships plane planes boat boats train trains "
    "person people worker workers employee employees staff nurse nurses doctor doctors "
    "student students teacher teachers machine machines unit units item items chair chairs "
    "table tables desk desks bike bikes bicycle bicycles house houses apartment apartments "
    "package packages box boxes bag bags container containers trip trips batch batches "
    "bottle bottles pill pills tablet tablets ad ads advertisement advertisements "
    "commercial commercials seat seats room rooms bed beds shift shifts team teams robot "
    "robots computer computers phone phones toy toys cake cakes pizza pizzas sandwich "
    "sandwiches cookie cookies pie pies burger burgers hat hats shirt shirts pair pairs "
    "animal animals cow cows chicken chickens sheep pig pigs tree trees plant plants "
    "vehicle vehicles camel camels horse horses cart carts ticket tickets "
    "carriage carriages helicopter helicopters canoe canoes kayak kayaks")


_STOP_WORDS = wordset("of and or to for the a an each in on at per that which should must "
                        "can will would with from is are be has have required needed used "
                        "made produced bought sold")


@dataclass(frozen=True)
class TextNumber:
    """A number of the text: ``text`` as written, with its currency sign and percent sign
    ('$1,200', '40 %'); ``start`` and ``end`` where its digits begin and end."""

    value: float
    text: str
    start: int
    percent: bool
    end: int

    @property
    def stop(self) -> int:
        """Where the number as written ends: after its percent sign, if it has one (``text``
        holds a currency sign before the digits, which ``start`` does not count)."""
        return self.start + len(self.text) - (1 if self.text[0] in "$€£" else 0)


def _is_label(text: str, start: int, value: float) -> bool:
    """'Product 2', 'machine 3', '1. ...': numbers that name things, not data."""
    if value != int(value) or value > 50:
        return False
    before = text[max(0, start - 24):start].rstrip().lower()
    word = re.findall(r"[a-z]+$", before)
    return bool(word) and word[0] in _LABEL_WORDS


def _is_enumeration(text: str, start: int, end: int) -> bool:
    """'1. Buy ...' or '(2) ...' at the start of a line."""
    line_start = text.rfind("\n", 0, start) + 1
    prefix = text[line_start:start].strip()
    return prefix in ("", "(") and re.match(r"[.):]\s", text[end:end + 2]) is not None


def numbers_in_text(text: str) -> list[TextNumber]:
    """The data numbers of a problem text: not list enumerations, labels, or years."""
    out = []
    for m in _NUMBER.finditer(text):
        raw = m.group("num")
        value = float(raw.replace(",", ""))
        start = m.start("num")
        if _is_enumeration(text, m.start(), m.end("num")) or _is_label(text, start, value):
            continue
        if value == int(value) and 1900 <= value <= 2100 and \
                text[max(0, start - 6):start].lower().endswith(_YEAR_WORDS):
            continue
        out.append(TextNumber(value, m.group(0), start, bool(m.group("pct")), m.end("num")))
    return out


def words(text: str) -> list[str]:
    """Lower-case word tokens; identifiers are split at '_' and camelCase."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z]+", text.lower())


def stem(word: str) -> str:
    """A crude singular: trucks -> truck, boxes -> box, batteries -> battery."""
    w = word.lower()
    for suffix, repl in (("ies", "y"), ("ves", "f"), ("sses", "ss"), ("xes", "x"),
                         ("ches", "ch"), ("shes", "sh")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 2:
            return w[: -len(suffix)] + repl
    if w.endswith("s") and len(w) > 3 and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def counted_things(text: str) -> set[str]:
    """Stems of the things the text counts in whole numbers ('number of trucks', 'how many
    people', 'workers'), leaving out measures ('how many kilograms')."""
    low = text.lower()
    found: set[str] = set()
    for m in re.finditer(r"\b(?:number of|how many)\s+(?:of\s+)?(?:each\s+|the\s+)?"
                         r"(?:(?:type|kind|sort)s?\s+of\s+)?((?:[a-z]+\s*){1,3})", low):
        window = []
        for w in m.group(1).split():
            if w in _STOP_WORDS:
                break
            window.append(w)
        if window and not any(w in UNIT_WORDS for w in window):
            found.update(stem(w) for w in window)
    for w in re.findall(r"[a-z]+", low):
        if w in COUNT_NOUNS:
            found.add(stem(w))
    return found


_MAX_CUES = re.compile(
    r"\bmaximi[sz]|\b(?:maximum|max|highest|largest|greatest|most)\s+(?:total\s+)?"
    r"(?:profit|revenue|return|income|earnings|output|production|value|benefit|satisfaction|"
    r"score|number|amount|sales|gain|yield|utility|coverage|exposure|viewers|audience)"
    r"|\bas (?:much|many|high|large|big|great)\b[^.?!]{0,40}\bas possible")
_MIN_CUES = re.compile(
    r"\bminimi[sz]|\b(?:minimum|min|lowest|least|smallest|cheapest)\s+(?:total\s+)?"
    r"(?:cost|costs|expense|expenses|spending|time|waste|distance|risk|loss|number|amount|"
    r"fuel|emissions|pollution|price|budget|labor)"
    r"|\bas (?:few|little|low|small|short|soon|early)\b[^.?!]{0,40}\bas possible|\bcheapest\b"
    r"|\b(?:reduce|decrease|lower)\s+(?:the\s+)?(?:total\s+)?(?:number|cost|amount|time|"
    r"waste|usage|use|consumption)\b")


def goal_sense(text: str) -> str | None:
    """'maximize' or 'minimize' when the wording asks for exactly one of them, else None."""
    low = text.lower()
    wants_max = bool(_MAX_CUES.search(low))
    wants_min = bool(_MIN_CUES.search(low))
    if wants_max == wants_min:
        return None
    return "maximize" if wants_max else "minimize"


LIMIT_PHRASES = re.compile(
    r"\b(?:at most|no more than|not more than|up to|available|availability|a maximum of|"
    r"maximum of|cannot exceed|can't exceed|can not exceed|must not exceed|does not exceed|"
    r"should not exceed|limited to|limit of|capacity|budget of|at least|no less than|"
    r"not less than|a minimum of|minimum of)\b")
EXACT_PHRASES = re.compile(r"\b(?:exactly|precisely|equal to|equals|all of|entire|must use all|"
                           r"must be used|fully used|in total must be|must total)\b")


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?;])\s+|\n+", text)
    return [p.strip() for p in parts if p.strip()]
