"""Comparisons across recorded reports: the spec, the table, the figure, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from optiform.errors import EvalError
from optiform.evals.compare import load_bars, markdown_table, panels


def summary(commit: str, strategies: dict[str, tuple[int, int, int]],
            listed: bool = False) -> dict:
    """A summary.json as `eval report` writes it: strategy -> (right, executed, n); with
    ``listed`` the items too (item i is right for i < right)."""
    def stats(right: int, executed: int, n: int) -> dict:
        out = {"n": n, "correct": {"1e-4": right}, "accuracy": {"1e-4": right / n},
               "execution_rate": executed / n}
        if listed:
            out |= {"items": [f"i{k}" for k in range(n)],
                    "right_items": [f"i{k}" for k in range(right)]}
        return out

    return {
        "tolerances": ["1e-4"], "primary": "1e-4",
        "runs": [{"git": {"commit": commit + "0" * 33},
                  "config": {"strategies": list(strategies)}, "libraries": {}}],
        "groups": [{"dataset": "toy", "split": "test", "strategies": {
            name: stats(*figures) for name, figures in strategies.items()}}],
    }


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "summary.json").write_text(json.dumps(
        summary("aaaaaaa", {"agent": (6, 9, 10), "agent:library=off": (4, 10, 10)})))
    (tmp_path / "b" / "summary.json").write_text(json.dumps(
        summary("bbbbbbb", {"agent:library_path=x": (15, 19, 20)})))
    path = tmp_path / "cmp" / "spec.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"title": "Library ablation", "bars": [
        {"panel": "toy", "label": "(a) none", "summary": "../a/summary.json",
         "strategy": "agent:library=off"},
        {"panel": "toy", "label": "(b) seed", "summary": "../a/summary.json",
         "strategy": "agent"},
        {"panel": "other", "label": "(d) learned", "summary": "../b/summary.json",
         "strategy": "agent:library_path=x"},
    ]}))
    return path


def test_bars_come_from_the_named_summaries_with_their_commits(spec: Path) -> None:
    title, bars = load_bars(spec)
    assert title == "Library ablation"
    assert [(b.label, b.right, b.n, b.commit) for b in bars] == [
        ("(a) none", 4, 10, "aaaaaaa"), ("(b) seed", 6, 10, "aaaaaaa"),
        ("(d) learned", 15, 20, "bbbbbbb")]
    assert list(panels(bars)) == ["toy", "other"]
    table = markdown_table(bars)
    assert "| toy | (a) none | 40.0% (4/10) |  |  |  | 100.0% | aaaaaaa |" in table
    assert "| toy | (b) seed | 60.0% (6/10) | +20.0 | n/a | n/a | 90.0% | aaaaaaa |" in table
    assert "| other | (d) learned | 75.0% (15/20) |  |  |  | 95.0% | bbbbbbb |" in table


def test_bars_of_reports_that_list_their_items_are_compared_item_by_item(
        tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text(json.dumps(summary(
        "aaaaaaa", {"none": (2, 10, 10), "seed": (9, 10, 10)}, listed=True)))
    (tmp_path / "spec.json").write_text(json.dumps({"bars": [
        {"panel": "toy", "label": label, "summary": "summary.json", "strategy": label}
        for label in ("none", "seed")]}))
    _, bars = load_bars(tmp_path / "spec.json")
    # seed is right on i0..i8, none on i0..i1: 7 won, none lost, p = 2 / 2**7
    assert "| +70.0 | +7 / -0 of 10 | 0.02 |" in markdown_table(bars)


def test_the_sign_test_is_exact_and_two_sided() -> None:
    from optiform.evals.stats import paired, sign_test_p

    assert sign_test_p(0, 0) == 1.0 and sign_test_p(3, 3) == 1.0
    assert sign_test_p(7, 0) == pytest.approx(2 / 128)
    assert sign_test_p(11, 4) == pytest.approx(sign_test_p(4, 11))
    assert sign_test_p(11, 4) == pytest.approx(0.1185, abs=1e-4)
    pair = paired({"a", "b", "c", "d"}, {"a", "b"}, {"b", "c", "d", "e"}, {"c", "d", "e"})
    assert (pair.shared, pair.wins, pair.losses) == (3, 2, 1)
    with pytest.raises(ValueError):
        sign_test_p(-1, 2)


def test_a_spec_naming_what_is_not_there_says_what_is(spec: Path, tmp_path: Path) -> None:
    data = json.loads(spec.read_text())
    data["bars"][0]["strategy"] = "agent:nope"
    spec.write_text(json.dumps(data))
    with pytest.raises(EvalError) as err:
        load_bars(spec)
    assert "no strategy 'agent:nope'" in err.value.message
    assert "agent:library=off" in (err.value.hint or "")
    data["bars"][0]["summary"] = "../missing/summary.json"
    spec.write_text(json.dumps(data))
    with pytest.raises(EvalError, match="does not exist"):
        load_bars(spec)
    spec.write_text(json.dumps({"bars": [{"panel": "toy"}]}))
    with pytest.raises(EvalError, match="lacks label, summary, strategy"):
        load_bars(spec)
    spec.write_text("{not json")
    with pytest.raises(EvalError, match="cannot be read"):
        load_bars(spec)


def test_cli_draws_the_figure_and_prints_the_table(spec: Path) -> None:
    from optiform.commands import eval as eval_cmd

    app = typer.Typer()
    eval_cmd.register(app)

    @app.callback()
    def main() -> None:  # keeps `eval` a subcommand
        """test app"""

    result = CliRunner().invoke(app, ["eval", "compare", str(spec), "--target", "10"])
    assert result.exit_code == 0, result.output
    assert "| toy | (b) seed | 60.0% (6/10) | +20.0 | n/a |" in result.output
    png = spec.with_suffix(".png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    bad = CliRunner().invoke(app, ["eval", "compare", str(spec.parent / "none.json")])
    # rich wraps a long temporary path, so the words are compared without line breaks
    assert bad.exit_code == 2 and "does not exist" in " ".join(bad.output.split())
    for out, error in ((spec.parent / "fig.txt", "a figure is a .png, .svg or .pdf"),
                       (spec.parent / "new" / "dir" / "fig.png", None)):
        got = CliRunner().invoke(app, ["eval", "compare", str(spec), "--out", str(out)])
        if error:
            assert got.exit_code == 2 and error in " ".join(got.output.split())
        else:  # folders that do not exist yet are made, as `export -o` does
            assert got.exit_code == 0, got.output
            assert out.read_bytes()[:4] == b"\x89PNG"
