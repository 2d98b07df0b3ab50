"""Where `optiform solve --formulation` and `optiform export` read a formulation file's CSV
tables: the folder ``--data-dir`` names, else the file's own folder; a data error raised
while they are read names that folder and how it was chosen."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from optiform.errors import DataError


def tables_folder_of(path: Path, data_dir: Path | None) -> Path:
    """The folder the tables of the formulation file at ``path`` are read from: ``data_dir``
    (``--data-dir``), else the file's own folder."""
    return data_dir if data_dir is not None else path.resolve().parent


@contextmanager
def tables_folder(path: Path, data_dir: Path | None) -> Iterator[Path]:
    """:func:`tables_folder_of`, and a DataError raised within says which folder that was:
    the error itself names only its files (a server's folder is no business of its client),
    but on the command line the folder is the user's choice."""
    folder = tables_folder_of(path, data_dir)
    try:
        yield folder
    except DataError as err:
        how = ("--data-dir" if data_dir is not None
               else "the formulation's folder; --data-dir DIR names another")
        where = f"the tables folder is {folder} ({how})"
        raise DataError(err.message, hint=f"{err.hint}; {where}" if err.hint else where,
                        **err.details) from err
