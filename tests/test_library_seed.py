"""The packaged seed library: size, ids, fragments in the formulation language, prompt size."""

from __future__ import annotations

import re

import pytest

from optiform.library.insight import render_prompt
from optiform.library.store import seed_insights
from optiform.solvers.expr import parse, parse_for_each

SEEDS = seed_insights()
_FOR_EACH = re.compile(r'^for_each\s+"([^"]+)"\s*:\s*(.+)$')
_VAR = re.compile(r"^var\s+[A-Za-z_]\w*(\[[A-Za-z_, ]+\])?\s*:\s*(continuous|integer|binary)"
                  r"(\s+(lb|ub)=(null|-?\d+(\.\d+)?))*$")
_OBJECTIVE = re.compile(r"^(minimize|maximize)\s*:\s*(.+)$")


def check_fragment(fragment: str) -> None:
    """Every part of an example fragment is valid formulation-language text."""
    for part in (p.strip() for p in fragment.split(" ; ")):
        if part.startswith("var "):
            assert _VAR.match(part), part
        elif m := _FOR_EACH.match(part):
            parse_for_each(m.group(1))
            parse(m.group(2))
        elif m := _OBJECTIVE.match(part):
            parse(m.group(2))
        elif " or " in part:  # the wrong fragment of either-or shows an invalid disjunction
            for side in part.split(" or "):
                parse(side)
        else:
            parse(part)


def test_seed_size_and_unique_ids() -> None:
    assert 20 <= len(SEEDS) <= 40
    assert len({s.id for s in SEEDS}) == len(SEEDS)
    assert len({s.label for s in SEEDS}) == len(SEEDS)


@pytest.mark.parametrize("insight", SEEDS, ids=[s.id for s in SEEDS])
def test_seed_fragments_parse(insight) -> None:
    check_fragment(insight.example.wrong)
    check_fragment(insight.example.right)
    assert insight.example.wrong != insight.example.right
    assert insight.condition.applies_when and insight.explanation


def test_seed_prompt_renderings_are_short_and_keep_examples() -> None:
    for s in SEEDS:
        text = render_prompt(s)
        assert len(text) <= 340, s.id
        assert s.example.right in text, s.id
        assert s.taxonomy.label in text


def test_check_fragment_rejects_bad_text() -> None:
    from optiform.errors import FormulationError

    with pytest.raises(FormulationError, match=r"not allowed|syntax"):
        check_fragment("x.value <= 3")
