#!/usr/bin/env bash
# The whole test suite: set-up where something is missing (scripts/setup.sh), type check, lint,
# build + package the VSIX (the e2e test installs it), then unit, integration (real SQLite files,
# real PostgreSQL/MariaDB servers started by the harness) and end-to-end (code-server in headless
# Chromium) tests, one file at a time. The last lines are Node's test runner summary.
# All of it runs on the Node 24 under .tools/ (scripts/node24.sh puts it first on PATH): the
# runtime of code-server and of every VS Code Lifeboat supports, and a Node the CLI accepts
# (22.16+), so zstd and node:sqlite are there for every test. The machine's own Node (Debian's
# 20) only serves the test that checks the CLI refuses it (test/integration/nodeFloor.test.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== set-up"; bash scripts/setup.sh
source scripts/node24.sh
echo "== Node $(node -v) ($(command -v node))"
echo "== type check"; npx tsc -p . --noEmit; npx tsc -p webview --noEmit
echo "== lint"; npx eslint src test bench scripts webview
echo "== build and package"; bash scripts/package.sh >/dev/null
echo "== tests"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/unit/*.test.ts test/contract/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts
