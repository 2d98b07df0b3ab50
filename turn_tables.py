"""Where the tables of a turn live on disk: one folder per request, and per thread one folder
per turn that sent tables, under ``<data dir>/tables``.

A request outside a thread gets a fresh folder, removed when its turn ends (the answer's Pyomo
script carries the data). A thread's turn gets a new folder inside the thread's, holding the
tables of the thread's latest turn and then this turn's: a table sent again under the same name
leaves the files an earlier turn was solved with as they were. Each finished turn records its
folder in the thread's history, so undoing later turns brings its tables back
(:meth:`TableFolders.kept`); a folder that no kept turn and not the thread's state holds is
removed (:meth:`TableFolders.prune`). The Assistant (api.py) reads and writes the thread's
state; this module only reads what it is given and handles the folders.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from optiform.errors import InputError

_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")
LOCK_SUFFIX = ".lock"  # .turn-X.lock beside turn-X: locked while the turn that wrote it runs


class TableFolders:
    """The table folders under one root (``<data dir>/tables``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._held: dict[str, Any] = {}  # turn folder -> its open lock file, while it runs

    def _hold(self, dest: Path) -> None:
        """Lock a running turn's folder (flock on ``.turn-X.lock`` beside it, so the folder
        holds only tables) until :meth:`release`: :meth:`prune` in any process leaves a
        locked folder alone."""
        try:
            import fcntl
        except ImportError:  # no flock here: prune cannot tell, as before
            return
        _lock_file(dest).parent.mkdir(parents=True, exist_ok=True)
        fh = _lock_file(dest).open("a")
        fcntl.flock(fh, fcntl.LOCK_EX)  # a new folder: nobody else has it
        self._held[str(dest)] = fh

    def release(self, folder: str | None) -> None:
        """The turn that wrote ``folder`` is over: prune may remove it when nothing holds it."""
        fh = self._held.pop(str(folder), None) if folder else None
        if fh is not None:
            fh.close()  # closing drops the flock

    @staticmethod
    def _running(turn: Path) -> bool:
        """Whether a turn (of this process or another) still holds the folder's lock."""
        try:
            import fcntl
        except ImportError:
            return False
        if not _lock_file(turn).exists():
            return False
        try:
            fh = _lock_file(turn).open("a")
        except OSError:
            return False
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False

    def thread_folder(self, thread_id: str) -> Path:
        """A thread's folder: its id made safe plus a digest of the id itself, so ids that
        are made safe alike ('a:1', 'a_1') never share tables; "thread-" keeps an id such as
        ".." a name inside the root, never its parent."""
        digest = hashlib.sha256(thread_id.encode("utf-8")).hexdigest()[:12]
        return self.root / f"thread-{_SAFE.sub('_', thread_id)[:64]}-{digest}"

    def write(self, data: Mapping[str, Any], thread_id: str | None,
              last: Mapping[str, Any]) -> dict[str, Any]:
        """Write a turn's tables into a folder of its own: ``data_dir`` and ``tables`` for the
        graph's state. ``last`` is the thread's state before the turn ({} outside a
        thread)."""
        from optiform.agent.tables import prepare_tables

        if thread_id is None:
            dest = self.root / f"request-{uuid.uuid4().hex}"
        else:
            dest = self.thread_folder(thread_id) / f"turn-{uuid.uuid4().hex[:12]}"
            self._hold(dest)  # locked before it exists: a prune never sees it unlocked
            dest.mkdir(parents=True, exist_ok=True)
            if last.get("data_dir") and Path(last["data_dir"]).is_dir():
                for csv_file in Path(last["data_dir"]).glob("*.csv"):
                    shutil.copy2(csv_file, dest / csv_file.name)
        try:
            new = prepare_tables(data, dest)
        except BaseException:  # a broken table: nothing of this turn stays behind
            self.release(str(dest))
            shutil.rmtree(dest, ignore_errors=True)
            _lock_file(dest).unlink(missing_ok=True)
            raise
        files = {t.get("file") for t in new}
        kept = [t for t in last.get("tables") or [] if t.get("file") not in files]
        return {"tables": [*kept, *new], "data_dir": str(dest)}

    def remove_request(self, folder: str | None) -> None:
        """Remove a request's own folder (never a thread's) once its turn is over."""
        if folder and Path(folder).parent == self.root:
            shutil.rmtree(folder, ignore_errors=True)

    def kept(self, thread_id: str, history: list[dict[str, Any]], *,
             strict: bool = True) -> dict[str, Any] | None:
        """The state's ``data_dir`` and ``tables`` for a thread whose last kept turn is
        ``history[-1]`` (none: no tables); None for a turn recorded before turns held their
        tables (the state is left as it is). A folder that is gone or not this thread's is an
        InputError (``strict``) or no tables."""
        if not history:
            return {"data_dir": None, "tables": []}
        last = history[-1]
        if "data_dir" not in last:
            return None
        folder = last.get("data_dir")
        if folder is not None:
            root = self.thread_folder(thread_id).resolve()
            path = Path(str(folder)).resolve()
            if not (path.is_dir() and path.is_relative_to(root)):
                if not strict:
                    return {"data_dir": None, "tables": []}
                raise InputError(
                    f"the tables of the last turn kept are not in {root} (removed when that "
                    "turn was undone, or another thread's)",
                    hint="pass a prefix of assistant.history(thread_id) as it is now")
        return {"data_dir": folder, "tables": list(last.get("tables") or [])}

    def prune(self, thread_id: str, values: Mapping[str, Any]) -> None:
        """Remove the thread's turn folders that neither its state (``values``) nor a kept
        turn holds: the turns undone, a failed one, a turn that stated no problem and was
        followed by another.

        The Assistant's per-thread lock orders this against the thread's turns in this
        process; a folder whose turn still runs in another process (a chat beside the server
        on the same thread) holds its lock file, and stays."""
        folder = self.thread_folder(thread_id)
        if not folder.is_dir():
            return
        held = {values.get("data_dir")} | {t.get("data_dir") for t in
                                           values.get("history") or [] if isinstance(t, dict)}
        keep = {Path(p).resolve() for p in held if p}
        for turn in folder.glob("turn-*"):
            if turn.is_dir() and turn.resolve() not in keep and str(turn) not in self._held \
                    and not self._running(turn):
                shutil.rmtree(turn, ignore_errors=True)
                _lock_file(turn).unlink(missing_ok=True)

    def remove_thread(self, thread_id: str) -> None:
        shutil.rmtree(self.thread_folder(thread_id), ignore_errors=True)


def _lock_file(turn: Path) -> Path:
    return turn.with_name(f".{turn.name}{LOCK_SUFFIX}")
