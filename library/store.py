"""The insight store: one SQLite file (WAL), safe for several processes writing at once.

Every write is one ``BEGIN IMMEDIATE`` transaction, and SQLite's busy timeout makes a second
writer wait instead of failing. Usage counts live in their own table and are bumped with
``UPDATE ... SET n = n + 1`` so concurrent runs never lose a count; content edits are
optimistic (a revision must follow the stored version). A new store is seeded once from the
packaged seed file. JSON export and import round-trip exactly.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optiform.errors import LibraryError
from optiform.library.exports import (
    EXPORT_FORMAT,
    EXPORT_VERSION,
    ImportResult,
    LibraryExport,
    parse_export,
    read_export,
)
from optiform.library.insight import OUTCOMES, Counts, Insight, InsightStatus, Outcome, now_iso

if TYPE_CHECKING:
    import numpy as np

    from optiform.config import Settings

SEED_FILE = "seed_insights.json"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS insights (
    id TEXT PRIMARY KEY, version INTEGER NOT NULL, status TEXT NOT NULL,
    label TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counts (
    id TEXT PRIMARY KEY, helped INTEGER NOT NULL DEFAULT 0, misled INTEGER NOT NULL DEFAULT 0,
    missed INTEGER NOT NULL DEFAULT 0, irrelevant INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS usage (
    n INTEGER PRIMARY KEY AUTOINCREMENT, insight_id TEXT NOT NULL, outcome TEXT NOT NULL,
    item_id TEXT, at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS usage_by_insight ON usage (insight_id, outcome);
CREATE TABLE IF NOT EXISTS embeddings (
    key TEXT NOT NULL, model TEXT NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (key, model));
CREATE TABLE IF NOT EXISTS learn_progress (
    run TEXT NOT NULL, item_id TEXT NOT NULL, status TEXT NOT NULL, insight_id TEXT,
    detail TEXT NOT NULL DEFAULT '', at TEXT NOT NULL, PRIMARY KEY (run, item_id));
"""


@dataclass(frozen=True)
class UsageEvent:
    insight_id: str
    outcome: Outcome
    item_id: str | None
    at: str


@dataclass(frozen=True)
class ProgressRow:
    item_id: str
    status: str
    insight_id: str | None
    detail: str


def default_store_path(settings: Settings | None = None) -> Path:
    """``Settings.library_path`` when set, else ``<data dir>/library.sqlite``: the data dir
    follows ``data_home``, as the model's and the threads' files do, and nothing outside it
    is read or changed (see :func:`library_outside_data_home`)."""
    from optiform.config import load_settings

    s = settings or load_settings()
    if s.library_path:
        return Path(s.library_path)
    return s.data_dir / "library.sqlite"


def library_outside_data_home(settings: Settings | None = None) -> Path | None:
    """The library in the user data dir, when ``data_home`` is set, names another folder that
    holds no library yet, and one is there: made before ``data_home`` was set (or by an
    optiform whose library did not follow it). The CLI names it, so that what it learned can
    be brought over (``library export``, then ``import``); it is never used silently."""
    from optiform.config import load_settings
    from optiform.config_paths import user_data_dir

    s = settings or load_settings()
    if s.library_path or not s.data_home:
        return None
    path, earlier = s.data_dir / "library.sqlite", user_data_dir() / "library.sqlite"
    if path.exists() or not earlier.exists() or path.resolve() == earlier.resolve():
        return None
    return earlier


def seed_insights() -> list[Insight]:
    """The packaged seed library."""
    from importlib.resources import files

    raw = json.loads((files("optiform.library") / SEED_FILE).read_text(encoding="utf-8"))
    return [Insight.model_validate(d) for d in raw["insights"]]


def _retry_locked(step: Callable[[], object], timeout: float) -> None:
    """Run ``step``, retrying while another process holds the lock SQLite needs for it.

    Switching a new file to WAL and creating the schema can report "locked" at once, without
    waiting for the busy timeout, when two processes open a fresh store together.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class InsightStore:
    """Insights, their usage, cached embeddings and learning progress in one SQLite file."""

    def __init__(self, path: str | Path | None = None, *, seed: bool = True,
                 timeout: float = 30.0) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self._lock = threading.RLock()
        self._depth = 0  # write transactions open on this connection (nested ones join)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                         check_same_thread=False)
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            _retry_locked(lambda: self._conn.execute("PRAGMA journal_mode = WAL"), timeout)
            self._conn.execute("PRAGMA synchronous = NORMAL")
            _retry_locked(lambda: self._conn.executescript(_SCHEMA), timeout)
        except (sqlite3.Error, OSError) as exc:
            raise LibraryError(f"cannot open the insight library at {self.path}: {exc}",
                               hint="check the path and its permissions, or set "
                                    "OPTIFORM_LIBRARY_PATH") from exc
        if seed:
            self._seed_once()

    # -- plumbing -------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._depth:  # inside transaction(): a savepoint in it, committed with it
                name = f"nested{self._depth}"
                self._conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield self._conn
                except BaseException:
                    self._conn.execute(f"ROLLBACK TO {name}")
                    raise
                finally:
                    self._depth -= 1
                    self._conn.execute(f"RELEASE {name}")
                return
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise LibraryError(f"the insight library at {self.path} is locked: {exc}",
                                   hint="another optiform process holds it; try again") from exc
            self._depth = 1
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes: every store write inside the block commits together, or none does
        when the block raises; a write that fails inside it (and is caught there) leaves
        nothing of itself. Keep the block short (no solving inside it): other writers wait
        for it."""
        with self._write():
            yield

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise LibraryError(f"cannot read the insight library: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> InsightStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _seed_once(self) -> None:
        # a read first: opening a seeded library to list or search it must not wait for
        # the write lock that a learning run or an import holds
        if self._read("SELECT 1 FROM meta WHERE key = 'seeded'"):
            return
        with self._write() as c:
            if c.execute("SELECT 1 FROM meta WHERE key = 'seeded'").fetchone():
                return
            for ins in seed_insights():
                self._put(c, ins, insert_only=True)
            c.execute("INSERT INTO meta VALUES ('seeded', ?)", (now_iso(),))

    @staticmethod
    def _put(c: sqlite3.Connection, ins: Insight, *, insert_only: bool = False) -> None:
        body = ins.model_dump_json(exclude={"counts"})
        verb = "INSERT OR IGNORE" if insert_only else "INSERT OR REPLACE"
        c.execute(f"{verb} INTO insights VALUES (?, ?, ?, ?, ?, ?)",
                  (ins.id, ins.version, ins.status, ins.label, body, ins.updated_at))
        k = ins.counts
        c.execute(f"{verb} INTO counts VALUES (?, ?, ?, ?, ?)",
                  (ins.id, k.helped, k.misled, k.missed, k.irrelevant))

    @staticmethod
    def _row(body: str, h: int, m: int, mi: int, ir: int) -> Insight:
        ins = Insight.model_validate_json(body)
        ins.counts = Counts(helped=h, misled=m, missed=mi, irrelevant=ir)
        return ins

    # -- insights -------------------------------------------------------------------------

    def insights(self, status: InsightStatus | Literal["all"] = "all") -> list[Insight]:
        sql = ("SELECT i.body, c.helped, c.misled, c.missed, c.irrelevant FROM insights i "
               "JOIN counts c ON c.id = i.id")
        args: tuple[Any, ...] = ()
        if status != "all":
            sql += " WHERE i.status = ?"
            args = (status,)
        return [self._row(*r) for r in self._read(sql + " ORDER BY i.label, i.id", args)]

    def active(self) -> list[Insight]:
        return self.insights("active")

    def missing_seed(self) -> list[Insight]:
        """The packaged seed insights whose ids the library lacks: those a later optiform
        added to its seed, for a library seeded (or imported) before."""
        have = {r[0] for r in self._read("SELECT id FROM insights")}
        return [ins for ins in seed_insights() if ins.id not in have]

    def add_missing_seed(self) -> list[str]:
        """Add :meth:`missing_seed`, as the seed has them; an insight the library holds, edited
        or disabled, stays as it is. The ids added."""
        with self._write() as c:
            have = {r[0] for r in c.execute("SELECT id FROM insights")}
            added = [ins for ins in seed_insights() if ins.id not in have]
            for ins in added:
                self._put(c, ins, insert_only=True)
        return [ins.id for ins in added]

    def find(self, insight_id: str) -> Insight | None:
        rows = self._read("SELECT i.body, c.helped, c.misled, c.missed, c.irrelevant "
                          "FROM insights i JOIN counts c ON c.id = i.id WHERE i.id = ?",
                          (insight_id,))
        return self._row(*rows[0]) if rows else None

    def get(self, insight_id: str) -> Insight:
        found = self.find(insight_id)
        if found is None:
            raise self._missing(insight_id)
        return found

    def _missing(self, insight_id: str) -> LibraryError:
        """No insight with this id: the error, with the id the user most likely meant (the
        tree shows labels, and a label is not always its insight's id)."""
        import difflib

        rows = self._read("SELECT id, label FROM insights")
        by_label = [i for i, label in rows if label.rsplit("/", 1)[-1] == insight_id]
        close = by_label or difflib.get_close_matches(insight_id, [r[0] for r in rows], n=1)
        hint = (f"did you mean {close[0]!r}?" if close
                else "`optiform library list` shows ids")
        return LibraryError(f"no insight with id {insight_id!r}", hint=hint)

    def add(self, insight: Insight) -> Insight:
        with self._write() as c:
            if c.execute("SELECT 1 FROM insights WHERE id = ?", (insight.id,)).fetchone():
                raise LibraryError(f"an insight with id {insight.id!r} already exists",
                                   hint="choose another id, or edit the existing one")
            self._put(c, insight)
        return insight

    def save_revision(self, revised: Insight) -> Insight:
        """Store ``revised`` (from ``Insight.revise``) if nobody changed the insight meanwhile
        (its content or status); provenance added meanwhile is kept."""
        with self._write() as c:
            row = c.execute("SELECT version, body FROM insights WHERE id = ?",
                            (revised.id,)).fetchone()
            if row is None:
                raise LibraryError(f"no insight with id {revised.id!r}")
            if row[0] != revised.version - 1:
                raise LibraryError(
                    f"insight {revised.id!r} changed meanwhile (stored version {row[0]}, "
                    f"this edit follows version {revised.version - 1})",
                    hint="reload it and edit again")
            stored = Insight.model_validate_json(row[1]).provenance
            revised = revised.model_copy(update={"provenance": [
                *stored, *(i for i in revised.provenance if i not in stored)]})
            c.execute("UPDATE insights SET version = ?, status = ?, label = ?, body = ?, "
                      "updated_at = ? WHERE id = ?",
                      (revised.version, revised.status, revised.label,
                       revised.model_dump_json(exclude={"counts"}), revised.updated_at,
                       revised.id))
        return self.get(revised.id)

    def _modify(self, insight_id: str, change: Callable[[Insight], dict[str, Any] | None],
                reason: str = "") -> Insight:
        """Apply ``change(stored insight) -> fields`` inside one write transaction, so that
        two writers never work from the same stale read (``None``: nothing to change). With
        a ``reason`` (a status change)
        the version goes up and the change joins the history, so a revision prepared from the
        old version (an edit, an evolve replay) is refused instead of silently undoing it;
        without one (provenance, which :meth:`save_revision` merges) the version stays."""
        with self._write() as c:
            row = c.execute("SELECT body FROM insights WHERE id = ?", (insight_id,)).fetchone()
            if row is None:
                raise self._missing(insight_id)
            stored = Insight.model_validate_json(row[0])
            fields = change(stored)
            if fields is None:
                return self.get(insight_id)
            update = {**fields, "updated_at": now_iso()}
            if reason:
                update["version"] = stored.version + 1
                update["history"] = [*stored.history, stored.snapshot(reason)]
            ins = stored.model_copy(update=update)
            c.execute("UPDATE insights SET version = ?, status = ?, body = ?, updated_at = ? "
                      "WHERE id = ?",
                      (ins.version, ins.status, ins.model_dump_json(exclude={"counts"}),
                       ins.updated_at, insight_id))
        return self.get(insight_id)

    def set_status(self, insight_id: str, status: InsightStatus) -> Insight:
        return self._modify(insight_id,
                            lambda ins: None if ins.status == status else {"status": status},
                            reason=f"status set to {status}")

    def add_provenance(self, insight_id: str, item_ids: list[str]) -> Insight:
        return self._modify(insight_id, lambda ins: {"provenance": ins.provenance + [
            i for i in item_ids if i not in ins.provenance]})

    def delete(self, insight_id: str) -> None:
        with self._write() as c:
            c.execute("DELETE FROM insights WHERE id = ?", (insight_id,))
            c.execute("DELETE FROM counts WHERE id = ?", (insight_id,))
            c.execute("DELETE FROM usage WHERE insight_id = ?", (insight_id,))

    # -- usage ----------------------------------------------------------------------------

    def record_usage(self, insight_id: str, outcome: Outcome, item_id: str | None = None) -> None:
        if outcome not in OUTCOMES:
            raise LibraryError(f"unknown usage outcome {outcome!r}",
                               hint=f"use one of: {', '.join(OUTCOMES)}")
        with self._write() as c:
            cur = c.execute(f"UPDATE counts SET {outcome} = {outcome} + 1 WHERE id = ?",
                            (insight_id,))
            if cur.rowcount == 0:
                raise LibraryError(f"no insight with id {insight_id!r}")
            c.execute("INSERT INTO usage (insight_id, outcome, item_id, at) VALUES (?, ?, ?, ?)",
                      (insight_id, outcome, item_id, now_iso()))

    def usage_events(self, insight_id: str | None = None) -> list[UsageEvent]:
        sql = "SELECT insight_id, outcome, item_id, at FROM usage"
        args: tuple[Any, ...] = ()
        if insight_id is not None:
            sql += " WHERE insight_id = ?"
            args = (insight_id,)
        return [UsageEvent(*r) for r in self._read(sql + " ORDER BY n", args)]

    def reset_counts(self, insight_id: str, outcomes: tuple[Outcome, ...] = OUTCOMES) -> None:
        """Zero the given counts (after a rewrite, old counts describe the old condition)."""
        sets = ", ".join(f"{o} = 0" for o in outcomes if o in OUTCOMES)
        if not sets:
            return
        with self._write() as c:
            c.execute(f"UPDATE counts SET {sets} WHERE id = ?", (insight_id,))
            marks = ",".join("?" for _ in outcomes)
            c.execute(f"DELETE FROM usage WHERE insight_id = ? AND outcome IN ({marks})",
                      (insight_id, *outcomes))

    # -- export and import ----------------------------------------------------------------

    def export_data(self) -> dict[str, Any]:
        items = sorted(self.insights(), key=lambda i: i.id)
        ids = {i.id for i in items}  # older stores kept the events of deleted insights
        return {"format": EXPORT_FORMAT, "format_version": EXPORT_VERSION,
                "insights": [i.model_dump(mode="json") for i in items],
                "usage": [{"insight_id": e.insight_id, "outcome": e.outcome,
                           "item_id": e.item_id, "at": e.at} for e in self.usage_events()
                          if e.insight_id in ids]}

    def export_json(self, path: str | Path) -> int:
        data = self.export_data()
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                              encoding="utf-8")
        return len(data["insights"])

    def import_data(self, data: object, *, replace: bool = False) -> ImportResult:
        """Add the insights of an export (its parsed JSON); see :meth:`import_export`."""
        return self.import_export(parse_export(data), replace=replace)

    def import_json(self, path: str | Path, *, replace: bool = False) -> ImportResult:
        return self.import_export(read_export(path), replace=replace)

    def import_export(self, export: LibraryExport, *, replace: bool = False) -> ImportResult:
        """Add the insights of a checked export, in one transaction.

        An insight of the export replaces the stored one with its id, unless the stored one is
        a later version: that one stays as it is, with its counts, events and history (the
        result names it), so importing an old export cannot roll edits back. At the same
        version, an insight the same as the stored one is left as it is, gaining only the
        export's usage events it lacks (an old export rolls no count back), and one that differs
        is a conflict: two edits made apart, which no version number orders; the stored one
        stays and the result names it. ``replace``
        drops every insight first, so the library becomes the export. An export that carries
        usage events (format 2) brings them along: an imported insight's events become the
        export's, so its counts and the items behind them (what ``evolve`` replays) stay in
        step. A format 1 export has counts only and leaves the events of the insights it
        overwrites as they are. An imported library is never seeded afterwards: what it holds
        is the export's and the user's."""
        added = updated = 0
        kept: list[str] = []
        same: list[str] = []
        conflicts: list[str] = []
        written: list[str] = []
        with self._write() as c:
            if replace:
                for table in ("insights", "counts", "usage"):
                    c.execute(f"DELETE FROM {table}")
            for ins in export.insights:
                row = c.execute("SELECT version, body FROM insights WHERE id = ?",
                                (ins.id,)).fetchone()
                if row is not None and row[0] > ins.version:
                    kept.append(ins.id)
                    continue
                if row is not None and row[0] == ins.version:
                    # the same version: the same insight (its counts and events may have moved
                    # on here), or two edits made apart from one version, which no order ranks
                    stored = Insight.model_validate_json(row[1])
                    if _content(stored) != _content(ins):
                        conflicts.append(ins.id)
                        continue
                    same.append(ins.id)
                    more = [i for i in ins.provenance if i not in stored.provenance]
                    if more:  # learning adds items without a new version
                        merged = stored.model_copy(update={
                            "provenance": stored.provenance + more})
                        c.execute("UPDATE insights SET body = ? WHERE id = ?",
                                  (merged.model_dump_json(exclude={"counts"}), ins.id))
                    continue
                self._put(c, ins)
                written.append(ins.id)
                updated += row is not None
                added += row is None
            if export.events is not None:
                ids = set(written)
                c.executemany("DELETE FROM usage WHERE insight_id = ?", [(i,) for i in written])
                c.executemany("INSERT INTO usage (insight_id, outcome, item_id, at) "
                              "VALUES (?, ?, ?, ?)", [e for e in export.events if e[0] in ids])
                self._merge_events(c, set(same), export.events)
            c.execute("INSERT OR IGNORE INTO meta VALUES ('seeded', ?)", (now_iso(),))
        return ImportResult(added, updated, tuple(kept), tuple(same), tuple(conflicts))

    @staticmethod
    def _merge_events(c: sqlite3.Connection, ids: set[str], events: list[Any]) -> None:
        """Add to insights the library holds unchanged the export's usage events it lacks
        (counted in a copy of the library), with their counts; events it holds stay once."""
        have = Counter(tuple(r) for r in c.execute(
            "SELECT insight_id, outcome, item_id, at FROM usage"))
        for event in events:
            if event[0] not in ids:
                continue
            if have[tuple(event)] > 0:
                have[tuple(event)] -= 1
                continue
            c.execute("INSERT INTO usage (insight_id, outcome, item_id, at) VALUES (?, ?, ?, ?)",
                      event)
            outcome = {"helped": "helped", "misled": "misled", "missed": "missed",
                       "irrelevant": "irrelevant"}[event[1]]  # checked by parse_export
            c.execute(f"UPDATE counts SET {outcome} = {outcome} + 1 WHERE id = ?", (event[0],))

    # -- embedding cache ------------------------------------------------------------------

    def cached_vectors(self, keys: list[str], model: str) -> dict[str, np.ndarray]:
        import numpy as np

        out: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            marks = ",".join("?" for _ in chunk)
            rows = self._read(f"SELECT key, vec FROM embeddings WHERE model = ? AND key IN "
                              f"({marks})", (model, *chunk))
            out.update({k: np.frombuffer(v, dtype=np.float32) for k, v in rows})
        return out

    def cache_vectors(self, model: str, vectors: dict[str, np.ndarray]) -> None:
        import numpy as np

        with self._write() as c:
            c.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                          [(k, model, np.asarray(v, dtype=np.float32).tobytes())
                           for k, v in vectors.items()])

    # -- learning progress ----------------------------------------------------------------

    def progress(self, run: str) -> dict[str, ProgressRow]:
        rows = self._read("SELECT item_id, status, insight_id, detail FROM learn_progress "
                          "WHERE run = ? ORDER BY at", (run,))
        return {r[0]: ProgressRow(*r) for r in rows}

    def set_progress(self, run: str, item_id: str, status: str, *,
                     insight_id: str | None = None, detail: str = "") -> None:
        with self._write() as c:
            c.execute("INSERT OR REPLACE INTO learn_progress VALUES (?, ?, ?, ?, ?, ?)",
                      (run, item_id, status, insight_id, detail, now_iso()))

    def clear_progress(self, run: str) -> None:
        with self._write() as c:
            c.execute("DELETE FROM learn_progress WHERE run = ?", (run,))


def _content(ins: Insight) -> tuple[str, ...]:
    """What two insights of one version must share to be the same insight (not the times of
    their writing, nor the items learning added to their provenance)."""
    return (ins.taxonomy.model_dump_json(), ins.condition.model_dump_json(), ins.explanation,
            ins.example.model_dump_json(), ins.status)
