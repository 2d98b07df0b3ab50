"""check_model.replacement: the fix that writes a whole model anew (a route, a packing, a
schedule) keeps none of the old lines and variables it does not name, and a new line named
like an old one over an index is renamed, since a fix keeps a line's index."""

from __future__ import annotations

from optiform.agent.autofix import apply_fixes
from optiform.agent.check_model import Check, replacement
from optiform.agent.schema import to_formulation
from optiform.solvers.api import solve_formulation

OLD = {"sets": [{"name": "T", "elements": ["a", "b"]}],
       "variables": [{"name": "x", "index": ["T"], "domain": "integer"},
                     {"name": "load1", "domain": "continuous"}],
       "objective": {"sense": "minimize", "expression": "sum(x[t] for t in T)"},
       "constraints": [{"name": "cover", "expression": "x[t] >= 1", "for_each": "t in T"},
                       {"name": "load1", "expression": "load1 >= 3"},
                       {"name": "extra", "expression": "load1 <= 10"}]}


def test_a_whole_model_replaces_the_old_one():
    f = to_formulation(OLD)
    fix = replacement(f, {"cover": "y + z >= 2", "load1": "y <= 5"},
                      {"y": "integer", "z": "integer"},
                      {"sense": "minimize", "expression": "3*y + z"}, "the new model")
    assert fix["constraints"] == {"cover_": "y + z >= 2", "load1": "y <= 5"}
    assert fix["drop"] == {"cover": "not a line of the new model",
                           "extra": "not a line of the new model"}
    assert set(fix["drop_variables"]) == {"x", "load1"}
    check = Check(code="t", severity="warning", message="m", fix=fix)
    new = to_formulation(apply_fixes(f.model_dump(), [check]))
    # the old indexed line is gone, not kept over T with the new expression
    assert sorted((c.expression, c.for_each) for c in new.constraints) == [
        ("y + z >= 2", None), ("y <= 5", None)]
    assert solve_formulation(new).objective == 2.0  # z = 2
