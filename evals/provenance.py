"""What a run records about where it ran: package versions, git commit, model, date."""

from __future__ import annotations

import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "optiform",
    "pydantic",
    "numpy",
    "scipy",
    "pyomo",
    "highspy",
    "pyscipopt",
    "openai",
    "langgraph",
    "llama_cpp_python",
    "torch",
)


def package_versions(packages: tuple[str, ...] = PACKAGES) -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_commit(repo: Path | None = None) -> dict[str, Any] | None:
    """``{"commit", "dirty"}`` of the source tree optiform runs from; None outside git."""
    folder = repo or Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "-C", str(folder), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": head, "dirty": bool(status.strip())}


def model_name(llm: Any, settings: Any) -> str:
    """The best name available for the model behind ``llm``."""
    for attr in ("model_name", "model"):
        value = getattr(llm, attr, None)
        if isinstance(value, str) and value:
            return value
    details = llm_info(llm)
    if details.get("model_path"):
        return Path(str(details["model_path"])).name
    configured = getattr(settings, "model", None)
    backend = getattr(settings, "effective_backend", None)
    if configured and backend == "openai":
        return str(configured)
    path = getattr(settings, "model_path", None)
    if backend == "local" and path:
        return Path(path).name
    return str(getattr(llm, "name", None) or configured or "unknown")


def llm_info(llm: Any) -> dict[str, Any]:
    """The backend's own description (``info()``) when it has one; never raises."""
    info = getattr(llm, "info", None)
    if not callable(info):
        return {}
    try:
        value = info()
    except Exception:
        return {}
    return dict(value) if isinstance(value, dict) else {}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def library_info(settings: Any) -> dict[str, Any] | None:
    """Which experience library an agent with ``settings`` retrieves from: its path, how many
    insights are active and a hash of their content (ids, conditions, explanations, examples;
    usage counts left out, since every run changes them). None when retrieval is off."""
    if not getattr(settings, "library", False) or not getattr(settings, "top_k", 0):
        return None
    import hashlib
    import json

    from optiform.library.store import InsightStore, default_store_path

    where = default_store_path(settings)
    made = not where.exists()  # a new library, the seed: on purpose, or a misspelt path
    with InsightStore(where) as store:
        path = str(store.path)
        active = sorted(store.active(), key=lambda i: i.id)
    content = [i.model_dump(mode="json", include={"id", "taxonomy", "condition", "explanation",
                                                  "example"}) for i in active]
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
    return {"path": path, "active": len(active), "sha256": digest[:16],
            **({"made": True} if made else {})}


def library_text(library: dict[str, Any] | None) -> str:
    """One line for a report: what ``library_info`` recorded."""
    if not library:
        return "none"
    return (f"{library['active']} active insights in {library['path']} "
            f"(content {library['sha256']})")
