"""The Python API's async twins, cancellation, the serialized LLM, and a core free of faces."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.llm import Message
from optiform.api import Assistant
from optiform.api_async import SerialLLM, iter_cancellable
from optiform.config import load_settings
from optiform.errors import TurnCancelled

FIXTURES = Path(__file__).parent / "fixtures" / "surfaces"
PROBLEM = ("A farmer has 100 acres to plant wheat and corn. Wheat earns $300 per acre and corn "
           "$250; wheat needs 3 hours of labor per acre and corn 2, with 240 hours available. "
           "Maximize profit.")
FACES = ("typer", "rich", "fastapi", "starlette", "uvicorn", "prompt_toolkit", "click")


def farm() -> dict[str, Any]:
    return json.loads((FIXTURES / "farm_1.json").read_text())


def assistant(llm: Any, **kw: Any) -> Assistant:
    return Assistant(load_settings(backend="fake", library=False), llm=llm, **kw)


_BLOCK_FACES = """
import sys, traceback
FACES, REPO, culprits = {faces!r}, {repo!r}, []

class BlockFaces:
    # As if the faces were not installed; remembers optiform code that asked for one
    # (third-party packages may try them: httpx's optional CLI pulls click and rich).
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] not in FACES:
            return None
        stack = [f for f in traceback.extract_stack()[:-1] if "importlib" not in f.filename]
        importer = stack[-1].filename
        if importer.startswith(REPO) and "/.venv/" not in importer:
            culprits.append((name, f"{{importer}}:{{stack[-1].lineno}}"))
        raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

sys.meta_path.insert(0, BlockFaces())
"""


def test_core_never_imports_the_faces() -> None:
    """The core (api, agent, solvers, chat logic) imports no typer, rich, fastapi or
    prompt_toolkit, and solves with none of them installed."""
    repo = str(Path(__file__).resolve().parents[1])
    code = _BLOCK_FACES.format(faces=FACES, repo=repo) + f"""
import json
from optiform.api import Assistant, solve
import optiform.api_async, optiform.conversation, optiform.chat_store
import optiform.chat_exports, optiform.formulation_view
from optiform.agent.fake import FakeLLM
from optiform.config import load_settings
model = json.loads(open({str(FIXTURES / "farm_1.json")!r}).read())
a = Assistant(load_settings(backend="fake", library=False), llm=FakeLLM([model]))
assert a.solve({PROBLEM!r}).status == "optimal"
loaded = sorted(m for m in sys.modules if m.split(".")[0] in FACES)
print(json.dumps({{"culprits": culprits, "loaded": loaded}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report == {"culprits": [], "loaded": []}


def test_asolve_and_astream() -> None:
    a = assistant(FakeLLM([farm(), farm()]))

    async def main() -> tuple[Any, list[Any]]:
        answer = await a.asolve(PROBLEM)
        events = [e async for e in a.astream(PROBLEM)]
        return answer, events

    answer, events = asyncio.run(main())
    assert answer.status == "optimal" and answer.objective == pytest.approx(27000)
    kinds = [e.type for e in events]
    assert kinds[-1] == "answer" and "node_started" in kinds and "token" in kinds
    assert events[-1].answer.objective == pytest.approx(27000)


def test_cancelling_the_consumer_stops_the_agent_at_its_next_step() -> None:
    entered, release = threading.Event(), threading.Event()
    solved: list[Any] = []

    def slow(messages: list[Message]) -> dict[str, Any]:
        entered.set()
        release.wait(10)
        return farm()

    def counting_solve(f: Any, **kw: Any) -> Any:
        from optiform.solvers.api import solve_formulation

        solved.append(f)
        return solve_formulation(f, **kw)

    a = assistant(FakeLLM([slow]), solve=counting_solve)

    async def main() -> None:
        async def consume() -> None:
            async for _ in a.astream(PROBLEM):
                pass

        task = asyncio.create_task(consume())
        while not entered.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    release.set()
    deadline = time.monotonic() + 10
    while any(t.name == "optiform-turn" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the worker did not stop"
        time.sleep(0.02)
    assert solved == [], "the agent went on to solve after it was cancelled"


class _Slow:
    name = "slow"

    def __init__(self) -> None:
        self.active = self.peak = self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.lock = threading.Lock()

    def complete(self, messages: list[Message], **kw: Any) -> Any:
        from optiform.agent.llm import Completion

        with self.lock:
            self.active += 1
            self.calls += 1
            self.peak = max(self.peak, self.active)
        self.release.wait(10)
        time.sleep(0.02)
        with self.lock:
            self.active -= 1
        return Completion(text="ok")

    def stream(self, messages: list[Message], **kw: Any) -> Any:
        yield self.complete(messages).text


def test_serial_llm_queues_callers_one_at_a_time() -> None:
    inner = _Slow()
    llm = SerialLLM(inner)
    msgs = [Message(role="user", content="hi")]
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(llm.complete(msgs).text))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert results == ["ok"] * 8  # nobody was turned away
    assert inner.peak == 1 and inner.calls == 8


def test_a_cancelled_caller_leaves_the_queue() -> None:
    inner = _Slow()
    inner.release.clear()
    llm = SerialLLM(inner)
    msgs = [Message(role="user", content="hi")]
    holder = threading.Thread(target=lambda: llm.complete(msgs))
    holder.start()
    while inner.active == 0:
        time.sleep(0.01)
    flag, outcome = threading.Event(), []

    def queued() -> None:
        def steps() -> Any:
            yield llm.complete(msgs)

        try:
            list(iter_cancellable(steps(), flag))
        except TurnCancelled:
            outcome.append("cancelled")

    waiter = threading.Thread(target=queued)
    waiter.start()
    time.sleep(0.3)
    flag.set()
    waiter.join(5)
    assert outcome == ["cancelled"]
    inner.release.set()
    holder.join(5)
    assert inner.calls == 1  # the cancelled call never reached the model


def test_a_stop_is_tried_again_while_the_solver_has_not_begun() -> None:
    import threading
    import time

    from optiform.cancellation import cancel_flag, stop_when_cancelled

    calls: list[float] = []

    def stop() -> bool:  # False twice: the solver had not begun
        calls.append(time.perf_counter())
        return len(calls) >= 3

    flag = threading.Event()
    flag.set()
    token = cancel_flag.set(flag)
    try:
        with stop_when_cancelled(stop, every=0.01):
            deadline = time.perf_counter() + 5
            while len(calls) < 3 and time.perf_counter() < deadline:
                time.sleep(0.01)
    finally:
        cancel_flag.reset(token)
    assert len(calls) == 3
    with stop_when_cancelled(stop, every=0.01):  # outside a turn: nothing watches
        time.sleep(0.05)
    assert len(calls) == 3
