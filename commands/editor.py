"""Editing text in the user's editor ($VISUAL, $EDITOR, else vi), as git does."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from optiform.errors import InputError


def editor_command() -> list[str]:
    """The editor to run, split like a shell would ("code --wait" is two words)."""
    for var in ("VISUAL", "EDITOR"):
        value = os.environ.get(var, "").strip()
        if value:
            try:
                words = shlex.split(value)
            except ValueError as exc:  # an unbalanced quote
                raise InputError(f"cannot read ${var} ({value!r}): {exc}",
                                 hint=f"fix ${var}, or give the changes as options "
                                      "(see --help)") from None
            if words:
                return words
    return ["vi"]


def edit_text(text: str, *, suffix: str = ".txt") -> str | None:
    """``text`` after the user edited it, or None when they saved no change. An editor that
    cannot be started or that fails is an InputError naming it."""
    command = editor_command()
    if shutil.which(command[0]) is None:
        raise InputError(f"cannot start the editor {command[0]!r}",
                         hint="set VISUAL or EDITOR to an editor on PATH, or give the changes "
                              "as options (see --help)")
    with tempfile.TemporaryDirectory(prefix="optiform-edit-") as folder:
        path = Path(folder) / f"edit{suffix}"
        path.write_text(text, encoding="utf-8")
        try:
            done = subprocess.run([*command, str(path)], check=False)
        except OSError as exc:
            raise InputError(f"cannot start the editor {command[0]!r}: {exc.strerror}",
                             hint="set VISUAL or EDITOR to an editor on PATH") from None
        if done.returncode != 0:
            raise InputError(f"the editor {command[0]!r} exited with {done.returncode}; "
                             "nothing was saved", hint="edit again, or give the changes as "
                                                       "options (see --help)")
        edited = path.read_text(encoding="utf-8")
    return None if edited == text else edited
