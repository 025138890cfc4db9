#!/usr/bin/env bash
# deploy/replicas/run.sh: two `zhenggai serve` replicas on one local Postgres.
#
#   bash deploy/replicas/run.sh            # ports 8081 and 8082
#   PORT_A=9001 PORT_B=9002 bash deploy/replicas/run.sh
#
# It starts (or reuses) Postgres on 127.0.0.1:5432 (deploy/pg.sh), creates
# the database zhenggai_replicas (or uses DATABASE_URL), builds the binary
# the way deploy/Dockerfile does, applies deploy/campaigns/demo.yaml and
# runs two replicas with the simulator. Then try, by hand, what
# deploy/replicas/replicas_test.go checks automatically (`go test
# ./deploy/replicas/`):
#
#   - open http://127.0.0.1:8081/sim/ and http://127.0.0.1:8082/sim/ as the
#     same person: a message typed on one page is answered on both (history,
#     dialogs and dedupe live in Postgres; either replica's delivery worker
#     sends the answer);
#   - press 运行 on both clock panels at the same instant (or run
#     `./zhenggai tick --now 2026-11-20T09:00:00+08:00` beside them): each
#     reminder arrives once (scheduler_runs plans an occurrence once, and
#     deliveries.key is unique);
#   - stop one replica (Ctrl-C in its log, or kill -TERM its pid): the other
#     takes the scheduler lease within 30 s and keeps sending.
#
# Ctrl-C stops both. Logs: /tmp/zhenggai-replica-a.log and -b.log.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/pg.sh
export PATH="$PATH:/usr/local/go/bin"

PORT_A=${PORT_A:-8081}
PORT_B=${PORT_B:-8082}
if [ -z "${DATABASE_URL:-}" ]; then
  ensure_postgres
  ensure_database zhenggai_replicas
  export DATABASE_URL="postgres://postgres@127.0.0.1:${ZG_PGPORT}/zhenggai_replicas?sslmode=disable"
fi

# The Dockerfile's build command.
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o zhenggai .
./zhenggai migrate
./zhenggai campaign apply -f "${CAMPAIGN:-deploy/campaigns/demo.yaml}"

pids=()
stop() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  wait
}
trap stop EXIT INT TERM

HTTP_ADDR=127.0.0.1:$PORT_A ./zhenggai serve >/tmp/zhenggai-replica-a.log 2>&1 &
pids+=($!)
HTTP_ADDR=127.0.0.1:$PORT_B ./zhenggai serve >/tmp/zhenggai-replica-b.log 2>&1 &
pids+=($!)

for port in "$PORT_A" "$PORT_B"; do
  for _ in $(seq 1 100); do
    if ./zhenggai healthcheck "http://127.0.0.1:$port/readyz" 2>/dev/null; then
      break
    fi
    sleep 0.2
  done
done
echo "replica a: http://127.0.0.1:$PORT_A/sim/   (pid ${pids[0]}, log /tmp/zhenggai-replica-a.log)"
echo "replica b: http://127.0.0.1:$PORT_B/sim/   (pid ${pids[1]}, log /tmp/zhenggai-replica-b.log)"
echo "Ctrl-C stops both."
wait
