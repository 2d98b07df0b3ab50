"""Parsing, schema validation, the repair round and the grammar schema rewrite (pure)."""

from __future__ import annotations

import pytest

from optiform.agent.jsonout import (
    check_answer,
    complete_validated,
    grammar_schema,
    parse_json,
    repair_messages,
    schema_errors,
    with_schema_instruction,
)
from optiform.agent.llm import Completion, Message, Usage
from optiform.errors import LLMOutputError

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"},
                   "items": {"type": "array", "items": {"type": "integer"}, "title": "Items"}},
    "required": ["name"],
    "additionalProperties": False,
}
ASK = [Message(role="system", content="sys"), Message(role="user", content="q")]


def test_parse_json_accepts_a_fenced_answer_and_rejects_prose():
    assert parse_json(' {"a": 1} ') == {"a": 1}
    assert parse_json('```json\n{"a": [1, 2]}\n```') == {"a": [1, 2]}
    with pytest.raises(LLMOutputError, match=r"not valid JSON: .* line 1 column"):
        parse_json("Sure! Here it is: {")


def test_schema_errors_name_the_place():
    assert schema_errors({"name": "abc", "items": [1]}, SCHEMA) == []
    errors = schema_errors({"name": "ABC", "items": [1, "x"], "extra": 1}, SCHEMA)
    assert any(e.startswith("at items/1:") for e in errors)
    assert any(e.startswith("at name:") and "does not match" in e for e in errors)
    assert any(e.startswith("at (root):") and "extra" in e for e in errors)


def test_check_answer():
    assert check_answer('{"name": "a"}', SCHEMA) == ({"name": "a"}, [])
    data, errors = check_answer("nope", SCHEMA)
    assert data is None and "not valid JSON" in errors[0]


def test_schema_instruction_goes_into_the_system_message():
    out = with_schema_instruction(ASK, SCHEMA)
    assert out[0].content.startswith("sys\n\n") and '"required":["name"]' in out[0].content
    bare = with_schema_instruction([Message(role="user", content="q")], SCHEMA)
    assert bare[0].role == "system" and len(bare) == 2


def test_repair_messages_carry_the_bad_answer_and_errors():
    out = repair_messages(ASK, '{"x": 1}', ["at (root): 'name' is a required property"])
    assert out[:2] == ASK and out[2] == Message(role="assistant", content='{"x": 1}')
    assert "'name' is a required property" in out[3].content and out[3].role == "user"


def answers(*texts: str, finish: str = "stop"):
    seen: list[list[Message]] = []
    queue = list(texts)

    def call(messages: list[Message]) -> Completion:
        seen.append(messages)
        return Completion(text=queue.pop(0), usage=Usage(prompt_tokens=5, completion_tokens=2),
                          latency=0.5, finish_reason=finish)

    return call, seen


def test_complete_validated_good_first_time():
    call, seen = answers('{"name": "ok"}')
    out = complete_validated(call, ASK, SCHEMA, model="m")
    assert out.data == {"name": "ok"} and len(seen) == 1


def test_complete_validated_repairs_once_and_sums_usage():
    call, seen = answers('{"name": 5}', '{"name": "ok"}')
    out = complete_validated(call, ASK, SCHEMA, model="m")
    assert out.data == {"name": "ok"} and len(seen) == 2
    assert out.usage.prompt_tokens == 10 and out.latency == 1.0
    assert "5 is not of type 'string'" in seen[1][-1].content


def test_complete_validated_gives_up_after_one_repair():
    call, seen = answers('{"name": 5}', '{"name": 6}', '{"name": "late"}')
    with pytest.raises(LLMOutputError, match="after one repair round") as info:
        complete_validated(call, ASK, SCHEMA, model="m")
    assert len(seen) == 2 and info.value.model == "m"


def test_truncated_answer_is_not_repaired():
    call, seen = answers('{"name": "ab', finish="length")
    with pytest.raises(LLMOutputError, match="cut off") as info:
        complete_validated(call, ASK, SCHEMA, model="m")
    assert len(seen) == 1
    # what the failed call wrote and cost travels with the error, for the trace
    assert info.value.reply == '{"name": "ab' and info.value.usage.prompt_tokens == 5
    assert info.value.latency == 0.5


def test_an_answer_stopped_as_a_loop_is_not_repaired_and_says_so():
    call, seen = answers('{"name": "ab_ab_ab_ab', finish="loop")
    with pytest.raises(LLMOutputError, match="ran into a loop") as info:
        complete_validated(call, ASK, SCHEMA, model="m")
    assert len(seen) == 1 and info.value.reply == '{"name": "ab_ab_ab_ab'
    assert "higher temperature" in (info.value.hint or "")


def test_grammar_schema_rewrites_what_llama_cpp_mishandles():
    schema = {"type": "object", "title": "T", "description": "d",
              "properties": {"values": {"type": "array", "items": {}},
                             "title": {"type": "string", "description": "a field named title"}}}
    out = grammar_schema(schema)
    assert out == {"type": "object", "properties": {"values": {"type": "array"},
                                                    "title": {"type": "string"}}}
    assert schema["properties"]["values"]["items"] == {}  # the input is not changed


def test_grammar_schema_of_the_formulation_converts():
    pytest.importorskip("llama_cpp")
    import json

    from llama_cpp.llama_grammar import json_schema_to_gbnf

    from optiform.solvers.formulation import formulation_json_schema

    grammar = json_schema_to_gbnf(json.dumps(grammar_schema(formulation_json_schema())))
    assert "root ::=" in grammar and "VarDef" in grammar
    # declared order: sets and parameters come before the variables and objective
    root = next(line for line in grammar.splitlines() if line.startswith("root ::="))
    assert root.index("sets-kv") < root.index("variables-kv") < root.index("objective-kv")


def test_grammar_schema_keeps_declared_order_by_requiring_earlier_fields():
    schema = {"type": "object", "properties": {"a": {}, "b": {"default": ""}, "c": {}, "d": {}},
              "required": ["c"]}
    assert grammar_schema(schema)["required"] == ["a", "c"]


def test_repeated_keys_keep_every_different_comparison():
    from optiform.agent.jsonout import parse_json

    text = ('{"variables": {"small": "integer", "small": "integer", "large": "continuous", '
            '"large": "integer"}, "constraints": {"small": "10*small + 15*large <= 2000", '
            '"large": "large >= 30", "small": "small >= 0.5*(small + large)", '
            '"small": "small >= 0.5*(small + large)", "large": "large >= 30"}}')
    data = parse_json(text)
    assert data["constraints"] == {"small": "10*small + 15*large <= 2000", "large": "large >= 30",
                                   "small_2": "small >= 0.5*(small + large)"}
    # other repeated keys keep their last value, as json does
    assert data["variables"] == {"small": "integer", "large": "integer"}


def test_repeated_keys_keep_a_bare_ratio_beside_a_bound_but_never_repeat_objectives():
    from optiform.agent.jsonout import parse_json

    text = ('{"objective": {"sense": "maximize", "expression": "3*a + b", "expression": "3*a"}, '
            '"constraints": {"medium": "3*large", "medium": ">= 5", "note": "x", "note": "y"}}')
    data = parse_json(text)
    assert data["constraints"] == {"medium": "3*large", "medium_2": ">= 5", "note": "y"}
    assert data["objective"] == {"sense": "maximize", "expression": "3*a"}


def test_the_grammar_bars_control_characters_inside_strings():
    # llama-cpp-python's converter lets a string hold raw newlines; a looping small model then
    # wrote 1,200 tokens of "\n" inside one key (NL4Opt train F183)
    pytest.importorskip("llama_cpp")
    from llama_cpp import LlamaGrammar

    from optiform.agent.jsonout import schema_gbnf, strict_strings
    from optiform.agent.schema import scalar_schema

    gbnf = schema_gbnf(scalar_schema())
    char = next(line for line in gbnf.splitlines() if line.startswith("char ::="))
    assert char.startswith('char ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\"')
    assert LlamaGrammar.from_string(gbnf, verbose=False) is not None  # llama.cpp parses it
    assert strict_strings("root ::= \"a\"\n") == "root ::= \"a\"\n"
