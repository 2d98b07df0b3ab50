"""`optiform library learn`, `evolve` and `verify`: the library's long jobs, wired to the agent.

The library's learning and evolution are pure orchestration over callables; this face builds
those callables from the real pieces (``optiform.api.Assistant``, the data sets and scoring
of ``optiform.evals``, an LLM from the settings), all imported lazily when a job runs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from optiform.commands.train_items import LIMIT_HELP, keep_option, train_items
from optiform.errors import OptiformError

if TYPE_CHECKING:
    from optiform.config import Settings
    from optiform.library.authoring import SolveOutcome
    from optiform.library.insight import Insight
    from optiform.library.learn import ItemReport


def trace_text(answer: Any, limit: int = 3000) -> str:
    """A compact account of one attempt for the proposer: formulation, status, checks."""
    status = getattr(getattr(answer, "status", ""), "value", getattr(answer, "status", ""))
    parts = [f"status: {status}", f"objective: {getattr(answer, 'objective', None)}"]
    message = getattr(answer, "message", None)
    if message:
        parts.append(f"message: {message}")
    formulation = getattr(answer, "formulation", None)
    steps = list(getattr(getattr(answer, "trace", None), "steps", []) or [])
    if formulation is None:  # no valid final model: show the last one the agent tried
        formulation = next((s.formulation for s in reversed(steps)
                            if getattr(s, "formulation", None)), None)
    if isinstance(formulation, dict):  # a trace step's model: shown without its defaults
        from optiform.solvers.formulation import Formulation

        with contextlib.suppress(ValueError):
            formulation = Formulation.model_validate(formulation)
    if formulation is not None:
        dump = formulation.model_dump(mode="json", exclude_defaults=True) \
            if hasattr(formulation, "model_dump") else formulation
        parts.append("formulation: " + json.dumps(dump, separators=(",", ":"), default=str))
    checks = list(getattr(answer, "checks", None) or []) or next(
        (s.checks for s in reversed(steps) if getattr(s, "checks", None)), None) or []
    for check in checks:
        text = check.get("message") if isinstance(check, dict) else getattr(check, "message", "")
        if text:
            parts.append(f"check: {text}")
    text = "\n".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


SEED_SPACING = 10_000


class AgentSolver:
    """``solve_item(item, insights)`` for learning: the real agent, shown exactly ``insights``."""

    def __init__(self, settings: Settings, llm: Any, k: int) -> None:
        from optiform.api import Assistant
        from optiform.library.retrieval import FixedInsightSource

        self.source = FixedInsightSource([])
        self.settings = settings
        # the fallback without insights would hide what the insights themselves did
        tuned = settings.model_copy(update={"library": True, "top_k": max(settings.top_k, k + 1),
                                            "library_fallback": False})
        self.assistant = Assistant(settings=tuned, llm=llm, insight_source=self.source)
        self.sample_temperature = max(self.assistant.deps().sample_temperature,
                                      settings.temperature)

    def __call__(self, item: Any, insights: list[Insight]) -> SolveOutcome:
        return self._solve(item, insights, {})

    def sample(self, item: Any, insights: list[Insight], seed: int) -> SolveOutcome:
        """One attempt with every LLM call of it sampled (the formulator's sample temperature)
        from seed ``seed``: learning's search for a right formulation to contrast with the
        failed one. Seeds are spaced apart so that the seeds an attempt derives from its own
        (samples, retries, repairs add small offsets) do not repeat another attempt's."""
        return self._solve(item, insights, {"temperature": self.sample_temperature,
                                            "seed": self.settings.seed + SEED_SPACING * seed})

    def _solve(self, item: Any, insights: list[Insight],
               overrides: dict[str, Any]) -> SolveOutcome:
        from optiform.errors import FATAL_ERRORS
        from optiform.evals.scoring import is_correct
        from optiform.library.authoring import SolveOutcome

        self.source.insights = list(insights)
        try:
            answer = self.assistant.solve(item.question, **overrides)
        except FATAL_ERRORS:
            raise
        except OptiformError as exc:
            return SolveOutcome(correct=False, status="error", trace=f"error: {exc}")
        status = str(getattr(answer.status, "value", answer.status))
        objective = answer.objective
        return SolveOutcome(correct=is_correct(objective, item.answer, status), status=status,
                            objective=objective, trace=trace_text(answer))


def _setup(dataset: str, split: str, limit: int | None, keep_test_duplicates: bool,
           console: Any) -> tuple[Any, list[Any], Any]:
    from optiform.agent.llm import make_llm
    from optiform.config import load_settings

    settings = load_settings()
    items = train_items(dataset, split, limit, settings.benchmarks_dir,
                        keep_test_duplicates=keep_test_duplicates, console=console)
    return settings, items, make_llm(settings)


def _job(ctx: typer.Context, open_store: Callable[[typer.Context], Any], dataset: str,
         split: str, limit: int | None, k: int | None, doing: str,
         keep_test_duplicates: bool = False) -> tuple[Any, ...]:
    """What every job needs: settings, items, LLM, store, k, retriever (warns off test splits)."""
    from optiform.library.retrieval import Retriever

    console = _console()
    settings, items, llm = _setup(dataset, split, limit, keep_test_duplicates, console)
    if split != "train":  # once the split is known to exist
        from optiform.commands.answer_view import warning_view

        console.print(warning_view(f"{doing} the {split!r} split; keep to train splits to "
                                   "keep test scores honest"))
    store = open_store(ctx)
    from optiform.errors import LibraryError
    from optiform.job_locks import exclusive

    # held until the command ends: two jobs on one library would do every item twice
    ctx.with_resource(exclusive(
        Path(f"{store.path}.job.lock"), f"the library {store.path}", LibraryError,
        hint="wait for that learn, evolve or verify to end (or stop it); a second job on one "
             "library would do every item twice"))
    k_ = k if k is not None else settings.top_k
    retriever = Retriever(store, mode=settings.library_retrieval,
                          threshold=settings.library_threshold)
    return console, settings, items, llm, store, k_, retriever


K_HELP = "Insights retrieved per item."


def _interrupted(resumable: bool = False) -> typer.Exit:
    """Ctrl-C in a job. learn stores every finished item with its progress (one
    transaction), so the same command again goes on from there; evolve and verify keep each
    insight's finished change, and run again from the start."""
    from rich.console import Console

    Console(stderr=True, emoji=False).print(
        "interrupted; every finished item is saved: the same command again goes on from "
        "there (--fresh starts over)" if resumable else
        "interrupted; the insights changed so far keep their change; the same command again "
        "starts over", soft_wrap=True, highlight=False)
    return typer.Exit(130)


def register_jobs(lib: typer.Typer, open_store: Callable[[typer.Context], Any],
                  fail: Callable[[OptiformError], typer.Exit]) -> None:
    @lib.command("learn")
    def learn_cmd(ctx: typer.Context,
                  dataset: str = typer.Option(..., "--dataset", help="Data set name or path."),
                  split: str = typer.Option("train", help="Split to learn from."),
                  limit: int | None = typer.Option(None, help=LIMIT_HELP),
                  keep_test_duplicates: bool = keep_option(),
                  run: str | None = typer.Option(None, help="Progress key (DATASET:SPLIT)."),
                  attempts: int = typer.Option(2, min=1, help="Proposals tried per failed item."),
                  regression: int = typer.Option(
                      6, min=0, help="Right items re-solved per proposal: those that retrieval "
                              "would show it for (no others: their prompts do not change)."),
                  k: int | None = typer.Option(None, "-k", min=1, help=K_HELP),
                  fresh: bool = typer.Option(False, "--fresh", help="Forget earlier progress."),
                  blame: bool = typer.Option(True, help="Count a misled item against only the "
                                             "shown insights whose absence turns it right."),
                  search: int = typer.Option(
                      3, min=0, help="Sampled attempts at a failed item before proposing; the "
                                     "first right one is shown to the proposer beside the "
                                     "failure (0: propose from the failure alone)."),
                  from_run: Path | None = typer.Option(
                      None, "--from-run", help="An `optiform eval run` folder of the default "
                      "agent on this split, made with this library: its recorded outcomes "
                      "replace the first solve of each item it holds.")
                  ) -> None:
        """Learn solver-verified insights from the items the agent gets wrong (resumable)."""
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        from optiform.library.authoring import LLMProposer
        from optiform.library.learn import learn

        try:
            console, settings, items, llm, store, k_, retriever = _job(
                ctx, open_store, dataset, split, limit, k, "learning from",
                keep_test_duplicates)
            key = run or f"{dataset}:{split}"
            if fresh:
                store.clear_progress(key)
            solver = AgentSolver(settings, llm, k_)
            recorded = None
            if from_run is not None:
                from optiform.commands.recorded_runs import recorded_outcomes

                recorded = recorded_outcomes(from_run, items)
                from optiform.commands.answer_view import note_view, sentence_view

                console.print(sentence_view(f"first outcomes of {len(recorded)} of "
                                            f"{len(items)} items read from {from_run}"))
                from optiform.commands.recorded_runs import library_note
                from optiform.evals.provenance import library_info

                note = library_note(from_run, library_info(settings.model_copy(
                    update={"library_path": store.path, "library": True})))
                if note:
                    console.print(note_view(note))
            # A bar in a terminal; in a log (nohup, CI) a line per item, as a bar shows there
            # only when the job ends.
            lines = not console.is_terminal
            with Progress(TextColumn("[bold]learn"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[last]}"), console=console,
                          disable=lines) as bar:
                task = bar.add_task("learn", total=len(items), last="")

                def tick(rep: ItemReport) -> None:
                    bar.update(task, advance=1, last=f"{rep.item_id}: {rep.status}")
                    if lines:
                        n = int(bar.tasks[0].completed)
                        console.print(_item_line(n, len(items), rep), markup=False,
                                      highlight=False, soft_wrap=True)

                report = learn(items, solver, LLMProposer(llm), store, retriever=retriever,
                               run=key, k=k_, attempts=attempts, regression=regression,
                               blame=blame, recorded=recorded, search=search,
                               sample_item=solver.sample if search else None,
                               on_item=tick)
        except OptiformError as err:
            raise fail(err) from err
        except KeyboardInterrupt:
            raise _interrupted(resumable=True) from None
        _summary(console, report)

    @lib.command("evolve")
    def evolve_cmd(ctx: typer.Context,
                   dataset: str = typer.Option(..., "--dataset", help="Items to replay."),
                   split: str = typer.Option("train", help="Split of the data set."),
                   limit: int | None = typer.Option(None, help=LIMIT_HELP),
                   keep_test_duplicates: bool = keep_option(),
                   min_count: int = typer.Option(
                       1, min=1, help="Misled or missed at least this often."),
                   max_items: int = typer.Option(
                       5, min=1, help="Replayed items per kind and insight."),
                   shifted: int = typer.Option(5, min=0, help="Also replay up to N other items "
                                                       "whose prompt the rewrite changes."),
                   confirm: bool = typer.Option(True, help="Count an item as misled by an "
                                                "insight only when leaving that insight out of "
                                                "its prompt turns it right."),
                   margin: int = typer.Option(2, min=1, help="Keep a rewrite only when it "
                                              "wins at least N more replayed items than it "
                                              "loses."),
                   k: int | None = typer.Option(None, "-k", min=1, help=K_HELP)
                   ) -> None:
        """Rewrite conditions of insights that misled or were missed; keep improving rewrites."""
        from rich.table import Table

        from optiform.library.authoring import LLMRewriter
        from optiform.library.evolve import RewriteReport, evolve
        from optiform.terminal_layout import Trimmed

        try:
            console, settings, items, llm, store, k_, retriever = _job(
                ctx, open_store, dataset, split, limit, k, "evolving on",
                keep_test_duplicates)

            def shown(rep: RewriteReport) -> None:
                mark = "[green]kept[/]" if rep.kept else "[dim]dropped[/]"
                console.print(f"{rep.insight_id}: {mark} ({rep.detail})")

            report = evolve(store, {it.id: it for it in items},
                            AgentSolver(settings, llm, k_), LLMRewriter(llm),
                            retriever=retriever, k=k_, min_count=min_count,
                            max_items=max_items, shifted=shifted, confirm=confirm,
                            margin=margin, on_rewrite=shown)
        except OptiformError as err:
            raise fail(err) from err
        except KeyboardInterrupt:
            raise _interrupted() from None
        table = Table(title="evolution")
        for col in ("insight", "kept", "right before", "right after", "replayed", "detail"):
            table.add_column(col)
        for r in report.rewrites:
            table.add_row(r.insight_id, "yes" if r.kept else "no", str(r.old_score),
                          str(r.new_score), str(r.replayed), r.detail)
        console.print(Trimmed(table) if report.rewrites else
                      "no insight misled or was missed yet")

    @lib.command("verify")
    def verify_cmd(ctx: typer.Context,
                   dataset: str = typer.Option(..., "--dataset", help="Items to replay."),
                   split: str = typer.Option("train", help="Split of the data set."),
                   limit: int | None = typer.Option(None, help=LIMIT_HELP),
                   keep_test_duplicates: bool = keep_option(),
                   ids: list[str] | None = typer.Option(
                       None, "--id", help="Insight to verify (repeatable; default: the "
                                          "active learned ones, not the seed)."),
                   margin: int = typer.Option(2, min=1, help="Disable an insight that loses "
                                              "at least N more items than it wins."),
                   max_items: int | None = typer.Option(
                       None, min=1, help="Replay at most N of the items it is shown for."),
                   k: int | None = typer.Option(None, "-k", min=1, help=K_HELP)
                   ) -> None:
        """Replay the items each insight is shown for, with and without it; disable losers."""
        from rich.table import Table

        from optiform.library.verify import VerifyReport, verify
        from optiform.terminal_layout import Trimmed

        try:
            console, settings, items, llm, store, k_, retriever = _job(
                ctx, open_store, dataset, split, limit, k, "verifying on",
                keep_test_duplicates)

            def shown(rep: VerifyReport) -> None:
                style = "red" if rep.disabled else "green"
                console.print(f"{rep.insight_id}: [{style}]{rep.detail}[/]")

            reports = verify(store, {it.id: it for it in items}, AgentSolver(settings, llm, k_),
                             ids=ids or None, retriever=retriever, k=k_, margin=margin,
                             max_items=max_items, on_report=shown)
        except OptiformError as err:
            raise fail(err) from err
        except KeyboardInterrupt:
            raise _interrupted() from None
        if not reports:
            console.print("no learned insight to verify (--id names one)")
            return
        table = Table(title="verification")
        for col in ("insight", "shown for", "replayed", "won", "lost", "verdict"):
            table.add_column(col)
        for r in reports:
            unreplayed = r.disabled and not r.replayed  # its condition is its own problem
            table.add_row(r.insight_id, "-" if unreplayed else str(r.shown),
                          "-" if unreplayed else str(r.replayed), str(r.won), str(r.lost),
                          "disabled" if r.disabled else "kept")
        console.print(Trimmed(table))


def _item_line(n: int, total: int, rep: ItemReport) -> str:
    """One learned item as a log line: position, id, outcome, its insight and why."""
    what = "; ".join(x for x in (rep.insight_id, rep.detail) if x)
    line = f"learn {n}/{total} {rep.item_id}: {rep.status}"
    line += f" ({what[:400]})" if what else ""
    return line + (" [resumed]" if rep.resumed else "")


def _console() -> Any:
    from rich.console import Console

    return Console(emoji=False)


def _summary(console: Any, report: Any) -> None:
    from rich.table import Table

    from optiform.terminal_layout import Trimmed

    table = Table(title="learning")
    table.add_column("outcome")
    table.add_column("items", justify="right")
    for status in ("correct", "misled", "learned", "merged", "rejected", "error"):
        table.add_row(status, str(report.count(status)))
    console.print(Trimmed(table))
    if report.resumed:
        console.print(f"{report.resumed} items were done by an earlier run (--fresh redoes them)")
    if report.learned:
        console.print("new insights: " + ", ".join(report.learned))
