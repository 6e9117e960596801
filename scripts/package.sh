#!/usr/bin/env bash
# Builds the VSIX: production bundles, icons, docs. No native module: every VS Code Lifeboat
# supports (1.125+) runs extensions on Node 24, whose built-in node:sqlite Lifeboat uses
# (src/engines/sqlite/loadDriver.ts says why), so one VSIX serves every platform.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
node scripts/build.mjs --production
version=$(node -p "require('./package.json').version")
npx vsce package --no-dependencies --out "lifeboat-$version.vsix"
npx vsce ls --no-dependencies | sed 's/^/  /'
ls -l "lifeboat-$version.vsix"
