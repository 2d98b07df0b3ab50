"""Data tables attached to a problem: written as CSV files into one data directory, previewed
for the prompt, read back as rows for the code strategy.

A table is a path to a CSV file (or a TSV file, or a JSON file holding a list of rows or an
object of columns), a DataFrame-like object (anything with ``to_csv``), a mapping of column ->
list of values, or a list of row mappings. A table a model cannot use (no rows, a row of the
wrong width, a twice-named column) is a DataError before any LLM sees it.
"""

from __future__ import annotations

import csv
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from optiform.errors import DataError

PREVIEW_ROWS = 6


MAX_NAME_CHARS = 100  # a table's name is a file's name: most file systems allow 255 bytes


def _text(table: str, what: str, text: str) -> str:
    """A name or a cell as it will be written: valid UTF-8, with no NUL character."""
    from optiform.agent.intake import check_unicode

    check_unicode(text, f"data table {table!r}: {what}", DataError)
    if "\x00" in text:
        raise DataError(f"data table {table!r}: {what} holds a NUL character",
                        hint="remove the NUL (\\x00) characters") from None
    return text


def _file_name(name: str) -> str:
    _text(str(name)[:60], "its name", str(name))
    if len(str(name)) > MAX_NAME_CHARS:
        raise DataError(f"data table name {str(name)[:40]!r}... has {len(str(name))} characters;"
                        f" at most {MAX_NAME_CHARS}",
                        hint='name each table by what it holds, e.g. "costs"')
    if "/" in str(name) or "\\" in str(name):  # "../x" would quietly become "x"
        raise DataError(f"data table name {str(name)!r} is a path, not a name",
                        hint='name each table by what it holds, e.g. "costs" (a file\'s path '
                             'goes in the value: {"costs": "data/costs.csv"})')
    base = Path(str(name)).name
    stem = base[:-4] if base.lower().endswith(".csv") else base
    if not stem.strip() or stem.startswith("."):  # "" would be a hidden ".csv"
        raise DataError(f"data table name {str(name)!r} names no table",
                        hint='name each table by what it holds, e.g. "costs"')
    return base if base.lower().endswith(".csv") else f"{base}.csv"


def _write_rows(path: Path, columns: list[str], rows: list[list[Any]]) -> None:
    for column in columns:
        _text(path.stem, f"column {column[:40]!r}", column)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)


def write_table(name: str, table: Any, dest: Path) -> Path:
    """Write one table into ``dest`` as ``<name>.csv``; DataError when it cannot be used."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / _file_name(name)
    if isinstance(table, (str, Path)):
        src = _table_file(Path(table), f"data table {name!r}:",
                          "a CSV path, a DataFrame, or a dict of columns")
        kind = src.suffix.lower()
        if kind == ".json":
            return write_table(name, _json_table(src), dest)
        if kind == ".tsv":  # as CSV, cell for cell: the preview checks its widths and header
            rows = _tsv_rows(src)
            with target.open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(rows)
            return target
        if kind not in CSV_SUFFIXES:
            raise DataError(f"data table {src.name}: a {kind or 'suffix-less'} file is not a "
                            "table optiform reads",
                            hint="give a .csv (or .tsv, or .json: a list of rows or a mapping "
                                 "of columns) file")
        _check_separator(src)
        if src.resolve() != target.resolve():
            shutil.copyfile(src, target)
    elif hasattr(table, "to_csv"):
        index_names = getattr(getattr(table, "index", None), "names", None) or []
        have = {str(c) for c in getattr(table, "columns", [])}
        if any(n is not None and str(n) not in have for n in index_names):
            table = table.reset_index()  # df.set_index("crop"): the column stays
        if hasattr(table, "itertuples") and hasattr(table, "columns"):  # pandas: cell by cell
            _write_frame(name, table, target)
        else:
            table.to_csv(target, index=False)
    elif isinstance(table, Mapping):
        if not table:
            raise DataError(f"data table {name!r} has no columns",
                            hint="give at least one column with its values")
        columns = [str(c) for c in table]
        for column, values in table.items():
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise DataError(f"data table {name!r}: column {column!r} is one value "
                                f"({values!r}), not a list of values",
                                hint='give each column a list: {"item": ["a", "b"], '
                                     '"cost": [3, 4]}')
            if isinstance(values, (Mapping, set, frozenset)):  # its keys would be the cells
                raise DataError(f"data table {name!r}: column {column!r} is a "
                                f"{type(values).__name__}, not a list of values",
                                hint="give each column a list (pandas: df.to_dict('list'), or "
                                     "pass the DataFrame itself)")
        cols = [[_cell(name, column, n, cell) for n, cell in enumerate(values, start=1)]
                for column, values in zip(columns, table.values(), strict=True)]
        if len({len(c) for c in cols}) > 1:
            raise DataError(f"data table {name!r}: columns have different lengths",
                            hint="give every column the same number of values")
        _write_rows(target, columns, [list(r) for r in zip(*cols, strict=True)])
    elif isinstance(table, Sequence) and table and all(isinstance(r, Mapping) for r in table):
        columns = list(dict.fromkeys(str(k) for r in table for k in r))
        rows = [{str(k): v for k, v in r.items()} for r in table]
        for n, (given, row) in enumerate(zip(table, rows, strict=True), start=1):
            if len(row) < len(given):  # 1 and "1" would have become one column
                twice = next(str(k) for k in given if sum(str(j) == str(k) for j in given) > 1)
                raise DataError(f"data table {name!r}: row {n} names column {twice!r} twice "
                                "(as a number and as a text)",
                                hint="give every column one name, as text")
        for n, row in enumerate(rows, start=1):
            missing = [c for c in columns if c not in row]
            if missing:  # an empty cell would be read as a value the user never gave
                raise DataError(
                    f"data table {name!r}: row {n} has no {', '.join(map(repr, missing[:5]))}"
                    + (f" (and {len(missing) - 5} more)" if len(missing) > 5 else "")
                    + f"; the rows name the columns {', '.join(map(repr, columns[:8]))}",
                    hint="give every row the same keys (null for a cell with no value)")
        _write_rows(target, columns, [[_cell(name, c, n, row[c]) for c in columns]
                                      for n, row in enumerate(rows, start=1)])
    elif isinstance(table, Sequence) and not isinstance(table, str) and not table:
        raise DataError(f"data table {name!r} has no rows", hint="give at least one row")
    else:
        raise DataError(f"data table {name!r}: unsupported type {type(table).__name__}",
                        hint="pass a CSV path, a DataFrame, a dict of columns or a list of rows")
    return target


CSV_SUFFIXES = (".csv", ".txt")


def _write_frame(name: str, frame: Any, target: Path) -> None:
    """A DataFrame through the checks every other table gets: to_csv would write True, inf or
    a list as text that reads back as something else."""
    columns = [str(c) for c in frame.columns]
    twice = next((c for c in columns if columns.count(c) > 1), None)
    if twice is not None:
        raise DataError(f"data table {name!r} names column {twice!r} twice",
                        hint="give every column its own name (df.columns = [...])")
    rows = [[_cell(name, column, n, cell) for column, cell in zip(columns, row, strict=True)]
            for n, row in enumerate(frame.itertuples(index=False, name=None), start=1)]
    _write_rows(target, columns, rows)


def _cell(name: str, column: str, row: int, cell: Any) -> Any:
    """A cell as it is written: it must read back as what it was, a number, a text, or no
    value (None, or NaN as pandas writes a missing value); a date or a time is its ISO text;
    a list, a mapping, True, a fraction or an infinite number would come back as other text,
    and is a DataError."""
    import datetime
    import math
    import numbers
    from decimal import Decimal

    if cell is None:
        return cell
    if isinstance(cell, str):
        return _text(name, f"row {row}, column {column!r}", cell)
    if isinstance(cell, (datetime.date, datetime.time)):  # pandas' Timestamp too
        return None if type(cell).__name__ == "NaTType" else cell.isoformat()
    # numpy's integers and floats too (numpy's bool_ is neither); not Fraction: "1/2" is text
    number = isinstance(cell, (numbers.Integral, float, Decimal)) or (
        isinstance(cell, numbers.Real) and type(cell).__module__ == "numpy")
    if isinstance(cell, bool) or not number:
        if type(cell).__name__ == "NAType":  # pandas' missing value
            return None
        shown = repr(cell) if len(repr(cell)) <= 40 else repr(cell)[:39] + "…"
        raise DataError(f"data table {name!r}, row {row}, column {column!r}: {shown} is not a "
                        "number or a text",
                        hint="give each cell one number or one text (1 and 0 for yes and no)")
    try:
        value = float(cell)
    except (OverflowError, ValueError):  # 10**400, Decimal("sNaN")
        value = math.inf
    if math.isnan(value) and not isinstance(cell, Decimal):
        return None
    if not math.isfinite(value):
        shown = str(cell) if len(str(cell)) <= 24 else str(cell)[:23] + "…"
        raise DataError(f"data table {name!r}, row {row}, column {column!r}: {shown} is not a "
                        "finite number", hint="give a finite number, or null for no value")
    return cell


def _json_table(src: Path) -> Any:
    """A JSON file's table: a list of row objects or an object of columns."""
    import json

    try:
        table = json.loads(src.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise _not_utf8(src, exc) from None
    except json.JSONDecodeError as exc:
        raise DataError(f"data table {src.name}: not valid JSON ({exc.msg}, line {exc.lineno})",
                        hint="fix the file, or give the table as CSV") from None
    rows_ok = isinstance(table, list) and all(isinstance(r, dict) for r in table)
    columns_ok = isinstance(table, dict) and all(isinstance(v, list) for v in table.values())
    if not (rows_ok or columns_ok):
        raise DataError(f"data table {src.name}: the JSON is not a table",
                        hint='give a list of rows ([{"item": "a", "cost": 3}, ...]) or an '
                             'object of columns ({"item": ["a"], "cost": [3]})')
    return table


def _tsv_rows(src: Path) -> list[list[str]]:
    try:
        with src.open(newline="", encoding="utf-8-sig") as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise _not_utf8(src, exc) from None
    import io

    try:  # quoted as pandas, Excel and Python's csv write it ("5"" pipe")
        return list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True))
    except csv.Error:  # else a '"' is part of its cell ('"Deluxe" pipe', 'open "quote')
        return list(csv.reader(io.StringIO(text, newline=""), delimiter="\t",
                               quoting=csv.QUOTE_NONE))


def _check_separator(src: Path) -> None:
    """A CSV file whose header and first row split alike on ';' or tabs, and on no comma,
    reads as one column: its separator is not the comma (a quoted header, or a row that
    splits otherwise, is a column whose name holds the character)."""
    try:
        with src.open(newline="", encoding="utf-8-sig") as fh:
            head, first = fh.readline().rstrip("\r\n"), fh.readline().rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise _not_utf8(src, exc) from None
    if "," in head or head.lstrip().startswith('"'):
        return
    for sep, what in ((";", "semicolons"), ("\t", "tabs")):
        if sep in head and first.count(sep) == head.count(sep):
            raise DataError(f"data table {src.name}: its columns are separated by {what}, so "
                            f"it reads as one column {head[:60]!r}",
                            hint="save it with commas (CSV), or give a tab-separated file "
                                 "the suffix .tsv")


def _not_utf8(path: Path, exc: UnicodeDecodeError) -> DataError:
    return DataError(f"data table {path.name}: not UTF-8 text ({exc.reason})",
                     hint="save the table as UTF-8")


def preview(path: Path, rows: int = PREVIEW_ROWS, source: str | None = None
            ) -> dict[str, Any]:
    """The TableInfo dict the prompts use: file name, columns, first rows, row count.
    ``source``: the file the user gave, when it is not ``path`` (notes.txt, read as notes.csv),
    so that what is wrong is said of the file they know."""
    label = path.name if source in (None, path.name) else f"{source} (read as {path.name})"
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if not header:
                raise DataError(f"data table {label}: the file is empty",
                                hint="the first row must name the columns")
            columns = [h.strip() for h in header]
            _check_header(label, columns)
            head, n, blank = [], 0, 0
            for row in reader:
                if not any(cell.strip() for cell in row):
                    blank += 1
                    continue
                if len(row) < len(columns) or any(c.strip() for c in row[len(columns):]):
                    raise DataError(f"data table {label}, row {reader.line_num}: "
                                    f"{len(row)} cells but {len(columns)} columns",
                                    hint="every row needs one cell per header column")
                if n < rows:
                    head.append(row)
                n += 1
    except UnicodeDecodeError as exc:
        raise _not_utf8(path, exc) from None
    if n == 0:
        raise DataError(f"data table {label}: no row has a value" if blank else
                        f"data table {label} has no rows, only its header",
                        hint="give at least one row of values")
    return {"name": path.stem, "file": path.name, "columns": columns, "rows": head,
            "n_rows": n}


def _check_header(file: str, columns: list[str]) -> None:
    # an unnamed column is allowed: pandas writes its index so, and a trailing comma makes one
    twice = sorted({c for c in columns if c and columns.count(c) > 1})
    if twice:
        raise DataError(f"data table {file}: column {twice[0]!r} is named twice",
                        hint="give every column its own name")


def _table_file(path: Path, what: str, kinds: str) -> Path:
    """``path``, when it is a file; a DataError naming ``what`` when it is a folder or
    missing."""
    if path.is_dir():
        raise DataError(f"{what} {path} is a folder, not a table file",
                        hint="pass each table's own file, e.g. costs.csv")
    if not path.is_file():
        raise DataError(f"{what} file {path} not found", hint=f"check the path; pass {kinds}")
    return path


def tables_by_name(paths: Iterable[str | Path]) -> dict[str, Path]:
    """Table files by table name (the file's stem), as ``--data`` and chat's ``/data`` give
    them; a DataError when a file is missing or two share a name."""
    tables: dict[str, Path] = {}
    from optiform.config_paths import expand_home

    for raw in paths:
        try:
            given = expand_home(raw)
        except ValueError as exc:  # '~nosuchuser/x.csv'
            raise DataError(str(exc), hint="write the path out in full") from None
        path = _table_file(given, "data", "a .csv, .tsv or .json table file")
        if path.stem in tables:
            raise DataError(f"two data files are named {path.stem!r}",
                            hint="rename one: tables are known by their file name")
        tables[path.stem] = path
    return tables


def prepare_tables(data: Mapping[str, Any], dest: Path) -> list[dict[str, Any]]:
    """Write every table into ``dest`` and return their previews."""
    if not isinstance(data, Mapping):
        raise DataError(f"data must map table names to tables, not be a "
                        f"{type(data).__name__}",
                        hint='e.g. data={"costs": "costs.csv"} or {"costs": {"item": [...]}}')
    files: dict[str, str] = {}
    for name in data:
        file = _file_name(name)
        if file in files:
            raise DataError(f"data tables {files[file]!r} and {name!r} would both be {file}",
                            hint="give every table its own name")
        files[file] = str(name)
    return [preview(write_table(name, table, dest),
                    source=Path(table).name if isinstance(table, (str, Path)) else None)
            for name, table in data.items()]


def _number(cell: str) -> Any:
    """A cell as a number when it is one written plainly; a code such as "02134" stays text
    (as the formulation path reads set elements)."""
    from optiform.solvers.data import cell_element, cell_number, is_code

    element = cell_element(cell)
    if isinstance(element, int) or is_code(element):
        return element
    try:
        return cell_number(element)  # as the formulation path reads it: "1_000" is text
    except ValueError:
        return element


def read_rows(data_dir: str | Path | None, file: str) -> list[dict[str, Any]]:
    """All rows of one table as dicts, numbers converted (for the code strategy's ``data``)."""
    if data_dir is None:
        return []
    path = Path(data_dir) / file
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return [{k.strip(): _number(v or "") for k, v in row.items() if k is not None}
                for row in csv.DictReader(fh)
                if any((v or "").strip() for k, v in row.items() if k is not None)]
