#!/usr/bin/env bash
# deploy/pg.sh: make sure a Postgres answers on 127.0.0.1:5432.
#
# Sourced by deploy/run.sh and deploy/test.sh. When nothing answers, it
# starts a private cluster (trust auth, listening on 127.0.0.1 only) under
# ${ZG_PGDATA:-/tmp/zhenggai-pg}, as the postgres user when run as root (a
# system cluster's auth may refuse root). It installs Debian's postgresql
# packages first when no Postgres binaries are on the machine.
#
# fsync: a cluster this script starts runs with fsync on, except under the
# test command (ZG_PG_TEST=1, deploy/test.sh), whose databases are thrown
# away: then it turns fsync off with ALTER SYSTEM. deploy/run.sh calls
# ensure_durable, which turns it back on in the private cluster (fsync is a
# reload setting) and refuses to run the bot on any other cluster that has
# it off: a crash of the machine would lose acknowledged ledger changes.
set -euo pipefail

ZG_PGPORT=${ZG_PGPORT:-5432}
ZG_PGDATA=${ZG_PGDATA:-/tmp/zhenggai-pg}

pg_answers() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h 127.0.0.1 -p "$ZG_PGPORT"
  else
    (exec 3<>/dev/tcp/127.0.0.1/"$ZG_PGPORT") 2>/dev/null
  fi
}

pg_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ensure_postgres() {
  if pg_answers; then
    return 0
  fi
  local bindir
  bindir=$(pg_bindir)
  if [ -z "$bindir" ]; then
    echo "pg.sh: installing Debian's postgresql packages" >&2
    if [ "$(id -u)" -ne 0 ]; then
      echo "pg.sh: no Postgres on this machine; run as root or install postgresql" >&2
      return 1
    fi
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    bindir=$(pg_bindir)
  fi
  echo "pg.sh: starting a private Postgres in $ZG_PGDATA on 127.0.0.1:$ZG_PGPORT" >&2
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    as=(runuser -u postgres --)
    mkdir -p "$ZG_PGDATA"
    chown postgres "$ZG_PGDATA"
    chmod 700 "$ZG_PGDATA"
  else
    mkdir -p "$ZG_PGDATA"
  fi
  if [ ! -f "$ZG_PGDATA/PG_VERSION" ]; then
    "${as[@]}" "$bindir/initdb" -D "$ZG_PGDATA" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  "${as[@]}" "$bindir/pg_ctl" -D "$ZG_PGDATA" -l "$ZG_PGDATA/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $ZG_PGPORT -k $ZG_PGDATA -c max_connections=200" start >/dev/null
  for _ in $(seq 1 60); do
    if pg_answers; then
      if [ "${ZG_PG_TEST:-}" = 1 ]; then
        # Throwaway test databases: durability is not worth the time.
        pg_psql -qc "ALTER SYSTEM SET fsync = off" -c "SELECT pg_reload_conf()" >/dev/null
      fi
      return 0
    fi
    sleep 0.5
  done
  echo "pg.sh: Postgres did not start; see $ZG_PGDATA/server.log" >&2
  return 1
}

# pg_psql runs psql as postgres on the cluster at 127.0.0.1:ZG_PGPORT.
pg_psql() {
  local psql
  psql=$(command -v psql || echo "$(pg_bindir)/psql")
  "$psql" -h 127.0.0.1 -p "$ZG_PGPORT" -U postgres -d postgres "$@"
}

# ensure_durable makes sure the cluster the bot is about to use runs with
# fsync on: it turns it back on in the private cluster (left off by the test
# command) and refuses any other cluster that has it off.
ensure_durable() {
  if [ "$(pg_psql -tAc 'SHOW fsync')" = on ]; then
    return 0
  fi
  local dir
  dir=$(pg_psql -tAc 'SHOW data_directory')
  if [ "$dir" != "$(cd "$ZG_PGDATA" 2>/dev/null && pwd -P)" ]; then
    echo "pg.sh: the Postgres on 127.0.0.1:$ZG_PGPORT ($dir) runs with fsync=off; the bot would lose acknowledged changes in a crash: turn fsync on first" >&2
    return 1
  fi
  echo "pg.sh: turning fsync back on in the private Postgres (the test command had turned it off)" >&2
  pg_psql -qc "ALTER SYSTEM RESET fsync" -c "SELECT pg_reload_conf()" >/dev/null
  sync # what was written without fsync reaches the disk now
  for _ in $(seq 1 20); do
    [ "$(pg_psql -tAc 'SHOW fsync')" = on ] && return 0
    sleep 0.25
  done
  echo "pg.sh: fsync is still off in $ZG_PGDATA; see $ZG_PGDATA/server.log" >&2
  return 1
}

# ensure_database NAME creates the database when it is missing.
ensure_database() {
  local name=$1
  local psql
  psql=$(command -v psql || echo "$(pg_bindir)/psql")
  if ! "$psql" -h 127.0.0.1 -p "$ZG_PGPORT" -U postgres -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$name'" | grep -q 1; then
    "$psql" -h 127.0.0.1 -p "$ZG_PGPORT" -U postgres -d postgres -qc "CREATE DATABASE \"$name\"" >/dev/null
  fi
}
