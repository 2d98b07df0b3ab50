"""Threads: a second turn continues from the first one's formulation, through SQLite."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.threads import close_checkpointer, memory_checkpointer, sqlite_checkpointer
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import DataError
from optiform.solvers.result import SolveResult, Status

SHOP = ("A shop makes chairs and tables. A chair earns $30 profit and takes 2 hours of labor; a "
        "table earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 "
        "tables can be sold. Maximize profit.")
FIRST = {"sets": [], "parameters": [],
         "variables": [{"name": "chairs", "domain": "integer"},
                       {"name": "tables", "domain": "integer"}],
         "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
         "constraints": [{"name": "labor", "expression": "2*chairs + 5*tables <= 40"},
                         {"name": "table_sales", "expression": "tables <= 6"}]}
SECOND = copy.deepcopy(FIRST)
SECOND["constraints"].append({"name": "min_tables", "expression": "tables >= 2"})


def solver(f, **_):
    tables = 2.0 if f.constraint("min_tables") else 0.0
    chairs = (40 - 5 * tables) // 2
    return SolveResult(status=Status.OPTIMAL, objective=30 * chairs + 50 * tables,
                       values={"chairs": chairs, "tables": tables})


def make(llm, saver):
    return Assistant(load_settings(library=False), llm=llm, checkpointer=saver, solve=solver,
                     export=None)


def test_second_turn_sees_the_first_turns_formulation_across_processes(tmp_path):
    db = tmp_path / "threads.sqlite"
    first_saver = sqlite_checkpointer(db)
    first = make(FakeLLM([FIRST]), first_saver).solve(SHOP, thread_id="shop")
    assert first.objective == 600.0 and first.thread_id == "shop"
    close_checkpointer(first_saver)

    # a new assistant, a new connection: only the SQLite file carries the thread
    llm = FakeLLM([SECOND])
    saver = sqlite_checkpointer(db)
    again = make(llm, saver)
    second = again.solve("Now the shop must make at least 2 tables.", thread_id="shop")
    prompt = llm.requests[0]["messages"][-1].content
    assert "Earlier problem" in prompt and "A shop makes chairs" in prompt
    assert '"labor":"2*chairs + 5*tables <= 40"' in prompt
    assert "at least 2 tables" in prompt
    assert second.objective == 550.0 and second.source == "follow_up"
    turns = again.history("shop")
    assert [t["objective"] for t in turns] == [600.0, 550.0]
    assert second.trace.llm_calls == 1  # the trace is this turn's only
    assert second.trace.steps[0].kind == "llm"  # a follow-up retrieves no insights
    close_checkpointer(saver)


def test_threads_are_separate():
    saver = memory_checkpointer()
    make(FakeLLM([FIRST]), saver).solve(SHOP, thread_id="a")
    llm = FakeLLM([FIRST])
    make(llm, saver).solve(SHOP, thread_id="b")
    assert "Earlier problem" not in llm.requests[0]["messages"][-1].content


def test_without_a_thread_nothing_is_remembered():
    llm = FakeLLM([FIRST, FIRST])
    a = make(llm, memory_checkpointer())
    a.solve(SHOP)
    a.solve(SHOP)
    assert all("Earlier problem" not in r["messages"][-1].content for r in llm.requests)


def test_default_checkpointer_is_sqlite_in_the_data_dir(tmp_path):
    settings = load_settings(data_home=tmp_path, library=False)
    with Assistant(settings, llm=FakeLLM([FIRST]), solve=solver, export=None) as a:
        a.solve(SHOP, thread_id="t1")
        assert (tmp_path / "threads.sqlite").is_file()
        assert len(a.history("t1")) == 1


def test_a_third_turn_sees_the_whole_thread():
    saver = memory_checkpointer()
    make(FakeLLM([FIRST]), saver).solve(SHOP, thread_id="t")
    make(FakeLLM([SECOND]), saver).solve("Make at least 2 tables.", thread_id="t")
    llm = FakeLLM([SECOND])
    make(llm, saver).solve("What if labor is 50 hours?", thread_id="t")
    prompt = llm.requests[0]["messages"][-1].content
    assert "A shop makes chairs" in prompt and "Then: Make at least 2 tables." in prompt
    assert '"min_tables":"tables >= 2"' in prompt


def test_turns_asked_for_at_once_in_one_thread_all_count():
    import threading
    import time

    def slow_solver(f, **kw):
        time.sleep(0.2)  # long enough that the turns would overlap
        return solver(f, **kw)

    assistant = Assistant(load_settings(library=False), llm=FakeLLM(default=FIRST),
                          checkpointer=memory_checkpointer(), solve=slow_solver, export=None)
    answers: list[str] = []

    def turn(i: int) -> None:
        answers.append(assistant.solve(f"{SHOP} ({i})", thread_id="together").status)

    workers = [threading.Thread(target=turn, args=(i,)) for i in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
    assert answers == ["optimal"] * 3  # every turn ran to its end
    assert len(assistant.history("together")) == 3  # before the per-thread lock: 1 of 3


def test_a_thread_id_of_dots_keeps_its_tables_inside_the_tables_folder(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, {"prices": {"item": ["chair"], "price": [30]}}, thread_id="..")
    [written] = (tmp_path / "tables").glob("thread-..-*/turn-*/prices.csv")
    assert written.resolve().is_relative_to((tmp_path / "tables").resolve())
    assert not (tmp_path / "prices.csv").exists()  # ".." was the data folder itself


def test_tables_of_threads_and_turns_stay_apart(tmp_path):
    """Ids made safe alike ('proj:1', 'proj_1') get their own folders; a table sent again
    leaves the files of the earlier turn as they were; an earlier table stays in reach."""
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [1]}}, thread_id="proj:1")
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [999]}}, thread_id="proj_1")
        first = Path(assistant._graph(True).get_state(
            {"configurable": {"thread_id": "proj:1"}}).values["data_dir"])
        assert (first / "costs.csv").read_text().splitlines()[1] == "chair,1"
        assistant.solve(SHOP, {"limits": {"item": ["chair"], "cap": [4]}}, thread_id="proj:1")
        values = assistant._graph(True).get_state(
            {"configurable": {"thread_id": "proj:1"}}).values
        second = Path(values["data_dir"])
        assert second != first and sorted(p.name for p in second.iterdir()) == [
            "costs.csv", "limits.csv"]
        assert [t["file"] for t in values["tables"]] == ["costs.csv", "limits.csv"]
        assert (first / "costs.csv").read_text().splitlines()[1] == "chair,1"


def test_a_request_outside_a_thread_leaves_no_tables_behind(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), solve=solver, export=None) as assistant:
        assert assistant.solve(SHOP, {"prices": {"item": ["chair"], "price": [30]}}).status \
            == "optimal"
        list(assistant.stream(SHOP, {"prices": {"item": ["chair"], "price": [30]}}))
        with pytest.raises(DataError):
            assistant.solve(SHOP, {"prices": {"item": ["chair", "desk"], "price": [30]}})
    assert list((tmp_path / "tables").iterdir()) == []


def test_a_history_that_is_no_list_of_turns_is_refused():
    from optiform.errors import InputError

    with Assistant(load_settings(library=False), llm=FakeLLM(default=FIRST),
                   checkpointer=memory_checkpointer(), solve=solver, export=None) as assistant:
        assistant.solve(SHOP, thread_id="t")
        for bad in ("notalist", ["turn"], None):
            with pytest.raises(InputError, match="list of turns"):
                assistant.set_history("t", bad)  # type: ignore[arg-type]
        assert len(assistant.history("t")) == 1
        assert assistant.solve(SHOP, thread_id="t").status == "optimal"


def test_a_bad_option_leaves_no_tables_behind(tmp_path):
    from optiform.errors import InputError

    settings = load_settings(library=False, data_home=tmp_path)
    assistant = Assistant(settings, llm=FakeLLM(default=FIRST), solve=solver, export=None)
    with assistant, pytest.raises(InputError):
        assistant.solve(SHOP, {"prices": {"item": ["chair"], "price": [30]}}, samples=0)
    assert not (tmp_path / "tables").exists() or list((tmp_path / "tables").iterdir()) == []


def test_undoing_a_turn_brings_back_its_tables_and_removes_the_undone_ones(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [1]}}, thread_id="t")
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [999]}}, thread_id="t")
        assistant.solve(SHOP, thread_id="t")  # no tables: the turn keeps the latest ones

        def state() -> dict:
            return assistant._graph(True).get_state({"configurable": {"thread_id": "t"}}).values

        turns = assistant.history("t")
        assert [Path(t["data_dir"]).name for t in turns][1:] == [
            Path(state()["data_dir"]).name] * 2
        folders = lambda: sorted((tmp_path / "tables").glob("thread-t-*/turn-*"))  # noqa: E731
        assert len(folders()) == 2

        assistant.set_history("t", turns[:1])  # as chat's /undo, twice
        values = state()
        assert (Path(values["data_dir"]) / "costs.csv").read_text().splitlines()[1] == "chair,1"
        assert [t["file"] for t in values["tables"]] == ["costs.csv"]
        assert folders() == [Path(values["data_dir"])]  # the undone turns' folder is gone

        assistant.set_history("t", [])
        assert state()["data_dir"] is None and state()["tables"] == []
        assert folders() == []
        assert assistant.solve(SHOP, thread_id="t").status == "optimal"


def test_a_thread_keeps_only_the_folders_its_turns_hold(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    llm = FakeLLM([{"optimization": False, "reason": "a greeting"}], default=FIRST)
    with Assistant(settings, llm=llm, checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        # a turn that states no problem is kept out of the history; its tables stay the
        # thread's latest until a later turn sends its own
        assert assistant.solve("Which day is it?", {"costs": {"item": ["a"], "cost": [1]}},
                               thread_id="u").status == "not_a_problem"
        assistant.solve(SHOP, {"prices": {"item": ["chair"], "price": [30]}}, thread_id="u")
        [kept] = (tmp_path / "tables").glob("thread-u-*/turn-*")
        assert sorted(p.name for p in kept.iterdir()) == ["costs.csv", "prices.csv"]


def _values(assistant, thread_id):
    return assistant._graph(True).get_state({"configurable": {"thread_id": thread_id}}).values


def test_undoing_back_to_a_turn_without_tables_leaves_none(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, thread_id="t")
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [5]}}, thread_id="t")
        turns = assistant.history("t")
        assert turns[0]["data_dir"] is None and turns[0]["tables"] == []
        assistant.set_history("t", turns[:1])
        assert _values(assistant, "t")["data_dir"] is None
        assert _values(assistant, "t")["tables"] == []
        assert list((tmp_path / "tables").glob("thread-t-*/turn-*")) == []
        # the undone turns' tables are gone: a history that still names them is refused
        from optiform.errors import InputError

        with pytest.raises(InputError, match="tables of the last turn kept"):
            assistant.set_history("t", turns)


def test_turns_recorded_before_turns_held_their_tables_leave_the_state_as_it_is(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [5]}}, thread_id="t")
        old = [{k: v for k, v in t.items() if k not in ("data_dir", "tables")}
               for t in assistant.history("t")]
        before = _values(assistant, "t")["data_dir"]
        assistant.set_history("t", old)
        assert _values(assistant, "t")["data_dir"] == before and Path(before).is_dir()


def test_a_failed_turn_leaves_the_thread_with_the_tables_of_its_last_finished_turn(tmp_path):
    calls = []

    def failing_second(f, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the solver crashed")
        return solver(f, **kw)

    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=failing_second, export=None) as assistant:
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [1]}}, thread_id="t")
        first = _values(assistant, "t")["data_dir"]
        with pytest.raises(RuntimeError):
            assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [5]}}, thread_id="t")
        values = _values(assistant, "t")
        assert values["data_dir"] == first
        assert (Path(first) / "costs.csv").read_text().splitlines()[1] == "chair,1"
        assert [Path(p) for p in (tmp_path / "tables").glob("thread-t-*/turn-*")] == [
            Path(first)]  # the failed turn's folder is gone
        assert assistant.solve(SHOP, thread_id="t").status == "optimal"


def test_a_streamed_turn_left_early_keeps_the_tables_of_the_last_finished_turn(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM(default=FIRST), checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [1]}}, thread_id="t")
        first = _values(assistant, "t")["data_dir"]
        events = assistant.stream(SHOP, {"costs": {"item": ["chair"], "cost": [5]}},
                                  thread_id="t")
        next(events)
        events.close()  # a client that went away
        assert _values(assistant, "t")["data_dir"] == first
        assert len(list((tmp_path / "tables").glob("thread-t-*/turn-*"))) == 1


def test_a_deleted_thread_is_forgotten_with_its_tables(tmp_path):
    settings = load_settings(library=False, data_home=tmp_path)
    llm = FakeLLM(default=FIRST)
    with Assistant(settings, llm=llm, checkpointer=memory_checkpointer(),
                   solve=solver, export=None) as assistant:
        assistant.solve(SHOP, {"costs": {"item": ["chair"], "cost": [1]}}, thread_id="gone")
        assistant.solve(SHOP, thread_id="kept")
        assistant.delete_thread("gone")
        assert assistant.history("gone") == [] and len(assistant.history("kept")) == 1
        assert not list((tmp_path / "tables").glob("thread-gone-*"))
        assistant.solve("Now at least 2 tables.", thread_id="gone")  # a new thread: no
        assert "Earlier problem" not in llm.requests[-1]["messages"][-1].content  # history


def test_the_python_api_names_a_thread_id_that_is_no_string(tmp_path):
    from optiform.api import Assistant
    from optiform.config import load_settings
    from optiform.errors import InputError

    with Assistant(load_settings(backend="fake", library=False, data_home=tmp_path),
                   llm=FakeLLM([])) as assistant:
        for call in (lambda: assistant.history(None), lambda: assistant.history(5),
                     lambda: assistant.set_history(None, []),
                     lambda: assistant.delete_thread(""),
                     lambda: assistant.solve("Maximize x where x <= 3.", thread_id=" "),
                     lambda: assistant.solve("Maximize x where x <= 3.", thread_id=["a"]),
                     lambda: list(assistant.stream("Maximize x.", thread_id=["a"]))):
            with pytest.raises(InputError, match="thread_id must be a non-empty string"):
                call()


def test_tables_whose_previews_would_fill_the_prompt_are_refused_before_the_model(tmp_path):
    from optiform.errors import InputError

    llm = FakeLLM([])
    settings = load_settings(backend="fake", library=False, data_home=tmp_path,
                             max_problem_chars=2000)
    wide = {f"column_number_{n}": [n, n + 1] for n in range(200)}
    with Assistant(settings, llm=llm) as assistant, \
            pytest.raises(InputError, match=r"previews of the 1 data table\(s\) take"):
        assistant.solve("Maximize the total of the columns where each is at most 3.",
                        {"wide": wide}, thread_id="wide")
    assert llm.requests == []
    assert not list((tmp_path / "tables").glob("thread-wide-*/turn-*/wide.csv"))


def test_a_turn_folder_another_process_is_writing_is_not_pruned(tmp_path):
    from optiform.turn_tables import TableFolders

    ours, theirs = TableFolders(tmp_path), TableFolders(tmp_path)  # two processes' views
    running = theirs.write({"crops": {"crop": ["wheat"]}}, "t", {})["data_dir"]
    ours.prune("t", {})  # our state holds no folder: theirs is a turn still running
    assert (Path(running) / "crops.csv").exists()
    theirs.release(running)
    ours.prune("t", {})  # its turn is over and nothing holds it: removed, with its lock
    assert not Path(running).exists() and list(Path(running).parent.iterdir()) == []


def test_the_assistant_holds_its_running_turns_folder_against_other_processes(tmp_path):
    from optiform.turn_tables import TableFolders

    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    with Assistant(settings, llm=FakeLLM([])) as assistant:
        state = assistant._turn_tables({"crops": {"crop": ["wheat"]}}, "t")
        TableFolders(tmp_path / "tables").prune("t", {})  # another process, mid-turn
        assert (Path(state["data_dir"]) / "crops.csv").exists()
        assistant._cleanup(state, "t")  # the turn ends: its lock goes, and nothing holds it
    assert not Path(state["data_dir"]).exists()
