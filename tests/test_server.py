"""The HTTP API on a real uvicorn server on loopback: `optiform serve` in a subprocess with the
fake backend, plus one in-process server to watch cancellation when a client goes away."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "surfaces"
PROBLEM = ("A farmer has 100 acres to plant wheat and corn. Wheat earns $300 per acre and corn "
           "$250; wheat needs 3 hours of labor per acre and corn 2, with 240 hours available. "
           "Maximize profit.")
TOKEN = "s3cret-token-for-tests"
MAX_BYTES = 20_000


def farm() -> dict[str, Any]:
    return json.loads((FIXTURES / "farm_1.json").read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(home: Path, **extra: str) -> dict[str, str]:
    answers = home / "answers.json"
    answers.write_text(json.dumps({"answers": [], "default": farm()}))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPTIFORM_", "OPENAI_"))}
    env.update(OPTIFORM_HOME=str(home), OPTIFORM_BACKEND="fake", OPTIFORM_LIBRARY="false",
               OPTIFORM_FAKE_ANSWERS=str(answers), OPTIFORM_MAX_REQUEST_BYTES=str(MAX_BYTES),
               **extra)
    return env


def serve_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "optiform.cli", "serve", "--host", host, "--port", str(port),
            "--log-level", "warning"]


def start(home: Path, host: str, **extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(serve_command(host, port), env=server_env(home, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"  # only ever connect through loopback
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited with {proc.returncode}: {proc.stdout.read()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start in 60 s"
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from start(tmp_path_factory.mktemp("server"), "127.0.0.1")


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from start(tmp_path_factory.mktemp("guarded"), "0.0.0.0", OPTIFORM_SERVER_TOKEN=TOKEN)


def read_sse(response: httpx.Response) -> list[tuple[str, Any]]:
    events, name, data = [], None, []
    for line in response.iter_lines():
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name is not None:
            events.append((name, json.loads("\n".join(data))))
            name, data = None, []
    return events


def test_health_and_openapi(server: str) -> None:
    health = httpx.get(f"{server}/healthz").json()
    assert health["status"] == "ok" and health["backend"] == "fake"
    spec = httpx.get(f"{server}/openapi.json").json()
    assert {"/v1/solve", "/v1/threads/{thread_id}/messages", "/v1/threads/{thread_id}",
            "/healthz"} <= set(spec["paths"])
    assert httpx.get(f"{server}/docs").status_code == 200


def test_solve(server: str) -> None:
    r = httpx.post(f"{server}/v1/solve", json={"text": PROBLEM}, timeout=60)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["status"] == "optimal" and answer["objective"] == pytest.approx(27000)
    assert answer["values"] == {"wheat": pytest.approx(40), "corn": pytest.approx(60)}
    assert "trace" not in answer
    traced = httpx.post(f"{server}/v1/solve", json={"text": PROBLEM, "include_trace": True},
                        timeout=60).json()
    assert traced["trace"]["steps"]


def test_solve_input_errors(server: str) -> None:
    empty = httpx.post(f"{server}/v1/solve", json={"text": "   "}, timeout=60)
    assert empty.status_code == 422
    assert empty.json()["error"]["type"] == "InputError"
    path_as_table = httpx.post(f"{server}/v1/solve",
                               json={"text": PROBLEM, "data": {"t": "/etc/passwd"}}, timeout=60)
    assert path_as_table.status_code == 422  # tables are values, never server file paths


def test_every_error_answers_in_one_shape(server: str) -> None:
    def error(r: httpx.Response, status: int) -> dict[str, Any]:
        assert r.status_code == status, r.text
        body = r.json()
        assert set(body) == {"error"} and {"type", "message", "hint"} <= set(body["error"])
        return body["error"]

    typo = error(httpx.post(f"{server}/v1/solve", json={"txet": PROBLEM}, timeout=60), 422)
    assert typo["type"] == "InvalidRequest"  # a misspelt field is named, not ignored
    assert "text: Field required" in typo["message"] and "txet" in typo["message"]
    assert {"field": "options.samples", "problem": "Input should be less than or equal to 8"} \
        in error(httpx.post(f"{server}/v1/solve", json={"text": PROBLEM,
                                                        "options": {"samples": 99}}), 422)["fields"]
    for option in ({"time_budget": True}, {"samples": True}, {"max_repairs": "2"}):
        wrong = error(httpx.post(f"{server}/v1/solve", json={"text": PROBLEM,
                                                             "options": option}), 422)
        assert wrong["fields"][0]["problem"].endswith("give a JSON number"), wrong
    newline = error(httpx.post(f"{server}/v1/threads/nl%0A/messages",
                               json={"text": PROBLEM, "stream": False}, timeout=60), 422)
    assert "is not usable" in newline["message"] and "--thread" not in newline["hint"]
    broken = error(httpx.post(f"{server}/v1/solve", content=b'{"text": "abc",}',
                              headers={"content-type": "application/json"}), 422)
    assert broken["type"] == "InvalidRequest"
    assert broken["message"] == ("body: not valid JSON at character 15: Expecting property "
                                 "name enclosed in double quotes")
    deep = error(httpx.post(f"{server}/v1/solve", content=b'{"text": ' + b"[" * 15_000,
                            headers={"content-type": "application/json"}), 422)
    assert deep["type"] == "InvalidRequest"
    form = error(httpx.post(f"{server}/v1/solve", data={"text": PROBLEM}), 422)
    assert "Content-Type: application/json" in form["hint"]
    assert "application/x-www-form-urlencoded" in form["hint"]
    for cell in (True, [1], {"n": 1}):  # true would have been read as 1.0
        bad_cell = error(httpx.post(f"{server}/v1/solve", json={
            "text": PROBLEM, "data": {"t": {"a": [1, cell]}}}), 422)
        assert bad_cell["fields"] == [{"field": "data.t.a.1",
                                       "problem": "must be a number or text"}]
    body = json.dumps({"text": PROBLEM, "data": {"t": {"a": [1, 2]}}}).replace("2]", "1e400]")
    infinite = error(httpx.post(f"{server}/v1/solve", content=body.encode(),
        headers={"content-type": "application/json"}), 422)
    assert infinite["type"] == "DataError" and "not a finite number" in infinite["message"]
    yes = error(httpx.post(f"{server}/v1/solve", json={"text": PROBLEM,
                                                     "include_trace": "yes"}), 422)
    assert yes["fields"] == [{"field": "include_trace", "problem": "must be true or false"}]
    nameless = error(httpx.post(f"{server}/v1/solve", json={"text": PROBLEM,
                                                          "data": {"": {"a": [1]}}}), 422)
    assert nameless["type"] == "DataError" and "names no table" in nameless["message"]
    assert error(httpx.get(f"{server}/v1/nothing-here"), 404)["hint"] == \
        "the routes are listed at /docs"
    unknown = error(httpx.get(f"{server}/v1/threads/no-such-thread"), 404)
    assert unknown["type"] == "NotFound" and "GET /v1/threads lists" in unknown["hint"]
    assert error(httpx.get(f"{server}/v1/threads/bad id!"), 422)["type"] == "InputError"


def test_thread_messages_stream_events_to_the_end(server: str) -> None:
    url = f"{server}/v1/threads/farm-1/messages"
    with httpx.stream("POST", url, json={"text": PROBLEM}, timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = read_sse(r)
    names = [name for name, _ in events]
    assert names[0] == "node_started" and events[0][1]["node"] == "intake"
    assert "token" in names and "node_finished" in names
    assert names[-2:] == ["answer", "done"]
    final = events[-2][1]
    assert final["turn"] == 1 and final["answer"]["objective"] == pytest.approx(27000)

    second = httpx.post(url, json={"text": "make the acres integer", "stream": False},
                        timeout=60)
    assert second.status_code == 200 and second.json()["turn"] == 2
    thread = httpx.get(f"{server}/v1/threads/farm-1").json()
    assert [t["turn"] for t in thread["turns"]] == [1, 2]
    assert thread["turn_count"] == 2  # the list's count, beside the list of turns
    assert set(thread["turns"][0]) == {"turn", "text", "status", "objective"}
    assert thread["turns"][0]["status"] == "optimal"
    assert thread["title"].startswith("A farmer")
    whole = httpx.get(f"{server}/v1/threads/farm-1", params={"include_answers": "true"}).json()
    assert whole["turns"][0]["answer"]["objective"] == pytest.approx(27000)
    assert httpx.get(f"{server}/v1/threads/no-such-thread").status_code == 404
    # the list says turn_count as the thread does ("turns" was a count here, a list there)
    [listed] = [t for t in httpx.get(f"{server}/v1/threads").json() if t["id"] == "farm-1"]
    assert listed["turn_count"] == 2 and "turns" not in listed
    assert {k: v for k, v in thread.items() if k != "turns"} == listed


def test_oversized_body_is_refused(server: str) -> None:
    big = {"text": PROBLEM + " " + "x" * (MAX_BYTES + 10)}
    assert httpx.post(f"{server}/v1/solve", json=big, timeout=60).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"text": "'
        for _ in range(MAX_BYTES // 1000 + 2):
            yield b"y" * 1000
        yield b'"}'

    chunked = httpx.post(f"{server}/v1/solve", content=chunks(),
                         headers={"content-type": "application/json"}, timeout=60)
    assert chunked.status_code == 413
    assert chunked.json()["error"]["type"] == "RequestTooLarge"  # as with Content-Length


def test_twenty_concurrent_requests_are_all_answered(server: str) -> None:
    def one(i: int) -> tuple[int, Any]:
        r = httpx.post(f"{server}/v1/solve", json={"text": f"{PROBLEM} (request {i})"},
                       timeout=120)
        return r.status_code, r.json().get("objective")

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(one, range(20)))
    assert results == [(200, pytest.approx(27000))] * 20
    assert httpx.get(f"{server}/healthz").json()["in_flight"] == 0


def test_token_required_off_loopback(guarded: str) -> None:
    body = {"text": PROBLEM}
    assert httpx.post(f"{guarded}/v1/solve", json=body, timeout=60).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.post(f"{guarded}/v1/solve", json=body, headers=wrong,
                      timeout=60).status_code == 401
    assert httpx.get(f"{guarded}/v1/threads/x", headers=wrong).status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    r = httpx.post(f"{guarded}/v1/solve", json=body, headers=right, timeout=60)
    assert r.status_code == 200 and r.json()["status"] == "optimal"
    assert httpx.get(f"{guarded}/healthz").status_code == 200


@pytest.mark.parametrize("token", [None, "", "   "])
def test_refuses_to_listen_off_loopback_without_a_token(tmp_path: Path, token: str | None
                                                        ) -> None:
    env = server_env(tmp_path)
    if token is not None:  # an empty token is no token: it must not let every client in
        env["OPTIFORM_SERVER_TOKEN"] = token
    proc = subprocess.run(serve_command("0.0.0.0", free_port()), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "OPTIFORM_SERVER_TOKEN" in proc.stderr


def test_blank_secrets_and_endpoints_read_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    from optiform.config import load_settings

    settings = load_settings(server_token=" ", api_key="", base_url="")
    assert settings.server_token is None and settings.api_key is None
    assert settings.base_url is None and settings.effective_backend == "local"
    for name in ("DATA_HOME", "TIME_BUDGET", "GUIDANCE_FILE", "LIBRARY_PATH"):
        monkeypatch.setenv(f"OPTIFORM_{name}", "")  # not the current folder, not an error
    settings = load_settings()
    assert settings.data_home is None and settings.time_budget is None
    assert settings.guidance_file is None and settings.library_path is None


# -- a client that goes away -------------------------------------------------------------------


@pytest.fixture
def blocking_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An in-process uvicorn whose LLM blocks until released; counts solver calls."""
    import uvicorn

    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.api_async import SerialLLM
    from optiform.config import load_settings
    from optiform.server import create_app
    from optiform.solvers.api import solve_formulation

    entered, release, solved = threading.Event(), threading.Event(), []

    def slow(messages: Any) -> dict[str, Any]:
        entered.set()
        release.wait(20)
        return farm()

    def counting_solve(f: Any, **kw: Any) -> Any:
        solved.append(f)
        return solve_formulation(f, **kw)

    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    fake = FakeLLM([slow], default=farm())
    assistant = Assistant(settings, llm=SerialLLM(fake), solve=counting_solve)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, assistant=assistant),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    try:
        yield {"base": f"http://127.0.0.1:{port}", "entered": entered, "release": release,
               "solved": solved, "fake": fake}
    finally:
        release.set()
        server.should_exit = True
        thread.join(15)


def _wait_idle(base: str) -> None:
    deadline = time.monotonic() + 15
    while httpx.get(f"{base}/healthz").json()["in_flight"]:
        assert time.monotonic() < deadline, "the server kept working for a gone client"
        time.sleep(0.05)


def test_a_client_that_disconnects_cancels_its_work(blocking_server: dict[str, Any]) -> None:
    s = blocking_server
    base = s["base"]
    with httpx.stream("POST", f"{base}/v1/threads/gone/messages", json={"text": PROBLEM},
                      timeout=30) as r:
        for line in r.iter_lines():
            if line == "event: llm_call":
                break  # the model is working on it: hang up
    assert s["entered"].wait(10)
    # a second request queues behind the busy model, then its client gives up too
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/v1/solve", json={"text": PROBLEM}, timeout=1.0)
    _wait_idle(base)
    s["release"].set()
    deadline = time.monotonic() + 10
    while any(t.name == "optiform-turn" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "an agent worker kept running"
        time.sleep(0.05)
    assert s["solved"] == []  # neither went on to the solver
    assert len(s["fake"].requests) == 1  # the queued call never reached the model
    assert httpx.get(f"{base}/v1/threads/gone").status_code == 404  # no turn recorded
    after = httpx.post(f"{base}/v1/solve", json={"text": PROBLEM}, timeout=30)
    assert after.status_code == 200 and after.json()["status"] == "optimal"


def test_an_unexpected_failure_is_a_500_in_the_one_shape_without_its_text(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from optiform.config import load_settings
    from optiform.server import create_app

    class Broken:
        def astream(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("secret /home/user/path")

        def close(self) -> None:
            pass

    app = create_app(load_settings(backend="fake", library=False, data_home=tmp_path),
                     assistant=Broken())
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.post("/v1/solve", json={"text": PROBLEM})
        assert r.status_code == 500
        assert r.json()["error"] == {"type": "InternalError",
                                     "message": "the server failed (RuntimeError)",
                                     "hint": "this is a bug in optiform; the server log has "
                                             "the traceback"}
        with client.stream("POST", "/v1/threads/t1/messages", json={"text": PROBLEM}) as s:
            events = read_sse(s)
        assert [name for name, _ in events][-2:] == ["error", "done"]
        assert events[-2][1]["type"] == "InternalError" and "secret" not in str(events)


def test_a_streamed_turn_with_bad_input_is_a_422_before_any_stream(server: str) -> None:
    url = f"{server}/v1/threads/bad-input/messages"
    for body, kind in (({"text": "   "}, "InputError"),
                       ({"text": PROBLEM, "data": {"t": {"a": [1, 2], "b": [3]}}}, "DataError")):
        r = httpx.post(url, json=body, timeout=60)  # stream is the default for messages
        assert r.status_code == 422 and r.headers["content-type"].startswith(
            "application/json"), r.text
        assert r.json()["error"]["type"] == kind
    assert httpx.get(f"{server}/v1/threads/bad-input").status_code == 404  # no turn recorded


def test_the_docs_describe_the_errors_the_server_sends(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json", timeout=60).json()
    solve = spec["paths"]["/v1/solve"]["post"]["responses"]
    assert {"200", "401", "413", "422", "502", "503"} <= set(solve)
    assert solve["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse")
    assert "Answer" in spec["components"]["schemas"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]  # not what is sent
    schemas = spec["components"]["schemas"]
    listed = spec["paths"]["/v1/threads"]["get"]["responses"]["200"]["content"]
    assert listed["application/json"]["schema"]["items"]["$ref"].endswith("/ThreadSummary")
    one = spec["paths"]["/v1/threads/{thread_id}"]["get"]["responses"]["200"]["content"]
    assert one["application/json"]["schema"]["$ref"].endswith("/ThreadDetail")
    assert "turn_count" in schemas["ThreadSummary"]["properties"]
    assert schemas["ThreadDetail"]["properties"]["turns"]["type"] == "array"
    stream = spec["paths"]["/v1/threads/{thread_id}/messages"]["post"]["responses"]["200"]
    assert "text/event-stream" in stream["content"]


def test_a_failed_turn_streams_one_error_in_the_api_shape_naming_its_node(
        tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.config import load_settings
    from optiform.errors import LLMError
    from optiform.server import create_app

    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    assistant = Assistant(settings, llm=FakeLLM([LLMError("the endpoint said 500")]))
    with TestClient(create_app(settings, assistant=assistant)) as client, \
            client.stream("POST", "/v1/threads/t1/messages", json={"text": PROBLEM}) as s:
        events = read_sse(s)
    errors = [data for name, data in events if name == "error"]
    assert len(errors) == 1 and [name for name, _ in events][-2:] == ["error", "done"]
    assert errors[0]["type"] == "LLMError" and errors[0]["status"] == 502
    assert errors[0]["node"] == "formulate" and "hint" in errors[0]


def test_deleting_a_thread_forgets_its_turns_and_tables(blocking_server: dict[str, Any],
                                                        tmp_path: Path) -> None:
    base = blocking_server["base"]
    url = f"{base}/v1/threads/farm-del/messages"
    body = {"text": PROBLEM, "stream": False, "data": {"crops": {"crop": ["wheat"],
                                                                 "profit": [300]}}}
    turn = threading.Thread(target=lambda: httpx.post(url, json=body, timeout=60))
    turn.start()
    assert blocking_server["entered"].wait(20)
    busy = httpx.delete(f"{base}/v1/threads/farm-del")
    assert busy.status_code == 409 and busy.json()["error"]["type"] == "Conflict"
    blocking_server["release"].set()
    turn.join(30)
    _wait_idle(base)
    assert list((tmp_path / "tables").glob("thread-farm-del-*/turn-*/crops.csv"))
    assert httpx.delete(f"{base}/v1/threads/farm-del").status_code == 204
    assert httpx.get(f"{base}/v1/threads/farm-del").status_code == 404
    assert not list((tmp_path / "tables").glob("thread-farm-del-*"))
    assert httpx.delete(f"{base}/v1/threads/farm-del").status_code == 404
    # the thread's id can start afresh: the agent remembers nothing of the deleted one
    again = httpx.post(url, json={"text": PROBLEM, "stream": False}, timeout=60).json()
    assert again["turn"] == 1
    prompt = str(blocking_server["fake"].requests[-1]["messages"][-1].content)
    assert "Earlier problem" not in prompt


def test_a_delete_while_an_abandoned_turn_still_runs_is_a_409(tmp_path: Path,
                                                              turn_running) -> None:
    from fastapi.testclient import TestClient

    from optiform.agent.fake import FakeLLM
    from optiform.api import Assistant
    from optiform.config import load_settings
    from optiform.server import create_app

    settings = load_settings(backend="fake", library=False, data_home=tmp_path)
    assistant = Assistant(settings, llm=FakeLLM([]))
    with TestClient(create_app(settings, assistant=assistant)) as client:
        with turn_running(assistant, "gone"):  # its client left; it ends at its next step
            busy = client.delete("/v1/threads/gone")
            assert busy.status_code == 409 and busy.json()["error"]["type"] == "Conflict"
        assert client.delete("/v1/threads/gone").status_code == 404  # never had a turn


def test_a_guidance_file_it_cannot_read_stops_the_server_at_start(tmp_path: Path) -> None:
    env = {**server_env(tmp_path), "OPTIFORM_GUIDANCE_FILE": str(tmp_path / "missing.txt")}
    proc = subprocess.run(serve_command("127.0.0.1", free_port()), env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "cannot read the guidance file" in proc.stderr
