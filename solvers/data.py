"""Concrete data of a formulation: set elements and dense parameter arrays.

Set elements are Python values (str, int, or tuples for tuple sets). Parameters become dense
float arrays over their index sets (NaN where no value is given). CSV files are read with the
standard library; problems name the file, row and column and say what to do.
"""

from __future__ import annotations

import csv
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from optiform.errors import DataError, FormulationError
from optiform.solvers.formulation import CSVSource, Formulation, ParamDef, SetDef

Elem = str | int | tuple[Any, ...]


@dataclass
class SetData:
    name: str
    elements: list[Elem]
    lookup: dict[Any, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.lookup = {e: i for i, e in enumerate(self.elements)}
        # let "3" find 3 and 3 find "3": LLMs and CSV files mix the two
        for e, i in list(self.lookup.items()):
            if isinstance(e, int):
                self.lookup.setdefault(str(e), i)
            elif isinstance(e, str) and _as_int(e) is not None:
                self.lookup.setdefault(_as_int(e), i)

    @property
    def numeric(self) -> bool:
        return bool(self.elements) and all(
            isinstance(e, (int, float)) and not isinstance(e, bool) for e in self.elements)

    def __len__(self) -> int:
        return len(self.elements)


@dataclass
class ModelData:
    sets: dict[str, SetData]
    params: dict[str, np.ndarray]


def _as_int(s: str) -> int | None:
    if "_" in s:  # int() reads "1_000" as 1000; a table cell so written is text
        return None
    try:
        return int(s)
    except ValueError:
        return None


def cell_number(cell: str) -> float:
    """A table cell as a number, as a spreadsheet would read it: float() less the Python
    spelling "1_000" (a ValueError, as any other text)."""
    if "_" in cell:
        raise ValueError(cell)
    return float(cell)


def _elem(e: Any) -> Elem:
    return tuple(e) if isinstance(e, list) else e


def load_data(f: Formulation, data_dir: Path | None = None) -> ModelData:
    tables = _Tables(data_dir)
    sets = {s.name: SetData(s.name, _set_elements(s, tables)) for s in f.sets}
    params = {p.name: _param_array(p, sets, tables) for p in f.parameters}
    return ModelData(sets, params)


def _set_elements(s: SetDef, tables: _Tables) -> list[Elem]:
    if s.source is not None:
        if s.elements:
            raise FormulationError("give either elements or source, not both",
                                   where=f"set '{s.name}'")
        col = tables.column(s.source.file, s.source.column)
        seen: dict[Elem, None] = {}
        for n, r in tables.numbered_rows(s.source.file):
            if not r[col].strip():  # a nameless element would be solved as one
                raise _blank_key(s.source.file, n, s.source.column, f"set '{s.name}'")
            seen.setdefault(cell_element(r[col]), None)
        return list(seen)
    return [_elem(e) for e in s.elements]


def cell_element(v: str) -> Elem:
    """A table cell as a set element: an integer when the cell is one written plainly ("7"),
    else the text ("07", a code such as a ZIP, stays text: 7 would lose its zero)."""
    v = v.strip()
    i = _as_int(v)
    return i if i is not None and not is_code(v) else v


def is_code(text: str) -> bool:
    """Digits with a leading zero ("02134", "01"): a code, kept as text (as a number it would
    lose its zero and meet "2134" or "1")."""
    t = text.strip()
    return len(t) > 1 and t.isdigit() and t[0] == "0"


def _key_position(sd: SetData, cell: str) -> int | None:
    """Where a key cell's element sits in a set: the cell as written first ("01" when the set
    holds the code "01"), then as a number ("01" for a set of months 1, 2, ...)."""
    key = cell_element(cell)
    i = sd.lookup.get(key)
    if i is None and isinstance(key, str):
        number = _as_int(key)
        if number is None:  # "2.0", as a spreadsheet writes the whole number 2
            try:
                whole = cell_number(key)
            except ValueError:
                whole = math.nan
            if math.isfinite(whole) and whole.is_integer():
                number = int(whole)
        if number is not None:
            i = sd.lookup.get(number)
    return i


def _param_array(p: ParamDef, sets: dict[str, SetData], tables: _Tables) -> np.ndarray:
    where = f"parameter '{p.name}'"
    if not p.index:
        if p.value is None:
            raise FormulationError("a scalar parameter needs 'value'", where=where)
        if not math.isfinite(float(p.value)):
            raise FormulationError(f"value {p.value!r} is not a finite number", where=where)
        return np.asarray(float(p.value))
    shape = tuple(len(sets[s]) for s in p.index)
    if p.source is not None:
        return _param_from_csv(p, p.source, sets, tables, shape)
    values = p.values
    if isinstance(values, list):
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            arr = None
        if arr is not None and arr.shape == shape:
            return arr
        if arr is not None and arr.ndim == 1 and len(shape) > 1 and arr.size == math.prod(shape):
            return arr.reshape(shape)
        raise FormulationError(f"values have shape {_shape_of(values)} but the index sets "
                               f"{p.index} have sizes {shape}", where=where,
                               hint="give one number per element, in the order of the set")
    if isinstance(values, Mapping):
        return _param_from_mapping(p, values, sets, shape)
    raise FormulationError("indexed parameter needs 'values' or 'source'", where=where)


def _shape_of(v: Any) -> tuple[int, ...]:
    if isinstance(v, list):
        return (len(v), *(_shape_of(v[0]) if v else ()))
    return ()


def _param_from_mapping(p: ParamDef, values: Mapping[str, Any], sets: dict[str, SetData],
                        shape: tuple[int, ...]) -> np.ndarray:
    where = f"parameter '{p.name}'"
    arr = np.full(shape, np.nan)
    index_sets = [sets[s] for s in p.index]

    def put(keys: list[Any], v: Any) -> None:
        pos = []
        flat: list[Any] = []
        for k in keys:
            flat.extend(str(k).split(",") if len(keys) < len(index_sets) else [k])
        if len(flat) != len(index_sets):
            raise FormulationError(f"key {','.join(map(str, keys))!r} has {len(flat)} parts "
                                   f"but the parameter has {len(index_sets)} indices",
                                   where=where)
        for part, sd in zip(flat, index_sets, strict=True):
            key = part.strip() if isinstance(part, str) else part
            i = sd.lookup.get(key)
            if i is None and isinstance(key, str) and "," in key:
                i = sd.lookup.get(tuple(cell_element(x) for x in key.split(",")))
            if i is None:
                from optiform.solvers.expr import suggest

                raise FormulationError(f"key {key!r} is not an element of set '{sd.name}'",
                                       where=where, token=str(key),
                                       suggestion=suggest(str(key), [str(e) for e in
                                                                     sd.elements]))
            pos.append(i)
        try:
            value = float(v)
        except (TypeError, ValueError):
            raise FormulationError(f"value {v!r} for key {keys} is not a number",
                                   where=where) from None
        if not math.isfinite(value):
            raise FormulationError(f"value {v!r} for key {keys} is not a finite number",
                                   where=where)
        arr[tuple(pos)] = value

    def walk(node: Any, keys: list[Any]) -> None:
        if isinstance(node, Mapping):
            for k, v in node.items():
                walk(v, [*keys, k])
        elif isinstance(node, Sequence) and not isinstance(node, str):
            raise FormulationError("mix of mapping and list in values", where=where)
        else:
            put(keys, node)

    walk(values, [])
    return arr


class _Tables:
    """CSV files of one data directory, each read once."""

    def __init__(self, data_dir: Path | None) -> None:
        # None: no tables folder, so no file is read (not the working directory: a model
        # written for a problem sent to the HTTP API would read the server's)
        self.data_dir = Path(data_dir) if data_dir else None
        self._cache: dict[str, tuple[list[str], list[tuple[int, list[str]]]]] = {}

    def _path(self, file: str) -> Path:
        """The file inside the data directory. A source is a model's (often an LLM's) word, so
        it may not leave that directory (no absolute path, no '..', no link out) nor name
        anything but a CSV file: a problem sent to the HTTP API must not read the server's
        files.

        The errors speak to whoever wrote the model, an LLM or a person: they name the folder's
        CSV files as a source names them, never the folder's path (a server's folder is no
        business of its client); the command line adds which folder it read (its
        ``--data-dir``)."""
        if self.data_dir is None:
            raise DataError(f"the model reads {file!r}, but no tables folder was given",
                            hint="give the values in the model, or the folder of its CSV "
                                 "files (data_dir=...)")
        rel = Path(file)
        path = self.data_dir / rel
        if not self._inside(rel, path):
            raise DataError(f"data file {file!r} is outside the tables folder; "
                            f"{self._tables_given()}",
                            hint=self._name_a_table(file))
        if rel.suffix.lower() != ".csv":
            raise DataError(f"data file {file!r} is not a CSV file",
                            hint="tables are CSV files with a header row (name.csv)")
        return path

    def _inside(self, rel: Path, path: Path) -> bool:
        assert self.data_dir is not None
        return (not rel.is_absolute() and ".." not in rel.parts
                and path.resolve().is_relative_to(self.data_dir.resolve()))

    def _csv_files(self) -> list[str]:
        """The CSV files a source may name, as it names them: those of the tables folder, then
        those of its folders (``data/costs.csv``: a formulation file's folder often keeps its
        tables in one); none of a folder that cannot be read."""
        assert self.data_dir is not None
        top: list[str] = []
        nested: list[str] = []
        for entry in _entries(self.data_dir):
            if entry.is_dir() and not entry.name.startswith("."):
                nested += [f"{entry.name}/{p.name}" for p in _entries(entry) if _is_csv(p)]
            elif _is_csv(entry):
                top.append(entry.name)
        return [f for f in top + nested if self._inside(Path(f), self.data_dir / f)]

    def _tables_given(self) -> str:
        """What the tables folder holds: its CSV files by the names a source gives them."""
        names = self._csv_files()
        if not names:
            return "the tables folder holds no CSV file"
        shown = ", ".join(names[:12]) + (f" and {len(names) - 12} more" if len(names) > 12 else "")
        return f"the tables folder holds {shown}"

    def _name_a_table(self, file: str) -> str:
        """The hint for a source whose file is not there: the table it likely means, and how
        a source names one."""
        names = self._csv_files()
        if not names:
            return "put the CSV file into the tables folder, or give the values in the model"
        # the same name in another folder, else a name close to it: "food" for "foods", not
        # "sites" for "costs" (the shared ".csv" is no cue, and short names meet easily)
        stems: dict[str, str] = {}
        for n in names:
            stems.setdefault(Path(n).stem.lower(), n)
        close = difflib.get_close_matches(Path(file).stem.lower(), list(stems), n=1,
                                          cutoff=0.75)
        near = next((n for n in names if Path(n).name == Path(file).name), None) or (
            stems[close[0]] if close else None)
        how = "a source names a CSV file by its path inside the tables folder"
        return f"did you mean {near!r}? ({how})" if near else f"{how}, e.g. {names[0]!r}"

    def _load(self, file: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
        if file in self._cache:
            return self._cache[file]
        path = self._path(file)
        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.reader(fh))
        except FileNotFoundError:
            raise DataError(f"data file {file!r} not found; {self._tables_given()}",
                            hint=self._name_a_table(file)) from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise DataError(f"cannot read data file {file!r}: {why}",
                            hint="save it as UTF-8 CSV with a header row") from None
        if not rows:
            raise DataError(f"data file {file!r} is empty", hint="add a header row and data")
        header = [h.strip() for h in rows[0]]
        body = [(n, _trim(r, len(header))) for n, r in enumerate(rows[1:], start=2)
                if any(c.strip() for c in r)]
        for n, r in body:
            if len(r) != len(header):
                raise DataError(f"data file {file!r}, row {n}: {len(r)} cells but "
                                f"{len(header)} columns",
                                hint="every row needs one cell per header column")
        self._cache[file] = (header, body)
        return header, body

    def header(self, file: str) -> list[str]:
        return self._load(file)[0]

    def numbered_rows(self, file: str) -> list[tuple[int, list[str]]]:
        """The rows with data, each with its row number in the file (the header is row 1)."""
        return self._load(file)[1]

    def rows(self, file: str) -> list[list[str]]:
        return [r for _, r in self._load(file)[1]]

    def column(self, file: str, name: str) -> int:
        header, _ = self._load(file)
        if name not in header:
            from optiform.solvers.expr import suggest

            raise DataError(f"column {name!r} not in {file} (columns: {', '.join(header)})",
                            hint=f"did you mean {suggest(name, header)!r}?"
                            if suggest(name, header) else "check the header row")
        if header.count(name) > 1:  # which of them is meant is anybody's guess
            raise DataError(f"column {name!r} appears {header.count(name)} times in {file}",
                            hint="give each column of the header its own name")
        return header.index(name)


def _entries(folder: Path) -> list[Path]:
    """What ``folder`` holds, sorted; nothing when it cannot be read."""
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _is_csv(path: Path) -> bool:
    return path.suffix.lower() == ".csv" and path.is_file()


def _trim(row: list[str], width: int) -> list[str]:
    """A row without the blank cells past the header's width (a trailing comma)."""
    while len(row) > width and not row[-1].strip():
        row = row[:-1]
    return row


def _blank_key(file: str, row: int, column: str, what: str) -> DataError:
    return DataError(f"{file}, row {row}, column {column!r}: the cell is empty, but {what} "
                     "takes its elements from it",
                     hint="name the element in that cell, or leave the row out")


def _param_from_csv(p: ParamDef, src: CSVSource, sets: dict[str, SetData], tables: _Tables,
                    shape: tuple[int, ...]) -> np.ndarray:
    where = f"parameter '{p.name}'"
    src = _read_wide(p, src, sets, tables)
    wide = bool(src.columns)
    if len(src.key) + wide != len(p.index):
        raise FormulationError(
            f"source.key names {len(src.key)} column(s)"
            + (" beside the wide table's columns" if wide else "")
            + f" but the parameter has {len(p.index)} index set(s)", where=where,
            hint="a wide table's 'key' names the columns of every index set but the last, "
                 "whose elements name its 'columns'" if wide else None)
    # (column position, its element's position in the last index set, its name)
    value_columns: list[tuple[int, int | None, str]] = []
    for name in src.columns if wide else [src.column or ""]:
        at = _key_position(sets[p.index[-1]], name) if wide else None
        value_columns.append((tables.column(src.file, name), at, name))
    if wide and all(at is None for _, at, _ in value_columns):
        raise FormulationError(
            f"none of the columns {', '.join(repr(c) for c in src.columns)} of {src.file} "
            f"names an element of set '{p.index[-1]}'", where=where,
            hint="index the parameter by the set whose elements are those columns' names")
    kcols = [tables.column(src.file, k) for k in src.key]
    arr = np.full(shape, np.nan)
    given: dict[tuple[int, ...], int] = {}  # position -> the row that gave it
    for n, row in tables.numbered_rows(src.file):
        pos = []
        for kc, key, s in zip(kcols, src.key, p.index, strict=False):
            if not row[kc].strip():
                raise _blank_key(src.file, n, key, where)
            i = _key_position(sets[s], row[kc])
            if i is None:
                break  # rows for elements outside the set are not part of this model
            pos.append(i)
        else:
            for vcol, last, name in value_columns:
                if wide and last is None:
                    continue  # a column for an element outside the set
                at = tuple(pos) + ((last,) if wide else ())
                value = _cell_value(src.file, n, name, row[vcol])
                if at in given and arr[at] != value:
                    keys = ", ".join(row[kc].strip() for kc in kcols)
                    raise DataError(f"{src.file}: rows {given[at]} and {n} both give "
                                    f"{name!r} for {keys} ({arr[at]:g} and {value:g})",
                                    hint="keep one row per key")
                given.setdefault(at, n)
                arr[at] = value
    return arr


def _read_wide(p: ParamDef, src: CSVSource, sets: dict[str, SetData],
               tables: _Tables) -> CSVSource:
    """A one-column source whose key leaves out the last index set, where that column and
    at least one other of the file are named by that set's elements ('hours' over (worker,
    task) from column 'task1' with key ['worker'], in a table with a column per task): the
    source of a wide table, read from every such column."""
    if src.columns or len(p.index) < 2 or len(src.key) != len(p.index) - 1:
        return src
    header = tables.header(src.file)
    named = [str(e) for e in sets[p.index[-1]].elements if str(e) in header]
    if src.column not in named or len(named) < 2:
        return src
    return src.model_copy(update={"column": None, "columns": named})


def _cell_value(file: str, n: int, column: str, cell: str) -> float:
    where_cell = f"{file}, row {n}, column {column!r}"
    try:
        value = cell_number(cell)
    except ValueError:
        raise DataError(f"{where_cell}: {cell!r} is not a number",
                        hint="fix the cell or leave the row out") from None
    if not math.isfinite(value):
        raise DataError(f"{where_cell}: {cell.strip()!r} is not a finite number",
                        hint="a model needs a number here: fill it in, or leave the "
                             "row out") from None
    return value
