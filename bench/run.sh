#!/usr/bin/env bash
# npm run bench [-- OPTIONS]: Lifeboat beside the bare tools, measured in the same run; prints medians
# and ratios, asserts nothing.
#   --only sqlite|snapshot|pg   run one benchmark (default: all, SQLite first; snapshot: an incremental
#                          SQLite snapshot after a 1 % change, bench/sqliteSnapshot.mjs)
#   --rounds N             measured rounds, for both (defaults: SQLite 7, PostgreSQL 3)
#   --sweep, --no-node24   SQLite only: see bench/sqliteBackup.mjs
#   --node PATH, --warmup N   PostgreSQL only: the Node that runs Lifeboat's CLI; uncounted rounds (bench/pgBackup.ts)
set -euo pipefail
cd "$(dirname "$0")/.."

only=""
sqlite_args=()
pg_args=()
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) [[ $# -ge 2 ]] || usage; only="$2"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    --rounds) [[ $# -ge 2 ]] || usage; sqlite_args+=("$1" "$2"); pg_args+=("$1" "$2"); shift 2 ;;
    --rounds=*) sqlite_args+=("$1"); pg_args+=("$1"); shift ;;
    --sweep|--no-node24) sqlite_args+=("$1"); shift ;;
    --node|--warmup) [[ $# -ge 2 ]] || usage; pg_args+=("$1" "$2"); shift 2 ;;
    --node=*|--warmup=*) pg_args+=("$1"); shift ;;
    -h|--help) usage ;;
    *) echo "bench/run.sh: unknown option $1" >&2; usage ;;
  esac
done
case "$only" in
  ""|sqlite|snapshot|pg) ;;
  *) echo "bench/run.sh: --only takes sqlite, snapshot or pg, not \"$only\"" >&2; exit 2 ;;
esac

if [[ "$only" == "" || "$only" == sqlite ]]; then
  node bench/sqliteBackup.mjs "${sqlite_args[@]}"
fi
if [[ "$only" == "" || "$only" == snapshot ]]; then
  [[ "$only" == snapshot ]] || echo
  node bench/sqliteSnapshot.mjs
fi
if [[ "$only" == "" || "$only" == pg ]]; then
  [[ "$only" == pg ]] || echo
  node --import tsx bench/pgBackup.ts "${pg_args[@]}"
fi
