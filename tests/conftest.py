"""Shared fixtures. Every test runs with its own user directory and no endpoint configured."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("OPTIFORM_SHARED", REPO.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolate_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    home = tmp_path_factory.mktemp("optiform-home")
    monkeypatch.setenv("OPTIFORM_HOME", str(home))
    for var in list(os.environ):
        if (var.startswith("OPTIFORM_") and var not in ("OPTIFORM_HOME", "OPTIFORM_SHARED",
                                                         "OPTIFORM_MODEL_PATH")) or \
                var.startswith("OPENAI_"):
            monkeypatch.delenv(var, raising=False)
    yield home


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"../shared not found at {SHARED}; set OPTIFORM_SHARED")
    return SHARED
