"""Prompt optimization (OPRO): the pure loop with scripted scorers, and `optiform tune` end to
end with the FakeLLM as both the agent and the optimizer, and the real solver."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from optiform.agent.deps import Deps, guidance_text
from optiform.agent.fake import FakeLLM
from optiform.agent.llm import Message
from optiform.agent.prompts import GUIDANCE_HEAD, formulate_messages
from optiform.config import load_settings
from optiform.errors import ConfigError, InputError, LLMConnectionError, LLMError
from optiform.evals.opro import Scored, meta_prompt, optimize, parse_guidance

SHOP = ("A shop makes chairs and tables. A chair earns $30 profit and takes 2 hours of labor; a "
        "table earns $50 and takes 5 hours. 40 hours of labor are available and at most 6 "
        "tables can be sold. How many of each should it make to maximize profit?")


# -- the pure loop -------------------------------------------------------------------------


@pytest.mark.parametrize(("reply", "expected"), [
    ("Sure! <INS>Write every limit as <= unless the text says exactly.</INS> Done.",
     "Write every limit as <= unless the text says exactly."),
    ("<ins>  Declare counts of   whole things integer. </ins>",
     "Declare counts of whole things integer."),
    ("<INS>text: Use every number of the problem that matters.",
     "Use every number of the problem that matters."),  # unclosed, labelled
    ("Read percentages as shares of the total.", "Read percentages as shares of the total."),
    ("<INS>ok</INS>", None),  # too short to be guidance
    ("x " * 400, None),  # an untagged essay
    ("<INS>" + "word " * 200 + "</INS>", None),  # longer than fits, with no sentence end
    # a small model overshoots: the whole sentences that fit are kept
    ("<INS>Read the text twice. " + "Then write the model. " * 40 + "</INS>",
     ("Read the text twice. " + "Then write the model. " * 26).strip()),
    # a model that repeats the request before its own block
    ("Write it between <INS> and </INS>: <INS>Name variables after what they decide.</INS>",
     "Name variables after what they decide."),
    ("text: Read every rate per unit of time.\nscore: 95", "Read every rate per unit of time."),
    ("Here is a new guidance text for you:\nCount trucks as whole numbers always.",
     "Count trucks as whole numbers always."),
    ("I am sorry, I cannot do that.", None),  # untagged replies must be advice
    ('{"variables": {"x": "integer"}}', None),
])
def test_parse_guidance(reply: str, expected: str | None) -> None:
    assert parse_guidance(reply) == expected


def test_meta_prompt_lists_texts_worst_first_with_percent_scores_and_misses() -> None:
    trajectory = [Scored("", 0, 5, 10), Scored("Use integers for counts.", 1, 7, 10),
                  Scored("Read all limits as <=.", 1, 3, 10),
                  Scored("use integers for  counts.", 2, 7, 10)]  # the same text again
    text = meta_prompt(trajectory, [("Q" * 900, "42")])[1].content
    order = [text.index(s) for s in ("Read all limits", "(no guidance)", "Use integers")]
    assert order == sorted(order)  # 30, 50, 70: the best sits next to the request
    assert "score: 70" in text and text.count("integers for") == 1
    assert "Right optimal value: 42" in text and "Q" * 499 + "…" in text
    assert "<INS>" in text


def test_optimize_scores_the_start_then_keeps_the_best_and_notes_bad_proposals() -> None:
    def score(guidance: str, step: int) -> Scored:
        right = 1 + guidance.count("integer") + 2 * guidance.count("limit")
        return Scored(guidance, step, min(right, 4), 4, wrong=("b",) if right < 4 else ())

    replies = iter(["<INS>Declare counts integer and whole.</INS>", "ok",
                    "<INS>Every limit is <=, every integer count integer.</INS>",
                    LLMError("the reply was cut off")])
    seen: list[list[Message]] = []

    def propose(messages: list[Message], seed: int) -> str:
        seen.append(messages)
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    report = optimize(score, propose, {"b": ("Problem B", "7")}, steps=2, per_step=2)
    assert [(s.step, s.correct) for s in report.trajectory] == [(0, 1), (1, 2), (2, 4)]
    assert report.best is not None and "limit" in report.best.guidance
    assert "Problem B" in seen[0][1].content  # the start's miss is shown to the optimizer
    assert "no guidance text" in report.notes[0] and "the optimizer failed" in report.notes[1]

    def unreachable(messages: list[Message], seed: int) -> str:
        raise LLMConnectionError("cannot reach http://localhost:9/v1")

    with pytest.raises(LLMConnectionError):  # the endpoint is gone: stop, do not go on
        optimize(score, unreachable, {}, steps=1, per_step=1)


def test_optimize_resumes_after_the_last_step_without_scoring_anything_again() -> None:
    earlier = [Scored("", 0, 1, 4, wrong=("a",)), Scored("Counts are integers here.", 1, 3, 4)]
    scored: list[tuple[str, int]] = []

    def score(guidance: str, step: int) -> Scored:
        scored.append((guidance, step))
        return Scored(guidance, step, 2, 4)

    prompts: list[str] = []

    def propose(messages: list[Message], seed: int) -> str:
        prompts.append(messages[1].content)
        return "<INS>Counts are integers here.</INS>" if len(prompts) == 1 else \
            "<INS>Shares of a total are linear rows.</INS>"

    report = optimize(score, propose, {}, steps=1, per_step=2, earlier=earlier)
    assert scored == [("Shares of a total are linear rows.", 2)]  # the repeat is not rescored
    assert "score: 75" in prompts[0] and "score: 25" in prompts[0]
    assert report.notes == ["step 2: the optimizer repeated a text already scored"]


# -- guidance in the prompts -----------------------------------------------------------------


def test_guidance_goes_last_into_every_system_prompt(tmp_path: Path) -> None:
    plain = formulate_messages(SHOP, shape="scalar")
    guided = formulate_messages(SHOP, shape="scalar", guidance="  Mind the labor hours.  ")
    assert guided[0].content == plain[0].content + GUIDANCE_HEAD + "Mind the labor hours."
    assert guided[1] == plain[1]
    best = tmp_path / "best.txt"
    best.write_text("From a file.\n")
    assert guidance_text(load_settings(guidance_file=best)) == "From a file."
    assert guidance_text(load_settings(guidance="Inline.", guidance_file=best)) == "Inline."
    assert Deps.from_settings(load_settings(guidance_file=best), llm=FakeLLM()).guidance == \
        "From a file."
    with pytest.raises(ConfigError, match="cannot read the guidance file"):
        guidance_text(load_settings(guidance_file=tmp_path / "missing.txt"))
    best.write_text("x" * 2500)
    with pytest.raises(ConfigError, match="2500 characters"):
        guidance_text(load_settings(guidance_file=best))


# -- `optiform tune` end to end ---------------------------------------------------------------

GOOD = {"variables": {"chairs": "integer", "tables": "integer"},
        "objective": {"sense": "maximize", "expression": "30*chairs + 50*tables"},
        "constraints": {"labor": "2*chairs + 5*tables <= 40", "table_sales": "tables <= 6"}}
WRONG = {**GOOD, "objective": {"sense": "maximize", "expression": "20*chairs + 50*tables"}}


def scripted_llm(proposals: list[str]) -> FakeLLM:
    """The agent formulates right only when its guidance mentions profit; the optimizer (asked
    to improve instructions) answers ``proposals`` in order."""
    queue = list(proposals)

    def answer(messages: list[Message]) -> Any:
        system = messages[0].content
        if "improve instructions" in system:
            return queue.pop(0)
        guidance = system.split(GUIDANCE_HEAD, 1)[1] if GUIDANCE_HEAD in system else ""
        return GOOD if "profit" in guidance else WRONG

    return FakeLLM(default=answer)


@pytest.fixture
def tune_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from optiform.cli import build_app

    data = tmp_path / "shop.jsonl"
    data.write_text(json.dumps({"id": "shop", "question": SHOP, "answer": 600.0}) + "\n")
    monkeypatch.setenv("OPTIFORM_LIBRARY", "false")
    monkeypatch.setenv("OPTIFORM_MAX_REPAIRS", "0")
    return build_app(), data


def run_tune(app: Any, monkeypatch: pytest.MonkeyPatch, llm: FakeLLM, *args: str) -> Any:
    import optiform.agent.llm as llm_module

    monkeypatch.setattr(llm_module, "make_llm", lambda settings=None, **kw: llm)
    return CliRunner().invoke(app, ["tune", *args])


def test_tune_finds_better_guidance_writes_it_and_resumes(
        tune_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app, data = tune_app
    out = tmp_path / "run"
    llm = scripted_llm(["<INS>Model the price of each unit exactly.</INS>",
                        "<INS>Take each profit per unit from the text as written.</INS>"])
    first = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--out", str(out),
                     "--steps", "1", "--per-step", "2")
    assert first.exit_code == 0, first.output
    assert "best: 1/1 right (100%, +100 points over the start) from step 1" in first.output
    assert (out / "best.txt").read_text().strip() == \
        "Take each profit per unit from the text as written."
    rows = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    assert [(r["step"], r["correct"]) for r in rows] == [(0, 0), (1, 0), (1, 1)]
    assert rows[0]["wrong"] == ["shop"]
    # the optimizer was shown the problem the start got wrong, with its right value
    asked = [r for r in llm.requests if "improve instructions" in r["messages"][0].content]
    assert "chairs and tables" in asked[0]["messages"][1].content and "600.0" in \
        asked[0]["messages"][1].content

    # resumed: nothing scored twice, the next step sees every score so far
    llm2 = scripted_llm(["<INS>Profit per unit times the count, summed, is the goal.</INS>"])
    again = run_tune(app, monkeypatch, llm2, "--dataset", str(data), "--out", str(out),
                     "--steps", "1", "--per-step", "1")
    assert again.exit_code == 0, again.output
    assert "resuming" in again.output
    rows = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 1, 2]
    meta = [r for r in llm2.requests if "improve instructions" in r["messages"][0].content]
    assert "score: 100" in meta[0]["messages"][1].content

    # the guidance file reaches the agent's prompts
    monkeypatch.setenv("OPTIFORM_GUIDANCE_FILE", str(out / "best.txt"))
    deps = Deps.from_settings(load_settings(), llm=llm2)
    assert deps.guidance == "Take each profit per unit from the text as written."


def test_tune_refuses_a_test_split_another_runs_folder_and_foreign_files(
        tune_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app, data = tune_app
    llm = scripted_llm(["<INS>Take each profit per unit from the text.</INS>"])
    test = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--split", "test",
                    "--out", str(tmp_path / "t"))
    assert test.exit_code == 2 and "test split would make its test scores dishonest" in \
        test.output
    assert not (tmp_path / "t").exists()
    as_file = tmp_path / "nl4opt_test.jsonl"  # a test split given as a file is one too
    as_file.write_text(data.read_text())
    by_path = run_tune(app, monkeypatch, llm, "--dataset", str(as_file), "--out",
                       str(tmp_path / "t"))
    assert by_path.exit_code == 2 and "nl4opt_test.jsonl would make" in by_path.output
    contest = tmp_path / "contest.jsonl"  # ... but a name that merely holds "test" is not
    contest.write_text(data.read_text())
    fine = run_tune(app, monkeypatch, scripted_llm(["<INS>Mind the profit per unit.</INS>"]),
                    "--dataset", str(contest), "--out", str(tmp_path / "c"), "--steps", "1",
                    "--per-step", "1")
    assert fine.exit_code == 0, fine.output
    foreign = tmp_path / "f"
    foreign.mkdir()
    (foreign / "summary.json").write_text("{}")
    busy = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--out", str(foreign))
    assert busy.exit_code == 2 and "holds other files" in busy.output
    assert (foreign / "summary.json").read_text() == "{}"
    out = tmp_path / "run"
    ok = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--out", str(out),
                  "--steps", "1", "--per-step", "1")
    assert ok.exit_code == 0, ok.output
    other = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--out", str(out),
                     "--start", "Something else entirely.")
    assert other.exit_code == 2 and "other settings (start)" in other.output
    # a line cut short by a kill is dropped on resume (and from the file, so the next line
    # starts on its own); a broken line before it is named
    with (out / "trajectory.jsonl").open("a") as fh:
        fh.write('{"step": 2, "guid')
    for text in ("Profits are per unit of product.", "Profit per unit is the objective weight."):
        resumed = run_tune(app, monkeypatch, scripted_llm([f"<INS>{text}</INS>"]),
                           "--dataset", str(data), "--out", str(out), "--steps", "1",
                           "--per-step", "1")
        assert resumed.exit_code == 0, resumed.output
    lines = (out / "trajectory.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [0, 1, 2, 3]
    # a whole last line saved without its newline (an editor) is kept
    (out / "trajectory.jsonl").write_text("\n".join(lines))
    kept = run_tune(app, monkeypatch, scripted_llm(["<INS>Sum profit per unit over goods.</INS>"]),
                    "--dataset", str(data), "--out", str(out), "--steps", "1", "--per-step", "1")
    assert kept.exit_code == 0 and "4 texts scored" in " ".join(kept.output.split())
    lines = (out / "trajectory.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [0, 1, 2, 3, 4]
    lines.insert(0, "not json")
    (out / "trajectory.jsonl").write_text("\n".join(lines) + "\n")
    broken = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--out", str(out))
    assert broken.exit_code == 2 and "line 1 is not a scored guidance text" in broken.output


def test_tune_guards_its_scores(tune_app: Any, monkeypatch: pytest.MonkeyPatch,
                                tmp_path: Path) -> None:
    app, data = tune_app
    out = tmp_path / "run"
    vague = scripted_llm(["<INS>Think about it carefully.</INS>"])
    none_better = run_tune(app, monkeypatch, vague, "--dataset", str(data), "--out", str(out),
                           "--steps", "1", "--per-step", "1", "--limit", "5")
    assert none_better.exit_code == 0, none_better.output
    assert "only 1 item of the 'train' split is used;" in none_better.output
    assert "no text scored better than the start (0/1 right" in none_better.output
    # another agent would score texts differently: its scores cannot join this run's
    monkeypatch.setenv("OPTIFORM_MAX_REPAIRS", "2")
    other = run_tune(app, monkeypatch, scripted_llm([]), "--dataset", str(data), "--out",
                     str(out), "--limit", "5")
    assert other.exit_code == 2 and "other settings (agent)" in other.output
    monkeypatch.setenv("OPTIFORM_MAX_REPAIRS", "0")
    long = run_tune(app, monkeypatch, scripted_llm([]), "--dataset", str(data), "--out",
                    str(tmp_path / "long"), "--start", "profit " * 400)
    assert long.exit_code == 2 and "2799 characters" in long.output
    lone = run_tune(app, monkeypatch, scripted_llm([]), "--dataset", str(data), "--out",
                    str(tmp_path / "lone"), "--optimizer-base-url", "http://localhost:9/v1")
    assert lone.exit_code == 2 and "needs --optimizer-model" in lone.output


def test_an_endpoint_failure_stops_tune_and_is_not_scored(
        tune_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app, data = tune_app
    out = tmp_path / "run"
    down = FakeLLM(default=LLMError("503 from the endpoint", retryable=True))
    result = run_tune(app, monkeypatch, down, "--dataset", str(data), "--out", str(out))
    assert result.exit_code != 0 and "503" in result.output
    trajectory = out / "trajectory.jsonl"
    assert not trajectory.exists() or trajectory.read_text() == ""  # a resume scores it again


def test_eval_refuses_an_unreadable_guidance_file_before_any_item(tmp_path: Path) -> None:
    from optiform.evals.agent_strategy import AgentStrategy
    from optiform.evals.strategy import StrategyContext, StrategySpec

    spec = StrategySpec.parse(f"agent:guidance_file={tmp_path / 'missing.txt'}")
    ctx = StrategyContext(settings=load_settings(), llm=FakeLLM(), trace_dir=tmp_path)
    with pytest.raises(ConfigError, match="cannot read the guidance file"):
        AgentStrategy(spec, ctx)


def test_an_optimizer_reply_cut_off_is_noted_as_such(
        tune_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from optiform.agent.llm import Completion

    app, data = tune_app
    llm = scripted_llm([])
    real = llm.complete

    def complete(messages: list[Message], **kw: Any) -> Completion:
        if "improve instructions" in messages[0].content:
            return Completion(text="<INS>Take every profit per unit and", finish_reason="length")
        return real(messages, **kw)

    monkeypatch.setattr(llm, "complete", complete)
    result = run_tune(app, monkeypatch, llm, "--dataset", str(data), "--out",
                      str(tmp_path / "run"), "--steps", "1", "--per-step", "1")
    assert result.exit_code == 0, result.output
    assert "cut off at the token limit" in result.output


def _note_rows(rows: list[str], start: str, width: int) -> list[str]:
    """The rows of the note that starts ``start``: the first and those after it under the text
    after 'note: ', each at most ``width`` with no space at its end."""
    at = next(i for i, row in enumerate(rows) if row.startswith(start))
    end = at + 1
    while end < len(rows) and rows[end].startswith(" " * 6) and rows[end][6] != " ":
        end += 1
    assert all(len(row) <= width and row == row.rstrip() for row in rows[at:end]), rows
    return rows[at:end]


@pytest.mark.parametrize("width", [80, 100])
def test_tunes_notes_go_on_under_their_text(tune_app: Any, monkeypatch: pytest.MonkeyPatch,
                                            tmp_path: Path, width: int) -> None:
    """'note: only 1 item ...' and a note of the optimizer's went on at column 0 (or ran past
    the width, unwrapped); now under the text after 'note: '."""
    app, data = tune_app
    reply = "<INS></INS> I would tell the agent to read each profit and each hour " * 3
    monkeypatch.setenv("COLUMNS", str(width))
    result = run_tune(app, monkeypatch, scripted_llm([reply]), "--dataset", str(data),
                      "--out", str(tmp_path / "run"), "--steps", "1", "--per-step", "1")
    assert result.exit_code == 0, result.output
    rows = result.stderr.splitlines()
    only = _note_rows(rows, "note: only 1 item", width)
    assert (len(only) > 1) == (width == 80)  # 82 columns
    assert " ".join(" ".join(only).split()) == ("note: only 1 item of the 'train' split is "
                                                "used; each text is scored on all of them")
    no_text = _note_rows(rows, "note: step 1: no guidance text", width)
    assert len(no_text) > 1
    assert " ".join(" ".join(no_text).split()) == (
        "note: step 1: no guidance text in the optimizer's reply "
        f"({' '.join(reply.split())[:120]!r})")


def test_a_resume_over_other_items_names_the_test_duplicates(tmp_path: Path) -> None:
    from optiform.commands.tune import open_run

    open_run(tmp_path / "run", {"dataset": "nl4opt", "items": ["a", "b"]})
    with pytest.raises(InputError) as err:
        open_run(tmp_path / "run", {"dataset": "nl4opt", "items": ["a"]})
    assert "(items)" in err.value.message
    assert "--keep-test-duplicates" in (err.value.hint or "")
    with pytest.raises(InputError) as other:
        open_run(tmp_path / "run", {"dataset": "nlp4lp", "items": ["a", "b"]})
    assert "--keep-test-duplicates" not in (other.value.hint or "")


def test_an_optimizer_model_without_a_key_or_endpoint_is_named_before_any_scoring(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from optiform.commands.tune import optimizer_llm
    from optiform.errors import LLMAuthError

    for name in ("OPTIFORM_API_KEY", "OPENAI_API_KEY", "OPTIFORM_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LLMAuthError, match="no API key"):
        optimizer_llm(load_settings(backend="fake"), "gpt-4o", None)
    assert optimizer_llm(load_settings(backend="fake"), "m", "http://127.0.0.1:9/v1") is not None


def test_a_run_made_before_the_solver_and_budget_were_kept_still_resumes(tmp_path: Path) -> None:
    from optiform.commands.tune import open_run

    old = {"dataset": "nl4opt", "items": ["a"], "agent": {"samples": "1"}}
    open_run(tmp_path / "run", old)  # written before solver and time_budget were recorded
    now = {**old, "agent": {"samples": "1", "solver": "auto", "time_budget": "None"}}
    assert open_run(tmp_path / "run", now) == []  # their defaults then: the same run
    with pytest.raises(InputError, match=r"other settings \(agent\)"):
        open_run(tmp_path / "run", {**old, "agent": {**now["agent"], "solver": "pdhg"}})
