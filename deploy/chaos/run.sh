#!/usr/bin/env bash
# deploy/chaos/run.sh: the crash test by hand, verbose, with its figures
# (README: Reliability).
#
#   bash deploy/chaos/run.sh                          # the kill -9 test, as CI runs it (~15 s)
#   ZG_CHAOS_LONG=1 bash deploy/chaos/run.sh          # five kills in a row under 400/s, the real outbox lease (~3 min)
#   bash deploy/chaos/run.sh -run TestDatabaseOutage  # the database outage test instead
#   bash deploy/chaos/run.sh -run .                   # both
#
# What it proves (TestKillNineUnderLoad): the bot, built as deploy/Dockerfile
# builds it, runs in Feishu webhook mode against a local fake Feishu on a
# fresh database of the local Postgres (started by deploy/pg.sh when nothing
# answers). Callbacks arrive at 250/s over 24 connections; a reminder day is
# planned and, once a quarter of its reminders are sent, the bot is killed
# with SIGKILL. It is restarted with the same environment, and everything
# that got no 200 is redelivered (plus a tenth of what did, as after a lost
# ack). Then: every callback has had its effect exactly once (its dedupe
# row, its progress update, its message in the enterprise request, its one
# 台账 reply); every reminder key is one delivery, sent; the fake Feishu made
# exactly one message per sent delivery, though some sends crossed the kill
# and were sent again (same uuid). The last line gives the figures; the
# bot's log is printed when a test fails.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/pg.sh
export PATH="$PATH:/usr/local/go/bin"
ensure_postgres
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:${ZG_PGPORT}/zhenggai_test?sslmode=disable}
args=("$@")
if [ ${#args[@]} -eq 0 ]; then
  args=(-run '^TestKillNineUnderLoad$')
fi
exec go test -count=1 -v -timeout 30m "${args[@]}" ./deploy/chaos/
