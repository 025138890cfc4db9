#!/usr/bin/env bash
# deploy/test.sh: the one test command (README; .ci/run calls it).
#
# Starts Postgres when nothing answers on 127.0.0.1:5432, installs Chromium
# for the simulator's browser test when missing, then fails on gofmt output,
# runs go vet and go test -race over every package (the crash and outage
# tests of deploy/chaos among them), then every fuzz target for a short
# bounded time (deploy/fuzz.sh). Long variants: ZG_CHAOS_LONG=1 and
# ZG_FUZZTIME=5m.
set -euo pipefail
cd "$(dirname "$0")/.."
. deploy/pg.sh

export PATH="$PATH:/usr/local/go/bin"
ensure_postgres
export TEST_DATABASE_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:${ZG_PGPORT}/zhenggai_test?sslmode=disable}

if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  echo "test.sh: installing Debian's chromium for the simulator's browser test" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 || \
    echo "test.sh: could not install chromium" >&2
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
