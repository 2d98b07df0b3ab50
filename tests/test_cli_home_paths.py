"""A leading ``~`` in a path a command is given is the home folder (commands/home_paths.py),
through typer's runner: where the shell leaves it (quoted, ``--out=~/x``, a script's
argument) a command would otherwise read or write a folder named ``~`` in the current one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "formulations"
FARM = Path(__file__).parent / "fixtures" / "surfaces" / "farm_1.json"
PROBLEM = ("A farmer has 100 acres to plant wheat and corn. Wheat earns $300 per acre and corn "
           "$250. Wheat needs 3 hours of labor per acre and corn 2; 240 hours of labor are "
           "available. Maximize profit.")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, with the example formulations in it; the commands run in another folder, which
    must stay empty (no ``~`` folder made there)."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    shutil.copytree(EXAMPLES, home / "forms")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    yield home
    assert list(work.iterdir()) == []


def test_path_options_and_arguments_expand_a_leading_tilde(cli, home: Path) -> None:
    result = cli("export", "~/forms/production_lp.json", "--to", "lp", "-o", "~/out/m.lp")
    assert result.exit_code == 0, result.output
    assert (home / "out" / "m.lp").read_text().strip()
    result = cli("solve", "--formulation", "~/forms/diet_csv.json", "--data-dir",
                 "~/forms", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objective"] == pytest.approx(3.8)
    (home / "q.txt").write_text("a factory makes chairs and tables from wood\n")
    for args in (("library", "--path", "~/lib.sqlite", "import", "~/lib.json"),  # made here
                 ("library", "--path", "~/lib.sqlite", "search", "--file", "~/q.txt")):
        if args[3] == "import":
            from optiform.library.store import InsightStore

            InsightStore(home / "seeded.sqlite").export_json(home / "lib.json")
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
    assert (home / "lib.sqlite").is_file()
    result = cli("library", "--path", "~/lib.sqlite", "export", "~/again.json")
    assert result.exit_code == 0, result.output
    assert json.loads((home / "again.json").read_text())["insights"]


def test_a_text_solve_reads_tilde_tables_and_keeps_them_in_a_tilde_data_home(
        cli, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--data`` (a list of paths) and ``OPTIFORM_DATA_HOME='~/data'`` together."""
    answers = home / "answers.json"
    answers.write_text(json.dumps({"answers": [], "default": json.loads(FARM.read_text())}))
    (home / "crops.csv").write_text("crop,profit,labor\nwheat,300,3\ncorn,250,2\n")
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
    monkeypatch.setenv("OPTIFORM_FAKE_ANSWERS", "~/answers.json")
    monkeypatch.setenv("OPTIFORM_LIBRARY", "false")
    monkeypatch.setenv("OPTIFORM_DATA_HOME", "~/data")
    result = cli("solve", PROBLEM, "--data", "~/crops.csv", "--save-code", "~/out/model.py",
                 "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objective"] == pytest.approx(27000)
    assert (home / "out" / "model.py").is_file()  # --data was found: a table not there stops
    assert (home / "data" / "tables").is_dir()  # the turn's tables were put there


def test_an_expanded_path_is_checked_as_typer_checks_one_written_out(cli, home: Path) -> None:
    """A folder where a file is asked for (-o, --save-code) and a file where a folder is
    (--data-dir): a usage error naming the option, as for the path written out in full."""
    (home / "adir").mkdir()
    form = "~/forms/production_lp.json"
    for args, option, what in (
            (("export", form, "--to", "lp", "-o", "~/adir"), "--output", "is a directory"),
            (("solve", "a text", "--save-code", "~/adir"), "--save-code", "is a directory"),
            (("solve", "--formulation", form, "--data-dir", form), "--data-dir", "is a file")):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        said = " ".join(result.output.replace("│", " ").split())
        assert f"Invalid value for '{option}'" in said and what in said, (args, said)
        written_out = cli(*(str(home / a[2:]) if a.startswith("~/") else a for a in args))
        # the box wraps a long path's message, where it wraps depends on the path's length
        said_out = " ".join(written_out.output.replace("│", " ").split())
        assert written_out.exit_code == 2 and what in said_out, (args, said_out)
    assert list((home / "adir").iterdir()) == []
