"""Benchmark data sets: where they live and how they load.

A data set is named (``nl4opt``, ``nlp4lp``, ``optibench``...) and found as
``<root>/<name>/<split>.jsonl`` (or ``.json``) under the first root that holds it:

1. ``Settings.benchmarks_dir`` (``OPTIFORM_BENCHMARKS_DIR``) when configured,
2. ``$OPTIFORM_SHARED/benchmarks`` (or ``$OPTIFORM_SHARED`` itself when it holds data sets),
3. ``<repository>/../shared/benchmarks``,
4. ``<user data dir>/benchmarks`` (where ``optiform eval fetch`` puts downloads).

Any JSONL or JSON file path works as a data set too. Files may be in the normalized format or
in the original NL4Opt / OptiBench formats (see :mod:`optiform.evals.formats`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from optiform.errors import ConfigError, EvalError
from optiform.evals.formats import Item, detect_format, to_item

SUFFIXES = (".jsonl", ".json")
REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Dataset:
    name: str
    split: str
    path: Path
    items: list[Item]
    skipped: list[str] = field(default_factory=list)
    """Records that could not become items (one message each)."""

    def __len__(self) -> int:
        return len(self.items)

    @property
    def sha256(self) -> str:
        return file_sha256(self.path)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def benchmark_roots(configured: Path | None = None) -> list[Path]:
    """Folders searched for named data sets, in order (existing ones only)."""
    candidates: list[Path] = []
    if configured is not None:
        named = Path(configured).expanduser()
        if not named.is_dir():  # a misspelt folder must not read another one's data sets
            raise EvalError(f"the benchmarks_dir setting names {named}, which is no folder",
                            hint="fix OPTIFORM_BENCHMARKS_DIR (or the config file), or unset "
                                 "it to use the folders `optiform eval list` names")
        candidates.append(named)
    shared = os.environ.get("OPTIFORM_SHARED")
    if shared:
        shared_path = Path(shared).expanduser()
        candidates += [shared_path / "benchmarks", shared_path]
    candidates.append(REPO_ROOT.parent / "shared" / "benchmarks")
    with contextlib.suppress(ConfigError):  # a data folder that is a file holds no data set
        candidates.append(download_root())  # (`eval fetch`, which writes there, says so)
    seen: list[Path] = []
    for path in candidates:
        if path.is_dir() and path.resolve() not in [s.resolve() for s in seen]:
            seen.append(path)
    return seen


def download_root() -> Path:
    """``<data dir>/benchmarks``: the data folder of the settings (``data_home`` when set), as
    threads, the library and the models use."""
    from optiform.config import load_settings

    return load_settings().data_dir / "benchmarks"


def _split_files(folder: Path) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for suffix in SUFFIXES:
        for path in sorted(folder.glob(f"*{suffix}")):
            out.setdefault(path.stem, path)
    return out


def known_datasets(configured: Path | None = None) -> dict[str, dict[str, Path]]:
    """Every named data set found: ``{name: {split: file}}``; the first root wins."""
    found: dict[str, dict[str, Path]] = {}
    for root in benchmark_roots(configured):
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            splits = _split_files(folder)
            if splits and folder.name not in found:
                found[folder.name] = splits
    return found


def resolve(spec: str | Path, split: str = "test", configured: Path | None = None) -> Path:
    """The file behind a data set name, a folder (``<folder>/<split>.jsonl``) or a file path."""
    path = Path(spec).expanduser()
    if path.is_file():
        return path
    if path.is_dir():
        splits = _split_files(path)
        if split in splits:
            return splits[split]
        raise EvalError(
            f"{path} has no {split!r} split",
            hint=f"splits there: {', '.join(splits) or 'none'}",
        )
    known = known_datasets(configured)
    if str(spec) not in known and (path.suffix.lower() in (".jsonl", ".json")
                                   or len(path.parts) > 1):
        # a path, not a name: say that the file is missing, not that the name is unknown
        raise EvalError(f"no data file at {path}",
                        hint="check the path; a data set is a JSONL file, a folder of "
                             "<split>.jsonl files, or a name: "
                             f"{', '.join(sorted(known)) or 'none found'}")
    if str(spec) not in known:
        from optiform.evals.fetch import SOURCES

        names = sorted(known)
        fetchable = sorted(set(SOURCES) - set(known))
        hint = f"known data sets: {', '.join(names) or 'none found'}"
        if fetchable:
            hint += f"; `optiform eval fetch` can download: {', '.join(fetchable)}"
        hint += "; or pass a JSONL file path"
        raise EvalError(f"unknown data set {str(spec)!r}", hint=hint)
    splits = known[str(spec)]
    if split not in splits:
        raise EvalError(
            f"data set {str(spec)!r} has no {split!r} split",
            hint=f"choose one of: {', '.join(splits)}",
        )
    return splits[split]


def read_records(path: Path) -> list[tuple[str, object]]:
    """``(where, record)`` pairs of a JSONL file, or of a JSON file holding a list."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM, as spreadsheet tools write it
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalError(f"cannot read {path}: {exc}") from exc
    data: object = None
    if path.suffix.lower() == ".json" or text.lstrip().startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            if path.suffix.lower() == ".json":
                raise EvalError(f"{path} is not valid JSON: {exc}") from exc
            # a .jsonl file whose first record is an array: read it line by line below
    if data is not None:
        if isinstance(data, dict):
            data = [{k: v} for k, v in data.items()] if all(
                isinstance(v, dict) and "document" in v for v in data.values()
            ) else [data]
        if not isinstance(data, list):
            raise EvalError(f"{path} holds neither a list nor an object of problems")
        return [(f"{path.name}[{i}]", rec) for i, rec in enumerate(data)]
    records: list[tuple[str, object]] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((f"{path.name}:{lineno}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise EvalError(
                f"{path}:{lineno} is not valid JSON: {exc}", hint="one JSON object per line"
            ) from exc
    return records


def load_file(path: Path, *, name: str | None = None, split: str = "test") -> Dataset:
    """All items of one file in any supported format; unreadable records are skipped."""
    records = read_records(path)
    if records:
        where, first = records[0]
        try:
            detect_format(first)
        except EvalError as exc:
            raise EvalError(f"{where}: {exc.message}", hint=exc.hint) from exc
    items: list[Item] = []
    skipped: list[str] = []
    ids: set[str] = set()
    for number, (where, record) in enumerate(records, 1):
        fallback = f"{path.stem}:{number}"
        try:
            item = to_item(record, fallback_id=fallback)
        except EvalError as exc:
            skipped.append(f"{where}: {exc.message}")
            continue
        if item.id in ids:
            raise EvalError(f"{where}: duplicate item id {item.id!r}", hint="ids must be unique")
        ids.add(item.id)
        items.append(item)
    if not items:
        raise EvalError(f"{path} holds no usable problems", hint="; ".join(skipped[:3]) or None)
    return Dataset(name=name or path.stem, split=split, path=path, items=items, skipped=skipped)


def load_dataset(
    spec: str | Path,
    split: str = "test",
    *,
    limit: int | None = None,
    skip: int = 0,
    configured: Path | None = None,
) -> Dataset:
    """A data set by name or path; ``skip`` drops the first N items and ``limit`` keeps the
    N after them (file order)."""
    path = resolve(spec, split, configured)
    spec_path = Path(spec).expanduser()
    if spec_path.is_file():
        name = spec_path.stem
    elif spec_path.is_dir():
        name = spec_path.name
    else:
        name = str(spec)
    dataset = load_file(path, name=name, split=split)
    dataset.items = window(dataset.items, skip=skip, limit=limit)
    return dataset


def window(items: list[Item], *, skip: int = 0, limit: int | None = None) -> list[Item]:
    """Items ``skip+1`` to ``skip+limit`` (to the end without a limit); an error when the
    window is empty or its bounds are not counts."""
    if limit is not None and limit < 1:
        raise EvalError(f"--limit must be at least 1 (got {limit})")
    if skip < 0:
        raise EvalError(f"--skip must be 0 or more (got {skip})")
    if skip >= len(items):
        raise EvalError(f"--skip {skip} leaves no items: the data set has {len(items)}",
                        hint=f"use a --skip below {len(items)}")
    return items[skip:][:limit]
