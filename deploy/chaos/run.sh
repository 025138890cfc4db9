#!/usr/bin/env bash
# deploy/chaos/run.sh: the crash and database-outage tests by hand, with
# their figures (README: Reliability).
#
#   bash deploy/chaos/run.sh                 # both, as CI runs them
#   bash deploy/chaos/run.sh -run Kill       # only the kill -9 test
#   ZG_CHAOS_LONG=1 bash deploy/chaos/run.sh # five kills under 400/s; a 30 s outage
#
# TestKillNineUnderLoad builds the bot as the Dockerfile does, starts it in
# Feishu webhook mode against a local fake Feishu on a fresh database of the
# local Postgres (started by deploy/pg.sh when nothing answers), plans a
# burst of reminders, sends callbacks, kill -9s the bot mid-way, restarts it
# and redelivers what got no 200: each callback is applied once, each
# reminder key sent once. TestDatabaseOutage runs its own Postgres cluster
# (as the postgres user when run as root) and stops it for 10 s under load.
# The bot's log is printed when a test fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/pg.sh
export PATH="$PATH:/usr/local/go/bin"
ensure_postgres
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:${ZG_PGPORT}/zhenggai_test?sslmode=disable}
exec go test -count=1 -v -timeout 30m "$@" ./deploy/chaos/
