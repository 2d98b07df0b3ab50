"""A data folder that is a file, or is under one (``data_home``, or the default one), through
typer's runner: the commands that use nothing in it run, those that read or write there stop
with an error naming the setting, where its value came from and what to do, and nothing is
written or removed there either way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optiform.config_paths import user_data_dir

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "formulations"
FARM = Path(__file__).parent / "fixtures" / "surfaces" / "farm_1.json"
PROBLEM = ("A farmer has 100 acres to plant wheat and corn. Wheat earns $300 per acre and corn "
           "$250. Wheat needs 3 hours of labor per acre and corn 2; 240 hours of labor are "
           "available. Maximize profit.")
MPS = """NAME          SMALL
ROWS
 N  COST
 L  LIM
COLUMNS
    X         COST      -1.0       LIM       1.0
    Y         COST      -2.0       LIM       1.0
RHS
    RHS       LIM       4.0
BOUNDS
 UP BND       Y         3.0
ENDATA
"""


@pytest.fixture(params=["data_home", "under_a_file", "default"])
def bad_folder(request: pytest.FixtureRequest, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """A file of the user's where the data folder should be: the one OPTIFORM_DATA_HOME
    names, or holds (notes.txt/data), or the default one ($OPTIFORM_HOME/data); and the
    hint's start, where it says where that came from and what to do. The fake backend
    answers a text with the farm model; the library is off (its default place is the data
    folder too)."""
    if request.param in ("data_home", "under_a_file"):
        path = tmp_path / "mine" / "notes.txt"
        named = path if request.param == "data_home" else path / "data"
        monkeypatch.setenv("OPTIFORM_DATA_HOME", str(named))
        hint = "the environment variable OPTIFORM_DATA_HOME names it: change that to a folder"
    else:
        path = user_data_dir()
        hint = ("it is $OPTIFORM_HOME/data, from the environment variable OPTIFORM_HOME: move "
                "that file away")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("my notes\n")
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"answers": [], "default": json.loads(FARM.read_text())}))
    monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
    monkeypatch.setenv("OPTIFORM_FAKE_ANSWERS", str(answers))
    monkeypatch.setenv("OPTIFORM_LIBRARY", "false")
    return path, hint


def _contents(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in folder.rglob("*")}


def test_commands_that_use_nothing_in_the_data_folder_run(cli, bad_folder, tmp_path: Path):
    path, _ = bad_folder
    before = _contents(path.parent)
    (tmp_path / "small.mps").write_text(MPS)
    from optiform.library.store import InsightStore

    InsightStore(tmp_path / "lib.sqlite").close()
    for args in (("solve", "--formulation", EXAMPLES / "production_lp.json"),
                 ("solve", "--mps", tmp_path / "small.mps", "--json"),
                 ("export", EXAMPLES / "production_lp.json", "--to", "lp",
                  "-o", tmp_path / "out" / "model.lp"),
                 ("solve", PROBLEM),  # no tables, no library: nothing of the data folder
                 ("library", "--path", tmp_path / "lib.sqlite", "list"),
                 ("model", "info")):  # the fake backend: no model file is looked for
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
        assert str(path) not in result.output, args
    assert json.loads(cli("solve", "--mps", tmp_path / "small.mps", "--json").stdout)[
        "objective"] == pytest.approx(-7)
    assert "27000" in cli("solve", PROBLEM).stdout
    assert (tmp_path / "out" / "model.lp").is_file()
    result = cli("model", "settings", "--json")  # the settings overview tells, once
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)  # stdout is the JSON alone
    bare = "".join(result.stderr.split())  # the warning wraps under its text at 80 columns
    assert result.stderr.count("warning:") == 1 and "".join(str(path).split()) in bare
    assert bare.count("isafile,notafolder") == 1
    assert all(not line.endswith(" ") for line in result.stderr.splitlines())
    assert _contents(path.parent) == before and path.read_text() == "my notes\n"


def test_commands_that_use_the_data_folder_say_what_is_wrong_and_where_it_was_set(
        cli, bad_folder, tmp_path: Path):
    path, hint = bad_folder
    before = _contents(path.parent)
    (tmp_path / "crops.csv").write_text("crop,profit,labor\nwheat,300,3\ncorn,250,2\n")
    for args, stdin in ((("solve", PROBLEM, "--data", tmp_path / "crops.csv"), None),
                        (("library", "list"), None),  # the default library is in it
                        (("chat",), "/quit\n")):  # the chat store and threads are in it
        result = cli(*args, input=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        said = " ".join(result.stderr.split())  # the hint's line breaks
        assert f"data folder {path}" in said and "is a file, not a folder" in said, args
        assert f"hint: {hint}" in said, args
    assert _contents(path.parent) == before and path.read_text() == "my notes\n"


def test_model_info_looks_in_the_data_folder_only_for_the_embedded_model_it_finds_there(
        cli, bad_folder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An endpoint, or the local backend with model_path, needs no data folder: model info
    runs and names no cache there; the embedded model without model_path is looked for in
    it, so a data folder that cannot be one stops it, saying so."""
    path, hint = bad_folder
    before = _contents(path.parent)
    monkeypatch.delenv("OPTIFORM_MODEL_PATH", raising=False)
    monkeypatch.setenv("OPTIFORM_BACKEND", "openai")
    monkeypatch.setenv("OPTIFORM_BASE_URL", "http://127.0.0.1:9/v1")  # never reached
    info = json.loads(cli("model", "info", "--json").stdout)
    assert info["backend"] == "openai" and "cache_dir" not in info and "model_file" not in info
    monkeypatch.setenv("OPTIFORM_BACKEND", "local")
    monkeypatch.setenv("OPTIFORM_MODEL_PATH", str(tmp_path / "m.gguf"))
    result = cli("model", "info", "--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["model_file"] == str(tmp_path / "m.gguf") and "cache_dir" not in info
    assert info["model_state"] == "missing: no file at model_path"
    monkeypatch.delenv("OPTIFORM_MODEL_PATH")
    result = cli("model", "info")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"data folder {path}" in said and "is a file, not a folder" in said
    assert f"hint: {hint}" in said
    assert _contents(path.parent) == before and path.read_text() == "my notes\n"
