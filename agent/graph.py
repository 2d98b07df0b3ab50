"""The LangGraph StateGraph: text -> formulation -> solve -> check -> repair -> answer.

```
START -> intake -> retrieve -> formulate -> solve -> check -> select -> answer -> END
           |                      ^           ^                 |  |
           +-- follow-up ---------+           +---- repair <----+  +-> code -> answer
           +-- not a problem -> answer        +---- autofix <---+
                                              +---- plain <-----+
```
select routes to autofix while a check of the current attempt carries an exact correction not
yet applied (no LLM call, no repair round), then to repair while the current attempt has
errors or warnings not yet fed back and rounds are left, then to plain (once, when insights
were in the prompts and no model written with them reached the solver: a fresh chain without
them), then to code (when the code strategy is on), then to answer.
The repair loop is bounded by the ``repairs`` counter in the state (``Deps.max_repairs``),
never by the recursion limit. Dependencies come through the runtime context (``Deps``).
"""

from __future__ import annotations

from typing import Any

from langgraph.graph import END, START, StateGraph

from optiform.agent.autofix import autofix, max_autofixes
from optiform.agent.code_strategy import code
from optiform.agent.deps import Deps
from optiform.agent.finish import answer
from optiform.agent.formulate import formulate, plain, repair
from optiform.agent.intake import intake, retrieve
from optiform.agent.solving import after_intake, check, route, select, solve
from optiform.agent.state import AgentState


def build_graph() -> StateGraph:
    g = StateGraph(AgentState, context_schema=Deps)
    for name, fn in (("intake", intake), ("retrieve", retrieve), ("formulate", formulate),
                     ("solve", solve), ("check", check), ("select", select),
                     ("repair", repair), ("autofix", autofix), ("plain", plain), ("code", code),
                     ("answer", answer)):
        g.add_node(name, fn)
    g.add_edge(START, "intake")
    g.add_conditional_edges("intake", after_intake, ["retrieve", "formulate", "answer"])
    g.add_edge("retrieve", "formulate")
    g.add_edge("formulate", "solve")
    g.add_edge("repair", "solve")
    g.add_edge("autofix", "solve")
    g.add_edge("plain", "solve")
    g.add_edge("solve", "check")
    g.add_edge("check", "select")
    g.add_conditional_edges("select", route, ["autofix", "repair", "plain", "code", "answer"])
    g.add_edge("code", "answer")
    g.add_edge("answer", END)
    return g


def compile_graph(checkpointer: Any = None) -> Any:
    """The runnable graph; with a checkpointer, turns of a thread share their state."""
    return build_graph().compile(checkpointer=checkpointer)


def recursion_limit(deps: Deps) -> int:
    """Steps one turn can take: the fixed nodes, plus four (repair or autofix, solve, check,
    select) per repair round and per autofix round, and per mend that came back with nothing
    (it spends no round, and a counted whole-model repair always follows it); twice over when
    the library fallback (plain) starts a second chain. The rounds themselves are bounded by
    counters in the state; this limit only guards against a routing bug."""
    chain = 4 * (2 * deps.max_repairs + max_autofixes(deps))
    return 12 + chain + (4 + chain if deps.library_fallback else 0)
