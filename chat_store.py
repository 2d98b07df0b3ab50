"""Chat threads on disk: one SQLite file in the user data directory (``chat.sqlite``).

A thread is an id, a title (its first message) and its turns; a turn keeps the user's text, the
full Answer as JSON (trace included, so ``/trace`` works after ``--continue``) and how long the
agent's own thread history was after it (so ``/undo`` can rewind that history exactly).
Undone turns stay in the file, marked, and are hidden from everything else.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from optiform.agent.threads import unusable_store
from optiform.errors import InputError, OptiformError

CHAT_FILE = "chat.sqlite"
TITLE_CHARS = 60

_SCHEMA = """
CREATE TABLE IF NOT EXISTS threads (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    thread_id TEXT NOT NULL REFERENCES threads(id),
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    answer TEXT NOT NULL,
    history_len INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, seq)
);
"""


@dataclass(frozen=True)
class ThreadInfo:
    id: str
    title: str
    created: float
    updated: float
    turn_count: int = 0  # its turns, undone ones left out (the HTTP API's name too)


@dataclass(frozen=True)
class TurnRecord:
    thread_id: str
    seq: int
    text: str
    answer_json: str
    history_len: int
    created: float


def new_thread_id() -> str:
    return time.strftime("%Y%m%d") + "-" + secrets.token_hex(3)


THREAD_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")  # what the CLI and the HTTP API accept


def check_thread_id(thread_id: str) -> str:
    if not isinstance(thread_id, str) or not THREAD_ID.fullmatch(thread_id):
        raise InputError(f"thread id {thread_id!r} is not usable: a thread id is 1-64 letters, "
                         "digits, _ . : -", hint="e.g. planning-2024")
    if not thread_id.strip("."):  # "." and ".." are path steps in a URL: no client sends them
        raise InputError(f"thread id {thread_id!r} is not usable: '.' and '..' are steps of a "
                         "path in a URL",
                         hint="e.g. planning-2024")
    return thread_id


class ChatStore:
    """Threads and turns in one SQLite file; safe to share between threads of one process."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db: sqlite3.Connection | None = sqlite3.connect(str(self.path),
                                                                  check_same_thread=False)
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise unusable_store(self.path, "chat store", exc) from None
        self._lock = threading.Lock()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            raise OptiformError("this chat is closed",
                                hint="open a new one: Assistant.chat(thread_id) continues the "
                                     "thread")
        return self._db

    @classmethod
    def default(cls, data_dir: Path) -> ChatStore:
        return cls(Path(data_dir) / CHAT_FILE)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # -- threads --------------------------------------------------------------------------

    def create_thread(self, thread_id: str | None = None, title: str = "") -> ThreadInfo:
        tid = thread_id or new_thread_id()
        if not tid.strip():
            raise InputError("a thread id cannot be empty", hint="omit it to get a new one")
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute("INSERT OR IGNORE INTO threads(id, title, created, updated) "
                               "VALUES (?, ?, ?, ?)", (tid, title[:TITLE_CHARS], now, now))
        found = self.get_thread(tid)
        assert found is not None
        return found

    def get_thread(self, thread_id: str) -> ThreadInfo | None:
        rows = self._threads("WHERE t.id = ?", (thread_id,), 1)
        return rows[0] if rows else None

    def latest_thread(self) -> ThreadInfo | None:
        rows = self._threads("", (), 1)
        return rows[0] if rows else None

    def list_threads(self, limit: int = 20) -> list[ThreadInfo]:
        return self._threads("", (), limit)

    def _threads(self, where: str, args: tuple[object, ...], limit: int) -> list[ThreadInfo]:
        sql = ("SELECT t.id, t.title, t.created, t.updated, "
               "(SELECT COUNT(*) FROM turns u WHERE u.thread_id = t.id AND u.undone = 0) "
               f"FROM threads t {where} ORDER BY t.updated DESC, t.rowid DESC LIMIT ?")
        with self._lock:
            rows = self._conn.execute(sql, (*args, limit)).fetchall()
        return [ThreadInfo(*row) for row in rows]

    # -- turns ----------------------------------------------------------------------------

    def add_turn(self, thread_id: str, text: str, answer_json: str, history_len: int) -> int:
        """Append a turn; returns its number (1-based, counting undone turns too)."""
        now = time.time()
        with self._lock, self._conn:
            (last,) = self._conn.execute("SELECT COALESCE(MAX(seq), 0) FROM turns WHERE "
                                         "thread_id = ?", (thread_id,)).fetchone()
            self._conn.execute(
                "INSERT INTO turns(thread_id, seq, text, answer, history_len, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (thread_id, last + 1, text, answer_json, history_len, now))
            self._conn.execute("UPDATE threads SET updated = ?, title = CASE WHEN title = '' "
                               "THEN ? ELSE title END WHERE id = ?",
                               (now, " ".join(text.split())[:TITLE_CHARS], thread_id))
        return int(last + 1)

    def turns(self, thread_id: str) -> list[TurnRecord]:
        """The thread's turns that were not undone, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT thread_id, seq, text, answer, history_len, created FROM turns "
                "WHERE thread_id = ? AND undone = 0 ORDER BY seq", (thread_id,)).fetchall()
        return [TurnRecord(*row) for row in rows]

    def last_turn(self, thread_id: str) -> TurnRecord | None:
        turns = self.turns(thread_id)
        return turns[-1] if turns else None

    def delete_thread(self, thread_id: str) -> bool:
        """Remove a thread and all its turns; False when there was no such thread."""
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM turns WHERE thread_id = ?", (thread_id,))
            gone = self._conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
        return gone.rowcount > 0

    def undo(self, thread_id: str) -> TurnRecord | None:
        """Mark the last turn undone and return it (None when there is nothing to undo)."""
        last = self.last_turn(thread_id)
        if last is None:
            return None
        with self._lock, self._conn:
            self._conn.execute("UPDATE turns SET undone = 1 WHERE thread_id = ? AND seq = ?",
                               (thread_id, last.seq))
            self._conn.execute("UPDATE threads SET updated = ? WHERE id = ?",
                               (time.time(), thread_id))
        return last
