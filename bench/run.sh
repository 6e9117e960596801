#!/usr/bin/env bash
# npm run bench [-- OPTIONS]: Lifeboat beside the bare tools, measured in the same run; prints medians
# and ratios, asserts nothing.
#   --only sqlite|snapshot|pg|s3|mariadb|diff|pgsizes|pitr   run one benchmark (default: all but pgsizes and pitr, in that order; pitr:
#                          base backups and recovery to a time beside pg_basebackup and pgBackRest, bench/pitrRecovery.ts; snapshot:
#                          an incremental SQLite snapshot after a 1 % change, bench/sqliteSnapshot.mjs; diff: lifeboat diff of
#                          two 1,000,000-row tables beside COPY, bench/diffCompare.ts; pgsizes: PostgreSQL archive sizes,
#                          pg_dump -Fc beside -Z0 | zstd -2 and -3, on four datasets, bench/pgSizes.ts; s3: PostgreSQL to a
#                          bucket (fauxqs) and a local folder at once, beside the dump alone and the upload alone, with and
#                          without age encryption, bench/s3Backup.ts)
#   --rounds N             measured rounds, for each (defaults: SQLite 7, PostgreSQL 3, MariaDB 3, diff 3)
#   --sweep                SQLite only: see bench/sqliteBackup.mjs
#   --node PATH, --warmup N   PostgreSQL, MariaDB and diff: the Node that runs Lifeboat's CLI; uncounted rounds (diff: 1 by default)
#   --scale F, --restore   MariaDB only: a smaller database (0.04: about 60 MiB); also time restores (bench/mariadbBackup.ts)
#   --profile              diff only: one more comparison under node --cpu-prof, its top costs printed
#   --baseline-cli PATH    PostgreSQL and MariaDB: another build's dist/cli.js, its default backup beside this one's
#   --no-restore           PostgreSQL only: backups only
set -euo pipefail
cd "$(dirname "$0")/.."
# Lifeboat needs Node 22.16+: the benchmarks and the CLI they time run on the Node 24 under .tools/.
source scripts/node24.sh

only=""
sqlite_args=()
pg_args=()
s3_args=()
maria_args=()
diff_args=()
pitr_args=()
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --only) [[ $# -ge 2 ]] || usage; only="$2"; shift 2 ;;
    --only=*) only="${1#--only=}"; shift ;;
    --rounds) [[ $# -ge 2 ]] || usage; sqlite_args+=("$1" "$2"); pg_args+=("$1" "$2"); s3_args+=("$1" "$2"); maria_args+=("$1" "$2"); diff_args+=("$1" "$2"); pitr_args+=("$1" "$2"); shift 2 ;;
    --rounds=*) sqlite_args+=("$1"); pg_args+=("$1"); s3_args+=("$1"); maria_args+=("$1"); diff_args+=("$1"); pitr_args+=("$1"); shift ;;
    --sweep) sqlite_args+=("$1"); shift ;;
    --node|--warmup) [[ $# -ge 2 ]] || usage; pg_args+=("$1" "$2"); s3_args+=("$1" "$2"); maria_args+=("$1" "$2"); diff_args+=("$1" "$2"); shift 2 ;;
    --node=*|--warmup=*) pg_args+=("$1"); s3_args+=("$1"); maria_args+=("$1"); diff_args+=("$1"); shift ;;
    --scale) [[ $# -ge 2 ]] || usage; maria_args+=("$1" "$2"); shift 2 ;;
    --scale=*|--restore) maria_args+=("$1"); shift ;;
    --profile) diff_args+=("$1"); shift ;;
    --baseline-cli) [[ $# -ge 2 ]] || usage; pg_args+=("$1" "$2"); maria_args+=("$1" "$2"); shift 2 ;;
    --baseline-cli=*) pg_args+=("$1"); maria_args+=("$1"); shift ;;
    --no-restore) pg_args+=("$1"); shift ;;
    -h|--help) usage ;;
    *) echo "bench/run.sh: unknown option $1" >&2; usage ;;
  esac
done
case "$only" in
  ""|sqlite|snapshot|pg|s3|mariadb|diff|pgsizes|pitr) ;;
  *) echo "bench/run.sh: --only takes sqlite, snapshot, pg, s3, mariadb, diff, pgsizes or pitr, not \"$only\"" >&2; exit 2 ;;
esac

if [[ -z "$only" || "$only" == sqlite ]]; then
  node bench/sqliteBackup.mjs "${sqlite_args[@]}"
fi
if [[ -z "$only" || "$only" == snapshot ]]; then
  [[ -n "$only" ]] || echo
  node bench/sqliteSnapshot.mjs
fi
if [[ -z "$only" || "$only" == pg ]]; then
  [[ -n "$only" ]] || echo
  node --import tsx bench/pgBackup.ts "${pg_args[@]}"
fi
if [[ -z "$only" || "$only" == s3 ]]; then
  [[ -n "$only" ]] || echo
  node --import tsx bench/s3Backup.ts "${s3_args[@]}"
fi
if [[ -z "$only" || "$only" == mariadb ]]; then
  [[ -n "$only" ]] || echo
  node --import tsx bench/mariadbBackup.ts "${maria_args[@]}"
fi
if [[ -z "$only" || "$only" == diff ]]; then
  [[ -n "$only" ]] || echo
  node --import tsx bench/diffCompare.ts "${diff_args[@]}"
fi
if [[ "$only" == pgsizes ]]; then
  node --import tsx bench/pgSizes.ts
fi
if [[ "$only" == pitr ]]; then
  # pgBackRest is the peer here, and only here: installed for this benchmark when missing.
  if ! command -v pgbackrest >/dev/null; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends pgbackrest >/dev/null
  fi
  node --import tsx bench/pitrRecovery.ts "${pitr_args[@]}"
fi
