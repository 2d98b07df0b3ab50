"""`optiform library`: browse, search, edit, share, learn and evolve the experience library.

A thin face: options in, store calls, rich output. Learning and evolution are wired to the
real agent in :mod:`optiform.commands.library_jobs`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from optiform.commands.failure import fail
from optiform.commands.home_paths import expanded_path
from optiform.errors import InputError, LibraryError, OptiformError

if TYPE_CHECKING:
    from optiform.library.store import InsightStore

_PATH_HELP = "Library file (default: library.sqlite in the data dir, or OPTIFORM_LIBRARY_PATH)."




def _console() -> Any:
    from rich.console import Console

    return Console(emoji=False)


def _open(ctx: typer.Context, *, create: bool = False, seed: bool = True) -> InsightStore:
    """The library at :func:`_library_path`. ``seed=False``: a library made now starts empty
    (an existing one is not seeded either)."""
    from optiform.library.store import InsightStore

    return InsightStore(_library_path(ctx, create=create), seed=seed)


def _library_path(ctx: typer.Context, *, create: bool = False) -> Path:
    """--path, or the library_path setting, or the default library (made, from the seed, on
    first use). A --path or setting that names no file is an error unless the command makes
    a library (import, learn, evolve, verify): a misspelt path must not show a fresh seed
    library as the user's."""
    from optiform.config import load_settings
    from optiform.library.store import default_store_path

    path = (ctx.obj or {}).get("path")
    if path is not None:
        if not create and not Path(path).exists():
            raise LibraryError(f"no library at {path}",
                               hint="check the path; `optiform library --path PATH import "
                                    "FILE` or `... learn` makes one there")
        return Path(path)
    settings = load_settings()
    named = settings.library_path  # OPTIFORM_LIBRARY_PATH or the config file
    if named is not None and not create and not Path(named).exists():
        raise LibraryError(f"no library at {named} (the library_path setting)",
                           hint="check OPTIFORM_LIBRARY_PATH and the config file; a solve, "
                                "`library import FILE` or `library learn` makes one there")
    from optiform.library.store import library_outside_data_home

    earlier = library_outside_data_home(settings)
    here = default_store_path(settings)
    if earlier is not None:
        from rich.console import Console

        from optiform.commands.answer_view import note_view

        Console(stderr=True, emoji=False).print(note_view(
            f"a library made outside data_home is at {earlier}; this command uses {here}, not "
            f"that one. To bring that one over: optiform library --path {earlier} export "
            "lib.json, then optiform library import lib.json"))
    return here


def _quiet_stdout() -> None:
    """After a broken pipe, send what is left of stdout nowhere, so the interpreter's own
    flush at exit does not complain (as Python's docs on SIGPIPE advise)."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _edited(ctx: typer.Context, insight_id: str, changes: dict[str, Any], reason: str) -> None:
    from optiform.library.insight import Condition, Example, Taxonomy

    store = _open(ctx)
    ins = store.get(insight_id)
    text: str | None = None  # what the user typed in the editor, kept if it cannot be saved
    if not changes:
        editable = {"taxonomy": ins.label, "applies_when": ins.condition.applies_when,
                    "not_applies_when": ins.condition.not_applies_when,
                    "explanation": ins.explanation, "wrong": ins.example.wrong,
                    "right": ins.example.right}
        from optiform.commands import editor

        text = editor.edit_text(json.dumps(editable, indent=2, ensure_ascii=False) + "\n",
                                suffix=".json")
        if text is None:
            _console().print("no change")
            return
        try:
            changes = {k: v for k, v in json.loads(text).items() if editable.get(k) != v}
        except (json.JSONDecodeError, AttributeError) as exc:
            kept = _keep_edit(text)
            raise InputError(f"the edited text is not a JSON object ({exc}); nothing was "
                             f"saved, and your text is in {kept}",
                             hint=f"fix it and give the changes as options, or edit again "
                                  f"and paste from {kept}") from None
        problem = _edit_problem(changes, set(editable))
        if problem:
            kept = _keep_edit(text)
            raise InputError(f"{problem}; nothing was saved, and your text is in {kept}",
                             hint="edit again and paste from it")
    else:
        problem = _edit_problem(changes, set(changes))
        if problem:
            raise InputError(problem, hint="`optiform library show ID` shows the current text")
    if not changes:
        _console().print("no change")
        return
    cond, ex = ins.condition, ins.example
    try:
        revised = ins.revise(
            reason=reason,
            taxonomy=Taxonomy.parse(changes["taxonomy"]) if "taxonomy" in changes else None,
            condition=Condition(
                applies_when=changes.get("applies_when", cond.applies_when),
                not_applies_when=changes.get("not_applies_when", cond.not_applies_when)),
            explanation=changes.get("explanation"),
            example=Example(wrong=changes.get("wrong", ex.wrong),
                            right=changes.get("right", ex.right)),
        )
    except ValueError as exc:  # pydantic's ValidationError too: name the field, not its docs
        if text is not None:
            kept = _keep_edit(text)
            raise InputError(f"the edit is not a valid insight: {_validation_text(exc)}; "
                             f"nothing was saved, and your text is in {kept}",
                             hint="edit again and paste from it") from None
        raise InputError(f"the edit is not a valid insight: {_validation_text(exc)}",
                         hint="`optiform library show ID` shows the current text") from None
    try:
        saved = store.save_revision(revised)
    except LibraryError as exc:  # changed meanwhile (an edit, a disable, verify)
        if text is None:
            raise
        kept = _keep_edit(text)
        raise LibraryError(f"{exc.message}; nothing was saved, and your text is in {kept}",
                           hint="edit again and paste from it") from None
    _console().print(f"saved {saved.id} as version {saved.version}")


_REQUIRED = ("taxonomy", "applies_when", "explanation", "wrong", "right")


def _edit_problem(changes: dict[str, Any], known: set[str]) -> str | None:
    """What makes an edit unusable: a field that is not an insight's, a value that is not
    text, or a required field left blank; None when it is fine."""
    for key, value in changes.items():
        if key not in known:
            return f"{key!r} is not a field of an insight (fields: {', '.join(sorted(known))})"
        if not isinstance(value, str):
            return f"{key} must be text, not {type(value).__name__}"
        if key in _REQUIRED and not value.strip():
            return f"{key} must not be blank"
    return None


def _keep_edit(text: str) -> Path:
    """Save an edit that could not be used where the user finds it again."""
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="optiform-edit-",
                                     delete=False, encoding="utf-8") as fh:
        fh.write(text)
    return Path(fh.name)


def _validation_text(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    parts = []
    for e in errors()[:3]:
        field = ".".join(str(p) for p in e.get("loc", ()))
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{field}: {msg}" if field else msg)
    return "; ".join(parts)


def register(app: typer.Typer) -> None:
    lib = typer.Typer(help="The experience library: insights learned from modeling mistakes.",
                      no_args_is_help=True)
    app.add_typer(lib, name="library")

    @lib.callback()
    def _main(ctx: typer.Context,
              path: Path | None = typer.Option(None, "--path", "-p", help=_PATH_HELP)) -> None:
        ctx.obj = {"path": path}

    @lib.command("list")
    def list_(ctx: typer.Context,
              status: str = typer.Option("all", help="active, disabled or all."),
              table: bool = typer.Option(False, "--table", help="A table instead of a tree."),
              category: str | None = typer.Option(None, help="Only this category.")) -> None:
        """The insights as a taxonomy tree (domain / category / label) with usage counts."""
        from optiform.library.render import insights_table, taxonomy_tree
        from optiform.terminal_layout import Trimmed

        if status not in ("active", "disabled", "all"):
            raise typer.BadParameter("status must be active, disabled or all")
        try:
            items = _open(ctx).insights(status)  # type: ignore[arg-type]
        except OptiformError as err:
            raise fail(err) from err
        if category:
            known = sorted({i.taxonomy.category for i in items})
            items = [i for i in items if i.taxonomy.category == category]
            if not items:
                err = InputError(f"no {'' if status == 'all' else status + ' '}insight in "
                                 f"category {category!r}",
                                 hint=f"categories: {', '.join(known) or 'none'}")
                raise fail(err)
        console = _console()
        console.print(Trimmed(insights_table(items, console.width) if table
                              else taxonomy_tree(items)))

    @lib.command("show")
    def show(ctx: typer.Context, insight_id: str = typer.Argument(..., metavar="ID")) -> None:
        """One insight in full, with its version history."""
        from optiform.library.render import insight_view

        try:
            _console().print(insight_view(_open(ctx).get(insight_id)))
        except OptiformError as err:
            raise fail(err) from err

    @lib.command("search")
    def search(ctx: typer.Context, query: str = typer.Argument(..., help="Problem text."),
               k: int = typer.Option(4, "-k", help="How many insights."),
               mode: str | None = typer.Option(None, help="auto, embedding or keyword "
                                               "(default: the library_retrieval setting)."),
               threshold: float | None = typer.Option(None, help="Lowest score kept."),
               file: bool = typer.Option(False, "--file", help="QUERY is a file to read.")) -> None:
        """The insights retrieval picks for a problem text, with their scores."""
        from optiform.config import load_settings
        from optiform.library.render import search_view
        from optiform.library.retrieval import Retriever
        from optiform.terminal_layout import Trimmed

        if mode not in (None, "auto", "embedding", "keyword"):
            raise typer.BadParameter("mode must be auto, embedding or keyword")
        source = expanded_path(query, "'QUERY'") if file else None
        try:
            settings = load_settings()
            text = source.read_text(encoding="utf-8") if source is not None else query
            if not text.strip():
                raise InputError("the search text is empty",
                                 hint="give a problem text, or --file FILE")
            if k < 1:
                raise InputError(f"-k must be at least 1, not {k}", hint="e.g. -k 4")
            if threshold is not None and not 0.0 <= threshold <= 1.5:  # nan too
                raise InputError(f"--threshold must be a score from 0 to 1.5, not {threshold}",
                                 hint="e.g. --threshold 0.3 (keyword scores run to 1, "
                                      "embedding scores to 1.5); 0 shows the top k whatever "
                                      "their score")
            store = _open(ctx)
            retriever = Retriever(store, mode=mode or settings.library_retrieval,  # type: ignore[arg-type]
                                  threshold=threshold if threshold is not None
                                  else settings.library_threshold)
            found = retriever.retrieve(text, k)
            console = _console()
            console.print(Trimmed(search_view(found, retriever.mode, retriever.threshold,
                                              len(store.active()), console.width)))
        except (OSError, UnicodeDecodeError) as exc:
            raise typer.BadParameter(f"cannot read {query}: {exc}") from exc
        except OptiformError as err:
            raise fail(err) from err

    @lib.command("edit")
    def edit(ctx: typer.Context, insight_id: str = typer.Argument(..., metavar="ID"),
             applies_when: str | None = typer.Option(None, help="When it applies."),
             not_applies_when: str | None = typer.Option(None, help="When it does not."),
             explanation: str | None = typer.Option(None, help="Why."),
             wrong: str | None = typer.Option(None, help="The wrong fragment."),
             right: str | None = typer.Option(None, help="The right fragment."),
             taxonomy: str | None = typer.Option(
                 None, help="domain/category/label (category/label: the domain general)."),
             reason: str = typer.Option("edited by hand", help="Kept in the history.")) -> None:
        """Change an insight (a new version; the old one stays in its history).

        With no options, opens $EDITOR on the editable fields as JSON.
        """
        if not reason.strip():
            raise fail(InputError("--reason must not be blank: the history keeps why each "
                                  "version was replaced", hint='e.g. --reason "too broad"'))
        given = {"applies_when": applies_when, "not_applies_when": not_applies_when,
                 "explanation": explanation, "wrong": wrong, "right": right,
                 "taxonomy": taxonomy}
        try:
            _edited(ctx, insight_id, {k: v for k, v in given.items() if v is not None}, reason)
        except OptiformError as err:
            raise fail(err) from err

    def _set_status(ctx: typer.Context, ids: list[str], status: str) -> None:
        """All of the ids or none: an unknown one stops the command before any change."""
        ids = list(dict.fromkeys(ids))  # an id given twice is one change
        try:
            store = _open(ctx)
            with store.transaction():
                for insight_id in ids:
                    store.set_status(insight_id, status)  # type: ignore[arg-type]
        except OptiformError as err:
            if len(ids) > 1 and isinstance(err, LibraryError):
                verb = "disabled" if status == "disabled" else "enabled"
                err = LibraryError(f"{err.message}; none of the {len(ids)} was {verb}",
                                   hint=err.hint)
            raise fail(err) from err
        for insight_id in ids:
            _console().print(f"{insight_id}: {status}")

    @lib.command("disable")
    def disable(ctx: typer.Context, ids: list[str] = typer.Argument(..., metavar="ID...")) -> None:
        """Stop retrieving these insights (they stay in the library)."""
        _set_status(ctx, ids, "disabled")

    @lib.command("enable")
    def enable(ctx: typer.Context, ids: list[str] = typer.Argument(..., metavar="ID...")) -> None:
        """Retrieve these insights again."""
        _set_status(ctx, ids, "active")

    @lib.command("export")
    def export(ctx: typer.Context,
               dest: str = typer.Argument(..., metavar="FILE", help="JSON file, or - for stdout.")
               ) -> None:
        """Write every insight (counts and history included) to a JSON file."""
        from optiform.file_paths import same_path
        from optiform.library.store import InsightStore

        if dest != "-":
            dest = str(expanded_path(dest, "'FILE'"))
        try:
            where = _library_path(ctx)  # found once: the check and the store read the same
            if dest != "-" and same_path(dest, where):
                raise InputError(f"{dest} is the library itself; exporting there would "
                                 "overwrite it", hint="give another file name, e.g. "
                                                      "library.json")
            store = InsightStore(where)
            if dest == "-":
                text = json.dumps(store.export_data(), indent=2, ensure_ascii=False) + "\n"
                try:
                    sys.stdout.write(text)
                    sys.stdout.flush()
                except BrokenPipeError:  # `export - | head`: the reader has what it wanted
                    _quiet_stdout()
                return
            n = store.export_json(dest)
        except OSError as exc:
            raise typer.BadParameter(f"cannot write {dest}: {exc}") from exc
        except OptiformError as err:
            raise fail(err) from err
        _console().print(f"exported {n} insights to {dest}")

    @lib.command("import")
    def import_(ctx: typer.Context,
                src: Path = typer.Argument(..., metavar="FILE"),
                replace: bool = typer.Option(False, "--replace",
                                             help="Drop every insight first.")) -> None:
        """Add the insights of an export. One with the same id is replaced (with its counts
        and history) when the export's version is later; a later library version is kept;
        at the same version the library's stays, gaining the usage events it lacks, or, when
        the two were edited apart, stays and is named as a conflict. A library that does not
        exist yet becomes exactly the export."""
        from optiform.library.exports import read_export

        try:
            export = read_export(src)  # checked in full before the library is touched
            result = _open(ctx, create=True, seed=False).import_export(export, replace=replace)
        except OptiformError as err:
            raise fail(err) from err
        _console().print(result.summary())

    @lib.command("stats")
    def stats(ctx: typer.Context) -> None:
        """Insights and usage counts by category."""
        from optiform.library.render import stats_table
        from optiform.terminal_layout import Trimmed

        try:
            store = _open(ctx)
            _console().print(Trimmed(stats_table(store.insights())))
            missing = store.missing_seed()
        except OptiformError as err:
            raise fail(err) from err
        if missing:
            _console().print(f"{len(missing)} seed insight{'s' if len(missing) > 1 else ''} of "
                             f"this optiform {'are' if len(missing) > 1 else 'is'} not in the "
                             f"library ({', '.join(i.id for i in missing)}): `optiform library "
                             f"seed` adds {'them' if len(missing) > 1 else 'it'}.")

    @lib.command("seed")
    def seed(ctx: typer.Context) -> None:
        """Add the packaged seed insights the library lacks (those a later optiform added to
        its seed). An insight the library holds, edited or disabled, stays as it is."""
        try:
            added = _open(ctx).add_missing_seed()
        except OptiformError as err:
            raise fail(err) from err
        _console().print(f"added {len(added)} seed insight{'' if len(added) == 1 else 's'}"
                         + (f": {', '.join(added)}" if added else "; the library has them all"))

    from optiform.commands.library_jobs import register_jobs

    register_jobs(lib, lambda ctx: _open(ctx, create=True), fail)
