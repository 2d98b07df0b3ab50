"""The insight model and the SQLite store: edits, usage, export/import, concurrent writers."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from optiform.errors import LibraryError
from optiform.library.exports import ImportResult
from optiform.library.insight import (
    Condition,
    Example,
    Insight,
    Taxonomy,
    new_insight_id,
)
from optiform.library.store import (
    InsightStore,
    default_store_path,
    library_outside_data_home,
    seed_insights,
)


def make(iid: str, applies: str = "a resource is available", label: str = "limit") -> Insight:
    return Insight(
        id=iid,
        taxonomy=Taxonomy(domain="general", category="constraints", label=label),
        condition=Condition(applies_when=applies, not_applies_when="all of it must be used"),
        explanation="Availability caps use.",
        example=Example(wrong="x + y == 10", right="x + y <= 10"),
        provenance=["nl4opt:F1"],
    )


@pytest.fixture
def store(tmp_path: Path) -> InsightStore:
    s = InsightStore(tmp_path / "lib.sqlite", seed=False)
    yield s
    s.close()


def test_taxonomy_parse_and_slug() -> None:
    t = Taxonomy.parse("Production/Time Limits/Machine Hours")
    assert t.path == "production/time-limits/machine-hours"
    assert Taxonomy.parse("constraints/x").domain == "general"
    with pytest.raises(ValueError):
        Taxonomy.parse("only-one")
    for gap in ("a//b", "/a/b", "a/b/"):  # a part left out is no shorter path
        with pytest.raises(ValueError, match="has an empty part"):
            Taxonomy.parse(gap)
    assert new_insight_id(t).startswith("machine-hours-")


def test_insight_rejects_bad_id() -> None:
    with pytest.raises(ValueError):
        make("Bad Id!")


def test_revise_keeps_history() -> None:
    ins = make("limit-1")
    new = ins.revise(reason="narrowed",
                     condition=Condition(applies_when="x", not_applies_when="y"))
    assert new.version == 2 and ins.version == 1
    assert new.history[-1].version == 1
    assert new.history[-1].condition == ins.condition
    assert new.history[-1].reason == "narrowed"
    assert new.explanation == ins.explanation


def test_default_path_under_user_data_dir(_isolate_user_dirs: Path) -> None:
    assert default_store_path() == _isolate_user_dirs / "data" / "library.sqlite"


def test_seeded_once_on_first_open(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite"
    with InsightStore(path) as s:
        n = len(s.insights())
        assert n == len(seed_insights())
        s.delete(s.insights()[0].id)
    with InsightStore(path) as s:
        assert len(s.insights()) == n - 1  # a deleted seed does not come back


def test_add_get_and_errors(store: InsightStore) -> None:
    store.add(make("limit-1"))
    assert store.get("limit-1").condition.applies_when == "a resource is available"
    with pytest.raises(LibraryError, match="already exists"):
        store.add(make("limit-1"))
    with pytest.raises(LibraryError, match="did you mean 'limit-1'"):
        store.get("limit-2")


def test_status_provenance_and_filter(store: InsightStore) -> None:
    store.add(make("a-1"))
    store.add(make("b-1"))
    store.set_status("a-1", "disabled")
    assert [i.id for i in store.active()] == ["b-1"]
    assert [i.id for i in store.insights("disabled")] == ["a-1"]
    store.add_provenance("b-1", ["nl4opt:F1", "nl4opt:F2"])
    assert store.get("b-1").provenance == ["nl4opt:F1", "nl4opt:F2"]


def test_save_revision_detects_concurrent_edit(store: InsightStore) -> None:
    store.add(make("limit-1"))
    base = store.get("limit-1")
    first = base.revise(reason="one", explanation="first edit")
    second = base.revise(reason="two", explanation="second edit")
    assert store.save_revision(first).version == 2
    with pytest.raises(LibraryError, match="changed meanwhile"):
        store.save_revision(second)
    assert store.get("limit-1").explanation == "first edit"


def test_a_status_change_is_a_version_a_stale_revision_cannot_undo(
        store: InsightStore) -> None:
    store.add(make("limit-1"))
    before = store.get("limit-1")
    rewrite = before.revise(reason="evolve", explanation="rewritten")  # a long replay began
    disabled = store.set_status("limit-1", "disabled")  # meanwhile, by hand or by verify
    assert (disabled.version, disabled.history[-1].reason) == (2, "status set to disabled")
    assert store.set_status("limit-1", "disabled").version == 2  # no change, no version
    with pytest.raises(LibraryError, match="changed meanwhile"):
        store.save_revision(rewrite)  # would have made it active again
    assert store.get("limit-1").status == "disabled"


def test_a_revision_keeps_provenance_added_meanwhile(store: InsightStore) -> None:
    store.add(make("limit-1").model_copy(update={"provenance": ["a"]}))
    edit = store.get("limit-1").revise(reason="by hand", explanation="clearer")
    store.add_provenance("limit-1", ["b"])  # learning merged an item meanwhile
    saved = store.save_revision(edit)
    assert saved.explanation == "clearer" and saved.provenance == ["a", "b"]


def test_a_transaction_commits_all_of_its_writes_or_none(store: InsightStore) -> None:
    store.add(make("limit-1"))
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.record_usage("limit-1", "misled", "i1")
        store.set_progress("run", "i1", "misled")
        raise KeyboardInterrupt
    assert store.get("limit-1").counts.misled == 0 and store.progress("run") == {}
    assert store.usage_events() == []
    with store.transaction():
        store.record_usage("limit-1", "misled", "i1")
        store.set_progress("run", "i1", "misled")
    assert store.get("limit-1").counts.misled == 1 and "i1" in store.progress("run")
    # a write that fails inside the block and is caught there leaves nothing of itself
    with store.transaction():
        with pytest.raises(LibraryError, match="no insight"), store._write() as c:
            c.execute("UPDATE counts SET helped = helped + 1 WHERE id = 'limit-1'")
            raise LibraryError("no insight with id 'x'")
        store.set_progress("run", "i2", "correct")
    assert store.get("limit-1").counts.helped == 0 and "i2" in store.progress("run")


def test_a_deleted_insight_leaves_no_events_and_its_library_round_trips(
        tmp_path: Path) -> None:
    with InsightStore(tmp_path / "a.sqlite") as a:
        gone = a.insights()[0].id
        a.record_usage(gone, "misled", "i1")
        a.delete(gone)
        assert a.usage_events(gone) == []
        data = a.export_data()
        assert a.import_data(data, replace=True) == ImportResult(len(data["insights"]), 0)


def test_usage_counts_and_events(store: InsightStore) -> None:
    store.add(make("limit-1"))
    store.record_usage("limit-1", "helped", "i1")
    store.record_usage("limit-1", "misled", "i2")
    store.record_usage("limit-1", "misled", "i3")
    got = store.get("limit-1").counts
    assert (got.helped, got.misled, got.missed) == (1, 2, 0)
    assert [e.item_id for e in store.usage_events("limit-1")] == ["i1", "i2", "i3"]
    with pytest.raises(LibraryError, match="unknown usage outcome"):
        store.record_usage("limit-1", "great", None)  # type: ignore[arg-type]
    with pytest.raises(LibraryError, match="no insight"):
        store.record_usage("nope", "helped", None)
    store.reset_counts("limit-1", ("misled",))
    assert store.get("limit-1").counts.misled == 0
    assert [e.outcome for e in store.usage_events("limit-1")] == ["helped"]


def test_export_import_round_trip_exact(tmp_path: Path) -> None:
    with InsightStore(tmp_path / "a.sqlite") as a:
        a.add(make("limit-1"))
        a.record_usage("limit-1", "missed", "x")
        a.save_revision(a.get("limit-1").revise(reason="r", explanation="changed"))
        a.set_status("min-max", "disabled")
        out = tmp_path / "export.json"
        n = a.export_json(out)
        first = a.export_data()
    with InsightStore(tmp_path / "b.sqlite", seed=False) as b:
        assert b.import_json(out) == ImportResult(n, 0)
        assert b.export_data() == first
        again = b.import_json(out)  # the same insights again: unchanged, not duplicated
        assert (again.added, again.updated, len(again.same), again.conflicts) == (0, 0, n, ())
        assert b.export_data() == first
    assert json.loads(out.read_text())["insights"] == first["insights"]
    # the usage events travel too: evolve reads which items an insight missed from them
    assert [(e["insight_id"], e["outcome"], e["item_id"]) for e in first["usage"]] == [
        ("limit-1", "missed", "x")]


def test_import_brings_usage_events_and_reads_format_1(tmp_path: Path) -> None:
    with InsightStore(tmp_path / "a.sqlite", seed=False) as a:
        a.add(make("limit-1"))
        a.record_usage("limit-1", "misled", "i1")
        data = a.export_data()
    with InsightStore(tmp_path / "b.sqlite", seed=False) as b:
        b.add(make("limit-1"))
        b.record_usage("limit-1", "helped", "old")
        b.add(make("other-1"))
        b.record_usage("other-1", "helped", "kept")
        b.import_data(data)
        # the same insight, counted in two copies: the events of both, in step with the counts
        assert [(e.outcome, e.item_id) for e in b.usage_events("limit-1")] == [
            ("helped", "old"), ("misled", "i1")]
        assert b.get("limit-1").counts.misled == 1 and b.get("limit-1").counts.helped == 1
        assert [e.item_id for e in b.usage_events("other-1")] == ["kept"]
        b.import_data(data)  # once more: nothing is counted twice
        assert len(b.usage_events("limit-1")) == 2 and b.get("limit-1").counts.misled == 1
        b.save_revision(b.get("limit-1").revise(reason="r", explanation="sharper"))
        b.import_data(data)  # an older version: events and counts stay as they are
        assert [e.item_id for e in b.usage_events("limit-1")] == ["old", "i1"]
        b.delete("limit-1")
        b.import_data(data)  # an insight the library lacks: the export's, with its events
        assert [(e.outcome, e.item_id) for e in b.usage_events("limit-1")] == [("misled", "i1")]
        assert b.get("limit-1").counts.helped == 0
        old = {k: v for k, v in data.items() if k != "usage"} | {"format_version": 1}
        b.record_usage("limit-1", "missed", "later")
        b.import_data(old)  # counts only: the events stay as they are
        assert [e.item_id for e in b.usage_events("limit-1")] == ["i1", "later"]
        for bad, match in [({"format_version": 9}, "format_version 9"),
                           ({"usage": {}}, "'usage' is not a list"),
                           ({"usage": [{"insight_id": "ghost", "outcome": "helped",
                                        "item_id": None, "at": "t"}]}, "insight 'ghost'"),
                           ({"usage": [{"insight_id": "limit-1", "outcome": "great",
                                        "item_id": None, "at": "t"}]}, "outcome 'great'"),
                           ({"usage": [{"insight_id": "limit-1", "outcome": "helped",
                                        "item_id": 3, "at": "t"}]}, "needs 'item_id'")]:
            with pytest.raises(LibraryError, match=match):
                b.import_data({**data, **bad})
        assert [e.item_id for e in b.usage_events("limit-1")] == ["i1", "later"]


def test_import_replace_and_invalid(store: InsightStore, tmp_path: Path) -> None:
    store.add(make("old-1"))
    data = {"format": "optiform-library", "format_version": 1,
            "insights": [make("new-1").model_dump(mode="json")]}
    assert store.import_data(data, replace=True) == ImportResult(1, 0)
    assert [i.id for i in store.insights()] == ["new-1"]
    with pytest.raises(LibraryError, match="not an optiform library export"):
        store.import_data({"insights": []})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(LibraryError, match="cannot read"):
        store.import_json(bad)
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(LibraryError, match="cannot read"):
        store.import_json(bad)
    data["insights"][0]["id"] = "Not Valid"
    with pytest.raises(LibraryError, match=r"insight 1 \('Not Valid'\) is invalid: id: "):
        store.import_data(data)
    data["insights"][0]["id"] = "new-1"
    del data["insights"][0]["explanation"]
    with pytest.raises(LibraryError, match=r"insight 1 \('new-1'\) is invalid: explanation: "
                                           r"Field required"):
        store.import_data(data)
    assert [i.id for i in store.insights()] == ["new-1"]  # nothing half-imported


def test_import_refuses_what_would_lose_data(store: InsightStore) -> None:
    store.add(make("old-1"))
    before = store.export_data()
    base = {"format": "optiform-library", "format_version": 2}
    # a misspelt key is not "no insights": with --replace it would empty the library
    with pytest.raises(LibraryError, match="no 'insights' list"):
        store.import_data({**base, "insight": []}, replace=True)
    twice = [make("new-1").model_dump(mode="json"),
             make("new-1", applies="a second copy").model_dump(mode="json")]
    with pytest.raises(LibraryError, match="more than one insight with the id 'new-1'"):
        store.import_data({**base, "insights": twice})
    huge = make("new-1").model_dump(mode="json") | {"version": 10**30}
    with pytest.raises(LibraryError, match="version"):  # not an OverflowError from SQLite
        store.import_data({**base, "insights": [huge]})
    assert store.export_data() == before


def test_import_keeps_a_later_version_unless_replacing(store: InsightStore) -> None:
    store.add(make("limit-1"))
    old = store.export_data()
    store.save_revision(store.get("limit-1").revise(reason="sharper", explanation="v2"))
    store.record_usage("limit-1", "helped", "i1")
    now = store.export_data()
    result = store.import_data(old)
    assert result.kept == ("limit-1",) and "later than the export's: limit-1" in result.summary()
    assert store.export_data() == now  # version, history, counts and events as they were
    assert store.import_data(old, replace=True).added == len(old["insights"])
    assert store.get("limit-1").version == 1 and store.get("limit-1").counts.helped == 0


def test_an_old_export_rolls_back_no_count_and_two_edits_of_one_version_conflict(
        tmp_path: Path) -> None:
    with InsightStore(tmp_path / "a.sqlite", seed=False) as a:
        a.add(make("limit-1"))
        a.add(make("other-1"))
        old = a.export_data()
        a.record_usage("limit-1", "misled", "later")  # counted after the export
        a.add_provenance("limit-1", ["nl4opt:F9"])
        assert a.import_data(old).same == ("limit-1", "other-1")
        assert a.get("limit-1").counts.misled == 1
        assert [e.item_id for e in a.usage_events("limit-1")] == ["later"]
        assert a.get("limit-1").provenance == ["nl4opt:F1", "nl4opt:F9"]
    with InsightStore(tmp_path / "b.sqlite", seed=False) as b:
        b.import_data(old)
        b.save_revision(b.get("limit-1").revise(reason="in b", explanation="EDIT MADE IN B"))
        theirs = b.export_data()
    with InsightStore(tmp_path / "a.sqlite", seed=False) as a:
        a.save_revision(a.get("limit-1").revise(reason="in a", explanation="EDIT MADE IN A"))
        result = a.import_data(theirs)
        assert result.conflicts == ("limit-1",) and result.updated == 0
        assert "another edit of the same version: limit-1" in result.summary()
        assert a.get("limit-1").explanation == "EDIT MADE IN A"  # nothing lost


def test_an_imported_library_is_the_export_and_never_seeded_later(tmp_path: Path) -> None:
    with InsightStore(tmp_path / "a.sqlite", seed=False) as a:
        a.add(make("mine-1"))
        data = a.export_data()
    with InsightStore(tmp_path / "b.sqlite", seed=False) as b:
        assert b.import_data(data) == ImportResult(1, 0)
    with InsightStore(tmp_path / "b.sqlite") as b:  # seed=True: the seed stays out
        assert [i.id for i in b.insights()] == ["mine-1"]


def test_default_path_follows_the_data_home(tmp_path: Path) -> None:
    from optiform.config import Settings

    home = tmp_path / "home"
    assert default_store_path(Settings(data_home=home)) == home / "library.sqlite"
    from optiform.config_paths import user_data_dir

    earlier = user_data_dir() / "library.sqlite"  # made before data_home was set
    earlier.parent.mkdir(parents=True, exist_ok=True)
    InsightStore(earlier).close()
    # never used silently: a data_home set for a project must not edit the user's library
    assert default_store_path(Settings(data_home=home)) == home / "library.sqlite"
    assert library_outside_data_home(Settings(data_home=home)) == earlier  # the CLI names it
    InsightStore(home / "library.sqlite").close()
    assert library_outside_data_home(Settings(data_home=home)) is None
    assert library_outside_data_home(Settings()) is None
    explicit = tmp_path / "lib.sqlite"
    assert default_store_path(Settings(data_home=tmp_path, library_path=explicit)) == explicit


def test_a_taxonomy_part_needs_a_letter_or_digit() -> None:
    with pytest.raises(ValueError, match="no letter or digit"):
        Taxonomy.parse("!!/??/..")
    assert Taxonomy.parse("Linear Models/At Least").path == "general/linear-models/at-least"


def test_embedding_cache(store: InsightStore) -> None:
    vec = np.arange(4, dtype=np.float32)
    store.cache_vectors("m", {"k1": vec})
    got = store.cached_vectors(["k1", "k2"], "m")
    assert list(got) == ["k1"] and np.array_equal(got["k1"], vec)
    assert store.cached_vectors(["k1"], "other-model") == {}


def test_progress_table(store: InsightStore) -> None:
    store.set_progress("run", "i1", "correct")
    store.set_progress("run", "i2", "learned", insight_id="x", detail="d")
    assert store.progress("run")["i2"].insight_id == "x"
    assert store.progress("other") == {}
    store.clear_progress("run")
    assert store.progress("run") == {}


def _writer(path: str, tag: str, n: int, start: multiprocessing.synchronize.Event) -> None:
    start.wait(10)
    with InsightStore(path) as s:
        for i in range(n):
            s.add(make(f"{tag}-{i}", applies=f"cue {tag} {i}"))
            s.record_usage("limit-is-inequality", "helped", f"{tag}-{i}")
            s.add_provenance("limit-is-inequality", [f"{tag}-{i}"])  # read-modify-write


def test_two_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.sqlite")
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    n = 40
    procs = [ctx.Process(target=_writer, args=(path, tag, n, start)) for tag in ("p", "q")]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with InsightStore(path) as s:
        ids = {i.id for i in s.insights()}
        assert {f"{t}-{i}" for t in "pq" for i in range(n)} <= ids
        assert len(ids) == len(seed_insights()) + 2 * n  # seeded exactly once
        assert s.get("limit-is-inequality").counts.helped == 2 * n
        assert len(s.usage_events("limit-is-inequality")) == 2 * n
        assert set(s.get("limit-is-inequality").provenance) >= {
            f"{t}-{i}" for t in "pq" for i in range(n)}  # no merge lost to a stale read


def test_reading_a_library_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "lib.sqlite"
    InsightStore(path).close()
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # a learning run in the middle of a write
    writer.execute("UPDATE counts SET helped = helped + 1")
    try:
        with InsightStore(path, timeout=0.2) as reader:  # would raise "locked" when seeding
            assert len(reader.insights()) == len(seed_insights())
    finally:
        writer.execute("ROLLBACK")
        writer.close()
