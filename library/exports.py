"""The library's JSON export: its format, and reading and checking one before any write.

Pure logic apart from :func:`read_export`'s one file read: an export is checked in full (every
insight, no id twice, every usage event) before the store is opened for writing, so a broken
file changes nothing and, for a library that does not exist yet, leaves no file behind.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from optiform.errors import LibraryError
from optiform.library.insight import OUTCOMES, Insight

EXPORT_FORMAT = "optiform-library"
EXPORT_VERSION = 2  # 2: with the usage events; 1 (counts only) still imports
_FIX = "fix the file or export it again"

UsageRow = tuple[str, str, str | None, str]  # insight id, outcome, item id, at


@dataclass(frozen=True)
class LibraryExport:
    insights: list[Insight]
    events: list[UsageRow] | None  # None: a format 1 export, counts only


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    kept: tuple[str, ...] = ()  # ids whose stored version is later than the export's
    same: tuple[str, ...] = ()  # ids the library holds as the export does (events merged)
    conflicts: tuple[str, ...] = ()  # same version, different insight: the stored one stays

    def summary(self) -> str:
        text = (f"imported {self.added + self.updated} insights ({self.added} new, "
                f"{self.updated} updated)")
        if self.same:
            text += f"; {len(self.same)} unchanged"
        if self.kept:
            text += (f"; kept {len(self.kept)} as they are, the library's version being "
                     f"later than the export's: {', '.join(self.kept)}")
        if self.conflicts:
            text += (f"; kept {len(self.conflicts)} as they are, though the export holds "
                     f"another edit of the same version: {', '.join(self.conflicts)} (compare "
                     "`library show ID` with the export; `library edit ID` merges them by "
                     "hand, `import --replace` takes the whole export)")
        return text


def read_export(path: str | Path) -> LibraryExport:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LibraryError(f"cannot read library export {path}: {exc}",
                           hint="give the path of a JSON file from `library export`") from exc
    return parse_export(data)


def parse_export(data: object) -> LibraryExport:
    """An export's parsed JSON, checked; a LibraryError names the first thing wrong."""
    from pydantic import ValidationError

    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise LibraryError("not an optiform library export",
                           hint="export one with `optiform library export FILE`")
    version = data.get("format_version", 1)
    if not isinstance(version, int) or not 1 <= version <= EXPORT_VERSION:
        raise LibraryError(f"the export's format_version {version!r} is not one this "
                           f"optiform reads (1 to {EXPORT_VERSION})",
                           hint="export it again with this version of optiform")
    if "insights" not in data:
        # a misspelt key must not read as "no insights": with --replace that empties the library
        raise LibraryError("the export has no 'insights' list", hint=_FIX)
    raw = data["insights"]
    if not isinstance(raw, list):
        raise LibraryError("the export's 'insights' is not a list", hint=_FIX)
    items = []
    for n, d in enumerate(raw):
        try:
            items.append(Insight.model_validate(d))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "the insight"
            name = d.get("id") if isinstance(d, dict) else None
            which = f"insight {n + 1}" + (f" ({name!r})" if isinstance(name, str) else "")
            raise LibraryError(f"the export's {which} is invalid: {field}: {first['msg']}",
                               hint=_FIX) from None
    twice = sorted(i for i, n in Counter(i.id for i in items).items() if n > 1)
    if twice:
        raise LibraryError(f"the export holds more than one insight with the id "
                           f"{', '.join(map(repr, twice))}",
                           hint="keep one of each (ids are unique in a library), or export "
                                "it again")
    return LibraryExport(items, _usage_rows(data.get("usage"), {i.id for i in items}))


def _usage_rows(raw: object, ids: set[str]) -> list[UsageRow] | None:
    """An export's usage events as rows, checked; None when it has none (format 1)."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise LibraryError("the export's 'usage' is not a list", hint=_FIX)
    rows = []
    for n, e in enumerate(raw):
        what = f"the export's usage event {n + 1}"
        if not isinstance(e, dict):
            raise LibraryError(f"{what} is not an object", hint=_FIX)
        iid, outcome, item, at = (e.get("insight_id"), e.get("outcome"), e.get("item_id"),
                                  e.get("at"))
        if not isinstance(iid, str) or iid not in ids:
            raise LibraryError(f"{what} names insight {iid!r}, which the export does not hold",
                               hint=_FIX)
        if outcome not in OUTCOMES:
            raise LibraryError(f"{what} has outcome {outcome!r}; use one of: "
                               f"{', '.join(OUTCOMES)}", hint=_FIX)
        if not (item is None or isinstance(item, str)) or not isinstance(at, str):
            raise LibraryError(f"{what} needs 'item_id' (text or null) and 'at' (text)",
                               hint=_FIX)
        rows.append((iid, outcome, item, at))
    return rows
