#!/usr/bin/env bash
# The main job: Lifeboat running in a real editor (code-server) on a sample workspace with a
# generated SQLite database and Chinook (test/fixtures/chinook). Prints the URL to open.
# Sets the machine up first where something is missing (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/node24.sh
bash scripts/package.sh >/dev/null
exec node --import tsx scripts/demo.ts "$@"
