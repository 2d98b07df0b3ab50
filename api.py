"""The Assistant: wires settings, the LLM, the solvers and an insight source into the graph.

```python
from optiform import Assistant
answer = Assistant().solve("A bakery makes bread and cakes ... maximize profit.")
print(answer.explanation)
```
Threads: pass ``thread_id`` and a later ``solve`` in the same thread revises the previous
model (state kept by a SQLite checkpointer in the user data directory unless one is given);
turns of one thread run one after another, also when asked for at once.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.errors import InputError

if TYPE_CHECKING:
    from optiform.agent.answer import Answer
    from optiform.agent.deps import Deps
    from optiform.agent.events import Event
    from optiform.agent.llm import LLM
    from optiform.config import Settings
    from optiform.conversation import ChatSession
    from optiform.turn_tables import TableFolders


class Assistant:
    """Solve optimization problems written in plain language.

    ``llm``: any object following the LLM protocol (default: ``make_llm(settings)``, created on
    first use). ``insight_source``: where insights come from (default: the experience library
    when ``settings.library`` is on, else none). ``checkpointer``: a
    LangGraph checkpointer for threads (default: SQLite in the user data directory, opened on
    the first call with a ``thread_id``). ``solve``, ``export`` and ``run_code`` replace the
    solver, the Pyomo exporter and the sandbox (tests use fakes).
    """

    def __init__(self, settings: Settings | None = None, *, llm: LLM | None = None,
                 insight_source: Any = None, checkpointer: Any = None,
                 solve: Any = None, export: Any = None, run_code: Any = None) -> None:
        if settings is None:
            from optiform.config import load_settings

            settings = load_settings()
        self.settings = settings
        self._llm = llm
        self._insights = insight_source
        self._owns_insights = False
        self._checkpointer = checkpointer
        self._owns_checkpointer = False
        self._overrides = {k: v for k, v in (("solve", solve), ("export", export),
                                             ("run_code", run_code)) if v is not None}
        self._graphs: dict[bool, Any] = {}
        self._thread_locks: dict[str, threading.RLock] = {}
        self._locks_lock = threading.Lock()
        self._table_folders: TableFolders | None = None

    def _turn_lock(self, thread_id: str | None) -> Any:
        """One lock per thread id: turns of a thread run one after another (two at once would
        both revise the same turn, and one would be lost); a turn without a thread needs none.
        Reentrant, so a turn's own code may start another in its thread without a deadlock."""
        if thread_id is None:
            return nullcontext()
        with self._locks_lock:
            return self._thread_locks.setdefault(thread_id, threading.RLock())

    def busy(self, thread_id: str) -> bool:
        """Whether a turn of this thread is running in another thread of this process (a
        turn cancelled at its next step still runs until its LLM call ends)."""
        return not self.wait_idle(thread_id, 0)

    def wait_idle(self, thread_id: str, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until no turn of this thread runs; whether none does.
        Before ``close()``: a turn still running would write to a closed memory."""
        lock = self._turn_lock(thread_id)
        idle = lock.acquire(timeout=timeout) if timeout > 0 else lock.acquire(blocking=False)
        if idle:
            lock.release()
        return idle

    def running(self) -> list[str]:
        """The threads with a turn running in another thread of this process."""
        with self._locks_lock:
            ids = list(self._thread_locks)
        return [t for t in ids if self.busy(t)]

    # -- wiring ---------------------------------------------------------------------------

    @property
    def llm(self) -> LLM:
        if self._llm is None:
            from optiform.agent.llm import make_llm

            self._llm = make_llm(self.settings)
        return self._llm

    def deps(self, **overrides: Any) -> Deps:
        """The graph's dependencies from the settings; keyword arguments override options."""
        from optiform.agent.deps import Deps
        from optiform.agent.insights import EmptyInsightSource

        values = {**self._overrides, **overrides}
        values.setdefault("insights", self.insight_source or EmptyInsightSource())
        return Deps.from_settings(self.settings, llm=self.llm, **values)

    @property
    def insight_source(self) -> Any:
        """The given source; else the experience library when ``settings.library`` is on."""
        if self._insights is None and self.settings.library and self.settings.top_k > 0:
            from optiform.library.retrieval import LibraryInsightSource

            llm, system = None, None
            if self.settings.library_llm_check:
                from optiform.agent.deps import formulation_shape, guidance_text
                from optiform.agent.prompts import system_text

                llm = self.llm
                # most problems come without tables, so the scalar shape's system prompt
                shape = formulation_shape(self.settings.formulation_shape, tables=False)
                system = system_text(shape, guidance_text(self.settings))
            self._insights = LibraryInsightSource(settings=self.settings, llm=llm,
                                                  check_system=system)
            self._owns_insights = True
        return self._insights

    def _graph(self, threaded: bool) -> Any:
        if threaded not in self._graphs:
            from optiform.agent.graph import compile_graph

            saver = None
            if threaded:
                if self._checkpointer is None:
                    from optiform.agent.threads import default_threads_path, sqlite_checkpointer

                    path = default_threads_path(self.settings.data_dir)
                    self._checkpointer = sqlite_checkpointer(path)
                    self._owns_checkpointer = True
                saver = self._checkpointer
            self._graphs[threaded] = compile_graph(saver)
        return self._graphs[threaded]

    @property
    def _tables(self) -> TableFolders:
        """One for the Assistant's life: it holds the locks of the turns it is writing."""
        from optiform.turn_tables import TableFolders

        with self._locks_lock:
            if self._table_folders is None:
                self._table_folders = TableFolders(Path(self.settings.data_dir) / "tables")
            return self._table_folders

    def _state(self, thread_id: str) -> dict[str, Any]:
        snapshot = self._graph(True).get_state({"configurable": {"thread_id": thread_id}})
        return dict(snapshot.values or {}) if snapshot is not None else {}

    def _turn_tables(self, data: Mapping[str, Any], thread_id: str | None) -> dict[str, Any]:
        """Write a turn's tables into a folder of its own (optiform.turn_tables): ``data_dir``
        and ``tables`` for the graph's state."""
        last = self._state(thread_id) if thread_id is not None else {}
        return self._tables.write(data, thread_id, last)

    def _cleanup(self, state: Mapping[str, Any], thread_id: str | None) -> None:
        """Once a turn is over: remove a request's own tables folder, or the folders of a
        thread that nothing holds any more."""
        folder = state.get("data_dir")
        if not folder:  # a turn without tables made no folder (nor needs the data folder)
            return
        if thread_id is None:
            self._tables.remove_request(folder)
        else:
            self._tables.release(folder)
            self._tables.prune(thread_id, self._state(thread_id))

    def _forget_failed_tables(self, state: Mapping[str, Any], thread_id: str | None) -> None:
        """A threaded turn that sent tables and failed (or was cancelled) leaves the thread
        with the tables of its last finished turn, not its own."""
        if thread_id is None or "data_dir" not in state:
            return
        try:
            history = list(self._state(thread_id).get("history") or [])
            update = self._tables.kept(thread_id, history, strict=False)
            if update is not None:
                self._graph(True).update_state({"configurable": {"thread_id": thread_id}},
                                               update, as_node="answer")
        except Exception:  # the turn's own error is the one to report
            return

    def _prepare(self, text: Any, data: Mapping[str, Any] | None, thread_id: str | None,
                 overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Deps]:
        from optiform.agent.graph import recursion_limit
        from optiform.agent.intake import validate_text

        clean = validate_text(text, self.settings.max_problem_chars)
        if thread_id is not None:
            _check_thread(thread_id)
        state: dict[str, Any] = {"text": clean}
        deps = self.deps(**overrides)  # a bad option is refused before any table is written
        if data:
            state.update(self._turn_tables(data, thread_id))
        config: dict[str, Any] = {"recursion_limit": recursion_limit(deps)}
        if thread_id is not None:
            config["configurable"] = {"thread_id": thread_id}
        return state, config, deps

    # -- solving --------------------------------------------------------------------------

    def solve(self, text: str, data: Mapping[str, Any] | None = None, thread_id: str | None = None,
              **overrides: Any) -> Answer:
        """Solve one problem (or continue a thread). Overrides: any Deps option, e.g.
        ``samples=3``, ``max_repairs=1``, ``code_strategy=True``."""
        if thread_id is not None:
            _check_thread(thread_id)  # before its lock: an unhashable id is an InputError
        with self._turn_lock(thread_id):  # its tables are written inside it too
            state, config, deps = self._prepare(text, data, thread_id, overrides)
            try:
                final = self._graph(thread_id is not None).invoke(state, config, context=deps)
            except BaseException:
                self._forget_failed_tables(state, thread_id)
                raise
            finally:
                self._cleanup(state, thread_id)
        return _to_answer(final, thread_id)

    def stream(self, text: str, data: Mapping[str, Any] | None = None,
               thread_id: str | None = None, *, tokens: bool = True,
               **overrides: Any) -> Iterator[Event]:
        """Events while solving: node_started/finished, llm_call, token (when ``tokens``),
        attempt, error; the last event has type 'answer' and carries the Answer."""
        from optiform.agent.events import Event

        final: dict[str, Any] | None = None
        if thread_id is not None:
            _check_thread(thread_id)  # before its lock: an unhashable id is an InputError
        with self._turn_lock(thread_id):  # its tables are written inside it too
            state, config, deps = self._prepare(text, data, thread_id,
                                                {"stream_tokens": tokens, **overrides})
            graph = self._graph(thread_id is not None)
            try:
                for mode, chunk in graph.stream(state, config, context=deps,
                                                stream_mode=["custom", "values"]):
                    if mode == "custom":
                        yield Event.model_validate(chunk)
                    else:
                        final = chunk
            except BaseException:  # also GeneratorExit: the consumer stopped early
                self._forget_failed_tables(state, thread_id)
                raise
            finally:  # also when the consumer stops early (a client that went away)
                self._cleanup(state, thread_id)
        answer = _to_answer(final or {}, thread_id)
        yield Event(type="answer", node="answer", answer=answer,
                    data={"status": answer.status, "objective": answer.objective,
                          "confidence": answer.confidence})

    def history(self, thread_id: str) -> list[dict[str, Any]]:
        """The finished turns of a thread: text, status, objective, formulation, and the
        tables it was solved with (``data_dir``, a folder of this machine, and ``tables``)."""
        return list(self._state(_check_thread(thread_id)).get("history") or [])

    def chat(self, thread_id: str | None = None, *, resume_latest: bool = False) -> ChatSession:
        """A conversation (``optiform.conversation``): ``session.handle("add a constraint
        ...")`` revises the thread's model; turns, /undo and threads persist in the user data
        directory. A new thread unless ``thread_id`` (or ``resume_latest``) names one."""
        from optiform.chat_store import ChatStore
        from optiform.conversation import ChatSession

        store = ChatStore.default(self.settings.data_dir)
        return ChatSession(self, store, thread_id, resume_latest=resume_latest)

    def delete_thread(self, thread_id: str) -> None:
        """Forget a thread: its turns in the agent's memory, the tables its turns were sent,
        and its turns in the chat store of ``chat()`` (the data folder's)."""
        from optiform.chat_store import ChatStore

        _check_thread(thread_id)
        with self._turn_lock(thread_id):
            self._graph(True)  # makes the checkpointer
            if self._checkpointer is not None:
                self._checkpointer.delete_thread(thread_id)
            self._tables.remove_thread(thread_id)
            store = ChatStore.default(self.settings.data_dir)
            try:
                store.delete_thread(thread_id)
            finally:
                store.close()

    def set_history(self, thread_id: str, history: list[dict[str, Any]]) -> None:
        """Replace a thread's finished turns (chat's /undo keeps a prefix), so the next turn
        revises the model of the last turn kept, with the tables it was solved with."""
        _check_thread(thread_id)
        if not isinstance(history, list) or not all(isinstance(t, dict) for t in history):
            raise InputError("a thread's history is a list of turns (dicts), as history() "
                             "gives it", hint="pass a prefix of assistant.history(thread_id)")
        config = {"configurable": {"thread_id": thread_id}}
        # the tables the last kept turn was solved with (none when the thread is emptied)
        update: dict[str, Any] = {"history": list(history),
                                  **(self._tables.kept(thread_id, history) or {})}
        with self._turn_lock(thread_id):
            self._graph(True).update_state(config, update, as_node="answer")
            self._tables.prune(thread_id, self._state(thread_id))

    # -- async twins (optiform.api_async: the sync agent in a worker thread) -------------

    async def asolve(self, text: str, data: Mapping[str, Any] | None = None,
                     thread_id: str | None = None, **overrides: Any) -> Answer:
        """``solve`` for asyncio code; cancelling the task stops the agent at its next step."""
        from optiform.api_async import asolve

        return await asolve(self, text, data, thread_id, **overrides)

    def astream(self, text: str, data: Mapping[str, Any] | None = None,
                thread_id: str | None = None, *, tokens: bool = True,
                **overrides: Any) -> AsyncIterator[Event]:
        """``stream`` for asyncio code; closing the iterator stops the agent at its next step."""
        from optiform.api_async import astream

        return astream(self, text, data, thread_id, tokens=tokens, **overrides)

    def close(self) -> None:
        if self._owns_insights and hasattr(self._insights, "close"):
            self._insights.close()
            self._insights, self._owns_insights = None, False
        if self._owns_checkpointer and self._checkpointer is not None:
            from optiform.agent.threads import close_checkpointer

            close_checkpointer(self._checkpointer)
            self._checkpointer = None
            self._graphs.pop(True, None)

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _to_answer(state: dict[str, Any], thread_id: str | None) -> Answer:
    from optiform.agent.answer import Answer
    from optiform.agent.state import Trace

    if not state.get("answer"):
        from optiform.errors import OptiformError

        raise OptiformError("the agent stopped without an answer",
                            hint="save the trace with --trace and report it")
    return Answer.model_validate({**state["answer"], "thread_id": thread_id,
                                  "trace": Trace.from_state(state.get("trace", []))})


_CALL_KEYS = ("data", "thread_id")
_ASSISTANT_KEYS = ("llm", "insight_source", "checkpointer", "solve", "export", "run_code")


def solve(text: str, **kw: Any) -> Answer:
    """Solve one problem with a fresh Assistant. Keywords: ``data``, ``thread_id``, the
    Assistant's (``llm``, ``insight_source``, ...), else settings overrides (``samples=3``)."""
    from optiform.config import load_settings

    call = {k: kw.pop(k) for k in _CALL_KEYS if k in kw}
    wiring = {k: kw.pop(k) for k in _ASSISTANT_KEYS if k in kw}
    with Assistant(load_settings(**kw), **wiring) as assistant:
        return assistant.solve(text, **call)


def _check_thread(thread_id: Any) -> str:
    """A thread id of the Python API: any non-empty string (the CLI and the HTTP API take a
    narrower set, chat_store.THREAD_ID); an InputError otherwise."""
    if not isinstance(thread_id, str) or not thread_id.strip():
        raise InputError(f"thread_id must be a non-empty string, not {thread_id!r}",
                         hint="use any stable name, e.g. 'planning-2024'")
    return thread_id
