#!/usr/bin/env bash
# deploy/run.sh: run the bot on this machine.
#
# With DATABASE_URL unset it starts (or reuses) a local Postgres on
# 127.0.0.1:5432 and a database named zhenggai; then it builds the binary,
# migrates, applies the demo campaign (with a history up to today, the
# first time) and serves. With no platform
# credentials in the environment the simulator is on: open the address it
# prints.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/pg.sh
export PATH="$PATH:/usr/local/go/bin"

if [ -z "${DATABASE_URL:-}" ]; then
  ensure_postgres
  ensure_durable # never serve on a cluster the test command left without fsync
  ensure_database zhenggai
  export DATABASE_URL="postgres://postgres@127.0.0.1:${ZG_PGPORT}/zhenggai?sslmode=disable"
fi
CAMPAIGN=${CAMPAIGN:-deploy/campaigns/demo.yaml}

go build -o zhenggai .
./zhenggai migrate
./zhenggai campaign apply -f "$CAMPAIGN"
# The demo campaign gets a history up to today the first time (the command
# leaves any other campaign, and a demo that has one, alone).
./zhenggai demo load
exec ./zhenggai serve
