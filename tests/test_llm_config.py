"""Settings precedence for the LLM backends, backend choice and lazy construction."""

from __future__ import annotations

from pathlib import Path

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.llm import BACKENDS, make_llm
from optiform.agent.local_llm import LocalLLM
from optiform.agent.openai_llm import DEFAULT_MODEL, OpenAILLM
from optiform.agent.replay import ReplayLLM
from optiform.config import load_settings
from optiform.config_paths import config_file
from optiform.errors import ConfigError


def write_config(text: str) -> None:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_defaults_choose_the_embedded_backend():
    settings = load_settings()
    assert settings.model is None and settings.effective_backend == "local"
    llm = make_llm(settings)
    assert isinstance(llm, LocalLLM)
    assert llm.n_ctx == 8192 and llm.threads >= 1
    assert llm._model_path is None  # nothing located or loaded yet


def test_precedence_kwargs_optiform_env_openai_env_toml_defaults(monkeypatch):
    write_config('model = "from-toml"\nbase_url = "http://toml:1/v1"\nn_ctx = 4096\n'
                 'api_key = "toml-key"\n')
    s = load_settings()
    assert (s.model, s.base_url, s.n_ctx) == ("from-toml", "http://toml:1/v1", 4096)
    monkeypatch.setenv("OPENAI_MODEL", "from-openai-env")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key")
    s = load_settings()
    assert s.model == "from-openai-env" and s.base_url == "http://toml:1/v1"
    assert s.api_key.get_secret_value() == "openai-key"
    monkeypatch.setenv("OPTIFORM_MODEL", "from-optiform-env")
    monkeypatch.setenv("OPTIFORM_N_CTX", "2048")
    s = load_settings()
    assert s.model == "from-optiform-env" and s.n_ctx == 2048
    s = load_settings(model="from-kwargs", n_ctx=1024)
    assert s.model == "from-kwargs" and s.n_ctx == 1024


def test_an_endpoint_selects_the_openai_backend_without_building_a_client(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPTIFORM_API_KEY", "secret")
    monkeypatch.setenv("OPTIFORM_REQUEST_TIMEOUT", "7")
    settings = load_settings()
    assert settings.effective_backend == "openai"
    llm = make_llm(settings)
    assert isinstance(llm, OpenAILLM)
    assert (llm.base_url, llm.api_key, llm.timeout) == ("http://127.0.0.1:9/v1", "secret", 7)
    assert llm.model == DEFAULT_MODEL
    assert llm._client is None


def test_factory_keyword_arguments_override_settings():
    llm = OpenAILLM.from_settings(load_settings(model="a"), model="b", max_retries=0)
    assert llm.model == "b" and llm.max_retries == 0
    local = LocalLLM.from_settings(load_settings(threads=3), n_ctx=1024)
    assert local.threads == 3 and local.n_ctx == 1024


def test_explicit_backends_by_name(tmp_path):
    assert isinstance(make_llm(load_settings(backend="fake")), FakeLLM)
    replay = make_llm(load_settings(backend="replay", cassette=str(tmp_path / "c.jsonl")))
    assert isinstance(replay, ReplayLLM) and replay.cassette == tmp_path / "c.jsonl"
    with pytest.raises(ConfigError, match="cassette"):
        make_llm(load_settings(backend="replay"))
    with pytest.raises(ConfigError, match="unknown LLM backend"):
        BACKENDS.create("nope")


def test_invalid_setting_is_a_config_error(monkeypatch):
    monkeypatch.setenv("OPTIFORM_N_CTX", "12")
    with pytest.raises(ConfigError, match="n_ctx"):
        load_settings()


def test_an_invalid_setting_is_told_where_it_was_set_and_only_there(monkeypatch):
    write_config("samples = 3\n")  # a config file that does not set it is not named
    monkeypatch.setenv("OPTIFORM_N_CTX", "12")
    with pytest.raises(ConfigError, match="n_ctx") as err:
        load_settings()
    assert err.value.hint == "check the environment variable OPTIFORM_N_CTX"
    assert str(config_file()) not in err.value.hint


def test_a_data_folder_that_is_a_file_is_refused_where_it_is_used_naming_its_origin(
        monkeypatch, tmp_path):
    """Settings load (a command that uses nothing in the data folder runs); ``data_dir``,
    which every store, table and model under it is found through, says what is wrong, where
    the value came from (first found first, as Settings reads it) and what to do."""
    from optiform.config_paths import user_data_dir

    a_file = tmp_path / "afile"
    a_file.write_text("x")
    monkeypatch.setenv("OPTIFORM_DATA_HOME", str(a_file))
    settings = load_settings()
    assert settings.data_home == a_file
    with pytest.raises(ConfigError, match=f"the data folder {a_file} \\(data_home\\) is a "
                                          "file, not a folder") as err:
        _ = settings.data_dir
    assert err.value.hint.startswith("the environment variable OPTIFORM_DATA_HOME names it: "
                                     "change that to a folder")
    assert str(user_data_dir()) in err.value.hint  # unset, the default is used
    assert not config_file().exists()  # so the hint does not name it
    write_config(f"data_home = {str(a_file)!r}\n")
    with pytest.raises(ConfigError) as err:
        _ = load_settings().data_dir  # the variable comes first: the file's data_home is not used
    assert err.value.hint.startswith("the environment variable OPTIFORM_DATA_HOME names it")
    monkeypatch.setenv("OPTIFORM_DATA_HOME", " ")  # blank: unset, so the file's is read
    with pytest.raises(ConfigError) as err:
        _ = load_settings().data_dir
    assert err.value.hint.startswith(f"data_home in {config_file()} names it")
    with pytest.raises(ConfigError) as err:
        _ = load_settings(data_home=a_file).data_dir
    assert err.value.hint.startswith("the value given for data_home names it")
    assert a_file.read_text() == "x" and sorted(tmp_path.iterdir()) == [a_file]
    monkeypatch.delenv("OPTIFORM_DATA_HOME")
    config_file().unlink()
    assert load_settings().data_dir == user_data_dir()
    user_data_dir().parent.mkdir(parents=True, exist_ok=True)
    user_data_dir().write_text("x")  # the default folder, where nothing names one
    settings = load_settings()
    with pytest.raises(ConfigError, match=f"the default data folder {user_data_dir()} is a "
                                          "file, not a folder") as err:
        _ = settings.data_dir
    assert err.value.hint.startswith("it is $OPTIFORM_HOME/data, from the environment "
                                     "variable OPTIFORM_HOME: move that file away")
    assert "OPTIFORM_DATA_HOME" in err.value.hint and str(config_file()) not in err.value.hint
    assert load_settings(data_home=tmp_path).data_dir == tmp_path


def test_a_misspelt_setting_is_named_not_ignored(monkeypatch):
    write_config("sampels = 3\n")
    with pytest.raises(ConfigError, match="unknown setting 'sampels'") as err:
        load_settings()
    assert err.value.hint == "did you mean 'samples'?"
    write_config("samples = 3\n")
    assert load_settings().samples == 3
    monkeypatch.setenv("OPTIFORM_SAMPELS", "2")
    with pytest.raises(ConfigError, match="OPTIFORM_SAMPELS is no setting; did you mean "
                                          "OPTIFORM_SAMPLES"):
        load_settings()
    from typer.testing import CliRunner

    from optiform.cli import build_app

    listed = CliRunner().invoke(build_app(), ["model", "settings", "--json"])
    assert listed.exit_code == 2  # the typo is named, and the settings are still listed
    assert "OPTIFORM_SAMPELS" in listed.output and '"name": "samples"' in listed.output
    monkeypatch.delenv("OPTIFORM_SAMPELS")
    monkeypatch.setenv("optiform_sampels", "2")  # read without regard to case: caught too
    with pytest.raises(ConfigError, match="did you mean OPTIFORM_SAMPLES"):
        load_settings()
    monkeypatch.delenv("optiform_sampels")
    for other in ("OPTIFORM_SKIP_MODEL",  # read by setup.sh, not a setting
                  "OPTIFORM_MODEL_DIR", "OPTIFORM_MODEL_URL", "OPTIFORM_LIBRARY_DIR",
                  "OPTIFORM_MY_SCRIPT_FLAG"):  # more than one slip from any setting
        monkeypatch.setenv(other, "1")
    assert load_settings().samples == 3
    monkeypatch.setenv("OPTIFORM_CONFG", "c.toml")  # one slip from OPTIFORM_CONFIG
    with pytest.raises(ConfigError, match="did you mean OPTIFORM_CONFIG"):
        load_settings()
    monkeypatch.delenv("OPTIFORM_CONFG")


def test_a_config_file_named_but_missing_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTIFORM_CONFIG", str(tmp_path / "nosuch.toml"))
    with pytest.raises(ConfigError, match=r"nosuch\.toml, which is no file"):
        load_settings()


def test_a_config_file_that_is_no_toml_says_how_a_line_reads(monkeypatch, tmp_path):
    (tmp_path / "c.toml").write_text("solver = highs\n")  # text left unquoted
    monkeypatch.setenv("OPTIFORM_CONFIG", str(tmp_path / "c.toml"))
    with pytest.raises(ConfigError, match="is not valid TOML") as bad:
        load_settings()
    assert 'text quoted: solver = "highs"' in bad.value.hint


def test_the_readme_lists_every_setting_as_model_settings_prints_it() -> None:
    from optiform.config import settings_rows

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name, env, default, _ in settings_rows():
        assert f"| `{name}` | `{env}` | {default.replace('|', chr(92) + '|')} |" in readme, name


def test_model_settings_shows_values_and_hides_secrets(monkeypatch) -> None:
    import json

    from typer.testing import CliRunner

    from optiform.cli import build_app

    monkeypatch.setenv("OPTIFORM_SAMPLES", "3")
    monkeypatch.setenv("OPTIFORM_API_KEY", "sk-do-not-print")
    r = CliRunner().invoke(build_app(), ["model", "settings", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["samples"]["value"] == "3" and rows["samples"]["default"] == "1"
    assert rows["api_key"]["value"] == "(set)" and "sk-do-not-print" not in r.stdout


def test_an_empty_variable_leaves_the_config_files_value(monkeypatch):
    write_config('server_token = "from-the-file"\nsamples = 2\n')
    monkeypatch.setenv("OPTIFORM_SERVER_TOKEN", " ")  # blank: as good as unset
    monkeypatch.setenv("OPTIFORM_SAMPLES", "")  # ${SAMPLES} unset in a compose file
    settings = load_settings()
    assert settings.server_token is not None
    assert settings.server_token.get_secret_value() == "from-the-file"
    assert settings.samples == 2


def test_model_settings_fits_a_narrow_terminal(monkeypatch) -> None:
    from typer.testing import CliRunner

    from optiform.cli import build_app
    from optiform.commands.model import settings_blocks

    rows = [{"name": "samples", "env": "OPTIFORM_SAMPLES", "default": "1", "value": "3",
             "meaning": "Formulations sampled for self-consistency votes, " * 3},
            {"name": "a_rather_long_setting_name", "env": "OPTIFORM_A_RATHER_LONG_SETTING_NAME",
             "default": "-", "value": "-", "meaning": "Short."}]
    text = settings_blocks(rows, 60)
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines), text
    assert lines[0] == "samples = 3  (changed)  [default 1, OPTIFORM_SAMPLES]"
    assert lines[1].startswith("    Formulations sampled") and len(lines) == 7
    assert lines[-3:] == ["a_rather_long_setting_name = -",
                          "    [default -, OPTIFORM_A_RATHER_LONG_SETTING_NAME]",
                          "    Short."]
    monkeypatch.setenv("COLUMNS", "80")
    r = CliRunner().invoke(build_app(), ["model", "settings"])
    assert r.exit_code == 0, r.output
    head, *rest = r.stdout.splitlines()
    assert head.startswith("settings (config file: ")  # a path: not folded
    assert all(len(line) <= 80 and line == line.rstrip() for line in rest), r.stdout
    assert "request_timeout = 120.0  [default 120.0, OPTIFORM_REQUEST_TIMEOUT]" in r.stdout
    monkeypatch.delenv("OPTIFORM_MODEL_PATH", raising=False)  # a long path widens the table
    monkeypatch.setenv("COLUMNS", "200")  # wide: the table
    r = CliRunner().invoke(build_app(), ["model", "settings"])
    assert "┃ name" in r.stdout and "OPTIFORM_REQUEST_TIMEOUT" in r.stdout
    assert all(line == line.rstrip() for line in r.stdout.splitlines())  # the title: no pad


def test_model_settings_is_a_table_exactly_where_it_fits(monkeypatch) -> None:
    """The one rule (terminal_layout.table_fits): the table at the width it takes with its
    values whole, a block per setting one column short of it; no fixed threshold."""
    from typer.testing import CliRunner

    from optiform.cli import build_app

    def shown(width: int) -> str:
        monkeypatch.setenv("COLUMNS", str(width))
        r = CliRunner().invoke(build_app(), ["model", "settings"])
        assert r.exit_code == 0, r.output
        return r.stdout

    fits = max(len(line) for line in shown(1000).splitlines() if line.startswith("┏"))
    assert 100 < fits < 1000, fits
    for width in (80, 100, fits - 1, fits, fits + 1):
        out = shown(width)
        assert ("┃ name" in out) == (width >= fits), width
        if width >= fits:  # every value on its line: the samples row is one row
            assert any(line.startswith("│ samples ") and " 1 " in line
                       for line in out.splitlines())
        else:
            assert "samples = 1  [default 1, OPTIFORM_SAMPLES]" in out


PATH_SETTINGS = ("model_path", "cassette", "fake_answers", "guidance_file", "library_path",
                 "data_home", "benchmarks_dir")


def test_every_path_setting_is_known_as_one() -> None:
    """The list the tests below go through is every setting that holds a path."""
    from optiform.config import Settings
    from optiform.config_paths import path_settings

    assert path_settings(Settings) == set(PATH_SETTINGS)


def test_a_leading_tilde_is_the_home_folder_wherever_a_path_is_set(monkeypatch, tmp_path):
    """Quoted (the shell leaves ``~`` be), in the config file or as a keyword, ``~/x`` is
    x in the home folder, not a folder named ``~`` in the current one; ``$VARS`` are not
    expanded (the shell expands them in a variable, a config file's are read as written)."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(work)
    for name in PATH_SETTINGS:
        monkeypatch.setenv(f"OPTIFORM_{name.upper()}", f"~/{name}.env")
    settings = load_settings()
    assert {n: getattr(settings, n) for n in PATH_SETTINGS} == {
        n: home / f"{n}.env" for n in PATH_SETTINGS}
    assert settings.data_dir == home / "data_home.env"
    for name in PATH_SETTINGS:
        monkeypatch.delenv(f"OPTIFORM_{name.upper()}")
    write_config("".join(f'{n} = "~/{n}.toml"\n' for n in PATH_SETTINGS))
    settings = load_settings()
    assert {n: getattr(settings, n) for n in PATH_SETTINGS} == {
        n: home / f"{n}.toml" for n in PATH_SETTINGS}
    keywords = load_settings(**{n: f"~/{n}.kw" for n in PATH_SETTINGS})
    assert {n: getattr(keywords, n) for n in PATH_SETTINGS} == {
        n: home / f"{n}.kw" for n in PATH_SETTINGS}
    assert load_settings(model_path=Path("~/m.gguf")).model_path == home / "m.gguf"
    monkeypatch.setenv("OPTIFORM_LIBRARY_PATH", "$HOME/lib.sqlite")
    assert load_settings().library_path == Path("$HOME/lib.sqlite")
    assert not (work / "~").exists() and list(work.iterdir()) == []


def test_optiform_home_and_optiform_config_expand_a_leading_tilde(monkeypatch, tmp_path):
    from optiform.config_paths import user_cache_dir, user_config_dir, user_data_dir

    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTIFORM_HOME", "~/of")
    assert (user_config_dir(), user_data_dir(), user_cache_dir()) == (
        home / "of" / "config", home / "of" / "data", home / "of" / "cache")
    assert config_file() == home / "of" / "config" / "config.toml"
    (home / "elsewhere").mkdir(parents=True)
    (home / "elsewhere" / "c.toml").write_text("samples = 5\n")
    monkeypatch.setenv("OPTIFORM_CONFIG", "~/elsewhere/c.toml")
    assert config_file() == home / "elsewhere" / "c.toml" and load_settings().samples == 5


@pytest.mark.parametrize("blank", ["", " ", "  \t"])
def test_a_blank_optiform_home_or_optiform_config_is_unset(monkeypatch, tmp_path, blank):
    """As a blank setting variable is: the platform's folders and the config file in them,
    not a folder named by the spaces in the current one (or 'OPTIFORM_CONFIG names   ,
    which is no file')."""
    import platformdirs

    from optiform.config_paths import (
        unusable_data_folder,
        user_cache_dir,
        user_config_dir,
        user_data_dir,
    )

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPTIFORM_HOME", blank)
    monkeypatch.setenv("OPTIFORM_CONFIG", blank)
    assert (user_config_dir(), user_data_dir(), user_cache_dir()) == (
        Path(platformdirs.user_config_dir("optiform")),
        Path(platformdirs.user_data_dir("optiform")),
        Path(platformdirs.user_cache_dir("optiform")))
    assert config_file() == Path(platformdirs.user_config_dir("optiform")) / "config.toml"
    assert unusable_data_folder(tmp_path / "f", origin=None).hint.startswith(
        "it is the user data folder of this system")  # not $OPTIFORM_HOME/data
    monkeypatch.setenv("OPTIFORM_HOME", str(tmp_path / "of"))  # the config file under it
    (tmp_path / "of" / "config").mkdir(parents=True)
    (tmp_path / "of" / "config" / "config.toml").write_text("samples = 5\n")
    assert load_settings().samples == 5  # a blank OPTIFORM_CONFIG names no missing file
    assert list(tmp_path.iterdir()) == [tmp_path / "of"]


def test_a_relative_path_in_the_config_file_is_read_from_the_files_folder(
        monkeypatch, tmp_path):
    """The config file is written where it is and read from whatever folder a command runs
    in: its relative paths are from its own folder. A variable's or a keyword's stay from
    the current folder, and a blank value in the file is still unset."""
    conf, work = tmp_path / "conf", tmp_path / "work"
    conf.mkdir()
    work.mkdir()
    monkeypatch.chdir(work)
    (conf / "c.toml").write_text('library_path = "lib.sqlite"\ndata_home = "../data"\n'
                                 'guidance_file = "tune/best.txt"\nbenchmarks_dir = ""\n'
                                 'model_path = "/abs/m.gguf"\n')
    monkeypatch.setenv("OPTIFORM_CONFIG", str(conf / "c.toml"))
    settings = load_settings()
    assert settings.library_path == conf / "lib.sqlite"
    assert settings.data_home == conf / ".." / "data"
    assert settings.guidance_file == conf / "tune" / "best.txt"
    assert settings.benchmarks_dir is None and settings.model_path == Path("/abs/m.gguf")
    monkeypatch.setenv("OPTIFORM_CONFIG", "../conf/c.toml")  # a relative file: its folder
    assert load_settings().library_path.resolve() == (conf / "lib.sqlite").resolve()
    monkeypatch.setenv("OPTIFORM_LIBRARY_PATH", "mine.sqlite")
    assert load_settings().library_path == Path("mine.sqlite")
    assert load_settings(data_home="d").data_home == Path("d")


def test_model_settings_shows_a_path_as_it_is_used(monkeypatch, tmp_path) -> None:
    import json

    from typer.testing import CliRunner

    from optiform.cli import build_app

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    write_config('data_home = "~/d"\nlibrary_path = "lib.sqlite"\n')
    r = CliRunner().invoke(build_app(), ["model", "settings", "--json"])
    assert r.exit_code == 0, r.output
    rows = {row["name"]: row["value"] for row in json.loads(r.stdout)}
    assert rows["data_home"] == str(tmp_path / "home" / "d")
    assert rows["library_path"] == str(config_file().parent / "lib.sqlite")


def test_a_data_folder_under_a_file_is_refused_as_one_that_is_a_file(monkeypatch, tmp_path):
    """``notes.txt/data`` can never be made: told where it is used, with the file in the
    way, where the value came from and what to do, as for a data folder that is a file."""
    from optiform.config_paths import user_data_dir

    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    monkeypatch.setenv("OPTIFORM_DATA_HOME", str(a_file / "sub" / "data"))
    settings = load_settings()  # it loads: solve --formulation, export need no data folder
    with pytest.raises(ConfigError, match=f"the data folder {a_file / 'sub' / 'data'} "
                                          f"\\(data_home\\) is under {a_file}, which is a "
                                          "file, not a folder") as err:
        _ = settings.data_dir
    assert err.value.hint.startswith("the environment variable OPTIFORM_DATA_HOME names it: "
                                     "change that to a folder")
    assert str(user_data_dir()) in err.value.hint
    monkeypatch.delenv("OPTIFORM_DATA_HOME")
    monkeypatch.setenv("OPTIFORM_HOME", str(a_file))  # the default folder: notes.txt/data
    with pytest.raises(ConfigError, match=f"the default data folder {a_file / 'data'} is "
                                          f"under {a_file}, which is a file") as err:
        _ = load_settings().data_dir
    assert err.value.hint.startswith("it is $OPTIFORM_HOME/data, from the environment "
                                     "variable OPTIFORM_HOME: point OPTIFORM_HOME at a folder")
    assert a_file.read_text() == "x" and sorted(tmp_path.iterdir()) == [a_file]
    assert load_settings(data_home=tmp_path / "new" / "data").data_dir == \
        tmp_path / "new" / "data"  # one not there yet, under a folder, is made when used


def test_a_data_folder_that_cannot_be_looked_into_is_left_to_what_uses_it(monkeypatch,
                                                                         tmp_path):
    """A folder without permission to look into (a PermissionError from Path.exists, which
    root never sees) is no ConfigError and no traceback where the data folder is found."""
    locked = tmp_path / "locked"
    real_exists = Path.exists

    def exists(self: Path) -> bool:
        if self.is_relative_to(locked) and self != locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_exists(self)

    monkeypatch.setattr(Path, "exists", exists)
    folder = locked / "inner" / "data"
    assert load_settings(data_home=folder).data_dir == folder
