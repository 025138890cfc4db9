#!/usr/bin/env bash
# deploy/test.sh: the one test command (README; .ci/run calls it).
#
# Starts Postgres when nothing answers on 127.0.0.1:5432, installs Chromium
# for the simulator's browser test when missing, then fails on gofmt output,
# runs go vet and go test -race over every package (the crash and outage
# tests of deploy/chaos among them), then every fuzz target for a short
# bounded time (deploy/fuzz.sh). Long variants: ZG_CHAOS_LONG=1 and
# ZG_FUZZTIME=5m.
#
# It is the strict gate: ZG_REQUIRE=all makes every test that would skip for
# want of something (Chromium, Postgres server binaries, a golden file) fail
# naming it (deploy/testgate), and a Chromium that cannot be installed fails
# here. A developer's plain `go test` skips those and says why.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/pg.sh
export ZG_REQUIRE=all
export ZG_PG_TEST=1 # a private cluster started here runs without fsync (deploy/pg.sh)

export PATH="$PATH:/usr/local/go/bin"
ensure_postgres
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:${ZG_PGPORT}/zhenggai_test?sslmode=disable}

# The browser tests take the first of these on PATH (bot/sim/e2e_test.go).
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 &&
  ! command -v google-chrome >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: chromium is not on PATH and only root can install it (apt-get install chromium); the simulator's browser test needs it" >&2
    exit 1
  fi
  echo "test.sh: installing Debian's chromium for the simulator's browser test" >&2
  if ! { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2; }; then
    echo "test.sh: could not install chromium (apt-get install chromium failed); the simulator's browser test needs it" >&2
    exit 1
  fi
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 -timeout 30m "$@" ./...
bash deploy/fuzz.sh
