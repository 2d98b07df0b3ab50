"""Meaning-preserving mends of the structure of an LLM's reply, before validation: names
that clash (a set named like a variable), constraints of one name, a loop written after the
comparison, values by element with no index, pi written as a name, and a wide table read one
column at a time into parameters of one name. Each changes how the reply is written, never
what it says; ``agent.schema.clean`` applies them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_QUOTED = re.compile(r"""('[^']*'|"[^"]*")""")


def outside_quotes(text: str, change: Callable[[str], str]) -> str:
    """``text`` with ``change`` applied to its parts outside quotes (element names stay)."""
    parts = _QUOTED.split(text)
    return "".join(change(part) if k % 2 == 0 else part for k, part in enumerate(parts))


def expressions(out: dict[str, Any]) -> list[str]:
    """The objective's and the constraints' expressions of a reply (the strings among them)."""
    objective = out.get("objective")
    texts = [objective.get("expression")] if isinstance(objective, dict) else []
    texts += [c.get("expression") for c in out["constraints"] if isinstance(c, dict)]
    return [t for t in texts if isinstance(t, str)]


def set_uses(out: dict[str, Any]) -> str:
    """Every place a set can be named: index lists, ``for_each`` and the expressions."""
    names = []
    for key in ("parameters", "variables"):
        for item in out[key]:
            index = item.get("index") if isinstance(item, dict) else None
            names += [index] if isinstance(index, str) else \
                [i for i in index if isinstance(i, str)] if isinstance(index, list) else []
    loops = [c.get("for_each") for c in out["constraints"] if isinstance(c, dict)]
    return "\n".join(names + [t for t in loops + expressions(out) if isinstance(t, str)])


def shadowing_sets(out: dict[str, Any]) -> None:
    """A set named like a variable or a parameter, mended where the meaning is plain. One
    that nothing uses as a set (no index list names it, no ``in NAME`` loops over it, no
    ``len(NAME)``) is left out: the model listed its variables' elements as sets of their
    own. One that is used is renamed ``NAME_set`` where it is used as a set (index lists,
    ``in NAME``, ``len(NAME)``): every other use (``food[f]``) is the variable's or the
    parameter's, as in ``sum(cost[f]*food[f] for f in food)``."""
    taken = {item.get("name") for key in ("sets", "parameters", "variables") for item in out[key]
             if isinstance(item, dict)}
    shadowing = {item.get("name") for key in ("parameters", "variables") for item in out[key]
                 if isinstance(item, dict)}
    uses = set_uses(out)
    kept = []
    for s in out["sets"]:
        name = s.get("name") if isinstance(s, dict) else None
        if not isinstance(name, str) or name not in shadowing:
            kept.append(s)
            continue
        word = re.escape(name)
        if re.search(rf"(?m)^{word}$|\bin\s+{word}\b|\blen\(\s*{word}\b", uses) is None:
            continue  # unused: left out
        new = f"{name}_set"
        while new in taken:
            new += "_"
        taken.add(new)
        kept.append({**s, "name": new})
        _rename_set(out, name, new)
    out["sets"] = kept


def _rename_set(out: dict[str, Any], old: str, new: str) -> None:
    """Set ``old`` called ``new`` in index lists, loops (``in old``) and ``len(old)``; quoted
    element names ('made in food') stay."""
    loop = re.compile(rf"\b(in\s+|len\(\s*){re.escape(old)}\b")

    def fix(text: Any) -> Any:
        return outside_quotes(text, lambda part: loop.sub(lambda m: m.group(1) + new, part)) \
            if isinstance(text, str) else text

    for key in ("parameters", "variables"):
        for item in out[key]:
            index = item.get("index") if isinstance(item, dict) else None
            if index == old:
                item["index"] = new
            elif isinstance(index, list):
                item["index"] = [new if i == old else i for i in index]
    if isinstance(out.get("objective"), dict):
        objective = out["objective"]
        out["objective"] = {**objective, "expression": fix(objective.get("expression"))}
    out["constraints"] = [{**c, "expression": fix(c.get("expression")),
                           **({"for_each": fix(c["for_each"])} if "for_each" in c else {})}
                          if isinstance(c, dict) else c for c in out["constraints"]]


def inferred_index(p: Any, sets: list[Any], uses: str) -> Any:
    """A parameter given ``values`` by element and no index (``"max_make": {"Jan": 120, ...}``)
    indexed by the one set whose elements are exactly its keys (of several such sets, the
    one the model uses: an index list or a loop names it)."""
    if not isinstance(p, dict) or p.get("index") or not isinstance(p.get("values"), dict) \
            or not p["values"]:
        return p
    keys = {str(k) for k in p["values"]}
    fits = [s["name"] for s in sets if isinstance(s, dict) and isinstance(s.get("name"), str)
            and isinstance(s.get("elements"), list)
            and {str(e) for e in s["elements"] if not isinstance(e, list)} == keys
            and len(s["elements"]) == len(keys)]
    if len(fits) > 1:
        fits = [name for name in fits if re.search(
            rf"(?m)^{re.escape(name)}$|\bin\s+{re.escape(name)}\b", uses)]
    return {**p, "index": fits} if len(fits) == 1 else p


def distinct_names(constraints: list[Any]) -> list[Any]:
    """Constraints of one name and different contents ('calories' for the least and for the
    most calories) named apart, ``calories_2``: nothing refers to a constraint by name, so
    renaming one changes no meaning."""
    taken = {c.get("name") for c in constraints if isinstance(c, dict)}
    seen: set[Any] = set()
    out = []
    for c in constraints:
        name = c.get("name") if isinstance(c, dict) else None
        if isinstance(name, str) and name in seen:
            k = 2
            while f"{name}_{k}" in taken:
                k += 1
            c = {**c, "name": f"{name}_{k}"}
            taken.add(c["name"])
        seen.add(name)
        out.append(c)
    return out


PI_LITERAL = "3.141592653589793"  # repr(math.pi)
_PI_NAMES = re.compile(r"(?<![\w.])(?:(?:math|np|numpy)\.pi|π)(?!\w)")
_BARE_PI = re.compile(r"(?<![\w.])pi(?!\w)")
_LOOP_TARGETS = re.compile(r"(?:\bfor\b|^|,)\s*\(?\s*([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)"
                           r"\s*\)?\s+in\b")


def _names_pi(out: dict[str, Any]) -> bool:
    """Whether the model has something of its own named ``pi``: a set, a parameter, a
    variable, a set's element or a loop variable (of a ``for_each`` or a generator)."""
    if any(isinstance(item, dict) and item.get("name") == "pi"
           for key in ("sets", "parameters", "variables") for item in out[key]):
        return True
    if any(isinstance(s, dict) and isinstance(s.get("elements"), list) and "pi" in s["elements"]
           for s in out["sets"]):
        return True
    heads = [c.get("for_each") for c in out["constraints"] if isinstance(c, dict)]
    for text in [h for h in heads if isinstance(h, str)] + expressions(out):
        for m in _LOOP_TARGETS.finditer(text):
            if "pi" in re.split(r"\s*,\s*", m.group(1)):
                return True
    return False


def pi_literals(out: dict[str, Any]) -> None:
    """``math.pi``, ``np.pi``, ``numpy.pi``, ``π`` and a bare ``pi`` in the objective and the
    constraints written as the number 3.141592653589793: the language has no attributes and
    no constant of that name, and the number is what they mean. A bare ``pi`` is left alone
    where the model names something of its own ``pi``; quoted element names are left
    alone."""
    bare = not _names_pi(out)

    def fix(text: Any) -> Any:
        if not isinstance(text, str) or ("pi" not in text and "π" not in text):
            return text
        def full(part: str) -> str:
            part = _PI_NAMES.sub(PI_LITERAL, part)
            return _BARE_PI.sub(PI_LITERAL, part) if bare else part

        return outside_quotes(text, full)

    if isinstance(out.get("objective"), dict):
        out["objective"] = {**out["objective"],
                            "expression": fix(out["objective"].get("expression"))}
    out["constraints"] = [{**c, "expression": fix(c.get("expression"))}
                          if isinstance(c, dict) else c for c in out["constraints"]]


_LOOP_HEAD = re.compile(r"^[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*\s+in\s+\S")
_COMPARES = re.compile(r"<=|>=|==|<|>")


def _top_level_fors(text: str) -> list[int]:
    """Where the word ``for`` stands outside brackets and quotes."""
    depth, quote, out = 0, "", []
    words = {m.start() for m in re.finditer(r"(?<!\w)for(?!\w)", text)}
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and i in words:
            out.append(i)
    return out


def trailing_loop(c: dict[str, Any]) -> dict[str, Any]:
    """``food[f] <= 3 for f in foods`` (a comprehension's loop written after the comparison)
    as the expression ``food[f] <= 3`` with ``for_each`` "f in foods": what the loop says,
    written where the language takes it."""
    expression = c.get("expression")
    if c.get("for_each") or not isinstance(expression, str):
        return c
    fors = _top_level_fors(expression)
    if not fors:
        return c
    body = expression[:fors[0]].strip().rstrip(",").strip()
    heads = [expression[a + 3:b].strip() for a, b in zip(fors, [*fors[1:], len(expression)],
                                                         strict=True)]
    if not _COMPARES.search(body) or not all(_LOOP_HEAD.match(h) for h in heads):
        return c
    return {**c, "expression": body, "for_each": ", ".join(heads)}


def _set_for_column(sets: list[Any], column: str) -> str | None:
    """The set a key column holds: one named like it, or read from it."""
    for s in sets:
        if not isinstance(s, dict) or not isinstance(s.get("name"), str):
            continue
        source = s.get("source")
        if s["name"].lower() == column.lower() or \
                (isinstance(source, dict) and source.get("column") == column):
            return s["name"]
    return None


def wide_tables(out: dict[str, Any]) -> None:
    """One parameter written once per column of a wide table ('hours' from column task1 of
    hours.csv, 'hours' from task2, ...: a row per worker, a column per task) made one
    parameter over the rows' set and the set whose elements name those columns, read from
    all of them (``"source": {"file": ..., "columns": [...], "key": [...]}``). Left as it is
    where the columns name no set's elements, or a key column's set cannot be told."""
    groups: dict[str, list[int]] = {}
    for i, p in enumerate(out["parameters"]):
        if isinstance(p, dict) and isinstance(p.get("name"), str) and \
                isinstance(p.get("source"), dict):
            groups.setdefault(p["name"], []).append(i)
    merged: dict[int, dict[str, Any] | None] = {}
    for name, at in groups.items():
        sources = [out["parameters"][i]["source"] for i in at]
        columns = [s.get("column") for s in sources]
        if len(at) < 2 or len({s.get("file") for s in sources}) != 1 or \
                not all(isinstance(c, str) for c in columns) or len(set(columns)) < len(columns):
            continue
        keys = [[k for k in (s.get("key") or []) if k not in columns] for s in sources]
        if any(k != keys[0] for k in keys) or not all(isinstance(k, str) for k in keys[0]):
            continue
        column_set = next((s["name"] for s in out["sets"] if isinstance(s, dict)
                           and isinstance(s.get("name"), str)
                           and isinstance(s.get("elements"), list)
                           and set(columns) <= {str(e) for e in s["elements"]}), None)
        row_sets = [_set_for_column(out["sets"], k) for k in keys[0]]
        if column_set is None or None in row_sets:
            continue
        merged[at[0]] = {"name": name, "index": [*row_sets, column_set],
                         "source": {"file": sources[0]["file"], "columns": columns,
                                    "key": keys[0]}}
        merged.update(dict.fromkeys(at[1:]))
    if merged:
        out["parameters"] = [merged.get(i, p) for i, p in enumerate(out["parameters"])
                             if i not in merged or merged[i] is not None]
