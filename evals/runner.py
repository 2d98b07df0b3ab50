"""The batch runner: every (item, strategy) pair of a data set, recorded as it finishes.

``start_run`` writes ``run.json`` (config, strategies with their configuration hashes,
package versions, model, git commit, data set path/split/hash, date) and runs; ``resume_run``
reads it back and runs only the pairs whose key (item id + strategy + configuration hash) is
not yet in ``results.jsonl``. The runner core reports progress through ``on_event``; faces
render it (the CLI draws a rich progress bar).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from optiform.errors import EvalError
from optiform.evals import provenance
from optiform.evals.baselines import safe_name
from optiform.evals.datasets import Dataset, load_dataset, load_file, window
from optiform.evals.formats import Item
from optiform.evals.records import solve_one
from optiform.evals.store import ResultStore, record_key
from optiform.evals.strategy import (
    AGENT_OPTIONS,
    Strategy,
    StrategyContext,
    StrategyFactory,
    StrategySpec,
    build_strategy,
    strategy_factory,
)


class RunConfig(BaseModel):
    """Everything `optiform eval run` was asked; recorded in run.json, replayed on resume."""

    dataset: str
    split: str = "test"
    limit: int | None = Field(None, ge=1)
    skip: int = Field(0, ge=0)
    strategies: list[str] = Field(default_factory=lambda: ["standard", "agent"])
    workers: int = Field(1, ge=1)
    samples: int | None = Field(None, ge=1)
    max_repairs: int | None = Field(None, ge=0)
    time_budget: float | None = Field(None, gt=0)
    code_strategy: bool | None = None
    backend: str | None = None
    model: str | None = None
    held_out_from: list[str] = Field(default_factory=list)
    """Splits (``DATASET:SPLIT``) whose problems are left out of the run's items (after
    --skip and --limit): a reading on problems that no train split holds word for word."""

    def specs(self) -> list[StrategySpec]:
        agent_defaults = {k: getattr(self, k) for k in AGENT_OPTIONS}
        specs: list[StrategySpec] = []
        for text in self.strategies:
            spec = StrategySpec.parse(text)
            if spec.name == "agent":
                spec = spec.with_defaults(agent_defaults)
            if spec.label in [s.label for s in specs]:
                raise EvalError(f"strategy {spec.label!r} is listed twice")
            specs.append(spec)
        if not specs:
            raise EvalError("no strategy to run", hint="pass --strategy standard --strategy agent")
        return specs


@dataclass
class RunEvent:
    kind: Literal["start", "item", "done"]
    total: int
    done: int
    record: dict[str, Any] | None = None
    accuracy: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Per strategy label: (correct, finished) over every recorded item of the run."""
    held_out: dict[str, int] = field(default_factory=dict)  # start: items left out, by split
    held_out_items: int = 0  # start: those items, each once
    items: int = 0  # start: the items the run solves


EventHandler = Callable[[RunEvent], None]


@dataclass
class RunResult:
    out: Path
    total: int
    skipped: int
    ran: int
    records: list[dict[str, Any]]


def effective_workers(backend: str | None, requested: int) -> int:
    """The embedded model runs one request at a time; remote endpoints take ``requested``."""
    return 1 if backend == "local" else max(1, requested)


def make_settings(config: RunConfig) -> Any:
    from optiform.config import load_settings

    return load_settings(backend=config.backend, model=config.model)


def build_llm(settings: Any) -> Any:
    from optiform.agent.llm import make_llm

    return make_llm(settings)


def strategy_library(spec: StrategySpec, settings: Any) -> dict[str, Any] | None:
    """The experience library an agent strategy retrieves from (None for other strategies
    and when retrieval is off): recorded so that library ablations say what they compared."""
    if spec.name != "agent" or settings is None:
        return None
    from optiform.evals.agent_strategy import settings_with

    return provenance.library_info(settings_with(settings, spec.opts))


def _content(library: dict[str, Any] | None) -> dict[str, Any] | None:
    """What a library is, without whether the run made it (a resume finds it made)."""
    return {k: v for k, v in library.items() if k != "made"} if library else library


def strategy_guidance(spec: StrategySpec, settings: Any) -> dict[str, Any] | None:
    """The guidance an agent strategy's prompts carry (None for other strategies and when
    there is none): its hash and its opening words, so that a run says what it compared and
    a resume notices a best.txt that `optiform tune` rewrote meanwhile."""
    if spec.name != "agent" or settings is None:
        return None
    import hashlib

    from optiform.agent.deps import guidance_text
    from optiform.evals.agent_strategy import settings_with

    text = guidance_text(settings_with(settings, spec.opts))
    if not text:
        return None
    return {"sha256": hashlib.sha256(text.encode()).hexdigest()[:16], "start": text[:80]}


def hold_out(dataset: Dataset, splits: list[str], configured: Path | None) -> dict[str, list[str]]:
    """Leave out of ``dataset`` the items that are problems of ``splits`` (its own file is
    not compared with itself); per split, the ids it took. An EvalError when none is left."""
    if not splits:
        return {}
    from optiform.evals.overlap import held_out, load_splits

    others = load_splits(configured, names=splits)
    kept, found = held_out(dataset.items, others, own=dataset.path)
    if not kept:
        raise EvalError(f"every item of {dataset.name} ({dataset.split}) is a problem of "
                        f"{', '.join(splits)}", hint="drop --held-out-from, or widen --limit")
    dataset.items = kept
    return found


def _hash_extra(settings: Any, model: str) -> dict[str, Any]:
    return {
        "model": model,
        "temperature": getattr(settings, "temperature", None),
        "seed": getattr(settings, "seed", None),
    }


def _run_lock(out: Path) -> Any:
    """One process at a time on a run folder: the lock file sits beside the folder (so that
    two starts are ordered before either makes it), ``.NAME.run.lock``."""
    from optiform.job_locks import exclusive

    out = Path(out).resolve()  # a link to the folder, or ".", is the folder
    return exclusive(out.parent / f".{out.name}.run.lock", f"the eval run folder {out}",
                     EvalError, hint="wait for that run to end (or stop it); two processes on "
                                     "one folder would both solve every item")


def start_run(config: RunConfig, out: Path, **kwargs: Any) -> RunResult:
    """Run ``config`` into the folder ``out`` (a folder of the same run is resumed); keyword
    arguments as :func:`_start_run` takes them (llm, settings, factories, executor,
    on_event)."""
    with _run_lock(out):
        return _start_run(config, out, **kwargs)


def resume_run(out: Path, **kwargs: Any) -> RunResult:
    """Continue the run in ``out``; keyword arguments as :func:`_resume_run` takes them."""
    if not ResultStore(out).has_run():  # said before any lock file is made beside it
        return _resume_run(out, **kwargs)
    with _run_lock(out):
        return _resume_run(out, **kwargs)


def _start_run(
    config: RunConfig,
    out: Path,
    *,
    llm: Any = None,
    settings: Any = None,
    factories: dict[str, StrategyFactory] | None = None,
    executor: Callable[..., Any] | None = None,
    on_event: EventHandler | None = None,
) -> RunResult:
    """Run ``config`` into the folder ``out`` (a folder of the same run is resumed)."""
    store = ResultStore(out)
    if store.has_run():
        recorded = RunConfig.model_validate(store.read_run().get("config") or {})
        if recorded != config:
            was, now = recorded.model_dump(), config.model_dump()
            differ = [f"{k} {was[k]!r} there, {now[k]!r} here" for k in now if was.get(k) != now[k]]
            raise EvalError(
                f"{out} already holds a different run ({'; '.join(differ)})",
                hint=f"`optiform eval resume {out}` continues it; or choose another --out",
            )
        return _resume_run(out, llm=llm, settings=settings, factories=factories,
                          executor=executor, on_event=on_event)
    if out.exists() and not out.is_dir():
        raise EvalError(f"{out} is a file, not a folder", hint="choose a new --out folder")
    if out.is_dir() and any(out.iterdir()):
        raise EvalError(f"{out} holds files but no eval run",
                        hint="choose an empty or new --out folder: a run writes run.json, "
                             "results.jsonl, summary.json and a report there")
    specs = config.specs()
    for spec in specs:  # a misspelt strategy must not leave a run folder behind
        strategy_factory(spec, factories)
    settings = settings if settings is not None else make_settings(config)
    configured = getattr(settings, "benchmarks_dir", None)
    dataset = load_dataset(config.dataset, config.split, limit=config.limit, skip=config.skip,
                           configured=configured)
    left_out = hold_out(dataset, config.held_out_from, configured)
    llm = llm if llm is not None else build_llm(settings)
    model = provenance.model_name(llm, settings)
    extra = _hash_extra(settings, model)
    backend = getattr(settings, "effective_backend", None)
    info = {
        "config": config.model_dump(),
        "strategies": [
            {"label": s.label, "name": s.name, "options": s.opts, "hash": s.config_hash(extra),
             "library": strategy_library(s, settings),
             "guidance": strategy_guidance(s, settings)}
            for s in specs
        ],
        "model": model,
        "backend": backend,
        "hash_inputs": extra,
        "dataset": {
            "name": dataset.name, "split": dataset.split, "path": str(dataset.path.resolve()),
            "sha256": dataset.sha256, "items": len(dataset), "skipped_records": dataset.skipped,
            **({"held_out_from": left_out} if config.held_out_from else {}),
        },
        "versions": provenance.package_versions(),
        "git": provenance.git_commit(),
        "created": provenance.now_iso(),
        "resumed": [],
    }
    made = [(e["label"], e["library"]["path"]) for e in info["strategies"]
            if (e.get("library") or {}).get("made")]
    if made:  # said in the report: a misspelt library_path measures the seed without a word
        info["notes"] = [f"{label}: no library was at {path}, so a new one, the seed "
                         "library, was made there" for label, path in made]
    store.write_run(info)
    return _execute(store, info, dataset, llm, settings, factories, executor, on_event)


def _resume_run(
    out: Path,
    *,
    llm: Any = None,
    settings: Any = None,
    factories: dict[str, StrategyFactory] | None = None,
    executor: Callable[..., Any] | None = None,
    on_event: EventHandler | None = None,
    workers: int | None = None,
) -> RunResult:
    """Run the pairs of the recorded run in ``out`` that have no result yet.

    ``workers`` overrides the recorded number of concurrent items (results do not depend
    on it)."""
    store = ResultStore(out)
    info = store.read_run()
    config = RunConfig.model_validate(info["config"])
    settings = settings if settings is not None else make_settings(config)
    meta = info["dataset"]
    path = Path(meta["path"])
    if not path.is_file():
        raise EvalError(f"the run's data set file {path} is gone",
                        hint="put it back at that path to resume")
    dataset = load_file(path, name=meta["name"], split=meta["split"])
    if dataset.sha256 != meta["sha256"]:
        raise EvalError(f"the data set file {path} changed since the run started",
                        hint="start a new run with another --out")
    dataset.items = window(dataset.items, skip=config.skip, limit=config.limit)
    if config.held_out_from:  # the items left out when the run started, by id
        gone = {i for ids in meta.get("held_out_from", {}).values() for i in ids}
        dataset.items = [item for item in dataset.items if item.id not in gone]
    llm = llm if llm is not None else build_llm(settings)
    now = provenance.now_iso()
    info["resumed"] = [*info.get("resumed", []), now]
    notes: list[str] = []
    for entry in info.get("strategies", []):
        spec = StrategySpec(entry["name"], tuple(sorted(entry.get("options", {}).items())))
        if "library" in entry and _content(current := strategy_library(spec, settings)) != \
                _content(entry["library"]):
            notes.append(f"{now}: resumed with another experience library for {entry['label']}: "
                         f"{provenance.library_text(current)} (the run started with "
                         f"{provenance.library_text(entry['library'])})")
        if "guidance" in entry and (guided := strategy_guidance(spec, settings)) != \
                entry["guidance"]:
            shown = (guided or {}).get("start", "none")
            first = (entry["guidance"] or {}).get("start", "none")
            notes.append(f"{now}: resumed with other guidance for {entry['label']}: {shown!r} "
                         f"(the run started with {first!r}); its later items used the new text")
    if notes:
        info["notes"] = [*info.get("notes", []), *notes]
    store.write_run(info)
    return _execute(store, info, dataset, llm, settings, factories, executor, on_event,
                    workers=workers)


def _execute(
    store: ResultStore,
    info: dict[str, Any],
    dataset: Dataset,
    llm: Any,
    settings: Any,
    factories: dict[str, StrategyFactory] | None,
    executor: Callable[..., Any] | None,
    on_event: EventHandler | None,
    workers: int | None = None,
) -> RunResult:
    emit = on_event or (lambda event: None)
    existing = store.load()
    done_keys = {r["key"] for r in existing}
    accuracy: dict[str, list[int]] = {}
    for entry in info["strategies"]:
        accuracy[entry["label"]] = [0, 0]
    for record in existing:
        if record.get("strategy") in accuracy:
            accuracy[record["strategy"]][0] += bool(record.get("correct"))
            accuracy[record["strategy"]][1] += 1

    strategies: list[tuple[dict[str, Any], Strategy]] = []
    for entry in info["strategies"]:
        spec = StrategySpec(entry["name"], tuple(sorted(entry["options"].items())))
        trace_dir = store.folder / "traces" / safe_name(entry["label"])
        ctx = StrategyContext(llm=llm, settings=settings, trace_dir=trace_dir, executor=executor)
        strategies.append((entry, build_strategy(spec, ctx, factories)))

    pending = [
        (item, entry, strategy)
        for item in dataset.items
        for entry, strategy in strategies
        if record_key(item.id, entry["label"], entry["hash"]) not in done_keys
    ]
    total = len(dataset.items) * len(strategies)
    done = total - len(pending)
    snapshot = lambda: {k: (v[0], v[1]) for k, v in accuracy.items()}  # noqa: E731
    left_out = (info.get("dataset") or {}).get("held_out_from") or {}
    emit(RunEvent("start", total=total, done=done, accuracy=snapshot(),
                  held_out={k: len(v) for k, v in left_out.items()},
                  held_out_items=len({i for ids in left_out.values() for i in ids}),
                  items=len(dataset.items)))
    records = list(existing)

    def finish(record: dict[str, Any]) -> None:
        nonlocal done
        store.append(record)
        records.append(record)
        done += 1
        stats = accuracy.setdefault(record["strategy"], [0, 0])
        stats[0] += bool(record["correct"])
        stats[1] += 1
        emit(RunEvent("item", total=total, done=done, record=record, accuracy=snapshot()))

    def work(task: tuple[Item, dict[str, Any], Strategy]) -> dict[str, Any]:
        item, entry, strategy = task
        return solve_one(item, entry, strategy, dataset, store.folder)

    workers = effective_workers(info.get("backend"), workers or info["config"].get("workers", 1))
    store.open()
    try:
        if workers == 1:
            for task in pending:
                finish(work(task))
        else:
            _run_pool(pending, work, finish, workers)
    finally:
        store.close()
    details = provenance.llm_info(llm)
    if details:
        info["llm_info"] = details
        store.write_run(info)
    emit(RunEvent("done", total=total, done=done, accuracy=snapshot()))
    return RunResult(out=store.folder, total=total, skipped=total - len(pending),
                     ran=len(pending), records=records)


def _run_pool(pending: list[Any], work: Callable[[Any], dict[str, Any]],
              finish: Callable[[dict[str, Any]], None], workers: int) -> None:
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="eval") as pool:
        futures = {pool.submit(work, task) for task in pending}
        try:
            while futures:
                finished, futures = wait(futures, return_when=FIRST_EXCEPTION)
                failure = None
                for future in finished:
                    if future.exception() is not None:
                        failure = failure or future.exception()
                    else:
                        finish(future.result())
                if failure is not None:
                    for future in futures:
                        future.cancel()
                    for future in futures:  # let items already running finish and count
                        if not future.cancelled() and future.exception() is None:
                            finish(future.result())
                    raise failure
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
