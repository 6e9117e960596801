#!/usr/bin/env bash
# Everything a fresh machine of this kind lacks for the tests and the demo, installed when it is
# missing: Debian packages (only those missing), the .tools/ folder (Node 24 and code-server; see
# scripts/setup-tools.sh), and npm packages (`npm ci` on that Node 24, when node_modules is missing
# or does not match package-lock.json: scripts/nodeModulesCurrent.mjs). `npm test` and
# `npm run demo` run it first; when nothing is missing it takes well under a second and changes
# nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Run from `npm test` or `npm run demo`, this inherits that npm's npm_* variables, which the npm
# installs below take as their own configuration: npm_config_user_agent names Node 20, and
# code-server's install then refuses to run under Node 24. They must see what a shell gives them.
if [ -n "${npm_lifecycle_event:-}" ]; then
  for name in $(compgen -e); do case "$name" in npm_*|NODE) unset "$name" ;; esac; done
fi

# Binaries the tests use, and the Debian package that provides each (a compiler and krb5's headers
# for the native modules of code-server's install).
declare -A needs=(
  [/usr/lib/postgresql/15/bin/initdb]=postgresql-15
  [/usr/sbin/mariadbd]=mariadb-server
  [/usr/bin/mariadb]=mariadb-client
  [/usr/bin/chromium]=chromium
  [/usr/bin/sqlite3]=sqlite3
  [/usr/bin/zstd]=zstd
  [/usr/bin/age]=age
  [/usr/include/krb5.h]=libkrb5-dev
  [/usr/bin/g++]=g++
  [/usr/bin/make]=make
)
missing=()
for file in "${!needs[@]}"; do [ -e "$file" ] || missing+=("${needs[$file]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Installing postgresql-15 / mariadb-server must not start services on a CI machine.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null; $sudo chmod +x "$policy"; trap '$sudo rm -f $policy' EXIT; fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Node 24 first (npm installs it into .tools/node24), then the project's packages with npm running
# on it: Lifeboat's engines field asks for Node 22.16+, which npm on Debian's Node 20 warns about.
bash scripts/setup-tools.sh
source scripts/node24.sh

if [ ! -e node_modules ]; then
  echo "setup: npm ci (node_modules is missing)"
  npm ci --no-audit --no-fund
elif ! why=$(node scripts/nodeModulesCurrent.mjs 2>&1); then
  if [ -L node_modules ]; then
    # Another checkout's packages (a git worktree's link to the main one): reinstalling here would
    # change them under that checkout, so say so and go on with them.
    echo "setup: node_modules ($(readlink node_modules)) is out of date ($why); not reinstalling through a link: run npm ci where it points"
  else
    echo "setup: npm ci ($why)"
    npm ci --no-audit --no-fund
  fi
fi
