"""Record/replay backend: request -> response pairs in a JSONL cassette, replayed deterministically.

A request is keyed by a sha256 of its canonical JSON (kind, messages, schema, temperature,
max_tokens, seed, stop). Modes: ``replay`` answers only from the cassette (a miss is a
ReplayMissError naming the request), ``record`` always asks the wrapped backend and appends,
``auto`` replays hits and records misses. A key recorded several times replays its answers in
order (the last one repeats), so repeated identical calls stay deterministic.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from optiform.agent.llm import LLM, Completion, Message, as_messages
from optiform.errors import ConfigError, ReplayMissError

if TYPE_CHECKING:
    from optiform.config import Settings

Mode = Literal["replay", "record", "auto"]


def request_record(kind: str, messages: list[Message], *, schema: dict[str, Any] | None,
                   temperature: float, max_tokens: int, seed: int | None,
                   stop: list[str] | None) -> dict[str, Any]:
    return {"kind": kind, "messages": [m.model_dump() for m in messages], "schema": schema,
            "temperature": temperature, "max_tokens": max_tokens, "seed": seed,
            "stop": stop or []}


def request_key(request: dict[str, Any]) -> str:
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def describe(request: dict[str, Any]) -> str:
    """A one-line description of a request for error messages."""
    last_user = next((m["content"] for m in reversed(request["messages"])
                      if m["role"] == "user"), "")
    snippet = " ".join(last_user.split())[:80]
    return (f"{request['kind']} with {len(request['messages'])} messages, last user message "
            f"{snippet!r}, schema={'yes' if request['schema'] else 'no'}, "
            f"temperature={request['temperature']}, seed={request['seed']}")


class ReplayLLM:
    name = "replay"

    def __init__(self, cassette: str | Path, *, inner: LLM | None = None,
                 mode: Mode = "replay") -> None:
        if mode != "replay" and inner is None:
            raise ConfigError(f"replay mode {mode!r} needs a backend to record from",
                              hint="pass inner=<an LLM>")
        self.cassette = Path(cassette)
        self.inner = inner
        self.mode = mode
        self._entries: dict[str, list[dict[str, Any]]] | None = None
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kw: Any) -> ReplayLLM:
        if settings is None:
            from optiform.config import load_settings

            settings = load_settings()
        cassette = kw.pop("cassette", None) or settings.cassette
        if cassette is None:
            raise ConfigError("the replay backend needs a cassette file",
                              hint="set OPTIFORM_CASSETTE to a .jsonl path")
        mode = kw.pop("mode", "replay")
        inner = kw.pop("inner", None)
        if inner is None and mode != "replay":
            from optiform.agent.llm import BACKENDS

            recorder = "openai" if (settings.base_url or settings.api_key) else "local"
            inner = BACKENDS.create(recorder, settings=settings)
        return cls(cassette, inner=inner, mode=mode)

    def _load(self) -> dict[str, list[dict[str, Any]]]:
        if self._entries is None:
            entries: dict[str, list[dict[str, Any]]] = {}
            if self.cassette.is_file():
                lines = self.cassette.read_text(encoding="utf-8").splitlines()
                for lineno, line in enumerate(lines, start=1):
                    if not line.strip():
                        continue
                    try:
                        row = json.loads(line)
                        entries.setdefault(row["key"], []).append(row["response"])
                    except (ValueError, KeyError) as exc:
                        raise ConfigError(
                            f"cassette {self.cassette} line {lineno} is not a record: {exc}",
                            hint="re-record the cassette, or delete the broken line") from exc
            self._entries = entries
        return self._entries

    def _lookup(self, key: str) -> dict[str, Any] | None:
        answers = self._load().get(key)
        if not answers:
            return None
        index = self._served.get(key, 0)
        self._served[key] = index + 1
        return answers[min(index, len(answers) - 1)]

    def _append(self, key: str, request: dict[str, Any], response: dict[str, Any]) -> None:
        self._load().setdefault(key, []).append(response)
        self._served[key] = self._served.get(key, 0) + 1
        self.cassette.parent.mkdir(parents=True, exist_ok=True)
        with self.cassette.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": key, "request": request, "response": response},
                                ensure_ascii=False) + "\n")

    def _answer(self, request: dict[str, Any], produce: Any) -> dict[str, Any]:
        key = request_key(request)
        with self._lock:
            if self.mode != "record":
                hit = self._lookup(key)
                if hit is not None:
                    return hit
                if self.mode == "replay":
                    raise ReplayMissError(
                        f"cassette {self.cassette} has no answer for request {key[:12]}: "
                        f"{describe(request)}", model=self.name,
                        hint="record it (ReplayLLM(..., mode='auto', inner=<backend>)), or check "
                        "that the prompt did not change")
            response = produce()
            self._append(key, request, response)
            return response

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None,
                 temperature: float = 0.0, max_tokens: int = 1024, seed: int | None = None,
                 stop: list[str] | None = None) -> Completion:
        msgs = as_messages(messages)
        request = request_record("complete", msgs, schema=schema, temperature=temperature,
                                 max_tokens=max_tokens, seed=seed, stop=stop)

        def produce() -> dict[str, Any]:
            assert self.inner is not None
            return self.inner.complete(msgs, schema=schema, temperature=temperature,
                                       max_tokens=max_tokens, seed=seed,
                                       stop=stop).model_dump(mode="json")

        return Completion.model_validate(self._answer(request, produce))

    def stream(self, messages: list[Message], *, temperature: float = 0.0,
               max_tokens: int = 1024, seed: int | None = None,
               stop: list[str] | None = None) -> Iterator[str]:
        msgs = as_messages(messages)
        request = request_record("stream", msgs, schema=None, temperature=temperature,
                                 max_tokens=max_tokens, seed=seed, stop=stop)

        def produce() -> dict[str, Any]:
            assert self.inner is not None
            return {"pieces": list(self.inner.stream(msgs, temperature=temperature,
                                                     max_tokens=max_tokens, seed=seed,
                                                     stop=stop))}

        yield from self._answer(request, produce)["pieces"]
