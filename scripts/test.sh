#!/usr/bin/env bash
# Set up (idempotent) and run the tests: lint, the fast offline suite, then the live tests
# that use the real embedded model (marked live_llm; a few minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/python -m pytest -q
.venv/bin/python -m pytest -q -m live_llm
