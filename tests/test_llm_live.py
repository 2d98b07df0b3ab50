"""Live tests with the real embedded model (marked live_llm; CI runs them after setup.sh).

They fail, not skip, when the model file is missing: `optiform model fetch` gets it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from optiform.agent.llm import Message
from optiform.agent.llm_bench import DEMO_SYSTEM as SYSTEM

pytestmark = pytest.mark.live_llm

PROBLEM = ("A workshop makes chairs and tables. A chair earns 45 dollars and needs 2 hours of "
           "labor; a table earns 80 dollars and needs 4 hours. 100 labor hours are available. "
           "How many of each should it make to maximize profit?")
@pytest.fixture(scope="module")
def model_path(embedded_model_path: Path) -> Path:
    return embedded_model_path


def test_embedded_model_writes_a_schema_valid_formulation(model_path):
    from optiform.agent.jsonout import schema_errors
    from optiform.agent.local_llm import LocalLLM
    from optiform.solvers.formulation import Formulation, formulation_json_schema

    schema = formulation_json_schema()
    llm = LocalLLM(model_path, n_ctx=4096)
    ask = [Message(role="system", content=SYSTEM), Message(role="user", content=PROBLEM)]
    start = time.perf_counter()
    out = llm.complete(ask, schema=schema, max_tokens=400)
    elapsed = time.perf_counter() - start
    print(f"\nformulation JSON: {out.usage.completion_tokens} tokens in {elapsed:.1f} s; "
          f"prompt {out.usage.prompt_tokens} tokens\n{out.text}")
    assert schema_errors(out.data, schema) == []
    formulation = Formulation.model_validate(out.data)
    assert formulation.objective.sense == "maximize"
    # the same system prompt again: llama.cpp reuses the cached prefix
    again = llm.complete([ask[0], Message(role="user", content="Minimize cost instead: " +
                                          PROBLEM)], schema=schema, max_tokens=400)
    assert again.usage.cached_prompt_tokens >= 0.5 * again.usage.prompt_tokens > 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_SERVER = """
import runpy, sys
from optiform.agent.local_llm import patch_process_model_params
patch_process_model_params()
sys.argv = ["llama_cpp.server", *sys.argv[1:]]
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"""


@pytest.fixture
def llama_server(model_path):
    """llama-cpp-python's own OpenAI-compatible server on loopback, killed after the test."""
    port = _free_port()
    cmd = [sys.executable, "-c", _SERVER, "--model", str(model_path), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "4096", "--verbose", "False"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {proc.stdout.read()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("llama_cpp.server did not start within 120 s")
                time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_openai_backend_against_llama_cpp_server(llama_server):
    from optiform.agent.jsonout import schema_errors
    from optiform.agent.openai_llm import OpenAILLM

    schema = {"type": "object",
              "properties": {"product": {"type": "string"},
                             "profit": {"type": "number"},
                             "hours": {"type": "number"}},
              "required": ["product", "profit", "hours"], "additionalProperties": False}
    llm = OpenAILLM("qwen2.5-coder-1.5b", base_url=llama_server, timeout=120, max_retries=1)
    ask = [Message(role="system", content="You extract data as JSON."),
           Message(role="user", content="A chair earns 45 dollars and needs 2 hours of labor. "
                   "Give product, profit and hours of the chair.")]
    out = llm.complete(ask, schema=schema, max_tokens=80)
    print(f"\nmode {llm.info()['structured_output']}: {out.text}")
    assert schema_errors(out.data, schema) == []
    assert out.data["profit"] == 45 and out.data["hours"] == 2
    assert out.usage.prompt_tokens > 0 and out.usage.completion_tokens > 0
    streamed = "".join(llm.stream([Message(role="user", content="Say OK.")], max_tokens=5))
    assert streamed.strip()
