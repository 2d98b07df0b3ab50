"""`optiform solve "TEXT"` and `optiform chat` through typer's runner, and the chat logic itself,
all offline: the 'fake' backend answers from a JSON script (OPTIFORM_FAKE_ANSWERS)."""

from __future__ import annotations

import itertools
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from optiform.agent.fake import FakeLLM
from optiform.api import Assistant
from optiform.chat_store import ChatStore
from optiform.config import load_settings
from optiform.conversation import ChatSession

FIXTURES = Path(__file__).parent / "fixtures" / "surfaces"
PROBLEM = ("A farmer has 100 acres to plant wheat and corn. Wheat earns $300 per acre and corn "
           "$250. Wheat needs 3 hours of labor per acre and corn 2; 240 hours of labor are "
           "available. Maximize profit.")
CORN_CAP = "add a constraint that at most 40 acres are corn"
LABOR = "what if labor rises to 300 hours?"


def farm(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Point the CLI's fake backend at a file of answers: script([answer, ...], default=...)."""

    def write(answers: list[Any], default: Any = None) -> Path:
        path = tmp_path / "answers.json"
        path.write_text(json.dumps({"answers": answers, "default": default}))
        monkeypatch.setenv("OPTIFORM_BACKEND", "fake")
        monkeypatch.setenv("OPTIFORM_FAKE_ANSWERS", str(path))
        monkeypatch.setenv("OPTIFORM_LIBRARY", "false")
        return path

    return write


# -- optiform solve "TEXT" ------------------------------------------------------------------


def test_solve_text_prints_model_values_and_explanation(cli, script) -> None:
    script([farm("farm_1")])
    result = cli("solve", PROBLEM)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "optimal" in out and "27000" in out
    assert "labor: 3*wheat + 2*corn ≤ labor_hours" in out  # the model as readable math
    assert "wheat" in out and "60" in out  # the result table
    assert "tokens" in out  # timing and tokens
    assert "writing the model" in result.stderr  # progress goes to stderr


def test_solve_json_writes_only_the_answer(cli, script) -> None:
    script([farm("farm_1")])
    result = cli("solve", PROBLEM, "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["status"] == "optimal"
    assert answer["objective"] == pytest.approx(27000)
    assert answer["values"] == {"wheat": pytest.approx(40), "corn": pytest.approx(60)}
    assert answer["formulation"]["constraints"][0]["name"] == "land"
    assert answer["trace"]["steps"], "the trace comes with the answer"


SHADOW_PRICES = ("Shadow prices: land +150; labor +50 (the objective's change per unit more "
                 "of each limit).")  # the farm's: 300 = land + 3 labor, 250 = land + 2 labor


def test_solve_and_chat_say_what_one_more_unit_of_each_limit_is_worth(
        cli, script, monkeypatch: pytest.MonkeyPatch) -> None:
    """The explanation prices the binding limits, in the JSON answer and on an 80-column
    terminal (the line goes on under its text after the label), in `solve` and in the chat."""
    script([farm("farm_1")], default=farm("farm_1"))
    answer = json.loads(cli("solve", PROBLEM, "--json").stdout)
    lines = answer["explanation"].split("\n")
    assert lines[lines.index("Binding constraints (at their limit): land; labor.") + 1] == \
        SHADOW_PRICES

    monkeypatch.setenv("COLUMNS", "80")
    for command, given in (("solve", [PROBLEM]), ("chat", [])):
        result = cli(command, *given, input=f"{PROBLEM}\n/quit\n" if command == "chat" else None)
        assert result.exit_code == 0, result.output
        rows = result.stdout.splitlines()
        at = next(i for i, row in enumerate(rows) if row.startswith("Shadow prices: "))
        assert rows[at:at + 2] == [
            "Shadow prices: land +150; labor +50 (the objective's change per unit more of",
            " " * 15 + "each limit)."]


def test_solve_file_with_a_data_table(cli, script, tmp_path: Path) -> None:
    (tmp_path / "crops.csv").write_text("crop,profit,labor\nwheat,300,3\ncorn,250,2\n")
    (tmp_path / "problem.txt").write_text("Plant 100 acres of the crops in crops.csv; 240 "
                                          "hours of labor are available. Maximize profit.")
    model = {
        "sets": [{"name": "C", "source": {"file": "crops.csv", "column": "crop"}}],
        "parameters": [
            {"name": "profit", "index": ["C"],
             "source": {"file": "crops.csv", "column": "profit", "key": ["crop"]}},
            {"name": "labor", "index": ["C"],
             "source": {"file": "crops.csv", "column": "labor", "key": ["crop"]}}],
        "variables": [{"name": "acres", "index": ["C"], "domain": "continuous"}],
        "objective": {"sense": "maximize", "expression": "sum(profit[c]*acres[c] for c in C)"},
        "constraints": [{"name": "land", "expression": "sum(acres[c] for c in C) <= 100"},
                        {"name": "hours", "expression": "sum(labor[c]*acres[c] for c in C) "
                                                        "<= 240"}]}
    script([model])
    result = cli("solve", "--file", str(tmp_path / "problem.txt"), "--data",
                 str(tmp_path / "crops.csv"), "--json")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["objective"] == pytest.approx(27000)
    assert answer["values"]["acres"] == {"wheat": pytest.approx(40), "corn": pytest.approx(60)}


def test_show_selects_sections(cli, script) -> None:
    script([farm("farm_1")], default=farm("farm_1"))
    model = cli("solve", PROBLEM, "--show", "formulation")
    assert model.exit_code == 0
    assert "land: wheat + corn ≤ 100" in model.stdout
    assert "Decision values" not in model.stdout  # only the section asked for
    trace = cli("solve", PROBLEM, "--show", "trace", "--show", "latex")
    assert trace.exit_code == 0
    assert "1 LLM call," in trace.stdout and "formulate" in trace.stdout
    assert "\\begin{document}" in trace.stdout


def test_the_trace_names_each_attempts_checks_and_what_the_repair_was_told(cli, script) -> None:
    broken = farm("farm_1")
    broken["constraints"][0]["expression"] = "wheat + corm <= 100"
    script([broken, farm("farm_1")], default=farm("farm_1"))
    trace = cli("solve", PROBLEM, "--show", "trace")
    assert trace.exit_code == 0
    flat = " ".join(trace.stdout.split())  # the terminal wraps the long line
    assert "checks: invalid; invalid: constraint 'land': unknown name 'corm'" in flat


def test_show_code_and_save_code_write_a_runnable_script(cli, script, tmp_path: Path) -> None:
    script([], default=farm("farm_1"))
    target = tmp_path / "out" / "model.py"
    result = cli("solve", PROBLEM, "--show", "code", "--save-code", str(target))
    assert result.exit_code == 0, result.stderr
    code = target.read_text()
    assert code.strip() == result.stdout.strip()  # --show code prints only the script
    run = subprocess.run([sys.executable, str(target)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert "objective: 27000" in run.stdout


def test_a_save_code_path_that_cannot_be_written_keeps_the_answer(cli, script,
                                                                   tmp_path: Path) -> None:
    script([], default=farm("farm_1"))
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    result = cli("solve", PROBLEM, "--json", "--save-code", str(blocked / "model.py"))
    assert result.exit_code == 2
    assert json.loads(result.stdout)["objective"] == 27000  # the answer is there, whole
    assert "cannot write the Pyomo script" in result.stderr and "Traceback" not in result.stderr
    problem = tmp_path / "farm.txt"
    problem.write_text(PROBLEM)
    own = cli("solve", "--file", str(problem), "--save-code", str(problem))
    assert own.exit_code == 2 and "would replace it" in " ".join(own.stderr.split())
    assert problem.read_text() == PROBLEM  # the problem text is still there
    hello = cli("solve", "hello, how are you", "--save-code", str(tmp_path / "m.py"))
    assert "does not look like an optimization problem" in hello.stdout
    assert "no formulation to export" in hello.stderr and hello.exit_code == 2


def test_exit_code_1_when_infeasible(cli, script, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIFORM_MAX_REPAIRS", "0")
    script([farm("farm_infeasible")])
    result = cli("solve", PROBLEM, "--json")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["status"] in ("infeasible", "infeasible_or_unbounded")


@pytest.mark.parametrize("args", [
    ("",),  # empty text
    (PROBLEM, "--file", "problem.txt"),  # both
    ("--file", "no/such/problem.txt"),
    (PROBLEM, "--data", "no/such/table.csv"),
    (PROBLEM, "--show", "everything"),
    (),  # nothing at all
])
def test_exit_code_2_for_usage_and_input_errors(cli, script, args: tuple[str, ...]) -> None:
    script([farm("farm_1")])
    result = cli("solve", *args)
    assert result.exit_code == 2, result.output
    assert result.stdout.strip() == ""  # nothing on stdout but the answer, and there is none


def test_exit_code_2_when_the_text_is_not_a_problem(cli, script) -> None:
    script([{"optimization": False, "reason": "it is a greeting"}])
    result = cli("solve", "hello there, how are you?", "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["status"] == "not_a_problem"


def test_exit_code_3_when_the_backend_fails(cli, script) -> None:
    script([])  # the fake has nothing to say: an LLMError
    result = cli("solve", PROBLEM)
    assert result.exit_code == 3
    assert "error" in result.stderr and "FakeLLM" in result.stderr


# -- the chat logic, without a terminal ------------------------------------------------------


def _session(tmp_path: Path, llm: FakeLLM, thread: str | None = None,
             resume: bool = False) -> ChatSession:
    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    store = ChatStore.default(settings.data_dir)
    return ChatSession(Assistant(settings, llm=llm), store, thread, resume_latest=resume)


def test_chat_turns_revise_the_model_and_show_what_moved(tmp_path: Path) -> None:
    llm = FakeLLM([farm("farm_1"), farm("farm_2_corn_cap"), farm("farm_3_labor_300")])
    chat = _session(tmp_path, llm)
    first = chat.handle(PROBLEM)
    assert first.kind == "turn" and first.turn == 1
    assert first.answer.objective == pytest.approx(27000) and first.diff == []

    second = chat.handle(CORN_CAP)
    assert second.diff == ["+ corn_cap: corn ≤ 40"]
    assert second.moves[0] == "objective: 27000 → 26000 (-1000, -3.7%)"
    assert "corn: 60 → 40" in second.moves
    # the change request went to the agent as a revision of the previous model
    revision = llm.requests[-1]["messages"][-1].content
    assert CORN_CAP in revision and "labor_hours" in revision

    third = chat.handle(LABOR)
    assert third.diff == ["- labor_hours = 240", "+ labor_hours = 300"]
    assert third.answer.objective == pytest.approx(30000)
    assert [a.objective for a in chat.answers()] == [27000, 26000, 30000]


def test_chat_undo_rewinds_the_model_for_the_next_turn(tmp_path: Path) -> None:
    llm = FakeLLM([farm("farm_1"), farm("farm_2_corn_cap"), farm("farm_3_labor_300")])
    chat = _session(tmp_path, llm)
    chat.handle(PROBLEM)
    chat.handle(CORN_CAP)
    undo = chat.handle("/undo")
    assert undo.kind == "undo" and "undid turn 2" in undo.text
    assert undo.diff == ["- corn_cap: corn ≤ 40"]
    assert undo.answer.objective == pytest.approx(27000)
    assert len(chat.assistant.history(chat.thread_id)) == 1

    chat.handle(LABOR)  # revises turn 1's model, not the undone one
    revision = llm.requests[-1]["messages"][-1].content
    assert "corn_cap" not in revision and LABOR in revision
    assert [t.seq for t in chat.turns()] == [1, 3]
    assert chat.handle("/undo").kind == "undo"
    assert chat.handle("/undo").kind == "undo"
    assert chat.handle("/undo").kind == "error"  # nothing left


def test_chat_data_attaches_tables_to_the_next_message(tmp_path: Path) -> None:
    llm = FakeLLM([farm("farm_1"), farm("farm_2_corn_cap")])
    chat = _session(tmp_path, llm)
    (tmp_path / "crops.csv").write_text("crop,profit\nwheat,300\ncorn,250\n")
    (tmp_path / "broken.csv").write_text("crop;profit\nwheat;300\n")
    assert "no tables wait" in chat.handle("/data").text
    bad = chat.handle(f"/data {tmp_path / 'broken.csv'}")
    assert bad.kind == "error" and "separated by semicolons" in bad.text
    shown = chat.handle(f"/data {tmp_path / 'crops.csv'}")
    assert "crops.csv: crop, profit (2 rows)" in shown.text and chat.pending
    assert "crops.csv" in chat.handle("/data").text
    chat.handle(PROBLEM)
    prompt = llm.requests[-1]["messages"][-1].content
    assert "crops.csv" in prompt and "wheat" in prompt
    assert chat.pending == {}  # sent; the thread keeps them for later turns
    chat.handle(CORN_CAP)
    assert "crops.csv" in llm.requests[-1]["messages"][-1].content
    for command in ("/export", "/trace"):  # the attached table is no place for them
        over = chat.handle(f"{command} {tmp_path / 'crops.csv'}")
        assert over.kind == "error" and "would replace it" in over.text
    assert (tmp_path / "crops.csv").read_text().startswith("crop,profit")
    chat.handle(f"/data {tmp_path / 'crops.csv'}")
    assert chat.handle("/data clear").text == "dropped crops" and chat.pending == {}
    unbalanced = chat.handle("/data O'Neil.csv")  # a crash of the whole chat before
    assert unbalanced.kind == "error" and "No closing quotation" in unbalanced.text
    chat.handle(f"/data {tmp_path / 'crops.csv'}")
    moved = chat.handle("/new")
    assert "the tables waiting, crops, were dropped" in moved.text and chat.pending == {}


def test_a_chat_thread_deleted_through_the_assistant_is_gone_from_the_chat(
        tmp_path: Path) -> None:
    llm = FakeLLM([farm("farm_1"), farm("farm_1")])
    chat = _session(tmp_path, llm, thread="t")
    chat.handle(PROBLEM)
    chat.assistant.delete_thread("t")
    again = _session(tmp_path, llm, thread="t")
    assert again.turns() == [] and again.store.get_thread("t") is None
    assert again.handle(PROBLEM).turn == 1


def test_chat_thread_continues_in_a_new_session(tmp_path: Path) -> None:
    chat = _session(tmp_path, FakeLLM([farm("farm_1"), farm("farm_2_corn_cap")]))
    chat.handle(PROBLEM)
    chat.handle(CORN_CAP)
    thread = chat.thread_id
    chat.assistant.close()
    chat.store.close()

    llm = FakeLLM([farm("farm_3_labor_300")])
    later = _session(tmp_path, llm, resume=True)
    assert later.thread_id == thread
    assert later.current().objective == pytest.approx(26000)
    out = later.handle(LABOR)
    assert out.turn == 3 and out.diff == ["- labor_hours = 240", "+ labor_hours = 300"]
    assert "corn_cap" in llm.requests[-1]["messages"][-1].content  # the saved model went along
    by_id = _session(tmp_path, FakeLLM([]), thread=thread)
    assert len(by_id.answers()) == 3


def test_ctrl_c_cancels_a_turn_and_leaves_the_thread_as_it_was(tmp_path: Path) -> None:
    from optiform.api_async import SerialLLM

    entered, release, solved = threading.Event(), threading.Event(), []

    def slow(messages: Any) -> dict[str, Any]:
        entered.set()
        release.wait(20)
        return farm("farm_2_corn_cap")

    def counting_solve(f: Any, **kw: Any) -> Any:
        from optiform.solvers.api import solve_formulation

        solved.append(f)
        return solve_formulation(f, **kw)

    fake = FakeLLM([farm("farm_1"), slow, farm("farm_2_corn_cap")])
    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    assistant = Assistant(settings, llm=SerialLLM(fake), solve=counting_solve)
    chat = ChatSession(assistant, ChatStore.default(settings.data_dir))
    chat.handle(PROBLEM)
    assert len(solved) == 1
    main = threading.main_thread().ident
    assert main is not None

    left = threading.Event()

    def on_sigint(signum: int, frame: Any) -> None:  # Python's own handler, but only until
        if not left.is_set():                          # the turn is left (no stray second one)
            raise KeyboardInterrupt

    def press_ctrl_c() -> None:  # SIGINT to the main thread, as the terminal sends it
        if entered.wait(20):
            # Pressed again while the turn runs on: CPython drops a KeyboardInterrupt that
            # lands while the main thread runs a finalizer (a gc pass), as a user's second
            # press would cover; this test is about what the turn does with it.
            while not left.is_set():
                signal.pthread_kill(main, signal.SIGINT)
                left.wait(2)

    previous = signal.signal(signal.SIGINT, on_sigint)
    presser = threading.Thread(target=press_ctrl_c, daemon=True)
    presser.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):  # what Ctrl-C does while the model works
            try:
                chat.handle(CORN_CAP, cancel=threading.Event())
            finally:
                left.set()
    finally:
        left.set()  # no press after this one (also if one landed in the finally above) ...
        presser.join(10)  # ... and none in flight once Python's own handler is back
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 10 and not release.is_set()
    release.set()  # the model call still running in the worker ends; nothing comes of it
    assert len(chat.turns()) == 1 and len(assistant.history(chat.thread_id)) == 1

    again = chat.handle(CORN_CAP)  # the same request again: a normal revision of turn 1
    assert again.kind == "turn" and again.turn == 2
    assert again.diff == ["+ corn_cap: corn ≤ 40"]
    assert len(solved) == 2  # the cancelled turn never reached the solver


def test_a_closed_chat_says_so(tmp_path: Path) -> None:
    from optiform.errors import OptiformError

    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM([])) as assistant:
        chat = assistant.chat()
        chat.close()
        with pytest.raises(OptiformError, match="this chat is closed"):
            chat.turns()
        chat.close()  # twice is fine


def test_assistant_chat_in_the_python_api(tmp_path: Path) -> None:
    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    llm = FakeLLM([farm("farm_1"), farm("farm_2_corn_cap")])
    with Assistant(settings, llm=llm) as assistant, assistant.chat() as chat:
        chat.handle(PROBLEM)
        assert chat.handle(CORN_CAP).answer.objective == pytest.approx(26000)
    with Assistant(settings, llm=FakeLLM([])) as assistant, \
            assistant.chat(resume_latest=True) as chat:
        assert [a.objective for a in chat.answers()] == [27000, 26000]


def test_a_chat_path_whose_tilde_names_no_user_is_an_error_not_a_crash(tmp_path: Path
                                                                        ) -> None:
    """Path.expanduser raised RuntimeError on '~nosuchuser/...', which ended the chat."""
    chat = _session(tmp_path, FakeLLM([farm("farm_1")]))
    chat.handle(PROBLEM)
    for command in ("/export ~no_such_user_optiform/m.json", "/trace ~no_such_user_optiform/t",
                    "/data ~no_such_user_optiform/crops.csv"):
        out = chat.handle(command)
        assert out.kind == "error" and "~no_such_user_optiform" in out.text, command


def test_chat_slash_commands(tmp_path: Path) -> None:
    chat = _session(tmp_path, FakeLLM([farm("farm_1")]))
    assert chat.handle("/formulation").kind == "error"  # no model yet
    chat.handle(PROBLEM)
    model = chat.handle("/formulation")
    assert "land: wheat + corn ≤ 100" in model.text
    assert "/undo" in chat.handle("/help").text
    assert chat.handle("/nope").kind == "error"
    exported = tmp_path / "m.json"
    assert chat.handle(f"/export {exported}").kind == "text"
    assert json.loads(exported.read_text())["objective"]["sense"] == "maximize"
    answer_file = tmp_path / "turn.answer.json"
    chat.handle(f"/export {answer_file}")
    assert json.loads(answer_file.read_text())["objective"] == pytest.approx(27000)
    lp = tmp_path / "m.lp"
    chat.handle(f"/export {lp}")
    assert "land" in lp.read_text()
    code = chat.handle("/code")
    assert code.kind == "code" and code.language == "python" and "labor_hours" in code.text
    latex = chat.handle("/latex")
    assert latex.language == "latex" and "\\begin{document}" in latex.text
    markdown = tmp_path / "m.md"
    chat.handle(f"/export {markdown}")
    assert "labor_hours" in markdown.read_text()
    assert chat.handle("/export model.docx").kind == "error"
    folder = chat.handle(f"/export {tmp_path}")
    assert folder.kind == "error" and "is a folder" in folder.text
    nowhere = chat.handle(f"/trace {tmp_path / 'no' / 'such' / 't.json'}")
    assert nowhere.kind == "error" and "there is no folder" in nowhere.text
    assert not (tmp_path / "no").exists()  # no folders made on the way
    a_file = tmp_path / "prob.txt"
    a_file.write_text("x")
    under = chat.handle(f"/export {a_file / 'x.py'}")
    assert under.kind == "error" and "is a file, not a folder" in under.text
    for command in ("/trace /proc/t.json", "/export /proc/x.py"):  # no one writes in /proc
        denied = chat.handle(command)
        assert denied.kind == "error" and "cannot write" in denied.text, denied.text
    trace = chat.handle("/trace")
    assert "1 LLM call," in trace.text
    saved = tmp_path / "trace.json"
    chat.handle(f"/trace {saved}")
    assert json.loads(saved.read_text())["steps"]
    first = chat.thread_id
    assert chat.handle("/new").kind == "text" and chat.thread_id != first
    listing = chat.handle("/threads")
    assert [t.id for t in listing.threads] == [first]
    from rich.console import Console

    from optiform.commands.chat_view import threads_table

    shown = Console(width=200, record=True)
    shown.print(threads_table(listing))
    row = next(line for line in shown.export_text().splitlines() if chat.thread_id in line)
    assert row.lstrip("│ ").startswith("*") and "new, no turn yet" in row  # where /new is
    assert chat.handle(f"/threads {first}").kind == "text" and chat.thread_id == first
    assert chat.handle("/quit").kind == "quit"


# -- optiform chat through the runner --------------------------------------------------------


def test_chat_cli_turns_undo_and_continue(cli, script) -> None:
    script([farm("farm_1"), farm("farm_2_corn_cap"), farm("farm_3_labor_300")])
    lines = [PROBLEM, CORN_CAP, "/undo", "/formulation", "/quit"]
    result = cli("chat", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "27000" in out and "Model changes" in out and "+ corn_cap: corn ≤ 40" in out
    assert "objective: 27000 → 26000" in out
    assert "undid turn 2" in out and "- corn_cap: corn ≤ 40" in out

    more_labor = farm("farm_1")
    more_labor["parameters"][0]["value"] = 300
    script([more_labor])  # a new process: a new fake
    again = cli("chat", "--continue", input=LABOR + "\n")  # end of input (Ctrl-D) leaves
    assert again.exit_code == 0, again.output
    assert "1 turn(s)" in again.stdout  # the undone turn stays undone
    changes = again.stdout.split("Model changes")[-1]
    assert "- labor_hours = 240" in changes and "+ labor_hours = 300" in changes
    assert "corn_cap" not in changes


def test_chat_cli_data_option_attaches_tables_or_names_what_is_wrong(cli, script,
                                                                      tmp_path: Path) -> None:
    script([farm("farm_1")])
    (tmp_path / "crops.csv").write_text("crop,profit\nwheat,300\n")
    ok = cli("chat", "--data", str(tmp_path / "crops.csv"), input="/data\n/quit\n")
    assert ok.exit_code == 0 and "tables for the next message: crops.csv" in ok.stdout
    (tmp_path / "head.csv").write_text("crop,profit\n")
    bad = cli("chat", "--data", str(tmp_path / "head.csv"), input="")
    assert bad.exit_code == 2 and "has no rows" in bad.stderr


def test_chat_cli_rejects_thread_and_continue_together(cli, script) -> None:
    script([])
    assert cli("chat", "--thread", "x", "--continue", input="").exit_code == 2


def test_chat_cli_names_an_unusable_thread_id_and_a_continue_with_nothing(cli, script) -> None:
    script([])
    bad = cli("chat", "--thread", "../x y", input="")
    assert bad.exit_code == 2 and "thread id '../x y' is not usable" in bad.stderr
    empty = cli("chat", "--thread", "", input="/quit\n")
    assert empty.exit_code == 2 and "thread id '' is not usable" in empty.stderr
    dots = cli("chat", "--thread", "..", input="")  # a URL path step: no client sends it
    assert dots.exit_code == 2 and "are steps of a path" in dots.stderr
    fresh = cli("chat", "--continue", input="")
    assert fresh.exit_code == 0 and "no earlier thread to continue" in fresh.stdout


def test_progress_notes_a_passing_error_but_not_the_one_that_ends_the_turn() -> None:
    import io

    from rich.console import Console

    from optiform.agent.events import Event
    from optiform.commands.answer_view import Progress

    buf = io.StringIO()
    progress = Progress(Console(file=buf, force_terminal=False, width=200))
    progress(Event(type="error", node="answer", data={"message": "Pyomo export failed: x"}))
    progress(Event(type="error", node="formulate", data={  # raised: printed once, as error:
        "message": "cannot reach http://127.0.0.1:9/v1", "error": "LLMConnectionError"}))
    assert buf.getvalue() == "note: Pyomo export failed: x\n"


def test_show_and_json_together_are_refused(cli, script) -> None:
    script([], default=farm("farm_1"))
    result = cli("solve", PROBLEM, "--json", "--show", "code")
    assert result.exit_code == 2 and "--show picks sections" in result.stderr
    assert json.loads(result.stdout)["error"]["type"] == "InputError"


def test_a_turn_or_undo_behind_a_running_turn_is_said_to_wait(tmp_path: Path,
                                                               turn_running) -> None:
    chat = _session(tmp_path, FakeLLM([]))
    assert not chat.waits("/undo") and not chat.waits("add a constraint")
    with turn_running(chat.assistant, chat.thread_id):
        assert chat.waits("/undo") and chat.waits("  add a constraint")
        assert not chat.waits("/formulation") and not chat.waits("/help") and not chat.waits("")
        assert chat.assistant.busy(chat.thread_id)
    assert not chat.waits("/undo") and not chat.assistant.busy(chat.thread_id)


def test_leaving_the_chat_waits_for_a_cancelled_turn_before_closing(tmp_path: Path):
    import threading

    from rich.console import Console

    from optiform.commands.chat import _let_a_cancelled_turn_end

    chat = _session(tmp_path, FakeLLM([]))
    held, ended = threading.Event(), []

    def run_turn() -> None:
        with chat.assistant._turn_lock(chat.thread_id):
            held.set()
            threading.Event().wait(0.5)
            ended.append(True)

    worker = threading.Thread(target=run_turn)
    worker.start()
    assert held.wait(10) and chat.assistant.running() == [chat.thread_id]
    err = Console(record=True, width=200)
    _let_a_cancelled_turn_end(chat.assistant, err, timeout=10)
    assert ended == [True] and "waiting for the cancelled turn" in err.export_text()
    worker.join(10)
    quiet = Console(record=True)
    _let_a_cancelled_turn_end(chat.assistant, quiet, timeout=10)
    assert chat.assistant.running() == [] and quiet.export_text() == ""


def test_a_damaged_data_folder_is_named_not_a_traceback(tmp_path: Path, monkeypatch) -> None:
    from optiform.agent.threads import sqlite_checkpointer
    from optiform.chat_store import ChatStore
    from optiform.errors import ConfigError

    (tmp_path / "chat.sqlite").write_text("junk")
    (tmp_path / "threads.sqlite").write_text("junk")
    with pytest.raises(ConfigError, match=r"cannot open the chat store at .*not a database"):
        ChatStore.default(tmp_path)
    with pytest.raises(ConfigError, match="cannot open the thread memory at"):
        sqlite_checkpointer(tmp_path / "threads.sqlite")
    monkeypatch.setenv("OPTIFORM_DATA_HOME", str(tmp_path / "chat.sqlite"))
    with pytest.raises(ConfigError, match="is a file, not a folder"):
        ChatStore.default(load_settings().data_dir)


def test_show_code_of_a_model_that_never_compiled_still_shows_the_answer(cli, script) -> None:
    bad = farm("farm_1")
    bad["objective"]["expression"] = bad["objective"]["expression"] + " + undeclared_y"
    script([], default=bad)
    result = cli("solve", PROBLEM, "--show", "latex", "--show", "answer")
    assert result.exit_code == 1, result.stderr  # the agent gave up: 1, as without --show
    assert "no latex to show" in result.stderr and "undeclared_y" in result.stderr
    assert result.stdout.strip()  # the answer section is printed


def test_ctrl_c_under_json_leaves_an_error_on_stdout(cli, script, monkeypatch) -> None:
    from optiform.commands import solve_text

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    script([], default=farm("farm_1"))
    monkeypatch.setattr(solve_text, "_solve", interrupted)
    monkeypatch.setattr(solve_text, "_exit_now_if_busy", lambda: None)
    result = cli("solve", PROBLEM, "--json")
    assert result.exit_code == 130
    assert json.loads(result.stdout)["error"]["type"] == "TurnCancelled"
    plain = cli("solve", PROBLEM)
    assert plain.exit_code == 130 and plain.stdout == "" and "interrupted" in plain.stderr


def test_a_failed_answer_says_its_message_once(cli, script) -> None:
    bad = farm("farm_1")
    bad["objective"]["expression"] = bad["objective"]["expression"] + " + undeclared_y"
    script([], default=bad)
    result = cli("solve", PROBLEM)
    assert result.exit_code == 1
    assert " ".join(result.stdout.split()).count("unknown name 'undeclared_y'") == 1


def test_the_values_table_has_a_meaning_column_only_when_some_value_has_one() -> None:
    from rich.console import Console

    from optiform.agent.answer import Answer
    from optiform.commands.answer_view import MAX_ROWS, results_table
    from optiform.solvers.formulation import Formulation

    def rendered(described: bool, n: int = 2) -> str:
        form = Formulation.model_validate({
            "name": "t", "objective": {"sense": "maximize",
                                       "expression": " + ".join(f"x{i}" for i in range(n))},
            "variables": [{"name": f"x{i}",
                           "description": "loaves baked" if described and i == 0 else ""}
                          for i in range(n)]})
        answer = Answer(status="optimal", values={f"x{i}": 1.0 for i in range(n)},
                        formulation=form)
        console = Console(record=True, width=100)
        console.print(results_table(answer))
        return console.export_text()

    assert "meaning" not in rendered(False)
    assert "Decision values (non-zero)" in rendered(False)  # the title on one line
    with_meaning = rendered(True)
    assert "meaning" in with_meaning and "loaves baked" in with_meaning
    long = rendered(False, MAX_ROWS + 3)
    assert "... 3 more" in long and f"x{MAX_ROWS - 1} " in long and f"x{MAX_ROWS} " not in long


@pytest.mark.parametrize("width", [80, 100])
def test_the_values_table_keeps_lowercase_and_long_keys_whole(width: int) -> None:
    """'x[north]' is no markup tag to swallow, and a long key folds instead of being cut."""
    from rich.console import Console

    from optiform.agent.answer import Answer
    from optiform.commands.answer_view import results_table
    from optiform.solvers.formulation import Formulation

    keys = ["north", "warehouse_north_distribution_center,customer_springfield_retail_store_01"]
    form = Formulation.model_validate({
        "name": "t", "objective": {"sense": "minimize", "expression": "0"},
        "variables": [{"name": "ship", "description": "cases [per week] shipped"}]})
    answer = Answer(status="optimal", values={"ship": {k: 3.0 for k in keys}}, formulation=form)
    console = Console(record=True, width=width)
    console.print(results_table(answer))
    text = console.export_text()
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines)
    column = "".join(line.split("│")[1].strip() for line in lines if line.startswith("│"))
    assert column == "".join(f"ship[{k}]" for k in keys)
    assert "cases [per week] shipped" in text


@pytest.mark.parametrize("width", [80, 100])
def test_solve_ends_no_line_in_a_space(cli, script, width: int, monkeypatch) -> None:
    """The values table's title was padded with spaces to the table's width, which a copy
    from the terminal or a pipe carries."""
    monkeypatch.setenv("COLUMNS", str(width))
    script([farm("farm_1")])
    result = cli("solve", PROBLEM)
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert "Decision values (non-zero)" in rows and all(len(row) <= width for row in rows)
    assert [row for row in rows if row != row.rstrip()] == []


LONG_MODEL = {
    "name": "t",
    "sets": [{"name": "W", "elements": [f"warehouse_{i:02d}" for i in range(12)]}],
    "variables": [{"name": "cases_shipped_from_warehouse_to_store", "index": ["W"],
                   "description": "cases shipped each week from the warehouse to the store"}],
    "objective": {"sense": "minimize",
                  "expression": "sum(cases_shipped_from_warehouse_to_store[w] for w in W)"},
    "constraints": [
        {"name": "warehouse_supply_capacity_limit", "for_each": "w in W",
         "expression": "cases_shipped_from_warehouse_to_store[w] + "
                       "cases_shipped_from_warehouse_to_store[w] * 0.5 <= 1200 + 35 * 12"},
        {"name": "short", "expression": "cases_shipped_from_warehouse_to_store['warehouse_00']"
                                        " <= 100"}]}


def _panel_rows(width: int, data_width: int | None = 100) -> list[str]:
    from rich.console import Console

    from optiform.agent.answer import Answer
    from optiform.commands.answer_view import formulation_panel
    from optiform.solvers.formulation import Formulation

    answer = Answer(status="optimal", formulation=Formulation.model_validate(LONG_MODEL))
    console = Console(record=True, width=width)
    console.print(formulation_panel(answer, data_width=data_width))
    rows = console.export_text().splitlines()
    assert all(len(row) <= width for row in rows)
    return [row[2:].rstrip(" │") for row in rows[1:-1]]  # inside the panel's borders


@pytest.mark.parametrize("width", [80, 100])
def test_the_model_panel_wraps_long_lines_under_their_own_start(width: int) -> None:
    """A constraint's continuation rows sit deeper than the constraints, so 'subject to' and
    the constraints under it keep their shape; the constraint is whole, not cut with '…'."""
    rows = _panel_rows(width)
    start = next(i for i, row in enumerate(rows) if "warehouse_supply_capacity_limit" in row)
    end = next(i for i, row in enumerate(rows) if row.lstrip().startswith("short:"))
    assert rows[start - 1] == "subject to" and rows[start].startswith("  w")
    assert end - start > 1  # it did wrap
    assert all(row.startswith("      ") and row[6] != " " for row in rows[start + 1:end])
    whole = " ".join(row.strip() for row in rows[start:end])
    assert whole == ("warehouse_supply_capacity_limit[w ∈ W]: "
                     "cases_shipped_from_warehouse_to_store[w] + "
                     "cases_shipped_from_warehouse_to_store[w] * 0.5 ≤ 1200 + 35 * 12")
    members = next(i for i, row in enumerate(rows) if row.startswith("  W = {"))
    assert rows[members + 1].startswith("      ") and rows[members + 1].endswith("…")


def test_a_wide_model_panel_shows_model_lines_whole_and_clips_only_data() -> None:
    rows = _panel_rows(200)
    assert any(row.endswith("≤ 1200 + 35 * 12") for row in rows)  # no longer cut at 100
    assert any(row.startswith("  W = {") and row.endswith("…") and len(row) == 100
               for row in rows)  # the data line keeps its clip
    assert any(row.endswith("warehouse_11}") for row in _panel_rows(200, data_width=None))


@pytest.mark.parametrize("width", [80, 100])
def test_a_long_bullet_keeps_its_text_beside_it(width: int) -> None:
    from rich.console import Console

    from optiform.agent.answer import Answer
    from optiform.commands.answer_view import answer_view

    name = "cases_shipped_from_warehouse_to_store[north_distribution_center,springfield_store_01]"
    explanation = (f"Optimal objective: 590.\nWhat to do:\n- {name} = 80  (cases shipped each "
                   "week from the warehouse to the retail store)\n- short = 1")
    console = Console(record=True, width=width)
    console.print(answer_view(Answer(status="optimal", explanation=explanation), model=False))
    rows = console.export_text().splitlines()
    first = rows.index("What to do:") + 1
    assert rows[first].startswith("- cases_shipped")
    last = rows.index("- short = 1")
    assert last - first > 1 and all(row.startswith("  ") and row[2] != " "
                                    for row in rows[first + 1:last])
    assert "".join(row[2:] for row in rows[first:last]).startswith(name + " = 80")


@pytest.mark.parametrize("width", [80, 200])
def test_chat_help_descriptions_go_on_under_themselves(cli, script, width: int,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from optiform.conversation import help_column, help_text

    script([])
    monkeypatch.setenv("COLUMNS", str(width))
    result = cli("chat", input="/help\n/quit\n")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()[1:]  # after the banner
    if width == 200:  # room for every row: the text as it is
        assert "\n".join(rows[:len(help_text().splitlines())]) == help_text()
        return
    assert all(len(row) <= width for row in rows)
    export = next(i for i, row in enumerate(rows) if row.startswith("/export FILE"))
    data = next(i for i, row in enumerate(rows) if row.startswith("/data [FILE...]"))
    column = help_column()
    for more in (rows[export + 1], rows[data + 1]):  # the descriptions that wrap at 80
        assert more.startswith(" " * column) and more[column] != " "
    assert rows[data + 1].strip() == "'/data clear' drops them"


LONG_THREAD = "a-thread-" + "very-" * 14 + "long"  # longer than a row under 'error: '


@pytest.mark.parametrize("width", [80, 100])
def test_chat_banner_and_errors_go_on_under_their_text(cli, script, width: int,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    """The banner's rows go on under 'thread', an error's under the text after 'error: ' and
    its hint's under the hint's text; none at column 0 (a command's own error, outside the
    chat, is one line and left so)."""
    from optiform.commands.chat_view import BANNER_HEAD

    script([])
    monkeypatch.setenv("COLUMNS", str(width))
    folder = tmp_path / ("deeper-" * 6 + "folder")
    lines = [f"/threads {LONG_THREAD}", f"/export {folder}/model.json",
             "/data a-long-file-name-of-a-table-that-is-not-here-at-all.csv", "/quit"]
    result = cli("chat", input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert all(len(row) <= width and row == row.rstrip() for row in rows), result.stdout
    assert rows[0].startswith(BANNER_HEAD + "thread ")
    banner = list(itertools.takewhile(lambda r: not r.startswith("error: "), rows))
    assert " ".join(" ".join(banner).split()).endswith("/help for commands, Ctrl-D to leave")
    assert all(row.startswith(" " * len(BANNER_HEAD)) and row[len(BANNER_HEAD)] != " "
               for row in banner[1:])
    assert (len(banner) > 1) == (width == 80)  # it wraps at 80 columns
    errors = rows[len(banner):]
    assert [row.split(":")[0] for row in errors if not row.startswith(" " * 7)] == \
        ["error", "  hint"] * 3  # every other row goes on under its text
    assert any(row.startswith(" " * 7) for row in errors)  # and some do
    folded = "".join(row.strip() for row in errors)  # a name too long for a row: folded
    assert f"'{LONG_THREAD}'" in folded and f"{folder}" in folded


@pytest.mark.parametrize("width", [80, 100])
def test_a_chat_error_and_its_hint_wrap_under_their_text(width: int) -> None:
    from rich.console import Console

    from optiform.commands.chat_view import print_output
    from optiform.conversation import Output

    message = "cannot write " + "/folder" * 9 + ": Permission denied"
    hint = "choose a file in a folder you can write to, " * 3 + "or run as another user"
    waiting = "(the tables crops, " + "fields, " * 12 + "still wait for the next message)"
    console = Console(record=True, width=width)
    print_output(console, Output("error", text=f"{message}\n  hint: {hint}\n{waiting}"))
    rows = console.export_text().splitlines()
    assert all(len(row) <= width and row == row.rstrip() for row in rows)
    hint_at = next(i for i, row in enumerate(rows) if row.startswith("  hint: "))
    waiting_at = next(i for i, row in enumerate(rows) if row.startswith("(the tables"))
    assert rows[0].startswith("error: cannot write") and hint_at > 1
    assert all(row.startswith(" " * 7) and row[7] != " " for row in rows[1:hint_at])
    assert all(row.startswith(" " * 8) and row[8] != " " for row in rows[hint_at + 1:waiting_at])
    assert waiting_at > hint_at + 1 and len(rows) > waiting_at + 1
    assert all(row.startswith("  ") and row[2] != " " for row in rows[waiting_at + 1:])
    assert " ".join(" ".join(rows).split()) == " ".join(
        f"error: {message} hint: {hint} {waiting}".split())



def _goes_on_under(rows: list[str], start: str, hang: int, width: int) -> list[str]:
    """The rows of the line that starts ``start``: each at most ``width`` with no space at its
    end, the first starting so and the rows after it ``hang`` columns in, text there."""
    assert all(len(row) <= width and row == row.rstrip() for row in rows), rows
    at = next(i for i, row in enumerate(rows) if row.startswith(start))
    end = at + 1
    while end < len(rows) and rows[end].startswith(" " * hang) and rows[end][hang] != " ":
        end += 1
    return rows[at:end]


TABLE_NAMES = [f"{crop}_yields_per_field_and_season.csv" for crop in ("wheat", "corn", "oats")]


@pytest.mark.parametrize("width", [80, 100])
def test_chat_tables_for_the_next_message_go_on_under_the_first_name(
        cli, script, width: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    head = "tables for the next message: "
    script([])
    monkeypatch.setenv("COLUMNS", str(width))
    tables = []
    for name in TABLE_NAMES:
        (tmp_path / name).write_text("field,yield\nnorth,3\nriver,4\n")
        tables += ["--data", tmp_path / name]
    result = cli("chat", *tables, input="/quit\n")
    assert result.exit_code == 0, result.output
    line = _goes_on_under(result.stdout.splitlines(), head, len(head), width)
    assert len(line) > 1  # wrapped, under the first name rather than at column 0
    assert " ".join(" ".join(line).split()) == head + ", ".join(TABLE_NAMES)


@pytest.mark.parametrize("width", [80, 100])
def test_chat_waiting_for_a_cancelled_turn_goes_on_under_its_text(
        cli, script, width: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        turn_running) -> None:
    """The dim stderr lines of a turn that waits for a cancelled one, and of leaving while
    one runs, wrap with their rows two columns in (a sentence's, as in an answer)."""
    from rich.console import Console

    from optiform.commands.answer_view import SENTENCE_HANG
    from optiform.commands.chat import _let_a_cancelled_turn_end

    script([farm("farm_1")])
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setattr(ChatSession, "waits", lambda self, line: not line.startswith("/"))
    result = cli("chat", input=f"{PROBLEM}\n/quit\n")
    assert result.exit_code == 0, result.output
    start = "waiting for the cancelled turn to stop: "
    line = _goes_on_under(result.stderr.splitlines(), start, SENTENCE_HANG, width)
    assert len(line) > 1 and " ".join(" ".join(line).split()).endswith("(Ctrl-C leaves the wait)")

    chat = _session(tmp_path, FakeLLM([]))
    err = Console(record=True, width=width)
    with turn_running(chat.assistant, chat.thread_id):
        _let_a_cancelled_turn_end(chat.assistant, err, timeout=0.01)
    leaving = _goes_on_under(err.export_text().splitlines(), "waiting for the cancelled turn",
                             SENTENCE_HANG, width)
    assert (len(leaving) > 1) == (width == 80)  # 84 columns: it wraps at 80
    assert " ".join(" ".join(leaving).split()).endswith("(Ctrl-C again leaves at once)")


@pytest.mark.parametrize("width", [80, 100])
def test_a_progress_note_goes_on_under_its_text(width: int) -> None:
    import io

    from rich.console import Console

    from optiform.agent.events import Event
    from optiform.commands.answer_view import Progress

    message = "Pyomo export failed: " + "the model's constraint " * 6 + "has no Pyomo form"
    buf = io.StringIO()
    progress = Progress(Console(file=buf, force_terminal=False, width=width))
    progress(Event(type="error", node="answer", data={"message": message}))
    line = _goes_on_under(buf.getvalue().splitlines(), "note: ", len("note: "), width)
    assert len(line) > 1 and " ".join(" ".join(line).split()) == f"note: {message}"

LONG_CAP = {"name": "corn_cap_for_the_northern_field_and_the_river_plots",
            "expression": "corn + 0.5*wheat + 0.25*corn + 0.125*wheat + 0.0625*corn + "
                          "0.03125*wheat <= 40 + 0*labor_hours"}
LONG_CORN = ("acres of corn planted on the northern field, the river plots and the hill terraces "
             "together, counted in whole acres")


def _long_farm() -> dict[str, Any]:
    long = farm("farm_1")
    long["constraints"].append(LONG_CAP)
    long["variables"][1]["description"] = LONG_CORN
    return long


def _hangs(rows: list[str], lines: list[str], head: Any, width: int) -> int:
    """Check that ``rows`` show ``lines`` in order, each line's first row starting as the line
    does and its other rows ``head(line)`` columns in, text there; returns how many wrapped."""
    assert all(len(row) <= width for row in rows)
    wrapped, at = 0, 0
    for line in lines:
        assert rows[at].startswith(line[:head(line)[0] + 1]), (rows[at], line)
        hang = head(line)[1]
        end = at + 1
        while end < len(rows) and rows[end].startswith(" " * hang) and rows[end][hang] != " " \
                and not any(rows[end] == other[:len(rows[end])] for other in lines):
            end += 1
        assert " ".join(" ".join(rows[at:end]).split()) == " ".join(line.split())
        wrapped += end - at > 1
        at = end
    assert at == len(rows)
    return wrapped


@pytest.mark.parametrize("width", [80, 100])
def test_chat_model_changes_and_formulation_wrap_under_their_own_text(
        cli, script, width: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed model line goes on deeper than its text after '+ ' or '- ', and /formulation's
    long lines under their own start, as in the model panel: none continues at column 0."""
    from optiform.commands.answer_view import model_hang
    from optiform.commands.chat_view import diff_hang
    from optiform.formulation_view import formulation_diff, formulation_lines
    from optiform.solvers.formulation import Formulation

    script([farm("farm_1"), _long_farm()])
    monkeypatch.setenv("COLUMNS", str(width))
    result = cli("chat", input="\n".join([PROBLEM, "cap the corn", "/formulation", "/quit"]))
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    before, after = (Formulation.model_validate(f) for f in (farm("farm_1"), _long_farm()))

    top = next(i for i, row in enumerate(rows) if row.startswith("╭─ Model changes"))
    bottom = next(i for i in range(top, len(rows)) if rows[i].startswith("╰"))
    inside = [row[2:].rstrip(" │") for row in rows[top + 1:bottom]]
    diff = formulation_diff(before, after)
    assert any(line.startswith("+ corn_cap_for") for line in diff)
    assert _hangs(inside, diff, diff_hang, width - 4) == 2  # the constraint, the description
    assert all(row.startswith(("+ ", "- ", "      ")) for row in inside)

    model = formulation_lines(after)
    start = rows.index(model[0])
    shown = rows[start:start + next(i for i, row in enumerate(rows[start:])
                                    if row == model[-1]) + 1]
    assert _hangs(shown, model, model_hang, width) == 2
    assert [row for row in shown if not row.startswith(" ")] == [
        line for line in model if not line.startswith(" ")]  # the section heads, no more


LONG_NAMES = {"wheat": "wheat_acres_on_the_northern_field",
              "corn": "corn_acres_on_the_river_plots",
              "land": "land_available_on_the_northern_field_and_river_plots",
              "labor": "labor_hours_available_to_the_farm_crew_this_season",
              "corn_cap": "corn_cap_for_the_northern_field_and_the_river_plots"}


def _long_named(name: str) -> dict[str, Any]:
    """A farm fixture with names as long as a model's can be (the rows of the answer wrap)."""
    form = json.loads(json.dumps(farm(name)).replace("wheat", LONG_NAMES["wheat"])
                      .replace("corn", LONG_NAMES["corn"]))
    for constraint in form["constraints"]:
        short = constraint["name"].replace(LONG_NAMES["corn"], "corn")
        constraint["name"] = LONG_NAMES[short]
    return form


def _explanation_rows(rows: list[str], explanation: str) -> list[str]:
    """The rows that show ``explanation``: from its first line to the footer."""
    start = next(i for i, row in enumerate(rows) if row.startswith(explanation[:20]))
    end = next(i for i in range(start, len(rows)) if " prompt + " in rows[i])
    return rows[start:end]


def _expected_hang(width: int):
    """Where the farm's explanation lines go on: the binding constraints under the text after
    their label where each name fits there (100 columns), else 2 columns in, as every other
    line that is not a bullet; the shadow prices under the text after theirs (each name fits
    there at 80 columns too); none at column 0."""
    def hang(line: str) -> tuple[int, int]:
        if line.startswith("Binding constraints (at their limit): "):
            return (38, 38) if width == 100 else (0, 2)
        if line.startswith("Shadow prices: "):
            return 15, 15
        return (2, 2) if line.startswith("- ") else (0, 2)

    return hang


@pytest.mark.parametrize("width", [80, 100])
def test_chat_answer_line_and_explanation_go_on_under_their_text(tmp_path: Path,
                                                                 width: int) -> None:
    """'Answer: objective … → …; wheat: …' and 'Binding constraints (at their limit): …' went on
    at column 0; now under the text after 'Answer: ' and after the label (2 columns in where
    a constraint's name would not fit there whole)."""
    from rich.console import Console

    from optiform.commands.chat_view import print_output

    chat = _session(tmp_path, FakeLLM([_long_named("farm_1"), _long_named("farm_2_corn_cap")]))
    chat.handle(PROBLEM)
    out = chat.handle(CORN_CAP)
    console = Console(record=True, width=width)
    print_output(console, out)
    rows = console.export_text().splitlines()
    assert all(len(row) <= width for row in rows)

    start = next(i for i, row in enumerate(rows) if row.startswith("Answer: objective: 27000"))
    end = next(i for i in range(start, len(rows)) if rows[i].startswith("optimal"))
    assert end - start > 1  # it wraps at both widths
    assert all(row.startswith(" " * 8) and row[8] != " " for row in rows[start + 1:end])
    assert all(row == row.rstrip() for row in rows[start:end])  # no space left at a break
    assert " ".join(" ".join(rows[start:end]).split()) == "Answer: " + "; ".join(out.moves)

    explanation = out.answer.explanation
    binding = ("Binding constraints (at their limit): "
               f"{LONG_NAMES['labor']}; {LONG_NAMES['corn_cap']}.")
    assert binding in explanation.split("\n")
    shown = _explanation_rows(rows, explanation)
    assert _hangs(shown, explanation.split("\n"), _expected_hang(width), width) >= 2
    assert LONG_NAMES["corn_cap"] + "." in " ".join(shown).split()  # whole, not folded


@pytest.mark.parametrize("width", [80, 100])
def test_solve_status_and_explanation_go_on_under_their_text(cli, script, width: int,
                                                              monkeypatch) -> None:
    """`optiform solve` prints the same view: the explanation's long lines and a long status
    message go on under their text, not at column 0."""
    monkeypatch.setenv("COLUMNS", str(width))
    script([_long_named("farm_2_corn_cap")])
    explanation = json.loads(cli("solve", PROBLEM, "--json").stdout)["explanation"]
    result = cli("solve", PROBLEM, "--show", "answer")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert all(len(row) <= width for row in rows)
    lines = explanation.split("\n")
    assert _hangs(_explanation_rows(rows, explanation), lines, _expected_hang(width), width) >= 2

    script([{"optimization": False, "reason": "it is a greeting"}])
    rows = cli("solve", "hello there, how are you?").stdout.splitlines()
    end = next(i for i, row in enumerate(rows) if " prompt + " in row)
    assert rows[0].startswith("not a problem  This does not look like") and end > 1
    column = len("not a problem  ")
    assert all(row.startswith(" " * column) and row[column] != " " for row in rows[1:end])


def _threads_rows(chat: ChatSession, width: int) -> list[str]:
    from rich.console import Console

    from optiform.commands.chat_view import print_output

    console = Console(record=True, width=width)
    print_output(console, chat.handle("/threads"))
    return console.export_text().splitlines()


@pytest.mark.parametrize("width", [80, 100])
def test_chat_threads_are_a_block_each_where_the_table_does_not_fit(tmp_path: Path,
                                                                    width: int) -> None:
    """/threads: the table squeezed a title of 60 letters into a column of a few words; where
    it does not fit (terminal_layout.table_fits) a block per thread, the mark and the id, its
    turns and when, then its title whole, indented."""
    llm = FakeLLM([farm("farm_1"), farm("farm_1"), farm("farm_2_corn_cap")])
    chat = _session(tmp_path, llm)
    chat.handle(PROBLEM)
    first = chat.thread_id
    chat.handle("/new")
    chat.handle("[b]Farm[/b] " + PROBLEM)  # a title is no markup
    chat.handle(CORN_CAP)
    second = chat.thread_id
    chat.handle("/new")
    rows = _threads_rows(chat, width)
    assert rows[0] == "Threads" and not any("│" in row for row in rows)
    assert all(len(row) <= width and row == row.rstrip() for row in rows)
    title = PROBLEM[:60].strip()
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d"
    assert re.fullmatch(rf"  {second}  2 turns  {when}", rows[1])
    assert rows[2] == f"    {('[b]Farm[/b] ' + PROBLEM)[:60].strip()}"
    assert re.fullmatch(rf"  {first}  1 turn  {when}", rows[3]) and rows[4] == f"    {title}"
    assert rows[5:] == [f"* {chat.thread_id}  0 turns", "    (this thread: new, no turn yet)"]


def test_chat_threads_are_a_table_where_it_fits(tmp_path: Path) -> None:
    """The same rule as library search and model settings: the table where its cells stay
    whole; a short title fits 80 columns."""
    chat = _session(tmp_path, FakeLLM([farm("farm_1")]))
    chat.handle("plant x[b] and y: " + PROBLEM)
    wide = _threads_rows(chat, 120)
    assert any(row.startswith("┃   ┃ id ") for row in wide)
    assert "Threads" in wide and all(row == row.rstrip() for row in wide)  # title: no pad
    assert any(row.startswith("│ * │ ") and "plant x[b] and y: A farmer has 100" in row
               for row in wide)  # the title as it was written, not read as markup
    assert "┃   ┃ id " not in "\n".join(_threads_rows(chat, 100))
    short = _session(tmp_path / "short", FakeLLM([farm("farm_1")]))
    short.handle("/new")
    narrow = _threads_rows(short, 80)
    assert any(row.startswith("│ * │ ") and "(this thread: new, no turn yet)" in row
               for row in narrow)
    assert "Threads" in narrow and all(row == row.rstrip() for row in narrow)


def _shown(rows: list[str], text: str, hang: int) -> list[str]:
    """The rows that show the line ``text``: one that starts it, then rows ``hang`` columns
    in, text there, their words (spaces left out, as a folded name has none) ``text``'s."""
    want = "".join(text.split())
    for at, row in enumerate(rows):
        if not row or not want.startswith("".join(row.split())):
            continue
        end = at + 1
        while True:
            if "".join("".join(rows[at:end]).split()) == want:
                return rows[at:end]
            if end == len(rows) or not rows[end].startswith(" " * hang) or rows[end][hang] == " ":
                break
            end += 1
    raise AssertionError(f"{text!r} is not shown with its rows {hang} columns in:\n" +
                         "\n".join(rows))


NAMED_THREAD = "a-thread-" + "very-" * 10 + "long"  # 63 letters, as long as an id may be
MANY_COLUMNS = ["field", "yield", "season", "crop_name_long", "another_long_column",
                "and_yet_another_column", "one_more_column_to_fill_a_row"]


@pytest.mark.parametrize("width", [80, 100])
def test_chat_plain_replies_go_on_under_their_text(cli, script, width: int,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    """/data's tables, what /trace FILE and /export wrote, /undo's line and what /new and
    /threads ID say went on at column 0, their rows ending in a space: now a table's rows go
    on under the text after its name, a sentence's 2 columns in (a path too long for a row
    folded there)."""
    script([farm("farm_1")])
    monkeypatch.setenv("COLUMNS", str(width))
    folder = tmp_path / ("deeper-folder-" * 5 + "x")
    folder.mkdir()
    names = TABLE_NAMES[:2]
    for name in names:
        (folder / name).write_text(",".join(MANY_COLUMNS) + "\n" + "north,3,1,a,b,c,d\n" * 2)
    data = "/data " + " ".join(str(folder / name) for name in names)
    lines = [data, "/data", PROBLEM, f"/trace {folder}/trace.json", f"/export {folder}/m.json",
             "/undo", data, "/new", data, f"/threads {NAMED_THREAD}", "/quit"]
    result = cli("chat", "--thread", NAMED_THREAD, input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    rows = result.stdout.splitlines()
    assert all(len(row) <= width and row == row.rstrip() for row in rows), result.stdout
    for name in names:  # under the first column's name
        label = f"{name}: "
        table = _shown(rows, label + ", ".join(MANY_COLUMNS) + " (2 rows)", len(label))
        assert len(table) > 1 and table[0].startswith(label + "field, ")
    dropped = f"(the tables waiting, {', '.join(n.removesuffix('.csv') for n in names)}, " \
              "were dropped)"
    new_thread = next(row for row in rows if row.startswith("new thread "))
    sentences = ["waiting for the next message: " + ", ".join(str(folder / n) for n in names),
                 f"wrote the trace to {folder}/trace.json", f"wrote {folder}/m.json",
                 f"undid turn 1: {PROBLEM!r}; the thread is empty",
                 f"{new_thread.split(' (')[0]} {dropped}",
                 f"switched to thread {NAMED_THREAD} (0 turns) {dropped}"]
    for sentence in sentences:  # 2 columns in; each longer than 100 columns
        assert len(_shown(rows, sentence, 2)) > 1


@pytest.mark.parametrize("width", [80, 100])
def test_chat_trace_steps_go_on_under_their_node(tmp_path: Path, width: int,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """/trace: a step whose checks and note do not fit a row went on at column 0, under the
    steps' times; now under its node, the summary's first line 2 columns in."""
    from rich.console import Console

    from optiform.agent.state import TraceStep
    from optiform.chat_exports import trace_summary
    from optiform.commands.chat_view import print_output

    chat = _session(tmp_path, FakeLLM([farm("farm_1")]))
    chat.handle(PROBLEM)
    answer = chat.current()
    unknown = "demand_for_the_northern_warehouse_in_the_second_quarter"
    answer.trace.steps.append(TraceStep(
        node="check", kind="check", at=12.5, seconds=0.01,
        checks=[{"code": "invalid", "severity": "error",
                 "message": f"unknown name {unknown} in cap_north"}, {"code": "unused_numbers"}],
        detail={"message": f"the model names {unknown}, which the problem does not define"}))
    monkeypatch.setattr(chat, "current", lambda: answer)
    out = chat.handle("/trace")
    assert out.kind == "trace" and out.text == trace_summary(answer)
    console = Console(record=True, width=width)
    print_output(console, out)
    rows = console.export_text().splitlines()
    assert all(len(row) <= width and row == row.rstrip() for row in rows), rows
    first, *steps = out.text.split("\n")
    assert rows[0] == first and len(steps) == len(answer.trace.steps)
    step = _shown(rows, steps[-1], len("  12.50s  "))
    assert len(step) > 1 and step[0].startswith("  12.50s  check ")
    assert all(_shown(rows, line, 10) == [line] for line in steps[:-1])  # these fit a row


def test_a_binary_variable_reads_as_binary_without_a_stray_comma():
    from optiform.agent.schema import to_formulation
    from optiform.formulation_view import formulation_text
    f = to_formulation({"variables": {"a": "binary", "b": "integer", "c": "continuous"},
                        "objective": {"sense": "minimize", "expression": "a + b + c"},
                        "constraints": {"x": "a + b >= 1"}})
    lines = formulation_text(f).splitlines()
    assert lines[-3:] == ["  a binary", "  b ≥ 0, integer", "  c ≥ 0"]
