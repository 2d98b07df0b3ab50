"""The one narrow LLM protocol every backend implements, and the backend registry.

``complete(messages, schema=None, temperature, max_tokens, seed, stop) -> Completion``.
A schema asks for JSON that validates against it (constrained decoding where the backend
can); ``Completion.data`` then holds the parsed value. ``stream`` yields text pieces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel

if TYPE_CHECKING:
    from optiform.config import Settings

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    role: Role
    content: str


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cached_prompt_tokens=self.cached_prompt_tokens + other.cached_prompt_tokens,
        )


class Completion(BaseModel):
    text: str
    data: Any = None
    usage: Usage = Usage()
    latency: float = 0.0
    model: str = ""
    finish_reason: str | None = None


def as_messages(messages: list[Message] | list[dict[str, str]]) -> list[Message]:
    return [m if isinstance(m, Message) else Message(**m) for m in messages]


@runtime_checkable
class LLM(Protocol):
    """What the agent needs from a language model."""

    name: str

    def complete(
        self,
        messages: list[Message],
        *,
        schema: dict[str, Any] | None = None,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        seed: int | None = None,
        stop: list[str] | None = None,
    ) -> Completion: ...

    def stream(
        self,
        messages: list[Message],
        *,
        temperature: float = 0.0,
        max_tokens: int = 1024,
        seed: int | None = None,
        stop: list[str] | None = None,
    ) -> Iterator[str]: ...


BackendFactory = Callable[..., LLM]


@dataclass
class _Registry:
    factories: dict[str, str | BackendFactory] = field(default_factory=dict)

    def register(self, name: str, factory: str | BackendFactory) -> None:
        """Register a backend by name: a factory, or 'module:attr' loaded on first use."""
        self.factories[name] = factory

    def create(self, name: str, **kwargs: Any) -> LLM:
        from optiform.errors import ConfigError

        target = self.factories.get(name)
        if target is None:
            known = ", ".join(sorted(self.factories))
            raise ConfigError(f"unknown LLM backend {name!r}", hint=f"choose one of: {known}")
        if isinstance(target, str):
            import importlib

            module, attr = target.split(":")
            obj: Any = importlib.import_module(module)
            for part in attr.split("."):  # 'Class.factory' names a classmethod
                obj = getattr(obj, part)
            target = obj
            self.factories[name] = target
        return target(**kwargs)

    def names(self) -> list[str]:
        return sorted(self.factories)


BACKENDS = _Registry(
    {
        "fake": "optiform.agent.fake:FakeLLM.from_settings",
        "local": "optiform.agent.local_llm:LocalLLM.from_settings",
        "openai": "optiform.agent.openai_llm:OpenAILLM.from_settings",
        "replay": "optiform.agent.replay:ReplayLLM.from_settings",
    }
)


def make_llm(settings: Settings | None = None, **kwargs: Any) -> LLM:
    """The backend ``settings.effective_backend`` names, built from the settings (lazily: no
    client, file or model is touched until the first call)."""
    if settings is None:
        from optiform.config import load_settings

        settings = load_settings()
    return BACKENDS.create(settings.effective_backend, settings=settings, **kwargs)
