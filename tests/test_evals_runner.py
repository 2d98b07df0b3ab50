"""The runner: records, keys, resume, torn lines, workers, and a SIGKILL halfway through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.llm import Message
from optiform.config import load_settings
from optiform.errors import EvalError, LLMConnectionError, LLMError
from optiform.evals.report import command_line
from optiform.evals.runner import RunConfig, effective_workers, resume_run, start_run
from optiform.evals.store import ResultStore, load_results
from optiform.evals.strategy import ItemOutcome


def write_items(path: Path, n: int) -> Path:
    with path.open("w") as handle:
        for i in range(n):
            answer = None if i == 3 else float(10 * i + 1)
            handle.write(json.dumps({"id": f"toy:{i}", "question": f"value {answer}",
                                     "answer": answer}) + "\n")
    return path


def echo(messages: list[Message]) -> str:
    """The fake model reads the answer off the question (wrong on items 5 and 6)."""
    text = messages[-1].content.split()[-1]
    return "7" if text in ("51.0", "61.0") else text


class Echo:
    """A strategy asking the (fake) LLM for the number; ``slow`` seconds per item."""

    def __init__(self, spec, ctx) -> None:
        self.llm = ctx.llm
        self.slow = float(spec.opts.get("slow", 0))
        self.fail_on = spec.opts.get("fail_on")

    def solve(self, item):
        if self.fail_on and item.id == self.fail_on:
            raise RuntimeError("strategy crashed")
        reply = self.llm.complete([Message(role="user", content=item.question)])
        time.sleep(self.slow)
        if reply.text == "None":
            return ItemOutcome(status="infeasible")
        return ItemOutcome(status="optimal", objective=float(reply.text),
                           prompt_tokens=reply.usage.prompt_tokens,
                           completion_tokens=reply.usage.completion_tokens)


FACTORIES = {"echo": Echo}


def run(tmp_path, config: RunConfig, out: Path, **kwargs):
    return start_run(config, out, llm=FakeLLM(default=echo),
                     settings=load_settings(backend="fake"), factories=FACTORIES, **kwargs)


def test_run_records_every_pair_and_resume_repeats_nothing(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 8)
    config = RunConfig(dataset=str(data), strategies=["echo", "echo:slow=0"])
    events = []
    result = run(tmp_path, config, tmp_path / "out", on_event=events.append)
    assert (result.total, result.ran, result.skipped) == (16, 16, 0)
    records = load_results(tmp_path / "out" / "results.jsonl")
    assert len(records) == 16 and len({r["key"] for r in records}) == 16
    by_id = {(r["id"], r["strategy"]): r for r in records}
    assert by_id[("toy:0", "echo")]["correct"] is True
    assert by_id[("toy:5", "echo")]["correct"] is False
    infeasible = by_id[("toy:3", "echo")]
    assert (infeasible["truth"], infeasible["status"], infeasible["correct"]) == (
        None, "infeasible", True)
    rec = by_id[("toy:1", "echo:slow=0")]
    for key in ("status", "objective", "truth", "abs_error", "correct_at", "repair_rounds",
                "tokens", "wall_time", "trace_path", "error", "dataset", "split"):
        assert key in rec
    assert rec["tokens"] == rec["prompt_tokens"] + rec["completion_tokens"] > 0
    assert events[0].kind == "start" and events[-1].kind == "done"
    assert events[-1].accuracy == {"echo": (6, 8), "echo:slow=0": (6, 8)}

    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["config"]["dataset"] == str(data)
    assert info["dataset"]["items"] == 8 and len(info["dataset"]["sha256"]) == 64
    assert info["model"] == "fake" and info["versions"]["python"]
    assert "created" in info and "git" in info
    assert [s["label"] for s in info["strategies"]] == ["echo", "echo:slow=0"]

    again = resume_run(tmp_path / "out", llm=FakeLLM(), settings=load_settings(backend="fake"),
                       factories=FACTORIES)
    assert again.ran == 0 and again.skipped == 16
    assert len(load_results(tmp_path / "out" / "results.jsonl")) == 16


def test_same_folder_different_config_is_refused(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 2)
    run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]), tmp_path / "out")
    with pytest.raises(EvalError, match=r"different run \(limit None there, 1 here\)"):
        run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"], limit=1),
            tmp_path / "out")
    again = run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]), tmp_path / "out")
    assert again.ran == 0


def test_a_run_folder_another_process_works_on_is_refused(tmp_path):
    from optiform.job_locks import exclusive

    data = write_items(tmp_path / "toy.jsonl", 2)
    run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"], limit=1), tmp_path / "out")
    busy = rf"folder {tmp_path / 'out'} is in use by another process \(pid {os.getpid()}\)"
    with exclusive(tmp_path / ".out.run.lock", "x", EvalError, hint="h"), \
            pytest.raises(EvalError, match=busy):
        resume_run(tmp_path / "out", llm=FakeLLM(), settings=load_settings(backend="fake"),
                   factories=FACTORIES)
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["resumed"] == []  # a refused resume leaves no mark
    (tmp_path / "link").symlink_to(tmp_path / "out")
    with exclusive(tmp_path / ".out.run.lock", "x", EvalError, hint="h"), \
            pytest.raises(EvalError, match="in use by another process"):
        resume_run(tmp_path / "link", llm=FakeLLM(), settings=load_settings(backend="fake"),
                   factories=FACTORIES)  # a link to the folder is the folder
    with pytest.raises(EvalError):
        resume_run(tmp_path / "nosuch" / "run1", llm=FakeLLM(),
                   settings=load_settings(backend="fake"), factories=FACTORIES)
    assert not (tmp_path / "nosuch").exists()  # no lock file made for a run that is not
    again = resume_run(tmp_path / "out", llm=FakeLLM(default=echo),
                       settings=load_settings(backend="fake"), factories=FACTORIES)
    assert again.ran == 0 and again.skipped == 1  # the lock went with its holder


def test_a_folder_of_other_files_is_not_written_into(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 2)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "summary.json").write_text('{"my": "notes"}')
    with pytest.raises(EvalError, match="holds files but no eval run"):
        run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]), mine)
    assert [p.name for p in mine.iterdir()] == ["summary.json"]
    assert (mine / "summary.json").read_text() == '{"my": "notes"}'
    with pytest.raises(EvalError, match="is a file"):
        run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]), mine / "summary.json")
    (tmp_path / "empty").mkdir()  # an empty folder is fine
    assert run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]),
               tmp_path / "empty").ran == 2


def test_a_skipped_head_is_recorded_and_resumed_as_the_same_window(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 6)
    out = tmp_path / "out"
    config = RunConfig(dataset=str(data), strategies=["echo"], skip=2, limit=3)
    first = run(tmp_path, config, out)
    assert first.ran == 3
    assert sorted(r["id"] for r in load_results(out / "results.jsonl")) == [
        "toy:2", "toy:3", "toy:4"]
    info = json.loads((out / "run.json").read_text())
    assert "--skip 2 --limit 3" in command_line(info["config"])
    again = resume_run(out, llm=FakeLLM(), settings=load_settings(backend="fake"),
                       factories=FACTORIES)
    assert again.ran == 0 and again.skipped == 3
    # a folder recorded before --skip existed continues as the same run (--skip 0)
    plain = RunConfig(dataset=str(data), strategies=["echo"], limit=3)
    run(tmp_path, plain, tmp_path / "old")
    info = json.loads((tmp_path / "old" / "run.json").read_text())
    del info["config"]["skip"]
    (tmp_path / "old" / "run.json").write_text(json.dumps(info))
    assert run(tmp_path, plain, tmp_path / "old").ran == 0


def test_torn_last_line_is_ignored_and_rewritten(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 4)
    out = tmp_path / "out"
    run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]), out)
    results = out / "results.jsonl"
    lines = results.read_text().splitlines(keepends=True)
    results.write_text("".join(lines[:2]) + lines[2][: len(lines[2]) // 2])  # torn 3rd record
    assert len(load_results(results)) == 2
    resumed = resume_run(out, llm=FakeLLM(default=echo), settings=load_settings(backend="fake"),
                         factories=FACTORIES)
    assert resumed.ran == 2
    final = [json.loads(line) for line in results.read_text().splitlines()]
    assert sorted(r["id"] for r in final) == [f"toy:{i}" for i in range(4)]


def test_corrupt_middle_line_is_an_error(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text('{"key": "a"}\nnot json\n{"key": "b"}\n')
    with pytest.raises(EvalError, match=r"results.jsonl:2"):
        load_results(path)


def test_changed_dataset_refuses_to_resume(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 2)
    run(tmp_path, RunConfig(dataset=str(data), strategies=["echo"]), tmp_path / "out")
    write_items(data, 3)
    with pytest.raises(EvalError, match="changed"):
        resume_run(tmp_path / "out", llm=FakeLLM(), settings=load_settings(backend="fake"),
                   factories=FACTORIES)


def test_crashing_item_is_recorded_as_error(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 3)
    run(tmp_path, RunConfig(dataset=str(data), strategies=["echo:fail_on=toy:1"]),
        tmp_path / "out")
    records = {r["id"]: r for r in load_results(tmp_path / "out" / "results.jsonl")}
    assert records["toy:1"]["status"] == "error"
    assert "strategy crashed" in records["toy:1"]["error"]
    assert records["toy:2"]["correct"] is True


def test_workers_run_concurrently_and_fatal_errors_stop_the_run(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 8)
    config = RunConfig(dataset=str(data), strategies=["echo:slow=0.2"], workers=4)
    start = time.perf_counter()
    run(tmp_path, config, tmp_path / "out")
    assert time.perf_counter() - start < 8 * 0.2  # 4 at a time, not one by one
    assert len(load_results(tmp_path / "out" / "results.jsonl")) == 8

    def down(messages):
        if "41.0" in messages[-1].content:
            raise LLMConnectionError("endpoint down")
        return echo(messages)

    with pytest.raises(LLMConnectionError):
        start_run(config, tmp_path / "out2", llm=FakeLLM(default=down),
                  settings=load_settings(backend="fake"), factories=FACTORIES)
    ids = [r["id"] for r in load_results(tmp_path / "out2" / "results.jsonl")]
    assert "toy:4" not in ids and len(ids) == len(set(ids))


def test_retryable_llm_error_stops_the_run_and_resume_finishes(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 5)
    config = RunConfig(dataset=str(data), strategies=["echo"])

    def flaky(messages):
        if "21.0" in messages[-1].content:
            raise LLMError("server answered 503", retryable=True)
        return echo(messages)

    with pytest.raises(LLMError, match="503"):
        start_run(config, tmp_path / "out", llm=FakeLLM(default=flaky),
                  settings=load_settings(backend="fake"), factories=FACTORIES)
    assert [r["id"] for r in load_results(tmp_path / "out" / "results.jsonl")] == [
        "toy:0", "toy:1"]
    resumed = resume_run(tmp_path / "out", llm=FakeLLM(default=echo),
                         settings=load_settings(backend="fake"), factories=FACTORIES)
    assert resumed.ran == 3
    ids = [r["id"] for r in load_results(tmp_path / "out" / "results.jsonl")]
    assert ids == [f"toy:{i}" for i in range(5)]


def test_embedded_model_runs_one_at_a_time():
    assert effective_workers("local", 8) == 1
    assert effective_workers("openai", 8) == 8
    assert effective_workers(None, 0) == 1


def test_agent_flags_become_agent_options():
    config = RunConfig(dataset="x", strategies=["standard", "agent", "agent:samples=5"],
                       samples=3, max_repairs=0)
    labels = [s.label for s in config.specs()]
    assert labels == ["standard", "agent:max_repairs=0,samples=3",
                      "agent:max_repairs=0,samples=5"]
    with pytest.raises(EvalError, match="twice"):
        RunConfig(dataset="x", strategies=["cot", "cot"]).specs()


# -- killed with SIGKILL halfway, then resumed ---------------------------------------------

SCRIPT = """
import sys, time
from pathlib import Path
from optiform.agent.fake import FakeLLM
from optiform.agent.llm import Message
from optiform.config import load_settings
from optiform.evals.runner import RunConfig, resume_run, start_run
from optiform.evals.strategy import ItemOutcome

class Slow:
    def __init__(self, spec, ctx):
        self.llm = ctx.llm
    def solve(self, item):
        reply = self.llm.complete([Message(role="user", content=item.question)])
        time.sleep(0.25)
        value = reply.text.split()[-1]
        if value == "None":
            return ItemOutcome(status="infeasible")
        return ItemOutcome(status="optimal", objective=float(value))

mode, data, out = sys.argv[1:4]
kwargs = dict(llm=FakeLLM(default=lambda m: m[-1].content),
              settings=load_settings(backend="fake"), factories={"slow": Slow})
if mode == "start":
    start_run(RunConfig(dataset=data, strategies=["slow", "slow:v=2"]), Path(out), **kwargs)
else:
    resume_run(Path(out), **kwargs)
"""


def test_killed_run_resumes_with_every_item_exactly_once(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 10)
    out = tmp_path / "out"
    results = out / "results.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, "start", str(data), str(out)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if results.is_file() and results.read_text().count("\n") >= 5:
            break
        if proc.poll() is not None:
            pytest.fail(f"run ended early: {proc.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=5)
    assert proc.returncode == -signal.SIGKILL
    before = load_results(results)
    assert 5 <= len(before) < 20, "the kill must land midway"
    # the process may die inside a write: simulate the worst case, a torn last line
    with results.open("a") as handle:
        handle.write('{"key": "toy:9|slow|')
    done = subprocess.run([sys.executable, "-c", SCRIPT, "resume", str(data), str(out)],
                          cwd=tmp_path, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    lines = results.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line is whole JSON
    pairs = sorted((r["id"], r["strategy"]) for r in records)
    expected = sorted((f"toy:{i}", s) for i in range(10) for s in ("slow", "slow:v=2"))
    assert pairs == expected  # every item exactly once per strategy
    assert [r["key"] for r in records[: len(before)]] == [r["key"] for r in before]
    assert all(r["correct"] for r in records)
    info = ResultStore(out).read_run()
    assert len(info["resumed"]) == 1


def test_baselines_through_the_runner_with_a_fake_sandbox(tmp_path):
    from types import SimpleNamespace

    data = write_items(tmp_path / "toy.jsonl", 3)
    reply = "```python\nimport pyomo.environ as pyo\nmodel = pyo.ConcreteModel()\n```"
    ran: list[str] = []

    def sandbox(code):
        ran.append(code)
        return SimpleNamespace(status="ok", message="",
                               result={"status": "optimal", "objective": 11.0})

    start_run(RunConfig(dataset=str(data), strategies=["standard", "cot"]), tmp_path / "out",
              llm=FakeLLM(default=reply), settings=load_settings(backend="fake"),
              executor=sandbox)
    records = load_results(tmp_path / "out" / "results.jsonl")
    assert len(records) == 6 and len(ran) == 6
    by = {(r["id"], r["strategy"]): r for r in records}
    assert by[("toy:1", "standard")]["correct"] and not by[("toy:0", "cot")]["correct"]
    trace = by[("toy:1", "cot")]["trace_path"]
    assert trace == "traces/cot/toy_1.json" and (tmp_path / "out" / trace).is_file()


def test_nan_objective_is_stored_as_text_and_wrong(tmp_path):
    data = write_items(tmp_path / "toy.jsonl", 1)

    class NaN:
        def __init__(self, spec, ctx) -> None:
            pass

        def solve(self, item):
            return ItemOutcome(status="optimal", objective=float("nan"))

    start_run(RunConfig(dataset=str(data), strategies=["nan"]), tmp_path / "out",
              llm=FakeLLM(), settings=load_settings(backend="fake"), factories={"nan": NaN})
    (record,) = load_results(tmp_path / "out" / "results.jsonl")
    assert record["objective"] == "nan" and record["correct"] is False


# -- which experience library an agent strategy used -----------------------------------------


def test_run_records_each_agent_strategys_library_and_notes_a_change_on_resume(tmp_path):
    from optiform.evals.report import load_runs, render_markdown, summarize
    from optiform.library.store import InsightStore, seed_insights
    from tests.test_library_store import make

    data = write_items(tmp_path / "toy.jsonl", 3)
    lib = tmp_path / "lib.sqlite"
    config = RunConfig(dataset=str(data), strategies=[
        "agent:library=false", f"agent:library_path={lib}", "echo"])
    out = tmp_path / "out"
    start_run(config, out, llm=FakeLLM(default=echo), settings=load_settings(backend="fake"),
              factories={"agent": Echo, "echo": Echo})
    recorded = {s["label"]: s["library"] for s in ResultStore(out).read_run()["strategies"]}
    assert recorded["agent:library=off"] is None and recorded["echo"] is None
    seeded = recorded[f"agent:library_path={lib}"]
    assert seeded["path"] == str(lib) and seeded["active"] == len(seed_insights())
    # a library_path that named no file: the seed, made there, and the run says so
    assert seeded["made"] is True
    assert ResultStore(out).read_run()["notes"] == [
        f"agent:library_path={lib}: no library was at {lib}, so a new one, the seed library, "
        "was made there"]

    with InsightStore(lib) as store:  # learning added an insight between start and resume
        store.add(make("limits-learned"))
    resume_run(out, llm=FakeLLM(default=echo), settings=load_settings(backend="fake"),
               factories={"agent": Echo, "echo": Echo})
    info = ResultStore(out).read_run()
    assert len(info["notes"]) == 2
    assert f"{len(seed_insights()) + 1} active insights" in info["notes"][1]
    assert seeded["sha256"] in info["notes"][1]

    records, runs = load_runs([out])
    markdown = render_markdown(summarize(records, runs))
    assert "agent:library=off: experience library: none" in markdown
    assert f"{len(seed_insights())} active insights in {lib}" in markdown
    assert "resumed with another experience library" in markdown


def test_run_records_each_agent_strategys_guidance_and_notes_a_change_on_resume(tmp_path):
    # `optiform tune` may rewrite best.txt while an eval of it runs, or between resumes
    data = write_items(tmp_path / "toy.jsonl", 2)
    best = tmp_path / "best.txt"
    best.write_text("Mind the profit per unit.\n")
    config = RunConfig(dataset=str(data), strategies=[
        "agent:library=false", f"agent:library=false,guidance_file={best}"])
    out = tmp_path / "out"
    start_run(config, out, llm=FakeLLM(default=echo), settings=load_settings(backend="fake"),
              factories={"agent": Echo})
    recorded = [s["guidance"] for s in ResultStore(out).read_run()["strategies"]]
    assert recorded[0] is None and recorded[1]["start"] == "Mind the profit per unit."
    best.write_text("Count whole things as integers.\n")
    start_run(config, out, llm=FakeLLM(default=echo), settings=load_settings(backend="fake"),
              factories={"agent": Echo})  # the same command again: a resume
    (note,) = ResultStore(out).read_run()["notes"]
    assert "other guidance" in note and "Count whole things" in note and "Mind the" in note
