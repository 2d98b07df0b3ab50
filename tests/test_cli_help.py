"""typer's help ends its rows without spaces (commands/trimmed_help.py): rich pads the usage
line and a command's text to the terminal's width, which a copy or a pipe would carry."""

from __future__ import annotations

import re

import pytest

from optiform.commands.trimmed_help import trimmed

CODE = re.compile(r"\x1b\[[0-9;]*m")
HELPS = (
    ("--help",),
    (),  # a group given no command prints its help
    ("solve", "--help"),
    ("model", "settings", "--help"),
    ("library", "learn", "--help"),
    ("eval",),
)


@pytest.mark.parametrize("columns", ["80", "100"])
@pytest.mark.parametrize("args", HELPS, ids=lambda a: " ".join(a) or "no-args")
def test_help_rows_end_without_spaces(cli, monkeypatch, args: tuple[str, ...],
                                      columns: str) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    out = cli(*args).output
    assert "Usage: " in out and "╭─ Options" in out and "--help" in out  # the panels stay
    rows = out.splitlines()
    assert max(len(row) for row in rows) == int(columns)  # the panels fill the width
    assert [row for row in rows if row.endswith(" ")] == []


def test_coloured_help_keeps_its_colours(cli, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("FORCE_COLOR", "1")
    out = cli("solve", "--help").output
    assert CODE.search(out)  # styled as before
    plain = CODE.sub("", out).splitlines()
    assert any(row.startswith(" Usage: ") for row in plain)
    assert [row for row in plain if row.endswith(" ")] == []


def test_trimmed_drops_the_spaces_at_a_rows_end_and_keeps_its_codes() -> None:
    assert trimmed("a b   \n  \nc\n") == "a b\n\nc\n"
    assert trimmed("\x1b[1m x \x1b[0m\x1b[1m   \x1b[0m\n") == "\x1b[1m x\x1b[0m\x1b[1m\x1b[0m\n"
    assert trimmed("no newline   ") == "no newline   "  # the rest of the row is yet to come
