#!/usr/bin/env bash
# Everything a fresh machine of this kind lacks for the tests and the demo, installed once:
# Debian packages (only those missing), npm packages (npm ci), and the .tools/ folder
# (Node 24, code-server, better-sqlite3 for Node 24; see scripts/setup-tools.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# Binaries the tests use, and the Debian package that provides each.
declare -A needs=(
  [/usr/lib/postgresql/15/bin/initdb]=postgresql-15
  [/usr/sbin/mariadbd]=mariadb-server
  [/usr/bin/mariadb]=mariadb-client
  [/usr/bin/chromium]=chromium
  [/usr/bin/sqlite3]=sqlite3
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

echo "setup: npm ci"
npm ci --no-audit --no-fund
bash scripts/setup-tools.sh
echo "setup: done"
