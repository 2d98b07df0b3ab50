"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp's server, LiteLLM) via `openai`.

Structured output degrades gracefully: a JSON schema response format where the server takes
one; else llama.cpp's ``json_object`` + ``schema``; else plain JSON mode; else the schema in the
prompt. Whatever the mode, the answer is validated and repaired once (agent/jsonout.py). The
mode that works is remembered per instance. Rate limits, 5xx answers and timeouts are retried
with exponential backoff and full jitter; every other failure becomes a clear LLMError.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from optiform.agent.budget import llm_deadline_passed
from optiform.agent.jsonout import complete_validated, with_schema_instruction
from optiform.agent.llm import Completion, Message, Usage, as_messages
from optiform.errors import (
    ContextOverflowError,
    LLMAuthError,
    LLMConnectionError,
    LLMError,
    LLMModelNotFoundError,
    LLMRateLimitError,
    OutOfTimeError,
)

if TYPE_CHECKING:
    from optiform.config import Settings

DEFAULT_MODEL = "gpt-4o-mini"
MODES = ("json_schema", "json_object_schema", "json_object", "prompt")
_OVERFLOW_MARKERS = ("context length", "context_length", "context window", "maximum context",
                     "too many tokens", "prompt is too long")


class _FormatRejected(LLMError):
    """The server refused a response_format (raised only inside this module)."""


def response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    """The ``response_format`` payload for one structured-output mode."""
    if mode == "json_schema":
        return {"type": "json_schema",
                "json_schema": {"name": "answer", "schema": schema, "strict": False}}
    if mode == "json_object_schema":
        return {"type": "json_object", "schema": schema}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


_URL_SECRETS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.I)
_TOKENS = re.compile(r"(?i)(bearer\s+)\S+|\bsk-[A-Za-z0-9_-]{6,}")


def scrub_secrets(text: str, secrets: tuple[str | None, ...] = ()) -> str:
    """``text`` without what must not reach a log or an HTTP client: a URL's user and
    password, bearer tokens, keys shaped like OpenAI's, and the ``secrets`` given (the API
    key), which an endpoint may quote in its error."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _URL_SECRETS.sub(lambda m: m["scheme"] + "***@", text)
    return _TOKENS.sub(lambda m: (m[1] + "***") if m[1] else "sk-***", text)


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng.uniform(0.0, min(cap, base * (2**attempt)))


class OpenAILLM:
    """An OpenAI-compatible chat endpoint behind the LLM protocol."""

    name = "openai"

    def __init__(self, model: str | None = None, *, base_url: str | None = None,
                 api_key: str | None = None, timeout: float = 120.0, max_retries: int = 4,
                 backoff_base: float = 0.5, backoff_max: float = 20.0,
                 sleep: Callable[[float], None] = time.sleep, seed: int | None = None) -> None:
        self.model = model or DEFAULT_MODEL
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.sleep = sleep
        self.mode_index = 0
        self._rng = random.Random(seed)
        self._client: Any = None
        self._client_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kw: Any) -> OpenAILLM:
        if settings is None:
            from optiform.config import load_settings

            settings = load_settings()
        key = settings.api_key.get_secret_value() if settings.api_key else None
        kw.setdefault("model", settings.model)
        kw.setdefault("base_url", settings.base_url)
        kw.setdefault("api_key", key)
        kw.setdefault("timeout", settings.request_timeout)
        kw.setdefault("max_retries", settings.max_retries)
        return cls(**kw)

    @property
    def client(self) -> Any:
        """The `openai.OpenAI` client, built on first use (never at import or construction)."""
        with self._client_lock:
            if self._client is None:
                import openai

                key = self.api_key
                if not key:
                    if self.base_url is None:
                        raise LLMAuthError(
                            "no API key is configured for the OpenAI endpoint", model=self.model,
                            hint="set OPTIFORM_API_KEY (or OPENAI_API_KEY), or OPTIFORM_BASE_URL "
                            "for a local server")
                    key = "not-needed"  # local servers (llama.cpp, Ollama, vLLM) take any key
                self._client = openai.OpenAI(api_key=key, base_url=self.base_url,
                                             timeout=self.timeout, max_retries=0)
            return self._client

    # -- errors and retries -------------------------------------------------------------

    @property
    def _where(self) -> str:
        return scrub_secrets(self.base_url) if self.base_url else "the OpenAI API"

    def _map_error(self, exc: Exception) -> LLMError:
        """The LLMError for a failed request, with no secret in its message."""
        err = self._error_for(exc)
        err.message = scrub_secrets(err.message, (self.api_key,))
        err.args = (err.message,)
        return err

    def _error_for(self, exc: Exception) -> LLMError:
        import openai

        where = self._where
        if isinstance(exc, json.JSONDecodeError):  # a JSON content type over another body
            return LLMError(f"{where} sent a reply that is not JSON ({exc.msg} at character "
                            f"{exc.pos})", model=self.model,
                            hint="check OPTIFORM_BASE_URL: it is the API root of an "
                                 "OpenAI-compatible server, which usually ends in /v1")
        status = getattr(exc, "status_code", None)
        text = str(exc)
        if isinstance(exc, openai.APITimeoutError):
            return LLMConnectionError(f"{where} did not answer within {self.timeout:g} s",
                                      model=self.model, retryable=True,
                                      hint="raise OPTIFORM_REQUEST_TIMEOUT or check the server")
        if isinstance(exc, openai.APIConnectionError):
            return LLMConnectionError(f"cannot reach {where}: {exc.__cause__ or exc}",
                                      model=self.model,
                                      hint="check OPTIFORM_BASE_URL and that the server runs")
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMAuthError(f"{where} refused the API key ({status}): {text}",
                                model=self.model, status=status,
                                hint="check OPTIFORM_API_KEY (or OPENAI_API_KEY)")
        if isinstance(exc, openai.NotFoundError):
            return LLMModelNotFoundError(
                f"{where} does not serve model {self.model!r} ({status}): {text}",
                model=self.model, status=status,
                hint="set OPTIFORM_MODEL to a model the endpoint lists at GET /models")
        if any(m in text.lower() for m in _OVERFLOW_MARKERS):
            return ContextOverflowError(f"the prompt does not fit {self.model}'s context: {text}",
                                        model=self.model, status=status,
                                        hint="shorten the problem text or use a larger model")
        if status in (400, 422, 500) and "response_format" in text:
            # llama-cpp-python's server answers 500 for a response format it does not know
            return _FormatRejected(f"{where} does not take this response format ({status}): "
                                   f"{text}", model=self.model, status=status)
        if isinstance(exc, openai.RateLimitError):
            return LLMRateLimitError(f"{where} is rate limiting requests (429): {text}",
                                     model=self.model, status=429, retryable=True,
                                     hint="wait, or raise OPTIFORM_MAX_RETRIES")
        if isinstance(exc, openai.APIStatusError):
            retryable = status is not None and status >= 500
            return LLMError(f"{where} answered {status}: {text}", model=self.model,
                            status=status, retryable=retryable,
                            hint="retry later" if retryable else "check the request settings")
        return LLMError(f"{type(exc).__name__}: {text}", model=self.model)

    def _with_retries(self, request: Callable[[], Any]) -> Any:
        import openai

        attempt = 0
        while True:
            try:
                return request()
            except (openai.OpenAIError, json.JSONDecodeError) as exc:
                err = self._map_error(exc)
                out_of_time = llm_deadline_passed()
                if not err.retryable or attempt >= self.max_retries or out_of_time:
                    if err.retryable:
                        tries = attempt + 1
                        why = "; the time budget is spent" if out_of_time else ""
                        err.message += (f" (gave up after {tries} attempt{'s' * (tries != 1)}"
                                        f"{why})")
                        err.args = (err.message,)
                    raise err from exc
                self.sleep(self._delay(attempt, exc))
                attempt += 1

    def _delay(self, attempt: int, exc: Exception) -> float:
        delay = backoff_delay(attempt, self.backoff_base, self.backoff_max, self._rng)
        response = getattr(exc, "response", None)
        after = response.headers.get("retry-after") if response is not None else None
        if after:
            try:
                return min(max(float(after), delay), self.backoff_max)
            except ValueError:
                pass
        return delay

    # -- the protocol ---------------------------------------------------------------------

    def _create(self, messages: list[Message], params: dict[str, Any]) -> Completion:
        payload = [m.model_dump() for m in messages]
        if llm_deadline_passed():
            raise OutOfTimeError("the time budget was spent before the request was sent",
                                 model=self.model, reply="",
                                 hint="raise the time budget (--time-budget, "
                                      "OPTIFORM_TIME_BUDGET)")
        start = time.perf_counter()
        resp = self._with_retries(lambda: self.client.chat.completions.create(
            model=self.model, messages=payload, **params))
        latency = time.perf_counter() - start
        choice = self._first_choice(resp)
        usage = resp.usage
        details = getattr(usage, "prompt_tokens_details", None) if usage else None
        return Completion(
            text=choice.message.content or "",
            usage=Usage(prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
                        cached_prompt_tokens=getattr(details, "cached_tokens", 0) or 0),
            latency=latency, model=resp.model or self.model,
            finish_reason=choice.finish_reason)

    def _first_choice(self, resp: Any) -> Any:
        """The reply's first choice; an LLMError when the server answered with something that
        is not a chat completion (an HTML page, a proxy's reply, a wrong base URL)."""
        choices = getattr(resp, "choices", None)
        message = getattr(choices[0], "message", None) if choices else None
        if message is None:
            where = self._where
            seen = ("an empty list of choices" if isinstance(choices, list)
                    else f"{type(resp).__name__} {str(resp)[:80]!r}")
            raise LLMError(f"{where} did not answer like an OpenAI /chat/completions endpoint "
                           f"(it sent {seen})", model=self.model,
                           hint="check OPTIFORM_BASE_URL: it is the API root, which usually "
                                "ends in /v1")
        return choices[0]

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None,
                 temperature: float = 0.0, max_tokens: int = 1024, seed: int | None = None,
                 stop: list[str] | None = None) -> Completion:
        msgs = as_messages(messages)
        params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            params["seed"] = seed
        if stop:
            params["stop"] = stop
        if schema is None:
            return self._create(msgs, params)
        while True:
            mode = MODES[self.mode_index]
            fmt = response_format(mode, schema)
            call_params = {**params, "response_format": fmt} if fmt else params
            prompt = msgs if mode == "json_schema" else with_schema_instruction(msgs, schema)
            try:
                return complete_validated(lambda c, p=call_params: self._create(c, p), prompt,
                                          schema, model=self.model)
            except LLMError as err:
                unsupported = isinstance(err, _FormatRejected) or (
                    err.status in (400, 422) and not isinstance(err, ContextOverflowError))
                if not unsupported or fmt is None:
                    raise
                self.mode_index += 1  # the server rejected this response format: degrade

    def stream(self, messages: list[Message], *, temperature: float = 0.0,
               max_tokens: int = 1024, seed: int | None = None,
               stop: list[str] | None = None) -> Iterator[str]:
        payload = [m.model_dump() for m in as_messages(messages)]
        params: dict[str, Any] = {"temperature": temperature, "max_tokens": max_tokens}
        if seed is not None:
            params["seed"] = seed
        if stop:
            params["stop"] = stop
        chunks = self._with_retries(lambda: self.client.chat.completions.create(
            model=self.model, messages=payload, stream=True, **params))
        import openai

        try:
            for chunk in chunks:
                if not hasattr(chunk, "choices"):
                    self._first_choice(chunk)  # raises: not a stream of completion chunks
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except (openai.OpenAIError, json.JSONDecodeError) as exc:
            raise self._map_error(exc) from exc

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model,
                "base_url": scrub_secrets(self.base_url or "https://api.openai.com/v1"),
                "structured_output": MODES[self.mode_index]}
