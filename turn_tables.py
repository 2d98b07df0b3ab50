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


class TableFolders:
    """The table folders under one root (``<data dir>/tables``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

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
            dest.mkdir(parents=True, exist_ok=True)
            if last.get("data_dir") and Path(last["data_dir"]).is_dir():
                for csv_file in Path(last["data_dir"]).glob("*.csv"):
                    shutil.copy2(csv_file, dest / csv_file.name)
        try:
            new = prepare_tables(data, dest)
        except BaseException:  # a broken table: nothing of this turn stays behind
            shutil.rmtree(dest, ignore_errors=True)
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

        The Assistant's per-thread lock orders this against the thread's turns. Two
        processes on one data folder (a chat beside the server) working on the same thread
        at the same moment are not ordered: one could remove a folder the other has just
        written."""
        folder = self.thread_folder(thread_id)
        if not folder.is_dir():
            return
        held = {values.get("data_dir")} | {t.get("data_dir") for t in
                                           values.get("history") or [] if isinstance(t, dict)}
        keep = {Path(p).resolve() for p in held if p}
        for turn in folder.glob("turn-*"):
            if turn.is_dir() and turn.resolve() not in keep:
                shutil.rmtree(turn, ignore_errors=True)

    def remove_thread(self, thread_id: str) -> None:
        shutil.rmtree(self.thread_folder(thread_id), ignore_errors=True)
