"""`optiform tune`: find guidance for the agent's prompts with an LLM as optimizer (OPRO).

A thin face over :mod:`optiform.evals.opro`: it builds the scorer (the real agent, through
``Assistant``, over the first items of a training split) and the proposer (the configured LLM,
sampled), writes every scored text to ``OUT/trajectory.jsonl`` as soon as it is known and the
best one to ``OUT/best.txt``, and resumes a run from that folder.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from optiform.commands.failure import fail
from optiform.commands.train_items import keep_option, train_items
from optiform.errors import InputError, LLMOutputError, OptiformError

if TYPE_CHECKING:
    from optiform.evals.formats import Item
    from optiform.evals.opro import Scored

RUN_FILE, TRAJECTORY_FILE, BEST_FILE = "tune.json", "trajectory.jsonl", "best.txt"
OPTIMIZER_TEMPERATURE = 1.0  # OPRO samples its optimizer at 1.0: the texts must differ


def check_split(split: str, path: Path | None = None) -> None:
    """Refuse a test split, named (``--split test``) or as a file (``.../test.jsonl``)."""
    import re

    named = split.lower() == "test" or (
        path is not None and re.search(r"(^|[_.-])test($|[_.-])", path.stem.lower()) is not None)
    if named:
        what = "a test split" if path is None or split.lower() == "test" else f"{path}"
        raise InputError(f"tuning on {what} would make its test scores dishonest",
                         hint="tune on a train split (--split train) and measure on test with "
                              "`optiform eval run`")


def open_run(out: Path, config: dict[str, Any]) -> list[Scored]:
    """The trajectory of an earlier run in ``out`` with the same ``config`` (empty for a new
    folder); an InputError for a folder of another run or with other files."""
    from optiform.evals.opro import Scored

    run_file = out / RUN_FILE
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is a file, not a folder", hint="give --out a folder")
    if out.is_dir() and any(out.iterdir()) and not run_file.exists():
        raise InputError(f"{out} holds other files, not a tune run",
                         hint="give --out a new or empty folder")
    if not run_file.exists():
        out.mkdir(parents=True, exist_ok=True)
        run_file.write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
        return []
    try:
        before = json.loads(run_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {run_file}: {exc}",
                         hint="give --out a new folder") from exc
    if isinstance(before, dict) and isinstance(before.get("agent"), dict):
        # a setting a run predates was at its default then: SCORING_SETTINGS grows
        from optiform.config import Settings

        defaults = {n: str(Settings.model_fields[n].default) for n in LATER_SETTINGS}
        before["agent"] = {**defaults, **before["agent"]}
    if before != config:
        changed = sorted(k for k in config.keys() | before.keys()
                         if config.get(k) != before.get(k))
        hint = "use the same options to resume it, or a new --out folder"
        if "items" in changed:
            hint = ("the items differ: test duplicates are left out since 2026-12-06 "
                    "(--keep-test-duplicates keeps them), or the data set changed; " + hint)
        raise InputError(f"{out} holds a tune run with other settings ({', '.join(changed)})",
                         hint=hint)
    trajectory = []
    path = out / TRAJECTORY_FILE
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text and not text.endswith("\n"):
        last = text[text.rfind("\n") + 1:]
        try:  # a whole line saved without its newline (an editor): keep it
            Scored.from_json(json.loads(last))
            text += "\n"
        except (ValueError, KeyError, TypeError):  # a killed run's last line, cut short
            text = text[: text.rfind("\n") + 1]
        path.write_text(text, encoding="utf-8")
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            trajectory.append(Scored.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path} line {n} is not a scored guidance text ({exc})",
                             hint="fix or delete that line, then resume") from exc
    return trajectory


def record(out: Path, scored: Scored, best: Scored | None) -> None:
    """Append ``scored`` to the trajectory and rewrite best.txt (whole or not at all)."""
    import os

    with (out / TRAJECTORY_FILE).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(scored.to_json(), ensure_ascii=False) + "\n")
    if best is not None:
        part = out / (BEST_FILE + ".part")
        part.write_text(best.guidance + "\n", encoding="utf-8")
        os.replace(part, out / BEST_FILE)


class AgentScorer:
    """``score(guidance, step)``: the agent, with that guidance, over the items."""

    def __init__(self, settings: Any, llm: Any, items: list[Item]) -> None:
        self.settings, self.llm, self.items = settings, llm, items

    def __call__(self, guidance: str, step: int) -> Scored:
        from optiform.api import Assistant
        from optiform.errors import is_fatal
        from optiform.evals.opro import Scored
        from optiform.evals.scoring import is_correct

        assistant = Assistant(settings=self.settings.model_copy(
            update={"guidance": guidance, "guidance_file": None}), llm=self.llm)
        wrong = []
        for item in self.items:
            try:
                answer = assistant.solve(item.question)
                status = str(getattr(answer.status, "value", answer.status))
                right = is_correct(answer.objective, item.answer, status)
            except OptiformError as exc:
                if is_fatal(exc):  # the endpoint or model, not this text: stop, unrecorded
                    raise
                right = False
            if not right:
                wrong.append(item.id)
        return Scored(guidance=guidance, step=step, correct=len(self.items) - len(wrong),
                      total=len(self.items), wrong=tuple(wrong))


def register(app: typer.Typer) -> None:
    @app.command("tune")
    def tune(dataset: str = typer.Option(..., "--dataset", help="Data set name or path."),
             split: str = typer.Option("train", help="Split to tune on (never test)."),
             limit: int = typer.Option(20, min=1, help="Items each text is scored on."),
             steps: int = typer.Option(3, min=1, help="Optimization steps (this call)."),
             per_step: int = typer.Option(2, "--per-step", min=1,
                                          help="Texts proposed per step."),
             out: Path = typer.Option(..., "--out", help="Run folder (resumed if it exists)."),
             start: str | None = typer.Option(
                 None, help="Guidance scored first (default: the configured guidance, "
                            "usually none)."),
             optimizer_model: str | None = typer.Option(
                 None, help="Optimizer: a model of an OpenAI-compatible endpoint (default: "
                            "the agent's own LLM)."),
             optimizer_base_url: str | None = typer.Option(
                 None, help="Optimizer: that endpoint's base URL (default: base_url)."),
             keep_test_duplicates: bool = keep_option(),
             ) -> None:
        """Find guidance for the agent's prompts with an LLM as optimizer (OPRO).

        Each step shows the LLM the texts so far with their scores; the best text
        goes to OUT/best.txt (use: OPTIFORM_GUIDANCE_FILE=OUT/best.txt).
        """
        from rich.console import Console

        console = Console(stderr=True, emoji=False, highlight=False)
        try:
            _tune(console, dataset, split, limit, steps, per_step, out, start,
                  optimizer_model, optimizer_base_url, keep_test_duplicates)
        except KeyboardInterrupt:
            where = out / TRAJECTORY_FILE
            if where.is_file():
                console.print(f"interrupted; every scored text is in {where}. Run the same "
                              "command again to go on.")
            else:  # nothing to go on from: the folder takes another run's options again
                (out / RUN_FILE).unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    out.rmdir()
                console.print("interrupted before any text was scored; nothing was kept.")
            raise typer.Exit(130) from None
        except OptiformError as err:
            raise fail(err) from err


# the settings that change how the agent scores a text: a resume must keep them
SCORING_SETTINGS = ("backend", "model", "base_url", "model_path", "n_ctx", "library",
                    "library_path", "library_retrieval", "library_threshold",
                    "library_llm_check", "library_fallback", "top_k", "samples", "max_repairs",
                    "mend", "autofix", "formulation_shape", "code_strategy", "temperature",
                    "seed", "time_limit", "mip_gap", "solver", "time_budget")
# added to SCORING_SETTINGS on 2026-12-07: a run folder written before holds no value for
# them, and ran with their defaults (as _tune records a setting: its str)
LATER_SETTINGS = ("solver", "time_budget")


def optimizer_llm(settings: Any, model: str | None, base_url: str | None) -> Any:
    """The optimizer's LLM: the agent's own, or a model of an OpenAI-compatible endpoint."""
    from optiform.agent.llm import make_llm

    if model is None and base_url is None:
        return None
    if model is None:
        raise InputError("--optimizer-base-url needs --optimizer-model",
                         hint="name the endpoint's model, e.g. --optimizer-model gpt-4o")
    update = {"backend": "openai", "model": model,
              "base_url": base_url or settings.base_url}
    llm = make_llm(settings.model_copy(update=update))
    _ = llm.client  # no key and no endpoint: said now, not after the start text is scored
    return llm


def _tune(console: Any, dataset: str, split: str, limit: int, steps: int, per_step: int,
          out: Path, start: str | None, optimizer_model: str | None = None,
          optimizer_base_url: str | None = None, keep_test_duplicates: bool = False) -> None:
    from rich.markup import escape

    from optiform.agent.deps import guidance_text
    from optiform.agent.llm import make_llm
    from optiform.commands.answer_view import note_view
    from optiform.config import GUIDANCE_MAX_CHARS, load_settings
    from optiform.evals.datasets import resolve
    from optiform.evals.opro import best, optimize
    from optiform.evals.provenance import library_info

    settings = load_settings()
    check_split(split, resolve(dataset, split, settings.benchmarks_dir))
    items = train_items(dataset, split, limit, settings.benchmarks_dir,
                        keep_test_duplicates=keep_test_duplicates, console=console)
    if not items:
        raise InputError(f"the {split!r} split of {dataset!r} has no items",
                         hint="`optiform eval list` shows the data sets")
    if len(items) < limit:
        many = f"{len(items)} item" + ("s" if len(items) != 1 else "")
        verb = "is" if len(items) == 1 else "are"
        console.print(note_view(f"only {many} of the {split!r} split {verb} used; each text "
                                "is scored on all of them"))
    first = guidance_text(settings) if start is None else start.strip()
    if len(first) > GUIDANCE_MAX_CHARS:
        raise InputError(f"the starting guidance holds {len(first)} characters; at most "
                         f"{GUIDANCE_MAX_CHARS} fit in every prompt",
                         hint="shorten --start to a few sentences")
    agent = {name: str(getattr(settings, name, None)) for name in SCORING_SETTINGS}
    library = library_info(settings)  # the insights it retrieves change its answers too
    agent["library_content"] = library["sha256"] if library else "none"
    config = {"dataset": dataset, "split": split, "items": [i.id for i in items],
              "start": first, "agent": agent,
              "optimizer": {"model": optimizer_model, "base_url": optimizer_base_url}}
    optimizer = optimizer_llm(settings, optimizer_model, optimizer_base_url)
    earlier = open_run(out, config)
    llm = make_llm(settings)
    optimizer = optimizer or llm
    trajectory = list(earlier)

    def scored(s: Scored) -> None:
        trajectory.append(s)
        record(out, s, best(trajectory))
        text = s.guidance or "(no guidance)"
        console.print(f"step {s.step}: {s.correct}/{s.total} right ({100 * s.score:.0f}%)  "
                      f"{escape(text[:100])}", soft_wrap=True)

    def propose(messages: list[Any], seed: int) -> str:
        reply = optimizer.complete(messages, temperature=OPTIMIZER_TEMPERATURE,
                                   max_tokens=300, seed=seed)
        if reply.finish_reason == "length" and "</ins>" not in reply.text.lower():
            raise LLMOutputError("its reply was cut off at the token limit before </INS>")
        return reply.text

    if earlier:
        console.print(f"resuming {out}: {len(earlier)} texts scored, best "
                      f"{100 * (best(earlier).score if best(earlier) else 0):.0f}%")
    scorer = AgentScorer(settings, llm, items)
    report = optimize(scorer, propose, {i.id: (i.question, str(i.answer)) for i in items},
                      steps=steps, per_step=per_step, start=first, earlier=earlier,
                      on_scored=scored,
                      on_note=lambda n: console.print(note_view(n)))
    top, base = report.best, next(s for s in report.trajectory if s.step == 0)
    assert top is not None
    if top.step == 0:
        print(f"no text scored better than the start ({base.correct}/{base.total} right, "
              f"{100 * base.score:.0f}%); {out / BEST_FILE} holds the start; run the same "
              "command again for more steps")
        return
    gain = 100 * (top.score - base.score)
    print(f"best: {top.correct}/{top.total} right ({100 * top.score:.0f}%, {gain:+.0f} points "
          f"over the start) from step {top.step}; written to {out / BEST_FILE}")
