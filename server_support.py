"""The HTTP face's plumbing: bind policy, bearer tokens, the body size limit, SSE framing,
error bodies, and event streams that stop when the client goes away."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from optiform.errors import (
    ConfigError,
    InputError,
    LLMConnectionError,
    LLMError,
    OptiformError,
    TurnCancelled,
)

if TYPE_CHECKING:
    from optiform.config import Settings

PING_SECONDS = 15.0
CLIENT_CLOSED = 499  # nginx's "client closed request": logged, never seen by the client


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, settings: Settings) -> None:
    """Refuse to listen beyond this machine without a token."""
    if not is_loopback(host) and settings.server_token is None:
        raise ConfigError(
            f"refusing to listen on {host} without a token: anyone who can reach it could "
            "use this machine's model and CPU",
            hint="set OPTIFORM_SERVER_TOKEN (clients send 'Authorization: Bearer <token>'), "
                 "or bind to 127.0.0.1")


def token_ok(header: str | None, token: str) -> bool:
    """Constant-time check of an ``Authorization: Bearer <token>`` header."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


class BodyLimit:
    """ASGI middleware: request bodies larger than ``max_bytes`` get 413, whether announced by
    Content-Length or streamed in chunks."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _send_json(send, 413, too_large(self.max_bytes))
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, detail=too_large(self.max_bytes)["error"])
            return message

        await self.app(scope, limited, send)


def too_large(max_bytes: int) -> dict[str, Any]:
    return {"error": {"type": "RequestTooLarge",
                      "message": f"the request body is larger than {max_bytes:,} bytes",
                      "hint": "send less data, or raise OPTIFORM_MAX_REQUEST_BYTES"}}


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})


def error_status(exc: OptiformError) -> int:
    if isinstance(exc, TurnCancelled):
        return CLIENT_CLOSED
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, ConfigError):  # the server's settings, never the request's
        return 500
    if isinstance(exc, LLMConnectionError):
        return 503
    if isinstance(exc, LLMError):
        return 502
    return 500 if exc.exit_code == 3 else 400


def error_body(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, OptiformError):
        return {"error": {"type": type(exc).__name__, "message": exc.message,
                          "hint": exc.hint}}
    return {"error": {"type": type(exc).__name__, "message": str(exc), "hint": None}}


def http_error_body(status: int, detail: Any) -> dict[str, Any]:
    """The error shape for an HTTPException: ours carry it as ``detail``; FastAPI's own (an
    unknown route, a wrong method) carry a phrase."""
    if isinstance(detail, dict) and "message" in detail:
        return {"error": {"type": detail.get("type", "HTTPError"),
                          "message": detail["message"], "hint": detail.get("hint")}}
    hints = {404: "the routes are listed at /docs", 405: "the methods are listed at /docs"}
    return {"error": {"type": _HTTP_TYPES.get(status, "HTTPError"), "message": str(detail),
                      "hint": hints.get(status)}}


_HTTP_TYPES = {404: "NotFound", 405: "MethodNotAllowed", 413: "RequestTooLarge"}


_KINDS = {"float_type": "a number", "int_type": "a number", "float_parsing": "a number",
          "int_parsing": "a number", "string_type": "text", "bool_type": "true or false",
          "bool_parsing": "true or false", "list_type": "a list", "dict_type": "an object",
          "none_required": "null"}


def _field(loc: Sequence[Any], kind: str = "") -> str:
    """A pydantic location as the request's field: 'data.t.a.0', without 'body' and without
    the names pydantic gives the branches of a union: 'dict[str,list[...]]' anywhere, and a
    scalar branch ('float') only as the last part of a type error (a column may be named
    'float')."""
    parts = [str(p) for p in loc if p != "body"]
    kept = [p for p in parts if "[" not in p]
    if kind in _KINDS and kept and kept[-1] in ("float", "int", "str", "bool", "none"):
        kept = kept[:-1]
    return ".".join(kept) or "body"


def validation_error_body(errors: Sequence[Any], content_type: str = "") -> dict[str, Any]:
    """A request that does not fit the schema: one message naming each field and what is
    wrong with it, and the list itself under ``fields``. A value that fits none of a union's
    branches is one problem ("must be a number or text, not null"), not one per branch; a
    body that is not JSON says where and why, and names the Content-Type a body needs."""
    hint = 'the request schema is at /docs; a body is JSON such as {"text": "..."}'
    problems: dict[str, list[str]] = {}
    wanted: dict[str, list[str]] = {}  # field -> the kinds of value its branches take
    nulls: set[str] = set()
    for e in errors:
        kind, loc = e.get("type", ""), list(e.get("loc", ()))
        field = _field(loc, kind)
        if kind == "json_invalid":
            at = f" at character {loc[1]}" if len(loc) > 1 else ""
            why = (e.get("ctx") or {}).get("error", "")
            problems.setdefault("body", []).append(
                f"not valid JSON{at}" + (f": {why}" if why else ""))
        elif kind in _KINDS:
            kinds = wanted.setdefault(field, [])
            if _KINDS[kind] not in kinds:
                kinds.append(_KINDS[kind])
            if e.get("input", "") is None:
                nulls.add(field)
        elif field == "body" and kind in ("model_attributes_type", "dict_type") and \
                "json" not in content_type:
            problems.setdefault("body", []).append("must be a JSON object")
            hint = (f"send JSON with Content-Type: application/json (this body came as "
                    f"{content_type or 'no content type'})")
        else:
            problems.setdefault(field, []).append(e.get("msg", "invalid"))
    deeper = [*problems, *wanted]
    for field, kinds in wanted.items():
        if any(d.startswith(field + ".") for d in deeper):
            continue  # a union branch that failed at once, beside one that got further in
        problems.setdefault(field, []).append(
            f"must be {' or '.join(kinds)}" + (", not null" if field in nulls else ""))
    fields = [{"field": f, "problem": p} for f, ps in problems.items() for p in ps]
    message = "; ".join(f"{f['field']}: {f['problem']}" for f in fields) or "invalid request"
    return {"error": {"type": "InvalidRequest", "message": message, "hint": hint,
                      "fields": fields}}


def unexpected_error_body(exc: BaseException) -> dict[str, Any]:
    """A failure that is a bug: its kind only (its text may hold paths or internals); the
    server log has the traceback."""
    return {"error": {"type": "InternalError",
                      "message": f"the server failed ({type(exc).__name__})",
                      "hint": "this is a bug in optiform; the server log has the traceback"}}


def sse(event: str, data: Any) -> str:
    """One server-sent event; ``data`` as one line of JSON."""
    return f"event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def _ticking(events: AsyncIterator[Any], every: float
                   ) -> AsyncGenerator[tuple[bool, Any], None]:
    """``(True, item)`` for each item of ``events`` and ``(False, None)`` each ``every``
    seconds without one; closing this closes the source (cancelling its pending await)."""
    source = aiter(events)
    step: asyncio.Future[Any] | None = None
    try:
        while True:
            step = asyncio.ensure_future(anext(source))
            while True:
                done, _ = await asyncio.wait({step}, timeout=every)
                if done:
                    break
                yield False, None
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield True, item
    finally:
        await _close(source, step)


async def until_disconnected(events: AsyncIterator[Any], request: Request,
                             poll: float = 0.5) -> AsyncGenerator[Any, None]:
    """``events`` until the client disconnects; then the source is closed (which cancels the
    agent at its next step) and TurnCancelled is raised."""
    async with contextlib.aclosing(_ticking(events, poll)) as ticks:
        async for is_item, item in ticks:
            if is_item:
                yield item
            elif await request.is_disconnected():
                raise TurnCancelled("the client went away")


async def with_pings(events: AsyncIterator[str], every: float = PING_SECONDS
                     ) -> AsyncGenerator[str, None]:
    """SSE text with a comment line when nothing was sent for ``every`` seconds (keeps proxies
    from closing the stream, and finds a gone client on the next write)."""
    async with contextlib.aclosing(_ticking(events, every)) as ticks:
        async for is_item, item in ticks:
            yield item if is_item else ": ping\n\n"


async def _close(source: AsyncIterator[Any], pending: asyncio.Future[Any] | None) -> None:
    """Stop a pending ``anext`` (cancelling the source's await), then close the source."""
    if pending is not None and not pending.done():
        pending.cancel()
        with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration, OptiformError):
            await pending
    closer = getattr(source, "aclose", None)
    if closer is not None:
        await closer()
