"""Live: the embedded model solves the example problems (slow; run with -m live_llm).

Traces are written to $OPTIFORM_LIVE_TRACES (default: the test's temp dir) for inspection.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from optiform.api import Assistant
from optiform.config import load_settings

PROBLEMS = Path(__file__).resolve().parents[1] / "examples" / "problems"
ANSWERS = json.loads((PROBLEMS / "answers.json").read_text())

pytestmark = pytest.mark.live_llm


@pytest.fixture(scope="module")
def assistant(embedded_model_path):
    # the module-scoped assistant keeps one model loaded (and its prompt cache) for all items.
    # That cache changes greedy replies: on 2026-12-05 the warehouses example was solved in a
    # process of its own (as `optiform solve` runs it) and failed after the other examples,
    # so scripts/test.sh runs it in a pytest process of its own
    with Assistant(load_settings(backend="local", model_path=embedded_model_path)) as a:
        yield a


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_embedded_model_solves_example(assistant, name, tmp_path):
    text = (PROBLEMS / f"{name}.txt").read_text()
    answer = assistant.solve(text)
    out = Path(os.environ.get("OPTIFORM_LIVE_TRACES", tmp_path))
    answer.save_trace(out / f"{name}.trace.json")
    truth = ANSWERS[name]["objective"]
    assert answer.status == "optimal", answer.message
    assert abs(answer.objective - truth) <= 1e-4 * (abs(truth) + 1), (
        f"{name}: got {answer.objective}, expected {truth}\n{answer.explanation}")


def test_a_time_budget_stops_the_embedded_model_mid_reply(assistant):
    # 3 s is far less than the model needs to read the problem and write one formulation on
    # 2 cores. The prompt is read in llama.cpp's batches of 512 tokens with a look at the
    # clock between them, and what was read stays cached: so a solve stops at the first
    # batch boundary past the deadline ("before the model began its answer"), and one whose
    # prompt is all cached by then stops at its first token past it ("while the model was
    # writing"). No repair starts, and the answer says why, within a batch of the deadline.
    text = (PROBLEMS / "bakery.txt").read_text()
    # run alone, the first solves spend their budget loading the retrieval's sentence model,
    # the model and its grammar (before the model reads its prompt); then all is loaded
    assistant.solve(text, time_budget=0.5)
    assistant.solve(text, time_budget=0.5)
    for _ in range(6):  # each solve reads at least one more batch of the prompt
        answer = assistant.solve(text, time_budget=3.0)
        assert answer.status == "failed" and answer.repair_rounds == 0, answer.message
        assert answer.seconds < 3.0 + 30.0  # a batch of 512 tokens: about 13 s on 2 cores
        assert answer.trace.steps[-1].detail["stopped_by_time_budget"] == 3.0
        if "the time budget ran out while the model was writing" in answer.message:
            break
        assert "the time budget was spent before the model began its answer" in \
            answer.message, answer.message
        assert answer.usage.completion_tokens == 0
    assert "the time budget ran out while the model was writing" in answer.message
    assert 0 < answer.usage.completion_tokens < 100
