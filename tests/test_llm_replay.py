"""Record/replay cassettes and the scripted fake."""

from __future__ import annotations

import json

import pytest

from optiform.agent.fake import FakeLLM
from optiform.agent.llm import Message
from optiform.agent.replay import ReplayLLM, request_key, request_record
from optiform.errors import ConfigError, LLMError, ReplayMissError

ASK = [Message(role="system", content="s"), Message(role="user", content="Plan 3 shifts")]
SCHEMA = {"type": "object"}


def test_record_then_replay_without_the_backend(tmp_path):
    cassette = tmp_path / "c.jsonl"
    inner = FakeLLM([{"a": 1}, "plain text", "streamed words"])
    rec = ReplayLLM(cassette, inner=inner, mode="record")
    first = rec.complete(ASK, schema=SCHEMA, seed=1)
    second = rec.complete(ASK, temperature=0.5)
    pieces = list(rec.stream(ASK))
    assert first.data == {"a": 1} and second.text == "plain text"
    rows = [json.loads(line) for line in cassette.read_text().splitlines()]
    assert len(rows) == 3 and rows[0]["request"]["schema"] == SCHEMA

    replay = ReplayLLM(cassette)
    assert replay.complete(ASK, schema=SCHEMA, seed=1) == first
    assert replay.complete(ASK, temperature=0.5).text == "plain text"
    assert list(replay.stream(ASK)) == pieces


def test_miss_names_the_request(tmp_path):
    replay = ReplayLLM(tmp_path / "empty.jsonl")
    with pytest.raises(ReplayMissError) as info:
        replay.complete(ASK, seed=7)
    text = str(info.value)
    assert "'Plan 3 shifts'" in text and "seed=7" in text and "empty.jsonl" in text
    assert "mode='auto'" in text


def test_key_covers_every_parameter():
    base = dict(schema=None, temperature=0.0, max_tokens=10, seed=None, stop=None)
    keys = {request_key(request_record("complete", ASK, **base))}
    for change in ({"schema": SCHEMA}, {"temperature": 0.1}, {"max_tokens": 11}, {"seed": 1},
                   {"stop": ["x"]}):
        keys.add(request_key(request_record("complete", ASK, **{**base, **change})))
    keys.add(request_key(request_record("stream", ASK, **base)))
    keys.add(request_key(request_record("complete", ASK[1:], **base)))
    assert len(keys) == 8


def test_auto_records_misses_and_repeats_play_in_order(tmp_path):
    cassette = tmp_path / "c.jsonl"
    inner = FakeLLM(["one", "two"])
    auto = ReplayLLM(cassette, inner=inner, mode="auto")
    assert auto.complete(ASK).text == "one"
    assert auto.complete(ASK).text == "one"  # a hit: not asked again
    rec = ReplayLLM(cassette, inner=inner, mode="record")
    assert rec.complete(ASK).text == "two"
    replay = ReplayLLM(cassette)
    assert [replay.complete(ASK).text for _ in range(3)] == ["one", "two", "two"]


def test_broken_cassette_line_is_a_config_error(tmp_path):
    cassette = tmp_path / "c.jsonl"
    cassette.write_text("{not json}\n")
    with pytest.raises(ConfigError, match="line 1"):
        ReplayLLM(cassette).complete(ASK)


def test_recording_needs_a_backend(tmp_path):
    with pytest.raises(ConfigError):
        ReplayLLM(tmp_path / "c.jsonl", mode="record")


def test_fake_queue_answers_in_order_and_records_requests():
    fake = FakeLLM(["first", {"x": 2}, ValueError("boom"), lambda msgs: msgs[-1].content])
    assert fake.complete(ASK).text == "first"
    assert fake.complete(ASK, schema=SCHEMA).data == {"x": 2}
    with pytest.raises(ValueError, match="boom"):
        fake.complete(ASK)
    assert fake.complete(ASK).text == "Plan 3 shifts"
    assert [r["schema"] for r in fake.requests] == [None, SCHEMA, None, None]
    with pytest.raises(LLMError, match="no queued answer") as empty:
        fake.complete(ASK)
    assert "OPTIFORM_FAKE_ANSWERS" in empty.value.hint  # what a CLI user scripts it with
    fake.push("again")
    assert "".join(fake.stream(ASK)).strip() == "again"
