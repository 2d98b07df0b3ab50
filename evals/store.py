"""The results folder of one run: ``run.json`` (what was run) and ``results.jsonl`` (one line
per finished item, appended, flushed and fsynced as soon as the item is done).

A run killed at any moment loses at most the item in flight: a last line without its newline
is a torn write; it is ignored when reading and cut off before appending again, so its item
runs again and is recorded exactly once.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import IO, Any

from optiform.errors import EvalError

RUN_FILE = "run.json"
RESULTS_FILE = "results.jsonl"


def record_key(item_id: str, label: str, config_hash: str) -> str:
    return f"{item_id}|{label}|{config_hash}"


class ResultStore:
    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.run_path = self.folder / RUN_FILE
        self.results_path = self.folder / RESULTS_FILE
        self._lock = threading.Lock()
        self._handle: IO[str] | None = None

    # -- run.json --------------------------------------------------------------------------

    def has_run(self) -> bool:
        return self.run_path.is_file()

    def read_run(self) -> dict[str, Any]:
        if not self.run_path.is_file():
            raise EvalError(
                f"{self.folder} holds no {RUN_FILE}",
                hint="pass the --out folder of an `optiform eval run`",
            )
        try:
            data = json.loads(self.run_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EvalError(f"cannot read {self.run_path}: {exc}",
                            hint="it is written by `optiform eval run`; run again into a new "
                                 "--out folder if it was damaged") from exc
        if not isinstance(data, dict):
            raise EvalError(f"{self.run_path} is not an eval run's record (it holds a "
                            f"{type(data).__name__}, not an object)",
                            hint="pass the --out folder of an `optiform eval run`")
        return data

    def write_run(self, data: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.run_path.with_name(RUN_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, self.run_path)

    # -- results.jsonl ---------------------------------------------------------------------

    def load(self) -> list[dict[str, Any]]:
        """Every complete record, first occurrence per key; a torn last line is ignored."""
        return load_results(self.results_path)

    def keys(self) -> set[str]:
        return {r["key"] for r in self.load() if "key" in r}

    def open(self) -> None:
        """Open for appending, first cutting off a torn last line."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _cut_torn_tail(self.results_path)
        self._handle = self.results_path.open("a", encoding="utf-8")

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, default=str, allow_nan=False) + "\n"
        with self._lock:
            if self._handle is None:
                self.open()
            assert self._handle is not None
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def __enter__(self) -> ResultStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def load_results(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = text.split("\n")
    complete, tail = lines[:-1], lines[-1]  # tail: "" when the file ends with a newline
    del tail  # a torn last line (no newline yet) never counts
    records: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, line in enumerate(complete, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalError(
                f"{path}:{number} is not a valid result line: {exc}",
                hint="delete that line, then resume: its item runs again",
            ) from exc
        key = record.get("key")
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        records.append(record)
    return records


def _cut_torn_tail(path: Path) -> None:
    if not path.is_file():
        return
    with path.open("rb+") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return
        # Scan back for the last newline (records are small; read the tail in blocks).
        pos = size
        keep = 0
        while pos > 0:
            step = min(65536, pos)
            pos -= step
            handle.seek(pos)
            block = handle.read(step)
            index = block.rfind(b"\n")
            if index != -1:
                keep = pos + index + 1
                break
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())
