#!/usr/bin/env bash
# The whole test suite: type check, lint, build + package the VSIX (the e2e test installs it),
# then unit, integration (real SQLite files, real PostgreSQL/MariaDB servers started by the
# harness) and end-to-end (code-server in headless Chromium) tests, one file at a time.
# The last lines are Node's test runner summary.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== type check"; npx tsc -p . --noEmit
echo "== lint"; npx eslint src test bench scripts
echo "== build and package"; bash scripts/package.sh >/dev/null
echo "== tests"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/unit/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts
