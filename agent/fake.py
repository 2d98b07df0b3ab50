"""A scripted fake LLM for tests: returns queued answers, records every request."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.agent.llm import Completion, Message, Usage
from optiform.errors import ConfigError, LLMError, LLMOutputError

if TYPE_CHECKING:
    from optiform.config import Settings

Answer = str | dict[str, Any] | list[Any] | BaseException | Callable[[list[Message]], Any]


class FakeLLM:
    """Answers from a queue. An answer is text, a JSON-able value, an exception to raise, or a
    callable that receives the messages and returns one of those.

    ``requests`` keeps every call's messages and schema so tests can assert on prompts.
    """

    name = "fake"

    def __init__(self, answers: list[Answer] | None = None, *, default: Answer | None = None,
                 **_: Any) -> None:
        self.queue: deque[Answer] = deque(answers or [])
        self.default = default
        self.requests: list[dict[str, Any]] = []

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kw: Any) -> FakeLLM:
        """The fake the ``fake`` backend builds: scripted by ``settings.fake_answers`` (a JSON
        file: a list answered in order, or ``{"answers": [...], "default": answer}``), so a
        CLI or server process can run offline with known answers; empty without one."""
        path = settings.fake_answers if settings is not None else None
        if path is None or "answers" in kw or "default" in kw:
            return cls(**kw)
        try:
            script = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the fake backend's answers from {path}: {exc}",
                              hint="OPTIFORM_FAKE_ANSWERS must name a JSON file") from exc
        if isinstance(script, list):
            return cls(script)
        if isinstance(script, dict) and set(script) <= {"answers", "default"}:
            return cls(list(script.get("answers") or []), default=script.get("default"))
        raise ConfigError(f"{path} is not a script of fake answers",
                          hint='write a JSON list, or {"answers": [...], "default": ...}')

    def push(self, *answers: Answer) -> None:
        self.queue.extend(answers)

    def _next(self, messages: list[Message]) -> Any:
        if self.queue:
            answer = self.queue.popleft()
        elif self.default is not None:
            answer = self.default
        else:
            raise LLMError(
                "FakeLLM has no queued answer left",
                model="fake",
                hint="list more answers, or a default, in the OPTIFORM_FAKE_ANSWERS file (a "
                     'JSON list, or {"answers": [...], "default": answer}); in a test, push them',
            )
        if callable(answer) and not isinstance(answer, BaseException):
            answer = answer(messages)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        seed: int | None = None,
        stop: list[str] | None = None,
    ) -> Completion:
        self.requests.append({"messages": list(messages), "schema": schema,
                              "temperature": temperature, "seed": seed})
        answer = self._next(messages)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        data = None
        if schema is not None:
            from optiform.agent.jsonout import parse_json

            try:  # parsed as the real backends parse replies (repeated keys kept)
                data = parse_json(text)
            except LLMOutputError as exc:
                raise LLMOutputError(f"fake answer is not JSON: {exc.message}",
                                     model="fake") from exc
        prompt_tokens = sum(len(m.content.split()) for m in messages)
        return Completion(
            text=text,
            data=data,
            usage=Usage(prompt_tokens=prompt_tokens, completion_tokens=len(text.split())),
            model="fake",
            finish_reason="stop",
        )

    def stream(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        seed: int | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]:
        text = self.complete(messages, temperature=temperature, max_tokens=max_tokens).text
        for piece in text.split(" "):
            yield piece + " "
