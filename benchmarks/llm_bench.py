"""Benchmark of the embedded model on this machine (prints the figures the README quotes).

    .venv/bin/python benchmarks/llm_bench.py [--threads N] [--json out.json] [--no-lookup]

Measures prompt and generation tokens per second (llama.cpp's counters), time to first token
with a ~1,000-token system prompt cold and warm (target: warm <= 20% of cold), peak resident
memory of the process (target: <= 2.5 GB), the time to write a small Formulation as
schema-constrained JSON, and whether prompt-lookup speculative decoding speeds up generation
on a JSON-echo task. Needs the model: `optiform model fetch`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from optiform.agent.llm import Message
from optiform.agent.llm_bench import (
    DEMO_SYSTEM as SYSTEM,
)
from optiform.agent.llm_bench import (
    compare_prompt_lookup,
    peak_rss_mb,
    run_bench,
)
from optiform.agent.local_llm import LocalLLM
from optiform.agent.model_files import ensure_model

PROBLEM = ("A workshop makes chairs and tables. A chair earns 45 dollars and needs 2 hours of "
           "labor; a table earns 80 dollars and needs 4 hours. 100 labor hours are available. "
           "Maximize profit.")
def formulation_timing(llm: LocalLLM) -> dict[str, float]:
    """A small formulation as schema-constrained JSON (schema-valid; the model's content is
    not judged here)."""
    from optiform.solvers.formulation import formulation_json_schema

    start = time.perf_counter()
    out = llm.complete([Message(role="system", content=SYSTEM),
                        Message(role="user", content=PROBLEM)],
                       schema=formulation_json_schema(), max_tokens=500)
    return {"seconds": time.perf_counter() - start, "prompt_tokens": out.usage.prompt_tokens,
            "completion_tokens": out.usage.completion_tokens}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--no-lookup", action="store_true", help="skip the prompt-lookup test")
    args = parser.parse_args()

    path = ensure_model()
    threads = args.threads or os.cpu_count() or 1
    print(f"model {path.name}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start")
    llm = LocalLLM(path, n_ctx=args.n_ctx, threads=threads)
    result = run_bench(llm, system_tokens=1000, gen_tokens=128)
    for line in result.lines():
        print(line)
    formulation = formulation_timing(llm)
    print(f"formulation JSON {formulation['seconds']:8.2f} s ({formulation['completion_tokens']} "
          f"tokens, schema-constrained, cold prompt of {formulation['prompt_tokens']} tokens)")
    figures = {"bench": result.as_dict(), "formulation": formulation,
               "peak_rss_mb_after_formulation": peak_rss_mb()}
    if not args.no_lookup:
        lookup = compare_prompt_lookup(path, threads=threads)
        plain, draft = lookup["plain"], lookup["prompt_lookup"]
        print(f"echo task plain  {plain['tok_s']:8.1f} tok/s ({plain['completion_tokens']} "
              f"tokens, RSS {plain['rss_mb']:.0f} MB)")
        print(f"echo task lookup {draft['tok_s']:8.1f} tok/s ({draft['completion_tokens']} "
              f"tokens, RSS {draft['rss_mb']:.0f} MB): "
              f"{draft['tok_s'] / plain['tok_s']:.2f}x")
        figures["prompt_lookup"] = lookup
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
