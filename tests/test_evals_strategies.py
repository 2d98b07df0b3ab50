"""Baseline strategies (standard, cot, retry) and the agent strategy, with fakes."""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.llm import Usage
from optiform.config import load_settings
from optiform.errors import EvalError, LLMConnectionError, SandboxError
from optiform.evals import prompts
from optiform.evals.baselines import extract_code, interpret
from optiform.evals.formats import Item
from optiform.evals.strategy import StrategyContext, StrategySpec, build_strategy

ITEM = Item(id="t:1", question="Maximize 3x + 2y subject to x + y <= 4, x <= 3.", answer=11.0)
PROGRAM = "import pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\n"


@dataclass
class FakeSandboxResult:
    status: str = "ok"
    result: dict[str, Any] = field(default_factory=dict)
    message: str = ""


class FakeExecutor:
    def __init__(self, *results: FakeSandboxResult) -> None:
        self.results = list(results)
        self.codes: list[str] = []

    def __call__(self, code: str) -> FakeSandboxResult:
        self.codes.append(code)
        return self.results.pop(0)


def ok(objective: float, status: str = "optimal") -> FakeSandboxResult:
    return FakeSandboxResult(result={"status": status, "objective": objective, "values": {}})


def fenced(code: str, before: str = "Here is the model.") -> str:
    return f"{before}\n```python\n{code}```\nDone."


def make(name: str, llm: Any, executor: Any, tmp_path, settings=None):
    ctx = StrategyContext(llm=llm, settings=settings or load_settings(backend="fake"),
                          trace_dir=tmp_path / "traces", executor=executor)
    return build_strategy(StrategySpec.parse(name), ctx)


# -- pure parts ----------------------------------------------------------------------------


def test_extract_code_variants():
    assert extract_code(fenced(PROGRAM)) == PROGRAM
    two = "```python\nx = 1\n```\nthen\n```python\nmodel = 2\n```"
    assert extract_code(two) == "model = 2\n"
    assert extract_code("```\nmodel = 1\n```") == "model = 1\n"
    assert extract_code("reasoning...\n```python\nmodel = 1\nmore = 2") == "model = 1\nmore = 2\n"
    assert extract_code("import pyomo.environ as pyo\nmodel = 1") is not None
    assert extract_code("I cannot write this program.") is None
    assert extract_code("```json\n{\"a\": 1}\n```") is None


def test_prompts_are_short_and_ask_for_model():
    for build in (prompts.standard_prompt, prompts.cot_prompt):
        messages = build(ITEM.question)
        assert messages[0].role == "system" and messages[-1].role == "user"
        assert ITEM.question in messages[-1].content
        assert "`model`" in messages[-1].content
        assert sum(len(m.content) for m in messages) < 1200
    assert "step by step" in prompts.cot_prompt("q")[-1].content
    long_error = "x" * 5000 + "END"
    feedback = prompts.retry_prompt(long_error)
    assert feedback.content.count("x") < 1600 and "END" in feedback.content


def test_interpret_sandbox_results():
    assert interpret(ok(11.0)) == ("optimal", 11.0, None)
    assert interpret(ok(None, "infeasible")) == ("infeasible", None, None)
    status, _, error = interpret(FakeSandboxResult(
        result={"status": "error", "message": "NameError: y", "traceback": "line 3"}))
    assert status == "error" and "NameError" in error and "line 3" in error
    assert interpret(FakeSandboxResult(status="timeout", message="20 s"))[0] == "timeout"
    status, _, error = interpret(FakeSandboxResult(status="memory", message="over 1 GB"))
    assert status == "error" and error.startswith("memory")
    frames = 'Traceback (most recent call last):\n  File "solution.py", line 3'
    _, _, error = interpret(FakeSandboxResult(status="error", result={
        "traceback": f"{frames}\nNameError: y"},
        message=f"the code failed: NameError: y\n{frames}"))
    assert error.count("Traceback") == 1  # the sandbox's message holds the frames already


# -- baselines -----------------------------------------------------------------------------


def test_standard_runs_the_program_once(tmp_path):
    llm = FakeLLM([fenced(PROGRAM)])
    executor = FakeExecutor(ok(11.0))
    outcome = make("standard", llm, executor, tmp_path).solve(ITEM)
    assert (outcome.status, outcome.objective, outcome.repair_rounds) == ("optimal", 11.0, 0)
    assert executor.codes == [PROGRAM]
    assert outcome.prompt_tokens > 0 and outcome.completion_tokens > 0
    assert outcome.error is None and outcome.wall_time is not None
    trace = json.loads(Path(outcome.trace_path).read_text())
    assert trace["item"] == "t:1" and trace["attempts"][0]["code"] == PROGRAM
    assert len(llm.requests) == 1


def test_standard_does_not_retry(tmp_path):
    llm = FakeLLM([fenced(PROGRAM)])
    executor = FakeExecutor(FakeSandboxResult(result={"status": "error", "message": "boom"}))
    outcome = make("standard", llm, executor, tmp_path).solve(ITEM)
    assert outcome.status == "error" and "boom" in outcome.error
    assert len(llm.requests) == 1


def test_reply_without_code(tmp_path):
    outcome = make("standard", FakeLLM(["No idea."]), FakeExecutor(), tmp_path).solve(ITEM)
    assert outcome.status == "no_code" and outcome.objective is None


def test_retry_feeds_the_error_back(tmp_path):
    llm = FakeLLM([fenced("bad code\n"), "still no code", fenced(PROGRAM)])
    executor = FakeExecutor(
        FakeSandboxResult(result={"status": "error", "message": "SyntaxError: bad code",
                                  "traceback": "File line 1"}),
        ok(11.0),
    )
    outcome = make("retry", llm, executor, tmp_path).solve(ITEM)
    assert (outcome.status, outcome.objective, outcome.repair_rounds) == ("optimal", 11.0, 2)
    second = llm.requests[1]["messages"]
    assert second[-2].role == "assistant" and "bad code" in second[-2].content
    assert "SyntaxError: bad code" in second[-1].content
    third = llm.requests[2]["messages"]
    assert "no program" in third[-1].content


def test_retry_gives_up_after_three_retries(tmp_path):
    llm = FakeLLM(default=fenced(PROGRAM))
    fail = FakeSandboxResult(status="timeout", message="wall limit")
    outcome = make("retry", llm, FakeExecutor(*[fail] * 4), tmp_path).solve(ITEM)
    assert (outcome.status, outcome.repair_rounds) == ("timeout", 3)
    assert len(llm.requests) == 4
    outcome = make("retry:retries=1", FakeLLM(default=fenced(PROGRAM)),
                   FakeExecutor(fail, fail), tmp_path).solve(ITEM)
    assert outcome.repair_rounds == 1


def test_retry_does_not_retry_a_solver_answer(tmp_path):
    llm = FakeLLM(default=fenced(PROGRAM))
    outcome = make("retry", llm, FakeExecutor(ok(None, "infeasible")), tmp_path).solve(ITEM)
    assert outcome.status == "infeasible" and len(llm.requests) == 1


def test_cot_asks_for_reasoning_and_takes_the_last_program(tmp_path):
    reply = "Variables: x, y.\n```python\nx = 1\n```\nFinal:\n" + fenced(PROGRAM, "")
    llm = FakeLLM([reply])
    executor = FakeExecutor(ok(11.0))
    outcome = make("cot", llm, executor, tmp_path).solve(ITEM)
    assert outcome.status == "optimal" and executor.codes == [PROGRAM]
    assert "step by step" in llm.requests[0]["messages"][-1].content


def test_sandbox_that_cannot_isolate_stops_the_run(tmp_path):
    def refuse(code: str) -> Any:
        raise SandboxError("cannot cut the network off")

    with pytest.raises(SandboxError):
        make("standard", FakeLLM([fenced(PROGRAM)]), refuse, tmp_path).solve(ITEM)


def test_bad_baseline_options(tmp_path):
    with pytest.raises(EvalError, match="only the 'retry'"):
        make("standard:retries=2", FakeLLM(), FakeExecutor(), tmp_path)
    with pytest.raises(EvalError, match="takes no option"):
        make("cot:foo=1", FakeLLM(), FakeExecutor(), tmp_path)
    with pytest.raises(EvalError, match="unknown strategy"):
        make("magic", FakeLLM(), FakeExecutor(), tmp_path)


def test_strategy_spec_parsing_and_hash():
    spec = StrategySpec.parse("Agent:samples=3, code-strategy=off ,max_repairs=1")
    assert spec.name == "agent"
    assert spec.opts == {"samples": 3, "code_strategy": False, "max_repairs": 1}
    assert spec.label == "agent:code_strategy=off,max_repairs=1,samples=3"
    same = StrategySpec.parse("agent:max_repairs=1,samples=3,code_strategy=false")
    assert spec.config_hash({"model": "m"}) == same.config_hash({"model": "m"})
    assert spec.config_hash({"model": "m"}) != spec.config_hash({"model": "other"})
    assert StrategySpec.parse("agent").with_defaults({"samples": 2, "max_repairs": None}).opts \
        == {"samples": 2}
    with pytest.raises(EvalError):
        StrategySpec.parse("agent:samples")
    with pytest.raises(EvalError):
        StrategySpec.parse("9lives")


# -- agent ---------------------------------------------------------------------------------


class FakeAnswer:
    def __init__(self, status: str, objective: float | None) -> None:
        self.status = types.SimpleNamespace(value=status)
        self.objective = objective
        self.repair_rounds = 2
        self.usage = Usage(prompt_tokens=100, completion_tokens=40)
        self.message = "could not fix the model" if status == "error" else ""
        self.source = "plain" if status == "optimal" else "repair"
        self.fallback = status == "optimal"

    def save_trace(self, path) -> None:
        path.write_text('{"steps": []}')


@pytest.fixture
def fake_api(monkeypatch):
    made: list[Any] = []

    class Assistant:
        def __init__(self, settings=None, llm=None) -> None:
            self.settings, self.llm = settings, llm
            made.append(self)

        def solve(self, text: str) -> FakeAnswer:
            if "fail" in text:
                return FakeAnswer("error", None)
            if "down" in text:
                raise LLMConnectionError("endpoint down")
            return FakeAnswer("optimal", 11.0)

    module = types.ModuleType("optiform.api")
    module.Assistant = Assistant  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "optiform.api", module)
    return made


def test_agent_strategy_passes_options_and_records_the_answer(tmp_path, fake_api):
    llm = FakeLLM()
    strategy = make("agent:samples=3,max_repairs=1,code_strategy=on", llm, None, tmp_path)
    outcome = strategy.solve(ITEM)
    assert (outcome.status, outcome.objective, outcome.repair_rounds) == ("optimal", 11.0, 2)
    assert (outcome.prompt_tokens, outcome.completion_tokens) == (100, 40)
    assert outcome.trace_path.endswith("t_1.json")
    assert outcome.source == "plain" and outcome.fallback is True
    (assistant,) = fake_api
    assert assistant.llm is llm
    s = assistant.settings
    assert (s.samples, s.max_repairs, s.code_strategy, s.backend) == (3, 1, True, "fake")

    failed = strategy.solve(Item(id="t:2", question="this will fail", answer=1.0))
    assert failed.status == "error" and failed.error == "could not fix the model"
    with pytest.raises(LLMConnectionError):
        strategy.solve(Item(id="t:3", question="server down", answer=1.0))


def test_agent_options_must_be_settings(tmp_path, fake_api):
    with pytest.raises(EvalError, match="not settings"):
        make("agent:wizardry=1", FakeLLM(), None, tmp_path)
    with pytest.raises(EvalError, match="invalid agent option"):
        make("agent:samples=0", FakeLLM(), None, tmp_path)
