#!/usr/bin/env bash
# npm run bench [-- --rounds N --sweep --no-node24]: see bench/sqliteBackup.mjs.
# Prints medians and ratios against the bare tools measured in the same run; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
exec node bench/sqliteBackup.mjs "$@"
