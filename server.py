"""The HTTP API (FastAPI): solve a problem, chat in a thread with server-sent events.

```
optiform serve                       # http://127.0.0.1:8000, docs at /docs
OPTIFORM_SERVER_TOKEN=... optiform serve --host 0.0.0.0
```
POST /v1/solve                     one problem -> the Answer as JSON
POST /v1/threads/{id}/messages     one chat turn; progress as server-sent events (or JSON)
GET  /v1/threads/{id}              a thread: turn_count and its turns (a list)
GET  /v1/threads                   recent threads, each with its turn_count
DELETE /v1/threads/{id}            forget a thread: its turns, the agent's memory, its tables
GET  /healthz                      liveness, backend, requests in flight

Requests share one Assistant whose LLM takes one call at a time (they queue, never fail because
it is busy); turns of one thread run one after another. A client that disconnects cancels its
work at the agent's next step. Bound beyond loopback, the server refuses to start without a
token (``OPTIFORM_SERVER_TOKEN``); a configured token is always required on /v1 (compared in
constant time), /healthz and the docs stay open. Bodies over ``max_request_bytes`` get 413.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

from optiform import __version__
from optiform.chat_store import check_thread_id
from optiform.config import Settings, load_settings
from optiform.errors import OptiformError
from optiform.server_support import (
    BodyLimit,
    check_bind,
    error_body,
    error_status,
    http_error_body,
    sse,
    token_ok,
    unexpected_error_body,
    until_disconnected,
    validation_error_body,
    with_pings,
)

# strict: true would be read as 1.0; null is a cell with no value, as in the Python API
Cell = StrictInt | StrictFloat | StrictStr | None
Table = dict[str, list[Cell]] | list[dict[str, Cell]]
log = logging.getLogger("optiform.server")


def _no_thread(thread_id: str) -> dict[str, Any]:
    """The 404 body of a thread id the store does not hold."""
    return {"type": "NotFound", "message": f"no thread {thread_id!r}",
            "hint": "GET /v1/threads lists the threads; POST a message to "
                    f"/v1/threads/{thread_id}/messages starts this one"}


class Options(BaseModel):
    """Per-request agent options (each optional; the server's settings otherwise)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt option is refused, not ignored

    samples: int | None = Field(None, ge=1, le=8)
    max_repairs: int | None = Field(None, ge=0, le=6)
    code_strategy: StrictBool | None = None  # "yes" is refused, not read as true
    solver: Literal["auto", "highs", "scip"] | None = None
    time_limit: float | None = Field(None, gt=0, le=600)
    time_budget: float | None = Field(None, gt=0, le=3600)

    @field_validator("samples", "max_repairs", "time_limit", "time_budget", mode="before")
    @classmethod
    def _a_json_number(cls, value: Any) -> Any:
        if isinstance(value, bool | str):  # true would be read as 1, "2" as 2
            raise ValueError("give a JSON number")
        return value

    def overrides(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class SolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # "txet" is refused, not ignored

    text: str = Field(description="The problem in plain language.")
    data: dict[str, Table] | None = Field(
        None, description="Tables by name: {column: [values]} or [{column: value}, ...] (every "
        "row with the same keys; null for a cell with no value).")
    options: Options = Field(default_factory=Options)
    include_trace: StrictBool = Field(False,
                                      description="Return the full trace with the answer.")


class MessageRequest(SolveRequest):
    stream: StrictBool = Field(True,
                               description="Server-sent events (true) or one JSON reply.")


class ErrorField(BaseModel):
    field: str
    problem: str


class ErrorDetail(BaseModel):
    type: str = Field(description="InvalidRequest, InputError, DataError, LLMError, ...")
    message: str
    hint: str | None = Field(None, description="What to do about it.")
    fields: list[ErrorField] | None = Field(None, description="For InvalidRequest: each "
                                            "field of the request and what is wrong with it.")


class ErrorResponse(BaseModel):
    """Every error, whatever its status, has this one shape."""

    error: ErrorDetail


class ThreadSummary(BaseModel):
    """A thread as ``GET /v1/threads`` lists it."""

    id: str
    title: str = Field(description="The start of its first message.")
    created: float = Field(description="Seconds since the epoch.")
    updated: float = Field(description="Seconds since the epoch, at its latest turn.")
    turn_count: int = Field(description="How many turns it has (undone ones left out).")


class TurnSummary(BaseModel):
    turn: int = Field(description="The turn's number (undone turns keep theirs).")
    text: str = Field(description="The message that started it.")
    status: str = Field(description="Its answer's status: optimal, infeasible, failed, ...")
    objective: float | None = None
    answer: dict[str, Any] | None = Field(
        None, description="The whole answer (without its trace); only with "
        "include_answers=true.")


class ThreadDetail(ThreadSummary):
    """A thread as ``GET /v1/threads/{id}`` gives it: its summary and its turns, in order
    (``turn_count`` is ``len(turns)``)."""

    turns: list[TurnSummary]


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The error responses of a route, for /docs (FastAPI would document its own 422)."""
    said = {401: "No or a wrong bearer token.", 404: "No such thread.",
            409: "The thread has a turn running.",
            413: "The request body is larger than max_request_bytes.",
            422: "The request does not fit the schema, or its text or tables cannot be used.",
            502: "The language model failed.", 503: "The language model cannot be reached.",
            500: "A bug; the server log has the traceback."}
    return {code: {"model": ErrorResponse, "description": said[code]} for code in codes}


def answer_json(answer: Any, include_trace: bool) -> dict[str, Any]:
    return answer.model_dump(mode="json", exclude=None if include_trace else {"trace"})


def turn_json(output: Any, include_trace: bool) -> dict[str, Any]:
    return {"turn": output.turn, "answer": answer_json(output.answer, include_trace),
            "diff": output.diff, "moves": output.moves}


class _Service:
    """The shared Assistant, the chat store and the per-thread locks."""

    def __init__(self, settings: Settings, assistant: Any = None) -> None:
        from optiform.api import Assistant
        from optiform.api_async import SerialLLM
        from optiform.chat_store import ChatStore

        if assistant is None:
            from optiform.agent.llm import make_llm

            assistant = Assistant(settings, llm=SerialLLM(make_llm(settings)))
        self.assistant = assistant
        self.store = ChatStore.default(settings.data_dir)
        self.locks: dict[str, asyncio.Lock] = {}
        self.in_flight = 0

    def session(self, thread_id: str) -> Any:
        from optiform.conversation import ChatSession

        return ChatSession(self.assistant, self.store, thread_id)

    def close(self) -> None:
        self.assistant.close()
        self.store.close()


def create_app(settings: Settings | None = None, *, assistant: Any = None) -> FastAPI:
    """The FastAPI app. ``assistant`` replaces the default one (tests pass a FakeLLM's)."""
    from optiform.agent.answer import Answer  # the schema of /v1/solve's reply, for /docs

    settings = settings or load_settings()
    token = settings.server_token.get_secret_value() if settings.server_token else None
    app = FastAPI(title="optiform", version=__version__,
                  description="Optimization problems in plain language -> checked, solved "
                              "models.")
    app.add_middleware(BodyLimit, max_bytes=settings.max_request_bytes)
    service = _Service(settings, assistant)
    app.state.service = service
    app.router.add_event_handler("shutdown", service.close)

    def authorized(request: Request) -> None:
        if token is not None and not token_ok(request.headers.get("authorization"), token):
            raise HTTPException(401, detail={"type": "Unauthorized", "message":
                                             "missing or wrong bearer token", "hint":
                                             "send 'Authorization: Bearer <token>'"},
                                headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(OptiformError)
    async def _optiform_error(request: Request, exc: OptiformError) -> JSONResponse:
        return JSONResponse(error_body(exc), status_code=error_status(exc))

    # Every error answers in one shape, {"error": {"type", "message", "hint"}}: FastAPI's own
    # (404 routes, validation, 413 while streaming in) too, not its {"detail": ...}.
    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's answer when JSON cannot even be parsed (nested too deeply to read)
            return JSONResponse({"error": {
                "type": "InvalidRequest", "message": "body: cannot be read as JSON (nested "
                "too deeply?)", "hint": "send one JSON object, as /docs shows"}},
                status_code=422)
        return JSONResponse(http_error_body(exc.status_code, exc.detail),
                            status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_error_body(exc.errors(),
                                                  request.headers.get("content-type", "")),
                            status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(unexpected_error_body(exc), status_code=500)

    @app.get("/healthz")
    async def healthz() -> dict[str, Any]:
        return {"status": "ok", "version": __version__, "backend": settings.effective_backend,
                "in_flight": service.in_flight}

    @app.post("/v1/solve", dependencies=[Depends(authorized)], responses={
        200: {"model": Answer, "description": "The answer (its status says optimal, "
                                              "infeasible, failed, ...)."},
        **_errors(401, 413, 422, 500, 502, 503)})
    async def solve(body: SolveRequest, request: Request) -> dict[str, Any]:
        """Solve one problem; the Answer as JSON (status says optimal, infeasible, ...)."""
        from optiform.api_async import answer_of

        service.in_flight += 1
        try:
            events = service.assistant.astream(body.text, body.data, None, tokens=False,
                                               **body.options.overrides())
            async with aclosing(until_disconnected(events, request)) as guarded:
                async for event in guarded:
                    if event.type == "answer":
                        return answer_json(answer_of(event), body.include_trace)
        finally:
            service.in_flight -= 1
        raise OptiformError("the agent stopped without an answer")

    @app.post("/v1/threads/{thread_id}/messages", dependencies=[Depends(authorized)],
              response_model=None, responses={
                  200: {"description": "With stream (the default): server-sent events "
                                       "(node_started, node_finished, llm_call, token, "
                                       "attempt, error, answer, done); "
                                       "without: the turn, its answer, diff and moves.",
                        "content": {"text/event-stream": {"schema": {"type": "string"}},
                                    "application/json": {"schema": {"type": "object"}}}},
                  **_errors(401, 413, 422, 500, 502, 503)})
    async def message(thread_id: str, body: MessageRequest,
                      request: Request) -> dict[str, Any] | StreamingResponse:
        """One chat turn in a thread: the first message states a problem, later ones revise
        it. Streams events (node_started, node_finished, llm_call, token, attempt, error,
        then 'answer' with the turn's answer, model diff and moves, then 'done')."""
        check_thread_id(thread_id)
        if body.stream:  # what is wrong with the input is a 422, before the stream's 200
            await asyncio.to_thread(_check_input, settings, body.text, body.data)
        turn = _turn(service, thread_id, body, request)
        if body.stream:
            return StreamingResponse(with_pings(_as_sse(turn)), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache",
                                              "X-Accel-Buffering": "no"})
        async with aclosing(turn):
            async for kind, payload in turn:
                if kind == "answer":
                    return payload
        raise OptiformError("the agent stopped without an answer")

    @app.get("/v1/threads", dependencies=[Depends(authorized)], responses=_errors(401, 422))
    async def threads(limit: int = 20) -> list[ThreadSummary]:
        """The most recently updated threads (up to ``limit``, at most 200), each with its
        ``turn_count``; ``GET /v1/threads/{id}`` lists a thread's turns."""
        return [ThreadSummary(**vars(t))
                for t in service.store.list_threads(max(1, min(limit, 200)))]

    @app.get("/v1/threads/{thread_id}", dependencies=[Depends(authorized)],
             response_model_exclude_unset=True, responses=_errors(401, 404, 422))
    async def thread(thread_id: str, include_answers: bool = False) -> ThreadDetail:
        """A thread: what ``GET /v1/threads`` says of it and its ``turns``, each with its
        number, text, status and objective (and the whole answer with include_answers)."""
        check_thread_id(thread_id)
        info = service.store.get_thread(thread_id)
        if info is None:
            raise HTTPException(404, detail=_no_thread(thread_id))
        from optiform.conversation import load_answer

        turns = []
        for record in service.store.turns(thread_id):
            answer = load_answer(record)
            whole = {"answer": answer_json(answer, False)} if include_answers else {}
            turns.append(TurnSummary(turn=record.seq, text=record.text, status=answer.status,
                                     objective=answer.objective, **whole))
        return ThreadDetail(**{**vars(info), "turn_count": len(turns)}, turns=turns)

    @app.delete("/v1/threads/{thread_id}", status_code=204, dependencies=[Depends(authorized)],
                responses=_errors(401, 404, 409, 422))
    async def delete_thread(thread_id: str) -> None:
        """Forget a thread: its turns, the agent's memory of it and the tables it was sent."""
        check_thread_id(thread_id)
        lock = service.locks.setdefault(thread_id, asyncio.Lock())
        # a turn whose client went away runs on in its worker until its next step
        if lock.locked() or service.assistant.busy(thread_id):
            raise HTTPException(409, detail={
                "type": "Conflict", "message": f"thread {thread_id!r} has a turn running",
                "hint": "delete it when the turn has ended"})
        async with lock:
            if service.store.get_thread(thread_id) is None:
                raise HTTPException(404, detail=_no_thread(thread_id))
            # the agent's memory, the tables and the chat store's turns
            await asyncio.to_thread(service.assistant.delete_thread, thread_id)
        # the lock stays: a message that arrived meanwhile waits on it, and a new one must too

    return app




def _check_input(settings: Settings, text: str, data: Any) -> None:
    """The checks a turn makes first, made before a stream starts (so that an empty text or a
    broken table is an HTTP 422, not a 200 whose stream says so): the text, and the tables
    written into a scratch folder that goes at once."""
    import tempfile

    from optiform.agent.intake import validate_text

    validate_text(text, settings.max_problem_chars)
    if data:
        from optiform.agent.tables import prepare_tables

        with tempfile.TemporaryDirectory(prefix="optiform-check-") as scratch:
            prepare_tables(data, Path(scratch))


async def _turn(service: _Service, thread_id: str, body: MessageRequest,
                request: Request) -> AsyncGenerator[tuple[str, Any], None]:
    """One turn as (event type, payload) pairs; the turn is recorded before 'answer'."""
    from optiform.api_async import answer_of

    lock = service.locks.setdefault(thread_id, asyncio.Lock())
    async with lock:
        service.in_flight += 1
        failed_in: str | None = None
        try:
            session = service.session(thread_id)
            events = service.assistant.astream(body.text, body.data, thread_id,
                                               **body.options.overrides())
            async with aclosing(until_disconnected(events, request)) as guarded:
                async for event in guarded:
                    if event.type == "error":
                        # a node's failure ends the turn: the one 'error' event the client
                        # gets is the turn's, in the API's error shape, naming this node
                        failed_in = event.node
                        continue
                    if event.type != "answer":
                        yield event.type, event.model_dump(mode="json")
                        continue
                    output = await asyncio.to_thread(session.record, body.text,
                                                     answer_of(event))
                    yield "answer", turn_json(output, body.include_trace)
        except OptiformError as exc:
            if failed_in is not None:
                exc.details.setdefault("node", failed_in)
            raise
        finally:
            service.in_flight -= 1


async def _as_sse(turn: AsyncGenerator[tuple[str, Any], None]) -> AsyncIterator[str]:
    try:
        async with aclosing(turn):
            async for kind, payload in turn:
                yield sse(kind, payload)
    except OptiformError as exc:
        node = {"node": exc.details["node"]} if exc.details.get("node") else {}
        yield sse("error", {**error_body(exc)["error"], "status": error_status(exc), **node})
    except Exception as exc:  # a bug: still an 'error' event and 'done', and the server log
        log.exception("a streamed turn failed")
        yield sse("error", {**unexpected_error_body(exc)["error"], "status": 500})
    yield sse("done", {})


def serve(host: str = "127.0.0.1", port: int = 8000, *, settings: Settings | None = None,
          log_level: str = "info") -> None:
    """Run the API with uvicorn (blocking). Refuses a non-loopback host without a token."""
    import uvicorn

    settings = settings or load_settings()
    check_bind(host, settings)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level,
                timeout_graceful_shutdown=5)
