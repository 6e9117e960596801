#!/usr/bin/env bash
# The main job: Lifeboat running in a real editor (code-server) on a sample workspace with a
# generated SQLite database (and Chinook when ../shared/datasets has it). Prints the URL to open.
# Sets the machine up first if it has never been set up.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ ! -x .tools/code-server/node_modules/.bin/code-server ]; then bash scripts/setup.sh; fi
bash scripts/package.sh >/dev/null
exec node --import tsx scripts/demo.ts "$@"
