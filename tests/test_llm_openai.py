"""OpenAI-compatible backend against a scripted HTTP server on 127.0.0.1: retries, errors,
structured-output modes, the repair round, streaming, lazy client."""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from optiform.agent.llm import Message
from optiform.agent.openai_llm import OpenAILLM, backoff_delay, response_format
from optiform.errors import (
    ContextOverflowError,
    LLMAuthError,
    LLMConnectionError,
    LLMError,
    LLMModelNotFoundError,
    LLMOutputError,
    LLMRateLimitError,
)


def chat_body(text: str, *, prompt_tokens: int = 7, completion_tokens: int = 3,
              cached: int = 0, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens,
                  "prompt_tokens_details": {"cached_tokens": cached}},
    }


def error_body(message: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "code": code}}


class ScriptedServer:
    """Answers each request with the next scripted (status, body, headers); records requests.

    A body that is a list of strings is sent as a server-sent-event stream of content deltas,
    one that is bytes as it is (text/html).
    """

    def __init__(self) -> None:
        self.script: deque[tuple[int, Any, dict[str, str]]] = deque()
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                outer.requests.append(json.loads(self.rfile.read(length) or b"{}"))
                status, body, headers = (outer.script.popleft() if outer.script
                                         else (500, error_body("script exhausted"), {}))
                if isinstance(body, list):
                    self._stream(body)
                    return
                raw = isinstance(body, bytes)  # a page that is not JSON (a proxy, a web UI)
                # a str: sent as it is, but labelled JSON (a misconfigured proxy)
                data = body if raw else body.encode() if isinstance(body, str) \
                    else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "text/html" if raw else "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, pieces: list[str]) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for piece in pieces:
                    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0,
                             "model": "test-model",
                             "choices": [{"index": 0, "delta": {"content": piece},
                                          "finish_reason": None}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                       daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def push(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.script.append((status, body, headers or {}))

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


SCHEMA = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"],
          "additionalProperties": False}
ASK = [Message(role="system", content="You answer in JSON."),
       Message(role="user", content="Give x = 3.")]


@pytest.fixture
def server():
    with ScriptedServer() as srv:
        yield srv


def make(server: ScriptedServer, **kw: Any) -> tuple[OpenAILLM, list[float]]:
    sleeps: list[float] = []
    kw.setdefault("max_retries", 3)
    llm = OpenAILLM("test-model", base_url=server.base_url, api_key="k", timeout=5,
                    backoff_base=0.001, backoff_max=0.01, sleep=sleeps.append, seed=1, **kw)
    return llm, sleeps


def test_plain_completion_reports_usage_and_cached_tokens(server):
    server.push(200, chat_body("hello", prompt_tokens=11, completion_tokens=2, cached=8))
    llm, _ = make(server)
    out = llm.complete(ASK, temperature=0.2, max_tokens=50, seed=4, stop=["END"])
    assert out.text == "hello"
    assert (out.usage.prompt_tokens, out.usage.completion_tokens,
            out.usage.cached_prompt_tokens) == (11, 2, 8)
    assert out.latency > 0 and out.finish_reason == "stop"
    sent = server.requests[0]
    assert sent["model"] == "test-model" and sent["max_tokens"] == 50
    assert sent["seed"] == 4 and sent["stop"] == ["END"] and sent["temperature"] == 0.2
    assert sent["messages"][1] == {"role": "user", "content": "Give x = 3."}
    assert "response_format" not in sent


def test_rate_limit_then_success_is_retried(server):
    server.push(429, error_body("slow down"))
    server.push(429, error_body("slow down"))
    server.push(200, chat_body("ok"))
    llm, sleeps = make(server)
    assert llm.complete(ASK).text == "ok"
    assert len(server.requests) == 3
    assert len(sleeps) == 2 and all(0 <= s <= 0.01 for s in sleeps)


def test_retry_after_header_is_honoured_up_to_the_cap(server):
    server.push(429, error_body("slow down"), {"retry-after": "5"})
    server.push(200, chat_body("ok"))
    llm, sleeps = make(server)
    llm.complete(ASK)
    assert sleeps == [0.01]  # 5 s asked, capped at backoff_max


def test_server_errors_until_the_retry_budget_is_spent(server):
    for _ in range(10):
        server.push(500, error_body("boom"))
    llm, sleeps = make(server, max_retries=2)
    with pytest.raises(LLMError) as info:
        llm.complete(ASK)
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert info.value.status == 500 and info.value.retryable
    assert "gave up after 3 attempts" in str(info.value)


def test_no_retry_once_the_time_budget_is_spent(server, monkeypatch):
    from types import SimpleNamespace

    from optiform.agent import budget

    for _ in range(3):
        server.push(500, error_body("boom"))
    llm, sleeps = make(server, max_retries=2)
    # the budget's clock: before the deadline when the request goes out, past it after
    clock = iter([0.0, 10.0, 10.0])
    monkeypatch.setattr(budget, "time", SimpleNamespace(time=lambda: next(clock)))
    with budget.llm_deadline(5.0), pytest.raises(LLMError) as info:
        llm.complete(ASK)
    assert len(server.requests) == 1 and sleeps == []
    assert "gave up after 1 attempt; the time budget is spent" in str(info.value)


def test_no_request_once_the_time_budget_is_spent(server):
    import time

    from optiform.agent.budget import llm_deadline
    from optiform.errors import OutOfTimeError

    llm, _ = make(server)
    with llm_deadline(time.time() - 1.0), pytest.raises(OutOfTimeError, match="before the "
                                                                              "request"):
        llm.complete(ASK)
    assert server.requests == []


def test_rate_limit_after_every_retry_is_a_rate_limit_error(server):
    for _ in range(3):
        server.push(429, error_body("slow down"))
    llm, _ = make(server, max_retries=2)
    with pytest.raises(LLMRateLimitError) as info:
        llm.complete(ASK)
    assert info.value.hint


@pytest.mark.parametrize(("status", "body", "error"), [
    (401, error_body("Incorrect API key provided"), LLMAuthError),
    (403, error_body("forbidden"), LLMAuthError),
    (404, error_body("The model `nope` does not exist", "model_not_found"),
     LLMModelNotFoundError),
    (400, error_body("This model's maximum context length is 8192 tokens",
                     "context_length_exceeded"), ContextOverflowError),
])
def test_errors_are_mapped_and_not_retried(server, status, body, error):
    server.push(status, body)
    llm, sleeps = make(server)
    with pytest.raises(error) as info:
        llm.complete(ASK)
    assert sleeps == [] and len(server.requests) == 1
    assert info.value.hint and info.value.model == "test-model"


def test_unreachable_server_is_a_connection_error():
    llm = OpenAILLM("m", base_url=f"http://127.0.0.1:{closed_port()}/v1", api_key="k",
                    timeout=2, max_retries=0)
    with pytest.raises(LLMConnectionError) as info:
        llm.complete(ASK)
    assert "cannot reach" in str(info.value) and "OPTIFORM_BASE_URL" in str(info.value)


def test_no_secret_of_the_endpoint_reaches_an_error_message(server):
    llm = OpenAILLM("m", base_url=f"http://user:pw@127.0.0.1:{closed_port()}/v1?key=q",
                    api_key="k", timeout=2, max_retries=0)
    with pytest.raises(LLMConnectionError) as info:
        llm.complete(ASK)
    assert "pw" not in str(info.value) and "http://***@127.0.0.1" in str(info.value)
    assert "pw" not in llm.info()["base_url"]
    server.push(401, error_body("Incorrect API key provided: sk-SECRETKEY123; "
                                "header was Bearer my-own-key"))
    keyed = OpenAILLM("m", base_url=server.base_url, api_key="my-own-key", timeout=5,
                      max_retries=0)
    with pytest.raises(LLMAuthError) as auth:
        keyed.complete(ASK)
    message = str(auth.value)
    assert "SECRETKEY" not in message and "my-own-key" not in message
    assert "sk-***" in message and "Incorrect API key provided" in message


def test_a_reply_labelled_json_that_is_not_json_is_an_llm_error(server):
    server.push(200, "<html><body>Sign in to the proxy</body></html>")
    llm, _ = make(server)
    with pytest.raises(LLMError) as info:
        llm.complete(ASK)
    assert "not JSON" in str(info.value) and "OPTIFORM_BASE_URL" in str(info.value)


def test_timeout_is_retried_then_reported():
    import http.server

    class Slow(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            import time

            time.sleep(1.0)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        sleeps: list[float] = []
        llm = OpenAILLM("m", base_url=f"http://127.0.0.1:{httpd.server_address[1]}/v1",
                        api_key="k", timeout=0.2, max_retries=1, backoff_base=0.001,
                        sleep=sleeps.append)
        with pytest.raises(LLMConnectionError) as info:
            llm.complete(ASK)
        assert "did not answer" in str(info.value) and len(sleeps) == 1
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_schema_uses_json_schema_response_format(server):
    server.push(200, chat_body('{"x": 3}'))
    llm, _ = make(server)
    out = llm.complete(ASK, schema=SCHEMA)
    assert out.data == {"x": 3}
    fmt = server.requests[0]["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == SCHEMA
    assert server.requests[0]["messages"][0]["content"] == "You answer in JSON."


def test_invalid_answer_gets_one_repair_round_with_the_error(server):
    server.push(200, chat_body('{"x": "three"}', prompt_tokens=10, completion_tokens=4))
    server.push(200, chat_body('{"x": 3}', prompt_tokens=20, completion_tokens=3))
    llm, _ = make(server)
    out = llm.complete(ASK, schema=SCHEMA)
    assert out.data == {"x": 3}
    assert out.usage.prompt_tokens == 30 and out.usage.completion_tokens == 7
    repair = server.requests[1]["messages"]
    assert repair[-2] == {"role": "assistant", "content": '{"x": "three"}'}
    assert "at x: 'three' is not of type 'integer'" in repair[-1]["content"]


def test_second_invalid_answer_is_an_output_error(server):
    server.push(200, chat_body("not json"))
    server.push(200, chat_body('{"y": 1}'))
    llm, _ = make(server)
    with pytest.raises(LLMOutputError) as info:
        llm.complete(ASK, schema=SCHEMA)
    assert "after one repair round" in str(info.value)
    assert len(server.requests) == 2


def test_unsupported_response_formats_degrade_and_are_remembered(server):
    server.push(422, error_body("Input should be 'text' or 'json_object'"))
    server.push(400, error_body("Unknown parameter: response_format.schema"))
    server.push(200, chat_body('{"x": 3}'))
    server.push(200, chat_body('{"x": 4}'))
    llm, _ = make(server)
    assert llm.complete(ASK, schema=SCHEMA).data == {"x": 3}
    assert llm.complete(ASK, schema=SCHEMA).data == {"x": 4}
    formats = [r.get("response_format") for r in server.requests]
    assert formats[0]["type"] == "json_schema"
    assert formats[1] == {"type": "json_object", "schema": SCHEMA}
    assert formats[2] == formats[3] == {"type": "json_object"}
    # without a schema-aware format the schema goes into the system prompt
    assert '"required":["x"]' in server.requests[2]["messages"][0]["content"]
    assert llm.info()["structured_output"] == "json_object"


def test_stream_yields_pieces(server):
    server.push(200, ["Hel", "lo", " world"])
    llm, _ = make(server)
    assert list(llm.stream(ASK, max_tokens=5)) == ["Hel", "lo", " world"]
    assert server.requests[0]["stream"] is True


@pytest.mark.parametrize("body", [b"<html><body>Welcome to the web UI</body></html>",
                                  {"object": "chat.completion", "choices": []}])
def test_a_reply_that_is_no_chat_completion_is_an_llm_error(server, body):
    server.push(200, body)  # e.g. OPTIFORM_BASE_URL names the web UI, not its /v1 API
    llm, _ = make(server)
    with pytest.raises(LLMError, match="did not answer like an OpenAI") as err:
        llm.complete(ASK, max_tokens=5)
    assert err.value.hint is not None and "/v1" in err.value.hint


def test_client_is_built_lazily(server):
    llm, _ = make(server)
    assert llm._client is None
    server.push(200, chat_body("ok"))
    llm.complete(ASK)
    assert llm._client is not None


def test_no_key_and_no_base_url_is_an_auth_error():
    llm = OpenAILLM("m")
    with pytest.raises(LLMAuthError) as info:
        llm.complete(ASK)
    assert "OPTIFORM_API_KEY" in str(info.value)


def test_local_server_needs_no_key(server):
    server.push(200, chat_body("ok"))
    llm = OpenAILLM("m", base_url=server.base_url, max_retries=0)
    assert llm.complete(ASK).text == "ok"


def test_backoff_is_exponential_with_full_jitter():
    import random

    rng = random.Random(0)
    draws = [[backoff_delay(a, 1.0, 10.0, rng) for _ in range(200)] for a in range(5)]
    for attempt, values in enumerate(draws):
        assert all(0 <= v <= min(10.0, 2**attempt) for v in values)
    assert max(draws[3]) > 4  # grows with the attempt
    assert response_format("prompt", SCHEMA) is None


def test_a_500_about_the_response_format_degrades_without_retrying(server):
    # llama-cpp-python's server answers a response format it does not know with a 500
    server.push(500, error_body("1 validation error: ('body', 'response_format', 'type')"))
    server.push(200, chat_body('{"x": 3}'))
    llm, sleeps = make(server)
    assert llm.complete(ASK, schema=SCHEMA).data == {"x": 3}
    assert sleeps == [] and server.requests[1]["response_format"]["type"] == "json_object"
