"""JSON answers: parse, validate against a JSON schema, and build the one repair round. Pure.

Backends that cannot constrain decoding to a schema (JSON mode only, or no JSON mode at all)
ask for JSON, check the answer here, and on failure send the validation errors back once.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from optiform.agent.budget import FINISH_REASON as OUT_OF_TIME
from optiform.agent.budget import llm_deadline_passed
from optiform.agent.llm import Completion, Message
from optiform.errors import LLMOutputError, OutOfTimeError

MAX_ERRORS = 5


_COMPARISON = re.compile(r"<|>|=|\b(?:at (?:least|most)|no (?:more|less|fewer) than|"
                         r"minimum of|maximum of|up to)\b", re.IGNORECASE)
_ALGEBRA = re.compile(r"[<>=*/+\-]|\d")


def _two_constraints(earlier: Any, value: Any) -> bool:
    """Whether two values written under one key are two constraints: both algebra (a
    comparison, or a bare bound or ratio such as ``5`` or ``3*large`` that the autofix
    completes), at least one of them a comparison. Objective expressions, domain words and
    other repeated keys are never both."""
    if not isinstance(earlier, str) or not isinstance(value, str):
        return False
    if not (_COMPARISON.search(earlier) or _COMPARISON.search(value)):
        return False
    return bool(_ALGEBRA.search(earlier) and _ALGEBRA.search(value))


def keep_repeated_comparisons(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose repeated keys keep every different constraint: a small model
    writing ``{"small": "x + y <= 20", "small": "x >= 5"}`` (or ``{"medium": "3*large",
    "medium": ">= 5"}``) means two constraints, and the usual last-one-wins would drop the
    first without a trace. The later ones are renamed ``small_2``, ...; any other repeated key
    keeps its last value, as ``json`` does."""
    out: dict[str, Any] = {}
    kept: dict[str, list[Any]] = {}  # every value written under a key
    for key, value in pairs:
        if key in out and _two_constraints(out[key], value):
            if value in kept[key]:
                continue  # the same constraint twice is one constraint
            n = 2
            while f"{key}_{n}" in out:
                n += 1
            out[f"{key}_{n}"] = value
        else:
            out[key] = value
        kept.setdefault(key, []).append(value)
    return out


def parse_json(text: str) -> Any:
    """The JSON value in ``text`` (a whole-answer ```json fence is tolerated; repeated keys
    holding different comparisons are all kept, see ``keep_repeated_comparisons``)."""
    body = text.strip()
    if body.startswith("```"):
        first_newline = body.find("\n")
        if first_newline != -1 and body.endswith("```"):
            body = body[first_newline + 1 : -3].strip()
    try:
        return json.loads(body, object_pairs_hook=keep_repeated_comparisons)
    except json.JSONDecodeError as exc:
        raise LLMOutputError(
            f"the answer is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hint="ask again, or use a backend with schema-constrained decoding",
        ) from exc


@lru_cache(maxsize=64)
def _validator(schema_text: str) -> Any:
    from jsonschema import validators

    schema = json.loads(schema_text)
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(data: Any, schema: dict[str, Any]) -> list[str]:
    """Readable validation errors (at most MAX_ERRORS), each naming where in the value."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    found = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    out = []
    for err in found[:MAX_ERRORS]:
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"at {where}: {err.message}")
    return out


def check_answer(text: str, schema: dict[str, Any]) -> tuple[Any, list[str]]:
    """Parse and validate one answer: (value, errors); errors is empty when it is good."""
    try:
        data = parse_json(text)
    except LLMOutputError as exc:
        return None, [exc.message]
    return data, schema_errors(data, schema)


def schema_instruction(schema: dict[str, Any]) -> str:
    """What to tell a model that has JSON mode but no schema-constrained decoding."""
    return ("Answer with one JSON value only, no prose, that validates against this JSON "
            "schema:\n" + json.dumps(schema, separators=(",", ":")))


def with_schema_instruction(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """The messages with the schema instruction added to the system message (or a new one)."""
    note = schema_instruction(schema)
    if messages and messages[0].role == "system":
        first = Message(role="system", content=messages[0].content + "\n\n" + note)
        return [first, *messages[1:]]
    return [Message(role="system", content=note), *messages]


def repair_messages(messages: list[Message], answer: str, errors: list[str]) -> list[Message]:
    """The conversation for the repair round: the bad answer and what is wrong with it."""
    listing = "\n".join(f"- {e}" for e in errors)
    return [
        *messages,
        Message(role="assistant", content=answer),
        Message(role="user", content="Your answer does not validate against the JSON schema:\n"
                f"{listing}\nReply with the corrected JSON only."),
    ]


def output_error(errors: list[str], model: str, *, reply: str | None = None,
                 usage: Any = None, latency: float = 0.0) -> LLMOutputError:
    return LLMOutputError(
        "the model's answer does not match the JSON schema after one repair round: "
        + "; ".join(errors),
        model=model,
        hint="try a stronger model, or simplify the request",
        reply=reply, usage=usage, latency=latency,
    )


def complete_validated(call: Callable[[list[Message]], Completion], messages: list[Message],
                       schema: dict[str, Any], *, model: str) -> Completion:
    """Call, validate the answer against ``schema``, and on failure repair once.

    The returned Completion has ``data`` set and usage/latency summed over both rounds. An
    answer cut off by ``max_tokens``, or stopped as a loop (finish reason ``loop``, see
    ``loops``), is not repaired (a second try would run away too); nor one stopped at the time
    budget (finish reason ``time_budget``), or any once the budget is spent (``budget``).
    """
    first = call(messages)
    data, errors = check_answer(first.text, schema)
    if not errors:
        return first.model_copy(update={"data": data})
    if first.finish_reason == "length":
        raise LLMOutputError(
            f"the answer was cut off at the token limit ({first.usage.completion_tokens} "
            "tokens) before the JSON was complete",
            model=model, hint="raise max_tokens, or ask for a smaller answer",
            reply=first.text, usage=first.usage, latency=first.latency)
    if first.finish_reason == "loop":
        raise LLMOutputError(
            f"the answer ran into a loop, repeating itself, and was stopped after "
            f"{first.usage.completion_tokens} tokens before the JSON was complete",
            model=model, hint="ask again at a higher temperature, or with a shorter prompt",
            reply=first.text, usage=first.usage, latency=first.latency)
    if first.finish_reason == OUT_OF_TIME:
        raise OutOfTimeError(
            f"the time budget ran out while the model was writing ({first.usage.completion_tokens}"
            " tokens), before the JSON was complete" if first.text else
            "the time budget was spent before the model began its answer",
            model=model, hint="raise the time budget (--time-budget, OPTIFORM_TIME_BUDGET)",
            reply=first.text, usage=first.usage, latency=first.latency)
    if llm_deadline_passed():
        raise OutOfTimeError(
            "the model's answer does not match the JSON schema, and the time budget is spent, "
            "so it was not asked again: " + "; ".join(errors),
            model=model, hint="raise the time budget (--time-budget, OPTIFORM_TIME_BUDGET)",
            reply=first.text, usage=first.usage, latency=first.latency)
    second = call(repair_messages(messages, first.text, errors))
    data, errors = check_answer(second.text, schema)
    if errors:
        raise output_error(errors, model, reply=second.text, usage=first.usage + second.usage,
                           latency=first.latency + second.latency)
    return second.model_copy(update={"data": data, "usage": first.usage + second.usage,
                                     "latency": first.latency + second.latency})


def grammar_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema rewritten for llama.cpp's schema-to-grammar converter.

    The converter treats an empty ``items`` schema (any item) as absent and then fails; an
    array of anything is written as a bare ``{"type": "array"}``, which it understands.
    The grammar emits required properties first; so that the model writes an object in its
    declared order (e.g. a formulation's sets before the variables that use them), every
    property without a default declared before the last required one is made required too
    (properties with a default stay optional: the model may leave them out). Titles and
    descriptions do not shape the grammar and are dropped.
    """
    out = copy.deepcopy(schema)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("items") == {}:
                del node["items"]
            props, required = node.get("properties"), node.get("required")
            if isinstance(props, dict) and isinstance(required, list) and required:
                names = list(props)
                last = max(names.index(r) for r in required if r in props)
                node["required"] = [n for i, n in enumerate(names) if n in required or (
                    i < last and isinstance(props[n], dict) and "default" not in props[n])]
            for key in ("title", "description"):
                if isinstance(node.get(key), str):
                    del node[key]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(out)
    return out


_CHAR_RULE = re.compile(r'^(char ::= )\[\^"\\\\\]', re.MULTILINE)


def strict_strings(gbnf: str) -> str:
    """The grammar with control characters (newlines, tabs) barred inside JSON strings, as in
    JSON itself and in llama.cpp's own converter; the Python converter allows any character,
    and a small model stuck in a loop then writes newlines until the token limit."""
    return _CHAR_RULE.sub(r'\1[^"\\\\\\x7F\\x00-\\x1F]', gbnf)


def schema_gbnf(schema: dict[str, Any]) -> str:
    """The GBNF grammar for ``schema`` (llama-cpp-python's converter, on the schema rewritten
    by ``grammar_schema``, strings strict)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return strict_strings(json_schema_to_gbnf(json.dumps(grammar_schema(schema))))
