"""Mending lines: when a whole-model repair wrote a line that does not read again, the next
round asks for that line alone, once; what still does not read goes to a whole-model repair."""

from __future__ import annotations

from optiform.agent import mend
from optiform.agent.fake import FakeLLM
from optiform.api import Assistant
from optiform.config import load_settings
from optiform.errors import LLMOutputError

FARM = ("A farmer has 300 acres to plant with corn and wheat. An acre of corn earns $40 and an "
        "acre of wheat earns $30. At most 200 acres can be corn. How many acres of each should "
        "be planted to maximize earnings?")
VARIABLES = {"corn": "continuous", "wheat": "continuous"}
OBJECTIVE = {"sense": "maximize", "expression": "40*corn + 30*wheat"}


def model(**constraints: str) -> dict:
    return {"variables": VARIABLES, "objective": OBJECTIVE, "constraints": constraints}


BROKEN = model(land="corn + wheat + fallow <= 300", corn_max="corn <= 200")
WHOLE = model(land="corn + wheat <= 300", corn_max="corn <= 200")


def assistant(llm: FakeLLM, **settings) -> Assistant:
    return Assistant(load_settings(library=False, **settings), llm=llm, export=None)


def prompt(llm: FakeLLM, i: int) -> str:
    return llm.requests[i]["messages"][-1].content


def test_a_line_the_whole_repair_wrote_again_is_asked_for_alone():
    llm = FakeLLM([BROKEN, BROKEN, {"expression": "corn + wheat <= 300"}])
    answer = assistant(llm).solve(FARM)
    assert answer.status == "optimal" and answer.objective == 11000
    assert answer.repair_rounds == 2 and len(llm.requests) == 3
    # the whole-model repair goes first
    assert "Write the full corrected JSON model." in prompt(llm, 1)
    ask = prompt(llm, 2)
    assert 'the constraint "land" does not read' in ask and "fallow" in ask
    assert ask.rstrip().endswith('Reply with JSON: {"expression": "..."}')
    assert llm.requests[2]["schema"] == mend.SCHEMA
    steps = [s for s in answer.trace.steps if s.kind == "mend"]
    assert len(steps) == 1
    assert {c["name"]: c["expression"] for c in steps[0].formulation["constraints"]} == {
        "land": "corn + wheat <= 300", "corn_max": "corn <= 200"}


def test_each_broken_line_gets_its_own_request_and_the_rest_is_kept():
    broken = model(land="corn + wheat + fallow <= 300", corn_max="200 acres")
    llm = FakeLLM([broken, broken, {"expression": "corn + wheat <= 300"},
                   {"expression": "corn <= 200"}])
    answer = assistant(llm).solve(FARM)
    assert answer.status == "optimal" and answer.objective == 11000
    assert answer.repair_rounds == 2
    assert '"land"' in prompt(llm, 2) and '"corn_max"' in prompt(llm, 3)


def test_a_line_still_broken_after_its_mend_goes_to_a_whole_model_repair():
    llm = FakeLLM([BROKEN, BROKEN, {"expression": "corn + wheat + fallow >= 300"}, WHOLE])
    answer = assistant(llm).solve(FARM)
    assert answer.status == "optimal" and answer.repair_rounds == 3
    assert len([s for s in answer.trace.steps if s.kind == "mend"]) == 1
    assert "Write the full corrected JSON model." in prompt(llm, 3)


def test_the_same_broken_line_again_makes_no_attempt_and_spends_no_round():
    # OptiBench item 91 (seen after its run): a mend that gave the line back took the round
    # in which a resampled whole-model repair had found the answer
    llm = FakeLLM([BROKEN, BROKEN, {"expression": "corn + wheat + fallow <= 300"}, WHOLE])
    answer = assistant(llm, max_repairs=2).solve(FARM)
    assert answer.status == "optimal" and answer.repair_rounds == 2
    assert not [s for s in answer.trace.steps if s.kind == "mend"]
    assert "Write the full corrected JSON model." in prompt(llm, 3)


def test_an_empty_line_drops_a_constraint_the_text_does_not_state():
    broken = model(land="corn + wheat <= 300", corn_max="corn <= 200",
                   weeds="weeds_removed >= 10")
    llm = FakeLLM([broken, broken, {"expression": ""}])
    answer = assistant(llm).solve(FARM)
    assert answer.status == "optimal" and answer.objective == 11000
    kept = answer.formulation.constraints
    assert [c.name for c in kept] == ["land", "corn_max"]


def test_a_broken_objective_is_mended_and_never_dropped():
    broken = {**WHOLE, "objective": {"sense": "maximize", "expression": "40*corn + 30*wheet"}}
    llm = FakeLLM([broken, broken, {"expression": "40*corn + 30*wheat"}])
    answer = assistant(llm).solve(FARM)
    assert answer.status == "optimal" and answer.objective == 11000
    assert "the objective does not read" in prompt(llm, 2)
    assert "no such limit" not in prompt(llm, 2)

    llm = FakeLLM([broken, broken, {"expression": " "}, WHOLE])
    answer = assistant(llm).solve(FARM)
    # a blank objective is no answer: the whole model is written again, in the same round
    assert answer.status == "optimal" and answer.repair_rounds == 2
    assert "Write the full corrected JSON model." in prompt(llm, 3)
    assert not [s for s in answer.trace.steps if s.kind == "mend"]


def test_a_mend_the_llm_cannot_answer_leaves_the_model_to_a_whole_repair():
    calls = []

    def answers(messages):
        calls.append(messages[-1].content)
        if '{"expression": "..."}' in messages[-1].content:
            raise LLMOutputError("the answer was not JSON", model="fake")
        return WHOLE if len(calls) > 3 else BROKEN

    llm = FakeLLM(default=answers)
    answer = assistant(llm).solve(FARM)
    assert answer.status == "optimal" and answer.repair_rounds == 2
    notes = [s for s in answer.trace.steps if s.kind == "note" and s.node == "repair"]
    assert notes and notes[0].detail["mend"] == "land"


def test_mending_off_and_errors_that_are_not_lines_go_straight_to_a_whole_repair():
    llm = FakeLLM([BROKEN, BROKEN, WHOLE])
    answer = assistant(llm, mend=False).solve(FARM)
    assert answer.status == "optimal" and answer.repair_rounds == 2
    assert "Write the full corrected JSON model." in prompt(llm, 2)

    infeasible = model(land="corn + wheat <= 300", corn_min="corn >= 400")
    llm = FakeLLM([infeasible, WHOLE])
    assistant(llm).solve(FARM)
    assert "Write the full corrected JSON model." in prompt(llm, 1)


def test_lines_to_mend_only_when_every_error_is_a_line_not_mended_before():
    def attempt(*wheres: str, code: str = "invalid") -> dict:
        return {"formulation": {"constraints": [{"name": "land", "expression": "x"},
                                                {"name": "corn_max", "expression": "y"}]},
                "checks": [{"code": code, "severity": "error", "message": "m", "where": w}
                           for w in wheres]}

    def told(*wheres: str) -> list[str]:  # what an earlier whole-model repair was told
        return [f"invalid:{w}" for w in wheres]

    both = attempt("constraint 'land'", "objective")
    assert [c.where for c in mend.lines_to_mend(both, told("constraint 'land'", "objective"))
            ] == ["constraint 'land'", "objective"]
    # not before a whole-model repair saw every one of them
    assert mend.lines_to_mend(both, []) == []
    assert mend.lines_to_mend(both, told("constraint 'land'")) == []
    assert mend.lines_to_mend(attempt("constraint 'land'"),
                              [*told("constraint 'land'"), "mend:land"]) == []
    assert mend.lines_to_mend(attempt("constraint 'land'", "set 'I'"),
                              told("constraint 'land'", "set 'I'")) == []
    assert mend.lines_to_mend(attempt("constraint 'other'"), told("constraint 'other'")) == []
    assert mend.lines_to_mend(attempt("constraint 'land'", code="infeasible"), []) == []
    assert mend.lines_to_mend({"formulation": None, "checks": []}, []) == []
    wheres = [f"constraint 'c{i}'" for i in range(mend.MAX_LINES + 1)]
    many = attempt(*wheres)
    many["formulation"]["constraints"] = [{"name": f"c{i}", "expression": "x"}
                                          for i in range(mend.MAX_LINES + 1)]
    assert mend.lines_to_mend(many, told(*wheres)) == []
    assert len(mend.lines_to_mend({**many, "checks": many["checks"][1:]}, told(*wheres))) == \
        mend.MAX_LINES


def test_two_errors_of_one_line_make_one_request_told_both():
    found = {"formulation": {"constraints": [{"name": "land", "expression": "x"}]},
             "checks": [{"code": "invalid", "severity": "error", "where": "constraint 'land'",
                         "message": "unknown name 'fallow'"},
                        {"code": "invalid", "severity": "error", "where": "constraint 'land'",
                         "message": "did you mean 'wheat'?"}]}
    [one] = mend.lines_to_mend(found, ["invalid:constraint 'land'"])
    assert one.message == "unknown name 'fallow'\ndid you mean 'wheat'?"


def test_a_model_broken_every_round_ends_within_its_rounds():
    # every whole-model repair writes a new broken line, every mend gives its line back: the
    # turn still ends after max_repairs counted rounds, inside the graph's step limit
    n = iter(range(100))

    def answers(messages):
        if '{"expression": "..."}' in messages[-1].content:
            return {"expression": "corn + wheat + fallow <= 300"}
        i = next(n)
        return model(**{f"land{i}": "corn + wheat + fallow <= 300", "land": "corn + wheat + "
                        "fallow <= 300"})

    llm = FakeLLM(default=answers)
    answer = assistant(llm, max_repairs=3).solve(FARM)
    assert answer.status == "failed" and answer.repair_rounds == 3
