"""Run-away replies stopped as loops: the detector, and the generation wrapper (which also
stops a reply at the time budget's deadline)."""

from __future__ import annotations

import time
from types import SimpleNamespace

import numpy as np
import pytest

from optiform.agent import budget
from optiform.agent.local_llm import _count_reuse, _Loaded
from optiform.agent.loops import LoopWatch, loop_period

EOS = 0


def test_a_tail_repeating_one_stretch_is_a_loop():
    line = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]  # one repeated key-value pair
    assert loop_period(list(range(100, 140)) + line * 12) == 12
    assert loop_period([7, 8] * 70) == 2  # per_week_per_week...
    # constraint lines that differ in one token are no loop
    lines = [t for i in range(30) for t in (11, 12, 13, 100 + i, 15, 16)]
    assert loop_period(lines) is None
    # a repetition shorter than the minimum span is left alone (a short list of zeros)
    assert loop_period([1, 2, 3] + [5, 6] * 40) is None
    assert loop_period([]) is None and loop_period([4] * 10) is None


def test_the_watch_fires_once_the_loop_is_long_enough():
    watch = LoopWatch(every=1)
    stream = list(range(200, 260)) + [31, 32, 33, 34] * 100
    fired = next(i for i, token in enumerate(stream) if watch.add(token))
    assert 60 + 128 <= fired + 1 <= 60 + 128 + 8 and watch.period == 4


class FakeLlama:
    """What the wrapper touches of llama_cpp.Llama: generate, token_eos, and what reading a
    prompt batch by batch touches (_input_ids, n_tokens, n_batch, _ctx, reset, eval)."""

    def __init__(self, stream: list[int]) -> None:
        self.stream = stream
        self.ids, self.n_tokens, self.n_batch = [1, 2, 3], 3, 512
        self._ctx = type("Ctx", (), {"kv_cache_seq_rm": lambda _s, *a: True})()
        self.produced = 0

    @property
    def _input_ids(self) -> np.ndarray:
        return np.array(self.ids[:self.n_tokens])

    def reset(self) -> None:
        self.n_tokens = 0

    def eval(self, tokens) -> None:
        self.ids[self.n_tokens:] = list(tokens)
        self.n_tokens += len(tokens)

    def generate(self, tokens, *args, **kwargs):
        for token in self.stream:
            self.produced += 1
            yield token

    def token_eos(self) -> int:
        return EOS


def test_a_looping_generation_ends_with_end_of_text_and_is_recorded():
    llama = FakeLlama(list(range(200, 230)) + [41, 42, 43] * 400)
    loaded = _Loaded(llama=llama)
    _count_reuse(loaded)
    out = list(llama.generate([1, 2, 9]))
    assert out[-1] == EOS and len(out) < 250 and llama.produced < 250
    assert loaded.looped == [3] and loaded.reused == [2]


def test_a_normal_generation_passes_through_untouched():
    stream = [t for i in range(40) for t in (11, 12, 100 + i, 13)]
    llama = FakeLlama(stream)
    loaded = _Loaded(llama=llama)
    _count_reuse(loaded)
    assert list(llama.generate([1, 2, 3])) == stream and loaded.looped == []


def test_a_generation_stops_at_the_time_budgets_deadline(monkeypatch):
    stream = list(range(100, 400))
    llama = FakeLlama(stream)
    loaded = _Loaded(llama=llama)
    _count_reuse(loaded)
    # past the deadline not even the prompt is read: the end-of-text token at once
    with budget.llm_deadline(time.time() - 1.0):
        assert list(llama.generate([1, 2, 9])) == [EOS]
    assert llama.produced == 0 and loaded.out_of_time and llama.n_tokens == 2
    # a clock that ticks once a look: one look before the prompt's one batch, then one a
    # token; the deadline at tick 5 falls after the fourth token
    loaded.out_of_time = False
    ticks = iter(range(10**6))
    monkeypatch.setattr(budget, "time", SimpleNamespace(time=lambda: float(next(ticks))))
    with budget.llm_deadline(5.0):
        assert list(llama.generate([1, 2, 9])) == [*stream[:4], EOS]
    assert loaded.out_of_time
    # with time to spare the generation is untouched
    monkeypatch.undo()
    loaded.out_of_time = False
    with budget.llm_deadline(time.time() + 3600.0):
        assert list(llama.generate([1, 2, 9])) == stream
    assert not loaded.out_of_time


def test_a_call_that_starts_past_the_deadline_reads_no_prompt(monkeypatch):
    from pathlib import Path

    from optiform.agent.local_llm import LocalLLM
    from optiform.errors import OutOfTimeError

    llama = FakeLlama([5, 6, 7])
    monkeypatch.setattr(LocalLLM, "model_path", property(lambda self: Path("m.gguf")))
    monkeypatch.setattr(LocalLLM, "_loaded", lambda self: _Loaded(llama=llama))
    llm = LocalLLM()
    with budget.llm_deadline(time.time() - 1.0):
        out = llm.complete([], max_tokens=10)
        assert out.text == "" and out.finish_reason == budget.FINISH_REASON
        with pytest.raises(OutOfTimeError, match="before the model began"):
            llm.complete([], schema={"type": "object"})
        assert list(llm.stream([])) == []
    assert llama.produced == 0
