"""`optiform eval`: batch evaluation on benchmarks.

Subcommands: run, resume, report, compare, recheck, fetch, list.

A thin face: parses options, draws progress, prints tables; the work is in optiform.evals.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from optiform.commands.failure import fail
from optiform.errors import InputError, OptiformError

if TYPE_CHECKING:
    from rich.console import Console


def _interrupted(folder: Path | None) -> typer.Exit:
    from rich.console import Console

    where = f" `optiform eval resume {folder}`" if folder else " `optiform eval resume DIR`"
    Console(stderr=True, emoji=False).print(
        f"interrupted; finished items are saved. Continue with{where}", soft_wrap=True)
    return typer.Exit(130)


# the bar's line beside the accuracy: 'eval', 10 cells of bar, the two times, 'eta' and the
# gaps between the columns; with 'done/total' and the accuracy, where it fits, one line
_BAR_ROOM = 38
_BELOW = " " * 5  # the accuracy's own lines start under the bar


class _Progress:
    """Renders runner events as a rich progress bar with ETA and running accuracy: beside the
    bar where the line has room for both, else on their own lines under it (at 80 columns a
    line of both squeezed 'eval' and the bar to 'ev… …' and cut the accuracy)."""

    def __init__(self, console: Console | None = None) -> None:
        from rich.console import RenderableType
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Bar(Progress):  # here: rich is imported when a bar is drawn, not at start-up
            below = ""

            def get_renderables(self) -> Iterable[RenderableType]:
                yield self.make_tasks_table(self.tasks)
                if self.below:
                    yield Text(self.below)

        self.progress = Bar(
            TextColumn("[bold]eval"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[acc]}"),
            console=console,
        )
        self.task: Any = None

    @staticmethod
    def _acc(accuracy: dict[str, tuple[int, int]]) -> list[str]:
        parts = []
        for label, (right, n) in accuracy.items():
            share = f"{100 * right / n:.0f}%" if n else "-"
            parts.append(f"{label} {share} ({right}/{n})")
        return parts

    def _show(self, total: int, accuracy: dict[str, tuple[int, int]]) -> str:
        """The accuracy for the bar's line, or '' with it set to go below the bar."""
        from rich.cells import cell_len

        parts = self._acc(accuracy)
        line = " | ".join(parts)
        width = self.progress.console.width
        if _BAR_ROOM + 2 * len(str(total)) + 1 + cell_len(line) <= width:
            self.progress.below = ""
            return line
        joined = cell_len(_BELOW + line) <= width
        self.progress.below = "\n".join(_BELOW + part for part in ([line] if joined else parts))
        return ""

    def __call__(self, event: Any) -> None:
        if event.kind == "start":
            if event.held_out:
                by = ", ".join(f"{n} held by {split}" for split, n in event.held_out.items())
                self.progress.console.print(
                    f"held out {event.held_out_items} items ({by}); {event.items} items to "
                    "solve",
                    highlight=False, markup=False)
            self.progress.start()
            self.task = self.progress.add_task(
                "eval", total=event.total, completed=event.done,
                acc=self._show(event.total, event.accuracy))
        elif self.task is not None:
            self.progress.update(self.task, completed=event.done,
                                 acc=self._show(event.total, event.accuracy))
            if event.kind == "done":
                self.progress.stop()

    def stop(self) -> None:
        if self.task is not None:  # a bar never started would leave a blank line
            self.progress.stop()


def _run_with_progress(call: Any) -> Any:
    progress = _Progress()
    try:
        return call(progress)
    finally:
        progress.stop()


def _finish(out: Path, report: bool) -> None:
    from rich.console import Console

    console = Console(emoji=False)
    if not report:
        console.print(f"results in {out}/results.jsonl; `optiform eval report {out}` for a report")
        return
    from optiform.evals.report import write_report

    result = write_report([out], out)
    _print_summary(console, result["summary"])
    for warning in result["warnings"]:
        console.print(f"[yellow]{warning}[/]")
    console.print(f"report: {out / 'report.md'}", soft_wrap=True)


def _print_summary(console: Any, summary: dict[str, Any]) -> None:
    """A table per data set; a block per strategy where the table would not fit the terminal
    unfolded (at 80 columns a label such as 'agent:library=off' was a few letters wide)."""
    from rich.table import Table
    from rich.text import Text

    from optiform.terminal_layout import Trimmed, table_fits

    for group in summary["groups"]:
        title = f"{group['dataset']} ({group['split']})"
        table = Table(title=title)
        table.add_column("strategy", overflow="fold")  # "agent:…" would hide the options
        table.add_column("items", justify="right")
        for tol in summary["tolerances"]:
            table.add_column(f"acc@{tol}", justify="right")
        table.add_column("executed", justify="right")
        table.add_column("s/item", justify="right")
        table.add_column("tokens/item", justify="right")
        rows = []
        for label, s in group["strategies"].items():
            row = [
                label,
                str(s["n"]),
                *[f"{100 * s['accuracy'][t]:.1f}%" for t in summary["tolerances"]],
                f"{100 * s['execution_rate']:.0f}%",
                f"{s['seconds']['mean']:.1f}",
                f"{s['tokens']['mean']:.0f}",
            ]
            table.add_row(*row)
            rows.append(row)
        if table_fits(table, console.width):
            console.print(Trimmed(table))
            continue
        names = [str(c.header) for c in table.columns]
        console.print(Text(title, style="bold"))
        for row in rows:
            console.print(Text(f"{row[0]}  ({row[1]} items)", style="bold"))
            console.print(Text(_packed([f"{n} {v}" for n, v in zip(names[2:], row[2:],
                                                                    strict=True)],
                                       console.width - 4, indent="    ")))


def _packed(cells: list[str], width: int, *, indent: str) -> str:
    """Cells two spaces apart, as many to a line as fit ``width``, each line indented."""
    lines: list[str] = []
    for cell in cells:
        if lines and len(lines[-1]) + 2 + len(cell) <= width:
            lines[-1] += "  " + cell
        else:
            lines.append(cell)
    return "\n".join(indent + line for line in lines)


def register(app: typer.Typer) -> None:
    eval_app = typer.Typer(
        help="Batch evaluation on benchmarks (NL4Opt, OptiBench, any JSONL).",
        no_args_is_help=True,
    )
    app.add_typer(eval_app, name="eval")

    @eval_app.command("run")
    def run(
        dataset: str = typer.Option(..., "--dataset", "-d", help="Data set name or JSONL path."),
        split: str = typer.Option("test", help="Split of a named data set."),
        limit: int | None = typer.Option(None, min=1, help="Only the first N items."),
        skip: int = typer.Option(0, min=0, help="Leave out the first N items (with --limit: "
                                 "the N after them), e.g. a held-out slice."),
        strategy: list[str] = typer.Option(
            ["standard", "agent"], "--strategy", "-s",
            help="standard, cot, retry, agent; options as agent:samples=3,max_repairs=1. "
            "Repeat to run several side by side.",
        ),
        workers: int = typer.Option(1, min=1, help="Concurrent items (remote endpoints only)."),
        samples: int | None = typer.Option(None, min=1, help="Agent: formulations sampled."),
        max_repairs: int | None = typer.Option(None, min=0, help="Agent: repair rounds."),
        time_budget: float | None = typer.Option(
            None, "--time-budget",
            help="Agent: seconds per item; once spent, the item's best model so far is its "
                 "answer."),
        code_strategy: bool | None = typer.Option(
            None, "--code-strategy/--no-code-strategy", help="Agent: Pyomo code cross-check."
        ),
        backend: str | None = typer.Option(None, help="LLM backend (default: settings)."),
        model: str | None = typer.Option(None, help="Model name for a remote endpoint."),
        out: Path | None = typer.Option(None, help="Results folder (default: eval-runs/...)."),
        report: bool = typer.Option(True, help="Write the report when the run ends."),
        held_out_from: list[str] = typer.Option(
            [], "--held-out-from", metavar="DATASET:SPLIT",
            help="Leave out the items that are problems of this split word for word (after "
                 "--skip/--limit), e.g. nl4opt:train (a reading on held-out problems). Repeat "
                 "for several."),
    ) -> None:
        """Run strategies over a data set; results are saved item by item (resumable)."""
        from optiform.evals.runner import RunConfig, start_run

        try:
            if time_budget is not None and not time_budget > 0:  # NaN passes click's range
                raise InputError(f"--time-budget must be more than 0 seconds, not {time_budget}",
                                 hint="e.g. --time-budget 300")
            config = RunConfig(
                dataset=dataset, split=split, limit=limit, skip=skip, strategies=strategy,
                workers=workers, samples=samples, max_repairs=max_repairs,
                time_budget=time_budget, code_strategy=code_strategy, backend=backend, model=model,
                held_out_from=held_out_from,
            )
            config.specs()
            if out is None:
                stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
                out = Path("eval-runs") / f"{Path(dataset).stem}-{split}-{stamp}"
            target = out
            _run_with_progress(lambda progress: start_run(config, target, on_event=progress))
            _finish(target, report)
        except OptiformError as err:
            raise fail(err) from err
        except KeyboardInterrupt:
            raise _interrupted(out) from None

    @eval_app.command("resume")
    def resume(
        folder: Path = typer.Argument(..., help="The --out folder of an interrupted run."),
        workers: int | None = typer.Option(None, min=1, help="Override concurrent items."),
        report: bool = typer.Option(True, help="Write the report when the run ends."),
    ) -> None:
        """Finish a run: only the items without a recorded result run."""
        from optiform.evals.runner import resume_run

        try:
            _run_with_progress(lambda progress: resume_run(folder, on_event=progress,
                                                                workers=workers))
            _finish(folder, report)
        except OptiformError as err:
            raise fail(err) from err
        except KeyboardInterrupt:
            raise _interrupted(folder) from None

    @eval_app.command("report")
    def report_cmd(
        folders: list[Path] = typer.Argument(..., help="One or more run folders."),
        out: Path | None = typer.Option(None, help="Where to write (default: the folder, "
                                                   "when one is given; needed for several)."),
        plots: bool = typer.Option(True, help="Write PNG plots (needs matplotlib)."),
    ) -> None:
        """Write summary.json, report.md and plots for recorded runs."""
        from rich.console import Console

        from optiform.evals.report import write_report

        try:
            if out is None and len(folders) > 1:
                # the first folder's own report must not become the pooled one
                raise InputError(f"a report of {len(folders)} folders needs --out",
                                 hint="e.g. --out runs/pooled-report")
            target = out or folders[0]
            if target.exists() and not target.is_dir():
                raise InputError(f"--out {target} is a file, not a folder",
                                 hint="name a folder for summary.json, report.md and plots")
            from optiform.file_paths import same_path

            if out is not None and len(folders) > 1:
                inside = next((f for f in folders if same_path(out, f)), None)
                if inside is not None:
                    # the run's own report and plots would become those of all the runs
                    raise InputError(
                        f"--out {out} is the run folder {inside}, one of the {len(folders)} "
                        "reported; a report of several runs would replace that run's own "
                        "report.md, summary.json and plots",
                        hint="name a new folder, e.g. --out runs/pooled-report")
            if out is not None and (out / "results.jsonl").exists() and not any(
                    same_path(out, f) for f in folders):
                # its own report and plots would be replaced by one of other runs
                raise InputError(f"--out {out} holds a run of its own, which is not reported "
                                 "here", hint="name a new folder, e.g. --out runs/pooled-report")
            result = write_report(list(folders), target, plots=plots)
        except OptiformError as err:
            raise fail(err) from err
        console = Console(emoji=False)
        _print_summary(console, result["summary"])
        for warning in result["warnings"]:
            console.print(f"[yellow]{warning}[/]")
        for path in result["files"]:
            console.print(f"wrote {path}", soft_wrap=True)

    @eval_app.command("compare")
    def compare_cmd(
        spec: Path = typer.Argument(..., help="A comparison spec (JSON): title and bars, each "
                                              "with panel, label, summary and strategy."),
        out: Path | None = typer.Option(None, help="The figure (default: the spec with .png)."),
        target: float | None = typer.Option(None, help="Draw a line this many points above "
                                                       "each panel's first bar."),
        held_out_from: list[str] | None = typer.Option(
            None, "--held-out-from", help="DATASET:SPLIT (repeatable): a second table counts "
                                          "each bar without the items that split holds too."),
    ) -> None:
        """Draw one figure and print one table from bars of several recorded reports."""
        from optiform.evals.compare import held_out_bars, load_bars, markdown_table, panels

        try:
            title, bars = load_bars(spec)
            if held_out_from:  # a bad split is named before anything is drawn or written
                leave_out, notes = _shared_items(bars, held_out_from)
        except OptiformError as err:
            raise fail(err) from err
        target_path = out or spec.with_suffix(".png")
        from optiform.evals.plots import write_comparison

        if target_path.suffix.lower() not in (".png", ".svg", ".pdf"):
            raise fail(InputError(f"--out {target_path}: a figure is a .png, .svg or .pdf "
                                  "file", hint="e.g. --out ablation.png"))
        try:
            target_path.parent.mkdir(parents=True, exist_ok=True)
            write_comparison(title, panels(bars), target_path, target=target)
        except ImportError as exc:  # pragma: no cover - matplotlib is an extra
            raise fail(OptiformError(f"no figure: {exc}",
                                      hint="install optiform[plots]")) from exc
        except OSError as exc:
            raise fail(InputError(f"cannot write {target_path}: {exc.strerror or exc}",
                                  hint="name a folder you can write to")) from exc
        typer.echo(markdown_table(bars), nl=False)
        if held_out_from:
            typer.echo(f"\nHeld out from {', '.join(held_out_from)} (each bar without the "
                       "items those splits hold word for word):\n")
            kept, dropped = held_out_bars(bars, leave_out)
            typer.echo(markdown_table(kept), nl=False)
            notes += [f"{bar.panel}, {bar.label}: not counted (its report lists no items, or "
                      "its panel's first bar does not, or none is left)" for bar in dropped]
            for note in notes:
                typer.echo(f"note: {note}")
        typer.echo(f"wrote {target_path}")

    @eval_app.command("recheck")
    def recheck_cmd(
        folder: Path = typer.Argument(..., help="A run folder with traces (agent strategy)."),
        strategy: str | None = typer.Option(None, help="Only this strategy label."),
        as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    ) -> None:
        """Replay each item's first formulation reply through the current checks and
        autofix, without the LLM: which items the current code wins or loses."""
        import json

        from rich.console import Console

        from optiform.evals.recheck import recheck_run

        try:
            report = recheck_run(folder, strategy=strategy)
        except OptiformError as err:
            raise fail(err) from err
        data = report.to_dict()
        if as_json:
            typer.echo(json.dumps(data, indent=2, default=str))
            return
        console = Console(emoji=False)
        n = data["items"]
        which = f" of strategy {report.strategy}" if report.strategy else ""
        console.print(f"{folder}: {n} items{which} replayed, {len(data['skipped'])} without a "
                      "trace", highlight=False)
        console.print(f"first reply + autofix now right: {data['first_reply_correct']}/{n}; "
                      f"the run (with repairs) got {data['run_correct']}/{n}")
        for label, rows in (("gain", report.gains), ("loss", report.losses)):
            for r in rows:
                console.print(f"  {label}: {r.id}: now {r.status} {r.objective}, truth "
                              f"{r.truth}; the run: {r.was_status} {r.was_objective}",
                              soft_wrap=True, highlight=False)
        console.print(f"{len(report.gains)} gained, {len(report.losses)} lost")

    @eval_app.command("fetch")
    def fetch(
        name: str = typer.Argument(..., help="Data set to download (see `eval list`)."),
        force: bool = typer.Option(False, help="Download again even when present."),
        timeout: float = typer.Option(20.0, min=1.0, help="Seconds per request."),
    ) -> None:
        """Download a public data set from its source repository."""
        from optiform.evals.fetch import fetch_dataset

        try:
            paths = fetch_dataset(name, timeout=timeout, force=force)
        except OptiformError as err:
            raise fail(err) from err
        for path in paths:
            typer.echo(f"saved {path}")

    @eval_app.command("overlap")
    def overlap_cmd(
        dataset: str = typer.Option(..., "--dataset", help="Data set name or path."),
        split: str = typer.Option("test", help="Split of the data set."),
        against: list[str] | None = typer.Option(
            None, "--against", help="DATASET:SPLIT to compare with (repeatable; default: "
                                    "every split of every known data set)."),
        ids: bool = typer.Option(False, "--ids", help="List the shared items' ids."),
    ) -> None:
        """Items this split shares word for word with other splits and data sets."""
        from rich.console import Console
        from rich.table import Table

        from optiform.config import load_settings
        from optiform.evals.datasets import load_dataset
        from optiform.evals.overlap import load_splits, shared
        from optiform.terminal_layout import Trimmed

        try:
            configured = load_settings().benchmarks_dir
            data = load_dataset(dataset, split, configured=configured)
            items, own = data.items, f"{data.name}:{split}"
            table = Table(title=f"{own} ({len(items)} items): problems also in")
            for column in ("split", "items", "shared", "share of this split"):
                table.add_column(column)
            listed: list[str] = []
            problems: list[str] = []
            for other in load_splits(configured, names=against or (), problems=problems):
                if other.path == data.path.resolve():
                    continue
                common = shared(items, other.items)
                table.add_row(other.name, str(len(other.items)), str(len(common)),
                              f"{100 * len(common) / len(items):.0f}%")
                if ids and common:
                    listed.append(f"{other.name}: " + ", ".join(
                        f"{a}={b}" for a, b in sorted(common.items())))
            console = Console(emoji=False)
            console.print(Trimmed(table))
            for line in listed:
                console.print(line, highlight=False, markup=False)
            for problem in problems:
                console.print(f"not compared: {problem}", highlight=False)
        except OptiformError as err:
            raise fail(err) from err

    @eval_app.command("list")
    def list_cmd() -> None:
        """Data sets found locally, and those `eval fetch` can download."""
        from rich.console import Console
        from rich.table import Table

        from optiform.config import load_settings
        from optiform.evals.datasets import known_datasets, read_records
        from optiform.evals.fetch import SOURCES
        from optiform.terminal_layout import Trimmed

        try:
            known = known_datasets(load_settings().benchmarks_dir)
            table = Table(title="data sets")
            for column in ("name", "splits (items)", "folder"):
                table.add_column(column, overflow="fold")  # a path cut short names no folder
            for name, splits in known.items():
                sizes = ", ".join(f"{s} ({len(read_records(p))})" for s, p in splits.items())
                folder = next(iter(splits.values())).parent
                table.add_row(name, sizes, str(folder))
            console = Console(emoji=False)
            console.print(Trimmed(table))
            missing = sorted(set(SOURCES) - set(known))
            for name in missing:
                console.print(f"{name}: not here; `optiform eval fetch {name}` downloads it")
        except OptiformError as err:
            raise fail(err) from err


def _shared_items(bars: list[Any], splits: list[str]
                  ) -> tuple[dict[tuple[str, str], frozenset[str]], list[str]]:
    """For each data set and split of the bars, the ids of its items that ``splits`` hold
    (a bar's own split is not compared with itself); and notes on what could not be."""
    from optiform.config import load_settings
    from optiform.evals.datasets import load_dataset
    from optiform.evals.overlap import held_out, load_splits

    configured = load_settings().benchmarks_dir
    others = load_splits(configured, names=splits)
    out: dict[tuple[str, str], frozenset[str]] = {}
    notes: list[str] = []
    for key in sorted({(b.dataset, b.split) for b in bars}):
        try:
            data = load_dataset(key[0], key[1], configured=configured)
        except OptiformError as err:
            notes.append(f"{key[0]}:{key[1]} cannot be read by name ({err.message}); its "
                         "bars are counted on all their items")
            out[key] = frozenset()
            continue
        _, found = held_out(data.items, others, own=data.path)
        out[key] = frozenset(i for ids in found.values() for i in ids)
    return out, notes
