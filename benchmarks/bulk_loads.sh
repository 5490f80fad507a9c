#!/bin/bash
# PostgreSQL bulk loads, side by side: heavy x SCALE from a fresh migrated database per run, in
# the order given (alternate them: the machine's load moves absolute rates a lot).
#
#   benchmarks/bulk_loads.sh 50 default exclusive default exclusive default exclusive off
#
# default: MENTARA_SEED's defaults (indexes kept, foreign-key triggers skipped, anti-joins);
# exclusive: EXCLUSIVE_BULK_LOADS (indexes and foreign keys dropped and rebuilt);
# off: BULK_LOADS off (every row checked and indexed as it lands).
# Prints: variant, rows, the run's own duration_s, rows/s, the load average. Not a test.
set -euo pipefail
cd "$(dirname "$0")/.."
scale=$1
shift
server=${POSTGRES_SERVER:-postgres://postgres@127.0.0.1:5432}
prefix=${DATABASE_PREFIX:-mentara_bulk}
admin() { psql -q "$server/postgres" "$@"; }
export DJANGO_SETTINGS_MODULE=benchmarks.settings MENTARA_SEED_ON_MIGRATE=0
admin -c "DROP DATABASE IF EXISTS ${prefix}_template WITH (FORCE)" -c "CREATE DATABASE ${prefix}_template"
DATABASE_URL=$server/${prefix}_template .venv/bin/python manage.py migrate -v0
for variant in "$@"; do
  admin -c "DROP DATABASE IF EXISTS ${prefix}_run WITH (FORCE)" \
    -c "CREATE DATABASE ${prefix}_run TEMPLATE ${prefix}_template"
  bulk=1 exclusive=0
  case $variant in
    default) ;;
    exclusive) exclusive=1 ;;
    off) bulk=0 ;;
    *) echo "unknown variant $variant" >&2; exit 2 ;;
  esac
  report=$(DATABASE_URL=$server/${prefix}_run MENTARA_SEED_BULK_LOADS=$bulk \
    MENTARA_SEED_EXCLUSIVE_BULK_LOADS=$exclusive .venv/bin/python manage.py seed_dynamic \
    --mode heavy --scale "$scale" --seed 0 --now 2026-01-15T12:00:00Z --format json -v0)
  echo "$variant $(echo "$report" | python3 -c 'import json, sys
r = json.load(sys.stdin)
rows = sum(r["added"].values())
print(rows, r["duration_s"], round(rows / r["duration_s"]))') load=$(cut -d' ' -f1 /proc/loadavg)"
done
admin -c "DROP DATABASE ${prefix}_run WITH (FORCE)" -c "DROP DATABASE ${prefix}_template WITH (FORCE)"
