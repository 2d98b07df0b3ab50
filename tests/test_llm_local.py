"""The embedded backend without the model: pure helpers, laziness, errors, the CLI faces."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from optiform.agent import model_files as mf
from optiform.agent.llm import Message
from optiform.agent.local_llm import LocalLLM, cpu_has_amx, read_prompt, reused_prefix
from optiform.config import load_settings
from optiform.errors import ModelUnavailableError


def build_app() -> typer.Typer:
    from optiform.commands import model

    app = typer.Typer()
    model.register(app)
    return app


def test_reused_prefix_matches_llama_cpp_rules():
    assert reused_prefix([], [1, 2, 3]) == 0
    assert reused_prefix([1, 2, 3, 9, 9], [1, 2, 3, 4]) == 3
    assert reused_prefix([1, 2, 3, 4], [1, 2, 3, 4]) == 3  # the last token is evaluated again
    assert reused_prefix([5, 2], [1, 2]) == 0
    assert reused_prefix([1, 2], [1]) == 0


class _Ids(list):
    def tolist(self) -> list[int]:
        return list(self)


class _Llama:
    """The part of llama_cpp.Llama that read_prompt uses: a KV cache of token ids."""

    def __init__(self, cached: list[int], can_drop_tail: bool = True, n_batch: int = 2) -> None:
        self.ids, self.n_tokens, self.n_batch, self.reads = list(cached), len(cached), n_batch, []
        self.resets, self._requires_eval = 0, False
        self._ctx = type("Ctx", (), {"kv_cache_seq_rm": lambda _s, *a: can_drop_tail})()

    @property
    def _input_ids(self) -> _Ids:
        return _Ids(self.ids[:self.n_tokens])

    def reset(self) -> None:
        self.n_tokens, self.resets = 0, self.resets + 1

    def eval(self, tokens: list[int]) -> None:
        self.reads.append(list(tokens))
        self.ids[self.n_tokens:] = tokens
        self.n_tokens += len(tokens)
        self._requires_eval = False  # as llama_cpp's eval: the logits are the last token's


def test_a_prompt_is_read_in_generates_batches_after_its_cached_prefix_and_stops_when_told():
    import threading

    from optiform import cancellation as cancel
    from optiform.agent import budget

    llama = _Llama([1, 2, 3, 9, 9])
    assert read_prompt(llama, [1, 2, 3, 4, 5, 6, 7])
    # the cached 1, 2, 3 stay; the rest is read in llama.cpp's batches (n_batch = 2 here)
    assert llama.reads == [[4, 5], [6, 7]] and llama._input_ids == [1, 2, 3, 4, 5, 6, 7]
    assert read_prompt(llama, [1, 2, 3, 4, 5, 6, 7]) and len(llama.reads) == 2  # all cached
    llama._requires_eval = True  # logits not from a live read: the last token is read again
    assert read_prompt(llama, [1, 2, 3, 4, 5, 6, 7]) and llama.reads[-1] == [7]
    again = _Llama([1, 2, 3], can_drop_tail=False, n_batch=8)  # cannot drop a cache tail
    assert read_prompt(again, [1, 2, 9, 9]) and again.resets == 1
    assert again.reads == [[1, 2, 9, 9]]

    flag = threading.Event()
    token = cancel.cancel_flag.set(flag)
    try:
        reading = _Llama([], n_batch=3)
        original = reading.eval

        def eval_then_cancel(tokens: list[int]) -> None:
            original(tokens)
            flag.set()  # Ctrl-C while the first batch is read

        reading.eval = eval_then_cancel
        assert not read_prompt(reading, list(range(10)))
        assert reading.reads == [[0, 1, 2]] and reading._input_ids == [0, 1, 2]  # it stays
    finally:
        cancel.cancel_flag.reset(token)
    with budget.llm_deadline(0.0):  # a deadline long past: not one batch is read
        late = _Llama([])
        assert not read_prompt(late, list(range(10))) and late.reads == []
        cut = _Llama([1, 2, 3, 4])  # cut to [1, 2]: its logits are no longer the cache's end
        assert not read_prompt(cut, [1, 2, 9]) and cut._requires_eval
    assert read_prompt(cut, [1, 2]) and cut.reads == [[2]]  # so the last token is read again


def test_cpu_has_amx():
    assert cpu_has_amx("processor: 0\nflags\t\t: fpu sse avx2 amx_bf16 amx_tile amx_int8\n")
    assert not cpu_has_amx("flags\t\t: fpu sse avx2 avx512f\n")
    assert not cpu_has_amx("")


def test_construction_touches_nothing():
    llm = LocalLLM.from_settings(load_settings(threads=2, n_ctx=2048))
    assert (llm.threads, llm.n_ctx, llm._model_path) == (2, 2048, None)
    assert llm.info()["loaded"] is False


def test_a_bad_model_path_is_a_clear_error_on_first_use(tmp_path):
    bad = tmp_path / "model.gguf"
    bad.write_text("not a model")
    llm = LocalLLM.from_settings(load_settings(model_path=str(bad)))
    with pytest.raises(ModelUnavailableError, match="not a GGUF file"):
        llm.complete([Message(role="user", content="hi")])


def test_model_info_shows_backend_file_and_cache(tmp_path):
    result = CliRunner().invoke(build_app(), ["model", "info", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    assert info["backend"] == "local" and info["n_ctx"] == 8192
    assert info["cache_dir"].endswith("models") and info["model_state"].startswith("not fetched")
    assert info["model_file"].endswith("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")


def test_model_info_says_when_the_configured_model_file_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTIFORM_MODEL_PATH", str(tmp_path / "nope.gguf"))
    info = json.loads(CliRunner().invoke(build_app(), ["model", "info", "--json"]).output)
    assert info["model_state"] == "missing: no file at model_path"
    (tmp_path / "nope.gguf").write_bytes(b"GGUF")
    info = json.loads(CliRunner().invoke(build_app(), ["model", "info", "--json"]).output)
    assert info["model_state"] == "configured (model_path)"


def test_model_info_for_an_endpoint(monkeypatch):
    monkeypatch.setenv("OPTIFORM_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("OPTIFORM_MODEL", "qwen")
    result = CliRunner().invoke(build_app(), ["model", "info"])
    assert result.exit_code == 0, result.output
    assert "openai" in result.output and "http://127.0.0.1:8000/v1" in result.output
    assert "api_key" in result.output and "not set" in result.output


def test_model_fetch_installs_parts_and_reports(monkeypatch, tmp_path):
    calls: list[dict] = []

    def fake_ensure(settings, **kw):
        calls.append(kw)
        return tmp_path / "m.gguf"

    monkeypatch.setattr(mf, "ensure_model", fake_ensure)
    result = CliRunner().invoke(build_app(), ["model", "fetch"])
    assert result.exit_code == 0 and "model ready:" in result.output
    assert calls == [{"install": True, "allow_download": True}]


def test_model_fetch_failure_exits_with_the_hint(monkeypatch):
    def failing(settings, **kw):
        raise ModelUnavailableError("no parts", hint="run `optiform model fetch`")

    monkeypatch.setattr(mf, "ensure_model", failing)
    result = CliRunner().invoke(build_app(), ["model", "fetch", "--no-download"])
    assert result.exit_code == ModelUnavailableError.exit_code
    assert "no parts" in result.output and "hint:" in result.output


def test_bench_system_prompt_reaches_the_token_target_and_result_lines():
    from optiform.agent.llm_bench import BenchResult, echo_task, system_prompt

    text = system_prompt(300, lambda t: len(t.split()))
    assert 300 <= len(text.split()) < 330 and text.count("Rule ") >= 10
    result = BenchResult(threads=2, n_ctx=8192, load_s=0.4, system_tokens=1008,
                         cold_ttft_s=10.0, warm_ttft_s=0.5, warm_cached_tokens=1000,
                         prompt_tok_s=100.0, gen_tok_s=10.0, gen_tokens=64, peak_rss_mb=1500)
    assert result.warm_ratio == 0.05 and result.as_dict()["warm_ratio"] == 0.05
    assert any("5% of cold" in line for line in result.lines())
    assert json.loads(echo_task()[1].content.split("\n", 1)[1])["objective"]["sense"] == \
        "maximize"
