"""Comparing the paths a user gives: whether two name one file, and refusing to write over a
file that an input was read from (a problem text, a table)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from optiform.errors import InputError


def same_path(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name one file or folder (after links and ``..``)."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def not_an_input(target: Path, inputs: Iterable[str | Path], what: str, example: str) -> Path:
    """``target``, unless it is one of ``inputs``: writing there would replace the file the
    problem or a table was read from (an InputError naming ``what`` wrote, with ``example``
    as another name)."""
    for given in inputs:
        if str(given) != "-" and same_path(target, given):
            raise InputError(f"{what} {target} is the file {given} an input was read from; "
                             "writing there would replace it",
                             hint=f"name another file, e.g. {example}")
    return target
