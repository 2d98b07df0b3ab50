"""The code strategy with a fake sandbox runner (the sandbox's own tests live elsewhere)."""

from __future__ import annotations

import types

from optiform.agent.code_strategy import extract_code
from optiform.agent.fake import FakeLLM
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.solvers.result import SolveResult, Status
from optiform.solvers.sandbox import SandboxResult

SHOP = ("A shop makes chairs and tables. A chair earns $30 profit and takes 2 hours of labor; a "
        "table earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 "
        "tables can be sold. Maximize profit.")
GOOD = {"sets": [], "parameters": [],
        "variables": [{"name": "chairs", "domain": "integer"},
                      {"name": "tables", "domain": "integer"}],
        "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
        "constraints": [{"name": "labor", "expression": "2*chairs + 5*tables <= 40"},
                        {"name": "table_sales", "expression": "tables <= 6"}]}
PROGRAM = ("import pyomo.environ as pyo\n\ndef build_model(data):\n"
           "    m = pyo.ConcreteModel()\n    return m\n")
REPLY = f"Here is the model:\n```python\n{PROGRAM}```\nIt maximizes profit."


def sandbox(status="ok", solver_status="optimal", objective=600.0, message="", traceback=None):
    record = None if status in ("timeout", "memory", "killed", "refused") else {
        "status": solver_status, "objective": objective, "values": {"chairs": 20.0},
        "message": message, "traceback": traceback}
    return SandboxResult(status=status, result=record, stdout="", stderr="", returncode=0,
                         wall_time=0.1, network_isolated=True, message=message or status)


class Runner:
    def __init__(self, *results):
        self.results = list(results)
        self.calls = []

    def __call__(self, code, **kwargs):
        self.calls.append((code, kwargs))
        return self.results.pop(0)


def optimal(f, **_):
    return SolveResult(status=Status.OPTIMAL, objective=600.0,
                       values={"chairs": 20.0, "tables": 0.0})


def make(llm, runner, solve=optimal, **settings):
    return Assistant(load_settings(code_strategy=True, library=False, **settings), llm=llm,
                     solve=solve, export=None, run_code=runner)


def test_extract_code_takes_the_fenced_program():
    assert extract_code(REPLY) == PROGRAM
    assert extract_code("  x = 1  ") == "x = 1\n"
    two = "```python\nhelper = 1\n```\n```python\ndef build_model(data):\n    pass\n```"
    assert extract_code(two).startswith("def build_model")


def test_cross_check_that_agrees_raises_confidence():
    runner = Runner(sandbox(objective=600.0))
    llm = FakeLLM([GOOD, REPLY])
    answer = make(llm, runner, sandbox_memory_mb=512).solve(SHOP)
    assert answer.status == "optimal" and answer.source == "formulate"
    assert answer.confidence == 0.95
    code, kwargs = runner.calls[0]
    assert code == PROGRAM and kwargs["mode"] == "build_model" and kwargs["data"] == {}
    assert kwargs["limits"].memory_mb == 512
    assert "build_model(data)" in llm.requests[1]["messages"][-1].content
    assert llm.requests[1]["schema"] is None
    [step] = answer.trace.of_kind("code")
    assert step.detail["sandbox_status"] == "ok" and step.detail["objective"] == 600.0


def test_cross_check_that_disagrees_halves_confidence():
    answer = make(FakeLLM([GOOD, REPLY]), Runner(sandbox(objective=500.0))).solve(SHOP)
    assert answer.objective == 600.0 and answer.confidence == 0.4


def test_code_is_the_fallback_when_no_formulation_solves():
    infeasible = SolveResult(status=Status.INFEASIBLE, conflict=["labor"])
    llm = FakeLLM([GOOD, REPLY])
    answer = make(llm, Runner(sandbox(objective=600.0)), solve=lambda f, **_: infeasible,
                  max_repairs=0).solve(SHOP)
    assert answer.status == "optimal" and answer.source == "code"
    assert answer.objective == 600.0 and answer.code == PROGRAM
    assert answer.formulation is None and "600" in answer.explanation


def test_with_the_code_strategy_on_the_program_answers_instead_of_the_library_fallback():
    # the fallback only runs where the turn would end with no answer: here the code strategy
    # answers a turn whose formulations (written with an insight) never built
    class Source:
        def retrieve(self, problem_text, k=4):
            return [types.SimpleNamespace(id="i0", label="counts", score=0.9,
                                          text="Counts are integers.")]

    llm = FakeLLM([{"variables": []}, {"variables": []}, REPLY])
    answer = Assistant(load_settings(code_strategy=True, max_repairs=1), llm=llm,
                       solve=optimal, export=None, run_code=Runner(sandbox(objective=600.0)),
                       insight_source=Source()).solve(SHOP)
    assert answer.source == "code" and answer.objective == 600.0 and not answer.fallback
    assert len(llm.requests) == 3 and all(s.node != "plain" for s in answer.trace.steps)


def test_a_crashing_program_gets_one_retry_with_its_error():
    crash = sandbox(status="error", solver_status=None, objective=None,
                    message="the code raised NameError",
                    traceback="Traceback ...\nNameError: name 'pyo' is not defined")
    runner = Runner(crash, sandbox(objective=600.0))
    llm = FakeLLM([GOOD, REPLY, REPLY])
    answer = make(llm, runner).solve(SHOP)
    assert len(runner.calls) == 2
    retry = llm.requests[2]["messages"][-1].content
    assert "NameError: name 'pyo' is not defined" in retry and "previous code failed" in retry
    assert answer.confidence == 0.95


def test_a_program_stopped_by_the_sandbox_is_not_retried():
    runner = Runner(sandbox(status="timeout", message="wall time limit of 30 s exceeded"))
    llm = FakeLLM([GOOD, REPLY])
    answer = make(llm, runner).solve(SHOP)
    assert len(runner.calls) == 1 and len(llm.requests) == 2
    assert answer.objective == 600.0 and answer.confidence == 0.8
    [step] = answer.trace.of_kind("code")
    assert step.detail["sandbox_status"] == "timeout"


def test_code_strategy_gets_the_tables_as_rows():
    runner = Runner(sandbox(objective=600.0))
    data = {"products": {"name": ["chair", "table"], "profit": [30, 50]}}
    make(FakeLLM([GOOD, REPLY]), runner).solve(SHOP, data=data)
    _, kwargs = runner.calls[0]
    assert kwargs["data"] == {"products.csv": [{"name": "chair", "profit": 30},
                                               {"name": "table", "profit": 50}]}


def test_code_strategy_is_off_by_default():
    runner = Runner()
    llm = FakeLLM([GOOD])
    Assistant(load_settings(library=False), llm=llm, solve=optimal, export=None,
              run_code=runner).solve(SHOP)
    assert runner.calls == [] and len(llm.requests) == 1
