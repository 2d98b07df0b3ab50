"""Measurements of the embedded model: prompt and generation speed, prompt-cache reuse, memory.

Used by ``optiform model bench`` (quick) and benchmarks/llm_bench.py (full). Speeds come from
llama.cpp's own performance counters; times to first token are wall-clock ``max_tokens=1``
calls with a ~1,000-token system prompt, first cold (empty KV cache), then warm (same system
prompt, new question).
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass
from typing import Any

from optiform.agent.llm import Message
from optiform.agent.local_llm import LocalLLM, unload_all

_RULES = (
    "Name every decision variable after what it decides and give its unit.",
    "State each constraint with the data it uses; never hide a number inside an expression.",
    "Prefer continuous variables unless the problem says the quantity is indivisible.",
    "Index sets come from the data tables; do not invent elements that the text does not give.",
    "A capacity bounds the sum over everything that uses it, not each use separately.",
    "Check the objective sense: costs are minimized, profits and throughput are maximized.",
    "Demand that must be met is an equality or a lower bound, not an upper bound.",
    "Binary variables link to continuous ones through big-M bounds taken from the data.",
)


# A short system prompt with one worked example (live tests and the benchmark share it).
DEMO_SYSTEM = """You write optimization models as compact JSON in optiform's formulation language.
Use short names. Example for "Make bread (profit 3, 1 kg flour) and cake (profit 5, 2 kg flour)
from 50 kg flour; maximize profit":
{"sets":[{"name":"P","elements":["bread","cake"]}],"parameters":[{"name":"profit","index":["P"],
"values":{"bread":3,"cake":5}},{"name":"flour","index":["P"],"values":{"bread":1,"cake":2}}],
"variables":[{"name":"x","index":["P"]}],"objective":{"sense":"maximize",
"expression":"sum(profit[p]*x[p] for p in P)"},"constraints":[{"name":"flour_limit",
"expression":"sum(flour[p]*x[p] for p in P) <= 50"}]}"""


def system_prompt(target_tokens: int, count_tokens: Any) -> str:
    """A realistic modeling-guide system prompt of about ``target_tokens`` tokens."""
    lines = ["You are an operations research assistant that writes optimization models."]
    n = 0
    while count_tokens("\n".join(lines)) < target_tokens:
        rule = _RULES[n % len(_RULES)]
        lines.append(f"Rule {n + 1}: {rule} (applies to section {n // len(_RULES) + 1}.)")
        n += 1
    return "\n".join(lines)


def peak_rss_mb() -> float:
    """The process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """The process's resident memory now (Linux /proc), 0 where unavailable."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0.0
    return pages * resource.getpagesize() / 2**20


@dataclass
class BenchResult:
    threads: int
    n_ctx: int
    load_s: float
    system_tokens: int
    cold_ttft_s: float
    warm_ttft_s: float
    warm_cached_tokens: int
    prompt_tok_s: float
    gen_tok_s: float
    gen_tokens: int
    peak_rss_mb: float

    @property
    def warm_ratio(self) -> float:
        return self.warm_ttft_s / self.cold_ttft_s if self.cold_ttft_s else 0.0

    def lines(self) -> list[str]:
        return [
            f"threads {self.threads}, n_ctx {self.n_ctx}, model load {self.load_s:.2f} s",
            f"prompt eval      {self.prompt_tok_s:8.1f} tok/s",
            f"generation       {self.gen_tok_s:8.1f} tok/s ({self.gen_tokens} tokens)",
            f"TTFT cold        {self.cold_ttft_s:8.2f} s ({self.system_tokens}-token system "
            "prompt)",
            f"TTFT warm        {self.warm_ttft_s:8.2f} s ({self.warm_cached_tokens} prompt tokens "
            f"from cache; {100 * self.warm_ratio:.0f}% of cold, target <= 20%)",
            f"peak RSS         {self.peak_rss_mb:8.0f} MB (target <= 2500)",
        ]

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "warm_ratio": self.warm_ratio}


def _perf(llm: LocalLLM) -> Any:
    import llama_cpp

    return llama_cpp.llama_perf_context(llm._loaded().llama.ctx)


def _reset_perf(llm: LocalLLM) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llm._loaded().llama.ctx)


def run_bench(llm: LocalLLM, *, system_tokens: int = 1000, gen_tokens: int = 64) -> BenchResult:
    """Cold and warm time to first token, prompt and generation speed, peak memory."""
    unload_all()
    start = time.perf_counter()
    loaded = llm._loaded()
    load_s = time.perf_counter() - start
    llama = loaded.llama
    system = system_prompt(system_tokens, lambda t: len(llama.tokenize(t.encode("utf-8"))))
    sys_msg = Message(role="system", content=system)

    _reset_perf(llm)
    cold = llm.complete([sys_msg, Message(role="user", content="Which rule covers demand?")],
                        max_tokens=1)
    perf = _perf(llm)
    prompt_tok_s = perf.n_p_eval / (perf.t_p_eval_ms / 1000) if perf.t_p_eval_ms else 0.0
    warm = llm.complete([sys_msg, Message(role="user", content="Which rule covers capacity?")],
                        max_tokens=1)

    _reset_perf(llm)
    gen = llm.complete([sys_msg, Message(role="user", content="Explain rules 1 to 8 in detail, "
                                         "one paragraph each.")], max_tokens=gen_tokens)
    perf = _perf(llm)
    gen_tok_s = perf.n_eval / (perf.t_eval_ms / 1000) if perf.t_eval_ms else 0.0
    return BenchResult(
        threads=llm.threads, n_ctx=llm.n_ctx, load_s=load_s,
        system_tokens=len(llama.tokenize(system.encode("utf-8"))),
        cold_ttft_s=cold.latency, warm_ttft_s=warm.latency,
        warm_cached_tokens=warm.usage.cached_prompt_tokens, prompt_tok_s=prompt_tok_s,
        gen_tok_s=gen_tok_s, gen_tokens=gen.usage.completion_tokens, peak_rss_mb=peak_rss_mb())


def echo_task() -> list[Message]:
    """A JSON-echo-like task: the answer mostly copies the prompt (where lookup can help)."""
    doc = {"sets": [{"name": "P", "elements": ["chairs", "tables", "desks", "shelves"]}],
           "parameters": [{"name": "profit", "index": ["P"],
                           "values": {"chairs": 45, "tables": 80, "desks": 120, "shelves": 35}},
                          {"name": "hours", "index": ["P"],
                           "values": {"chairs": 2, "tables": 4, "desks": 6, "shelves": 1.5}}],
           "variables": [{"name": "x", "index": ["P"], "domain": "integer", "lb": 0}],
           "objective": {"sense": "maximize", "expression": "sum(profit[p] * x[p] for p in P)"},
           "constraints": [{"name": "labor", "expression": "sum(hours[p] * x[p] for p in P) "
                            "<= 400"}]}
    return [Message(role="system", content="You copy JSON documents exactly."),
            Message(role="user", content="Repeat this JSON exactly, same keys and values:\n"
                    + json.dumps(doc))]


def compare_prompt_lookup(model_path: Any, *, n_ctx: int = 4096, threads: int | None = None,
                          max_tokens: int = 160, rounds: int = 2) -> dict[str, dict[str, float]]:
    """Generation speed on the echo task without and with prompt-lookup decoding.

    The variants alternate for ``rounds`` rounds (so load from other processes hits both) and
    the best round of each counts; each round runs the task twice and times the second (warm
    prompt) run, so the figure is dominated by generation.
    """
    out: dict[str, dict[str, float]] = {}
    for _ in range(rounds):
        for label, lookup in (("plain", False), ("prompt_lookup", True)):
            unload_all()
            llm = LocalLLM(model_path, n_ctx=n_ctx, threads=threads, prompt_lookup=lookup)
            llm.complete(echo_task(), max_tokens=8)
            result = llm.complete(echo_task(), max_tokens=max_tokens)
            tok_s = result.usage.completion_tokens / result.latency
            if label not in out or tok_s > out[label]["tok_s"]:
                out[label] = {"completion_tokens": result.usage.completion_tokens,
                              "seconds": result.latency, "tok_s": tok_s,
                              "rss_mb": current_rss_mb()}
    unload_all()
    return out
