"""The embedded offline backend: Qwen2.5-Coder-1.5B-Instruct (GGUF) run by llama-cpp-python.

One loaded model per process (keyed by path, context size, threads and draft mode; asking for
another setup replaces it), created lazily under a lock; calls to it are serialized by a
second lock. llama.cpp keeps the KV cache
of the last prompt, so a call whose prompt starts like the previous one (same system prompt)
evaluates only the new tail; ``Usage.cached_prompt_tokens`` reports how many tokens were reused.
A schema becomes a GBNF grammar (llama.cpp's JSON-schema converter), so decoding can only
produce JSON of that shape; the answer is still validated, with one repair round.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from optiform.agent.budget import FINISH_REASON as OUT_OF_TIME
from optiform.agent.budget import llm_deadline_passed
from optiform.agent.jsonout import complete_validated, schema_gbnf
from optiform.agent.llm import Completion, Message, Usage, as_messages
from optiform.agent.loops import LoopWatch
from optiform.cancellation import cancelled, raise_if_cancelled
from optiform.errors import ContextOverflowError, LLMError, ModelUnavailableError

if TYPE_CHECKING:
    from optiform.config import Settings


@dataclass
class _Loaded:
    llama: Any
    lock: threading.Lock = field(default_factory=threading.Lock)
    reused: list[int] = field(default_factory=list)
    looped: list[int] = field(default_factory=list)  # periods of replies stopped as loops
    out_of_time: bool = False  # the last reply was stopped at the time budget's deadline
    grammars: dict[str, Any] = field(default_factory=dict)


_MODELS: dict[tuple[Any, ...], _Loaded] = {}
_LOAD_LOCK = threading.Lock()


def reused_prefix(previous: Sequence[int], tokens: Sequence[int]) -> int:
    """Prompt tokens llama.cpp takes from its KV cache instead of evaluating again.

    It keeps the longest common prefix; when that is the whole prompt it still evaluates the
    last token to get fresh logits.
    """
    n = 0
    for a, b in zip(previous, tokens, strict=False):
        if a != b:
            break
        n += 1
    return min(n, max(len(tokens) - 1, 0))


def cpu_has_amx(cpuinfo: str) -> bool:
    """True when /proc/cpuinfo lists AMX: llama.cpp's AMX kernels crash on some such VMs."""
    return any(line.startswith("flags") and "amx_int8" in line.split()
               for line in cpuinfo.splitlines())


def default_extra_buffers() -> bool:
    try:
        return not cpu_has_amx(Path("/proc/cpuinfo").read_text(encoding="utf-8"))
    except OSError:
        return True


def _wrap_default_params(use_extra_bufts: bool) -> Any:
    """Make llama-cpp-python load models with or without llama.cpp's extra CPU buffer types
    (AMX, weight repacking): ``Llama()`` does not expose the flag, so the default-params
    function is wrapped. Returns the original function."""
    import llama_cpp.llama_cpp as lc

    original = lc.llama_model_default_params

    def patched() -> Any:
        params = original()
        params.use_extra_bufts = use_extra_bufts
        return params

    lc.llama_model_default_params = patched
    return original


@contextlib.contextmanager
def model_params_patch(*, use_extra_bufts: bool) -> Iterator[None]:
    """The wrapper while a model loads (callers hold ``_LOAD_LOCK``)."""
    import llama_cpp.llama_cpp as lc

    original = _wrap_default_params(use_extra_bufts)
    try:
        yield
    finally:
        lc.llama_model_default_params = original


def patch_process_model_params() -> None:
    """For a process that runs llama-cpp-python's own server: the safe default for this CPU."""
    _wrap_default_params(default_extra_buffers())


def _load(path: Path, n_ctx: int, threads: int, prompt_lookup: bool, extra_buffers: bool,
          verbose: bool) -> _Loaded:
    key = (str(path), n_ctx, threads, prompt_lookup, extra_buffers)
    with _LOAD_LOCK:
        loaded = _MODELS.get(key)
        if loaded is not None:
            return loaded
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_speculative import LlamaPromptLookupDecoding
        except ImportError as exc:
            raise ModelUnavailableError(
                "llama-cpp-python is not installed, so the embedded model cannot run",
                hint="pip install 'optiform[local]' (builds llama.cpp), or configure an "
                "OpenAI-compatible endpoint with OPTIFORM_BASE_URL") from exc
        for other in _MODELS.values():  # one model per process: a new setup replaces the old
            with other.lock:
                other.llama.close()
        _MODELS.clear()
        draft = LlamaPromptLookupDecoding(num_pred_tokens=10) if prompt_lookup else None
        try:
            with model_params_patch(use_extra_bufts=extra_buffers):
                llama = Llama(model_path=str(path), n_ctx=n_ctx, n_threads=threads,
                              n_threads_batch=threads, n_batch=512, draft_model=draft,
                              verbose=verbose)
        except ValueError as exc:
            raise ModelUnavailableError(f"llama.cpp could not load {path}: {exc}",
                                        hint="check the file, or run `optiform model fetch`",
                                        ) from exc
        loaded = _Loaded(llama=llama)
        _count_reuse(loaded)
        _MODELS[key] = loaded
        return loaded


def _count_reuse(loaded: _Loaded) -> None:
    """Record, per generation, how many prompt tokens came from the KV cache; and end a
    generation that runs into a loop (``loops``) with the end-of-text token, recording it in
    ``loaded.looped``, instead of letting it run to the token limit; and end one that runs past
    the time budget's deadline (``budget``) the same way, recording ``loaded.out_of_time``, or
    whose turn was cancelled; the prompt is read in chunks (``read_prompt``), so that a deadline
    or a cancel stops its reading too."""
    llama = loaded.llama
    generate = llama.generate

    def counting(tokens: Sequence[int], *args: Any, **kwargs: Any) -> Iterator[int]:
        previous = llama._input_ids.tolist()
        loaded.reused.append(reused_prefix(previous, list(tokens)))
        if not read_prompt(llama, tokens):  # the deadline passed, or the turn was cancelled
            loaded.out_of_time = llm_deadline_passed()
            yield llama.token_eos()
            return
        watch = LoopWatch()
        for token in generate(tokens, *args, **kwargs):
            if watch.add(token):
                loaded.looped.append(watch.period or 0)
                yield llama.token_eos()
                return
            if _must_stop():
                loaded.out_of_time = llm_deadline_passed()
                yield llama.token_eos()
                return
            yield token

    llama.generate = counting


def _must_stop() -> bool:
    return llm_deadline_passed() or cancelled()


def read_prompt(llama: Any, tokens: Sequence[int]) -> bool:
    """Read the prompt into llama.cpp's KV cache as its own ``generate`` would, batch by batch
    (``n_batch`` tokens, about 12 s on 2 cores), but stop between batches once the time
    budget's deadline has passed or the turn was cancelled (False then; what was read stays
    cached). ``generate`` reads a whole prompt in one call that nothing can interrupt; after
    this it finds the prompt cached with its last token's logits and samples at once. The
    batches are the ones ``generate`` would make, so the logits, and a greedy reply, are too."""
    tokens = list(tokens)
    cached = llama._input_ids.tolist()
    if cached == tokens and not getattr(llama, "_requires_eval", True):
        return True  # the same prompt as the last call's: generate samples at once
    keep = reused_prefix(cached, tokens)  # its rule: the last token is read again
    if keep > 0 and not llama._ctx.kv_cache_seq_rm(-1, keep, -1):
        keep = 0  # this context cannot drop a cache tail: read all again, as generate would
    if keep == 0:
        llama.reset()
    else:
        llama.n_tokens = keep
        llama._requires_eval = True  # as generate marks it: the logits are not of this tail
    for start in range(keep, len(tokens), llama.n_batch):
        if _must_stop():
            return False
        llama.eval(tokens[start:start + llama.n_batch])
    return True


def unload_all() -> None:
    """Drop every loaded model (tests and benchmarks that want a cold start)."""
    with _LOAD_LOCK:
        for loaded in _MODELS.values():
            with loaded.lock:
                loaded.llama.close()
        _MODELS.clear()


class LocalLLM:
    """The embedded llama.cpp model behind the LLM protocol."""

    name = "local"

    def __init__(self, model_path: str | Path | None = None, *, n_ctx: int = 8192,
                 threads: int | None = None, prompt_lookup: bool = False,
                 extra_buffers: bool | None = None, settings: Settings | None = None,
                 verbose: bool = False) -> None:
        self._model_path = Path(model_path).expanduser() if model_path is not None else None
        self._path_checked = False
        self.n_ctx = n_ctx
        self.threads = threads or os.cpu_count() or 1
        self.prompt_lookup = prompt_lookup
        self.extra_buffers = extra_buffers
        self.settings = settings
        self.verbose = verbose

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kw: Any) -> LocalLLM:
        if settings is None:
            from optiform.config import load_settings

            settings = load_settings()
        kw.setdefault("model_path", settings.model_path)
        kw.setdefault("n_ctx", settings.n_ctx)
        kw.setdefault("threads", settings.threads)
        return cls(settings=settings, **kw)

    @property
    def model_path(self) -> Path:
        """The GGUF file, found or fetched on first use (see agent/model_files.py)."""
        from optiform.agent.model_files import check_gguf_path, ensure_model

        if self._model_path is None:
            self._model_path = ensure_model(self.settings)
        elif not self._path_checked:
            check_gguf_path(self._model_path)
        self._path_checked = True
        return self._model_path

    def _loaded(self) -> _Loaded:
        extra = default_extra_buffers() if self.extra_buffers is None else self.extra_buffers
        return _load(self.model_path, self.n_ctx, self.threads, self.prompt_lookup, extra,
                     self.verbose)

    def _grammar(self, loaded: _Loaded, schema: dict[str, Any]) -> Any:
        from llama_cpp import LlamaGrammar
        from llama_cpp.llama_grammar import JSON_GBNF

        key = json.dumps(schema, sort_keys=True)
        if key not in loaded.grammars:
            try:
                grammar = LlamaGrammar.from_string(schema_gbnf(schema), verbose=False)
            except Exception:  # the converter rejects a few constructs: any JSON, validated
                grammar = LlamaGrammar.from_string(JSON_GBNF, verbose=False)
            loaded.grammars[key] = grammar
        return loaded.grammars[key]

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """llama.cpp's errors as optiform errors."""
        try:
            yield
        except ValueError as exc:
            if "context window" in str(exc) or "exceed" in str(exc):
                raise ContextOverflowError(
                    f"the prompt does not fit the local model's context: {exc}",
                    model=self.name, hint="raise OPTIFORM_N_CTX, or shorten the problem text",
                ) from exc
            raise LLMError(f"llama.cpp failed: {exc}", model=self.name) from exc

    def _chat(self, loaded: _Loaded, messages: list[Message], *, grammar: Any, stream: bool,
              **params: Any) -> Any:
        return loaded.llama.create_chat_completion(
            messages=[m.model_dump() for m in messages], grammar=grammar, stream=stream, **params)

    def complete(self, messages: list[Message], *, schema: dict[str, Any] | None = None,
                 temperature: float = 0.0, max_tokens: int = 1024, seed: int | None = None,
                 stop: list[str] | None = None) -> Completion:
        msgs = as_messages(messages)
        loaded = self._loaded()
        grammar = self._grammar(loaded, schema) if schema is not None else None
        params = {"temperature": temperature, "max_tokens": max_tokens, "seed": seed,
                  "stop": stop or []}

        def call(conversation: list[Message]) -> Completion:
            if llm_deadline_passed():  # not even the prompt is read: that alone takes seconds
                return Completion(text="", model=self.model_path.name,
                                  finish_reason=OUT_OF_TIME)
            with loaded.lock:
                start = time.perf_counter()
                loaded.reused.clear()
                loaded.looped.clear()
                loaded.out_of_time = False
                with self._errors():
                    resp = self._chat(loaded, conversation, grammar=grammar, stream=False,
                                      **params)
                latency = time.perf_counter() - start
                cached = sum(loaded.reused)
                looped = bool(loaded.looped)
                out_of_time = loaded.out_of_time
            raise_if_cancelled()  # a reply cut short by a cancel is no reply
            choice = resp["choices"][0]
            usage = resp.get("usage") or {}
            return Completion(
                text=choice["message"].get("content") or "",
                usage=Usage(prompt_tokens=usage.get("prompt_tokens", 0),
                            completion_tokens=usage.get("completion_tokens", 0),
                            cached_prompt_tokens=cached),
                latency=latency, model=self.model_path.name,
                finish_reason="loop" if looped else OUT_OF_TIME if out_of_time
                else choice.get("finish_reason"))

        if schema is None:
            return call(msgs)
        return complete_validated(call, msgs, schema, model=self.name)

    def stream(self, messages: list[Message], *, temperature: float = 0.0,
               max_tokens: int = 1024, seed: int | None = None,
               stop: list[str] | None = None) -> Iterator[str]:
        msgs = as_messages(messages)
        loaded = self._loaded()
        if llm_deadline_passed():
            return
        with loaded.lock, self._errors():
            chunks = self._chat(loaded, msgs, grammar=None, stream=True, temperature=temperature,
                                max_tokens=max_tokens, seed=seed, stop=stop or [])
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece
        raise_if_cancelled()  # a reply cut short by a cancel is no reply

    def info(self) -> dict[str, Any]:
        """What `optiform model info` shows; does not load the model."""
        return {"backend": self.name, "model_path": str(self._model_path or ""),
                "n_ctx": self.n_ctx, "threads": self.threads,
                "prompt_lookup": self.prompt_lookup,
                "loaded": any(k[0] == str(self._model_path) for k in _MODELS)}
