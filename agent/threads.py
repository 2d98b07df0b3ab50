"""Checkpointers for threads: SQLite on disk (conversations survive restarts), memory in tests.

A thread's state keeps the earlier turns (``history``), so a follow-up ("now allow overtime")
is formulated as a revision of the previous model.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from optiform.errors import ConfigError

THREADS_FILE = "threads.sqlite"


def sqlite_checkpointer(path: str | Path) -> Any:
    """A SqliteSaver on ``path`` (created with its parent directory when missing)."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), check_same_thread=False)
        saver = SqliteSaver(conn)
        saver.setup()
    except (sqlite3.Error, OSError) as exc:
        raise unusable_store(p, "thread memory", exc) from None
    return saver


def memory_checkpointer() -> Any:
    from langgraph.checkpoint.memory import InMemorySaver

    return InMemorySaver()


def default_threads_path(data_dir: Path) -> Path:
    return data_dir / THREADS_FILE


def close_checkpointer(saver: Any) -> None:
    conn = getattr(saver, "conn", None)
    if isinstance(conn, sqlite3.Connection):
        conn.close()


def unusable_store(path: Path, what: str, exc: Exception) -> ConfigError:
    """The error for a store file of the data folder that cannot be opened (not a SQLite
    file, a file where a folder should be, no permission)."""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    return ConfigError(f"cannot open the {what} at {path}: {why}",
                       hint="move that file away (a new one is made), or set "
                            "OPTIFORM_DATA_HOME to a folder of its own")
