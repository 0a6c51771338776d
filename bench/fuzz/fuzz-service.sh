#!/usr/bin/env bash
# Fuzzes both listeners of a real service with schemathesis, as CI runs it: `spacelift-cascade
# start` in demo mode (embedded Temporal, simulator, worker), every port free, an admin token set,
# a fixed seed and a modest number of examples. Exits non-zero on any failure; always stops the
# service and removes its data folder.
#
#   bench/fuzz/fuzz-service.sh                  # FUZZ_EXAMPLES=25 FUZZ_SEED=17 by default
#   FUZZ_EXAMPLES=100 FUZZ_SEED=3 bench/fuzz/fuzz-service.sh
#
# Needs schemathesis (pip install schemathesis; 4.32.5 is known good) and the repo's npm ci.
set -euo pipefail
cd "$(dirname "$0")/../.."

EXAMPLES="${FUZZ_EXAMPLES:-25}"
SEED="${FUZZ_SEED:-17}"
ST="${SCHEMATHESIS:-schemathesis}"
if ! command -v "$ST" > /dev/null; then
  echo "schemathesis is missing: pip install schemathesis (or set SCHEMATHESIS to its path)" >&2
  exit 2
fi

DATA="$(mktemp -d "${TMPDIR:-/tmp}/cascade-fuzz-XXXXXX")"
LOG="$DATA/service.log"
SERVICE=""
stop_service() {
  if [ -n "$SERVICE" ] && kill -0 "$SERVICE" 2> /dev/null; then
    kill -TERM "$SERVICE"
    wait "$SERVICE" || true
  fi
  rm -rf "$DATA"
}
trap stop_service EXIT

free_port() {
  node -e "const s = require('node:net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}
PORT="$(free_port)"
ADMIN_PORT="$(free_port)"
TOKEN="$(node -e "console.log(require('node:crypto').randomBytes(24).toString('hex'))")"
: > "$DATA/empty.env"
: > "$LOG"

started=$(date +%s)
# Demo mode: no Spacelift credentials and no TEMPORAL_ADDRESS from the caller's environment.
env -u SPACELIFT_BASE_URL -u SPACELIFT_KEY_ID -u SPACELIFT_KEY_SECRET -u SPACELIFT_WEBHOOK_SECRET \
  -u TEMPORAL_ADDRESS -u CASCADE_ESTATE_ID -u CASCADE_TASK_QUEUE \
  HOST=127.0.0.1 PORT="$PORT" \
  CASCADE_ADMIN_HOST=127.0.0.1 CASCADE_ADMIN_PORT="$ADMIN_PORT" CASCADE_ADMIN_TOKEN="$TOKEN" \
  TEMPORAL_PORT="$(free_port)" TEMPORAL_UI_PORT="$(free_port)" SIMULATOR_PORT="$(free_port)" \
  CASCADE_DATA_DIR="$DATA/data" LOG_LEVEL=warn \
  node --conditions=source --import tsx packages/cascade/src/cli.ts --env-file "$DATA/empty.env" start \
  > "$LOG" 2>&1 &
SERVICE=$!

for _ in $(seq 1 180); do
  grep -q '^spacelift-cascade is ready' "$LOG" && break
  if ! kill -0 "$SERVICE" 2> /dev/null; then
    echo "the service did not start:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  sleep 1
done
grep -q '^spacelift-cascade is ready' "$LOG" || { echo "the service was not ready in 180 s" >&2; cat "$LOG" >&2; exit 1; }
echo "service ready in $(($(date +%s) - started)) s: receiver on 127.0.0.1:$PORT, admin on 127.0.0.1:$ADMIN_PORT"

failed=0
RECEIVER_PATHS='^/(webhook|healthz|readyz)$'
common=(--checks all --continue-on-failure -n "$EXAMPLES" --seed "$SEED" --warnings off)
# Run from the temporary folder: schemathesis keeps a cache of past failures (.schemathesis/) in
# its working directory and replays them, which a run with a fixed seed must not depend on.
st() { (cd "$DATA" && "$ST" run "$@"); }

echo "== admin listener: dashboard API, status, metrics (with the admin token)"
st "http://127.0.0.1:$ADMIN_PORT/openapi.json" "${common[@]}" \
  --exclude-path-regex "$RECEIVER_PATHS" -H "Authorization: Bearer $TOKEN" || failed=1

echo "== public listener: the receiver's routes, from the same document (signed: POST /webhook is 401)"
st "http://127.0.0.1:$ADMIN_PORT/openapi.json" --url "http://127.0.0.1:$PORT" "${common[@]}" \
  --include-path-regex "$RECEIVER_PATHS" || failed=1

echo "== the public listener serves nothing of the admin side"
for path in / /dashboard/app.js /api/estate /api/status /api/cascades /docs /docs/json /openapi.json /metrics; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$path")
  if [ "$status" != 404 ]; then
    echo "FAIL: GET $path on the public listener answered $status, not 404" >&2
    failed=1
  fi
done

if ! kill -0 "$SERVICE" 2> /dev/null; then
  echo "FAIL: the service stopped during the run:" >&2
  cat "$LOG" >&2
  failed=1
fi
echo "fuzzing took $(($(date +%s) - started)) s in all (seed $SEED, $EXAMPLES examples per operation)"
exit "$failed"
