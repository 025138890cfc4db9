#!/usr/bin/env bash
# deploy/bench/load/run.sh: the load benchmark (README: Performance).
#
#   bash deploy/bench/load/run.sh                      # the README's table
#   bash deploy/bench/load/run.sh -rates 100,200 -step 5s -cpuprofile /tmp/zg.prof
#
# Starts Postgres on 127.0.0.1:5432 when nothing answers (deploy/pg.sh),
# then runs `go run ./deploy/bench/load` with the arguments given. It
# creates (and leaves, for inspection) the databases zhenggai_bench and
# zhenggai_pgbench; needs pgbench (Debian's postgresql-client).
set -euo pipefail
cd "$(dirname "$0")/../../.."
. deploy/pg.sh
export PATH="$PATH:/usr/local/go/bin"
ensure_postgres
exec go run ./deploy/bench/load -db "postgres://postgres@127.0.0.1:${ZG_PGPORT}/postgres?sslmode=disable" "$@"
