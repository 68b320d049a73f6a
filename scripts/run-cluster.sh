#!/usr/bin/env bash
# Several app processes (replicas) behind HAProxy, over one shared store: the shape that serves a
# whole force (docs/deployment.md).
#
#   bash scripts/run-cluster.sh --replicas 3 --port 8080 [--run-dir DIR] [--bind ADDRESS] [streamlit options]
#
# - Each replica is `python -m app_pages.serving run` (caches warmed before it listens) on
#   127.0.0.1:PORT+1 .. PORT+N; only HAProxy listens on PORT.
# - Every replica reads the same store (INSIGHT_DATA_DIR: a folder, or az://... for Azure Storage)
#   and the same secrets (--secrets.files FILE or .streamlit/secrets.toml), so a sign-in cookie
#   signed by one replica is accepted by all (same cookie_secret), and the [auth] redirect_uri
#   should name the proxy's address (http://HOST:PORT/oauth2callback).
# - HAProxy pins each browser to one replica with a cookie (Streamlit keeps a session in the process
#   that opened its WebSocket); a replica that stops answering /_stcore/health is taken out within
#   about 2 s, and a browser pinned to it is sent to another (redispatch) without signing in again.
# - HAProxy (Debian's package) is installed with apt-get when missing (as root, or through sudo).
# - Without sign-in configured the proxy listens on 127.0.0.1 only (local mode); with sign-in, on
#   every interface (--bind overrides), and passes the client's address on (X-Forwarded-For).
# - --run-dir keeps haproxy.cfg, each replica's log and process id (rN.pid) there (default: a
#   temporary folder, removed on exit). Ctrl-C (or SIGTERM) stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."

REPLICAS=2
PORT=8080
RUN_DIR=""
BIND=""
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS="$2"; shift 2 ;;
    --replicas=*) REPLICAS="${1#*=}"; shift ;;
    --port) PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    --run-dir) RUN_DIR="$2"; shift 2 ;;
    --run-dir=*) RUN_DIR="${1#*=}"; shift ;;
    --bind) BIND="$2"; shift 2 ;;
    --bind=*) BIND="${1#*=}"; shift ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
case "$REPLICAS" in ''|*[!0-9]*) echo "--replicas must be a whole number (got '$REPLICAS')" >&2; exit 2 ;; esac
case "$PORT" in ''|*[!0-9]*) echo "--port must be a port number (got '$PORT')" >&2; exit 2 ;; esac
if [ "$REPLICAS" -lt 1 ] || [ "$REPLICAS" -gt 32 ]; then echo "--replicas must be between 1 and 32" >&2; exit 2; fi

if ! command -v haproxy >/dev/null && [ ! -x /usr/sbin/haproxy ]; then
  echo "installing Debian's haproxy"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  elif command -v sudo >/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  else
    echo "HAProxy is not installed and this user cannot install it: apt-get install haproxy" >&2
    exit 1
  fi
fi
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then "$PY" -m venv .venv; fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt

SIGN_IN_ADDRESS=$(.venv/bin/python -m app_pages.serving listen-address ${ARGS[@]+"${ARGS[@]}"})
if [ -z "$BIND" ]; then
  BIND="$SIGN_IN_ADDRESS"
fi
# With sign-in the replicas learn each client's address from the proxy (X-Forwarded-For). In local mode
# (no sign-in) the proxy listens on this computer only and adds no such header: a local-mode app serves
# only clients on its own computer and refuses a request a proxy forwarded.
if [ "$SIGN_IN_ADDRESS" = "127.0.0.1" ]; then FORWARDFOR="# local mode: no option forwardfor"; else FORWARDFOR="option forwardfor"; fi
if [ -z "$RUN_DIR" ]; then
  RUN_DIR=$(mktemp -d)
  REMOVE_RUN_DIR=1
else
  mkdir -p "$RUN_DIR"
  REMOVE_RUN_DIR=0
fi

PIDS=()
stop_all() {
  trap - INT TERM EXIT
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$REMOVE_RUN_DIR" = 1 ]; then rm -rf "$RUN_DIR"; fi
}
trap stop_all INT TERM EXIT

for i in $(seq 1 "$REPLICAS"); do
  port=$((PORT + i))
  # Replicas listen on this computer only: browsers reach them through the proxy.
  .venv/bin/python -m app_pages.serving run --server.port "$port" ${ARGS[@]+"${ARGS[@]}"} \
    --server.address 127.0.0.1 >"$RUN_DIR/r$i.log" 2>&1 &
  PIDS+=("$!")
  echo "$!" >"$RUN_DIR/r$i.pid"
done

# Each replica listens once it has read the store (warm): a big store takes a while, so wait up to 10 minutes.
for i in $(seq 1 "$REPLICAS"); do
  port=$((PORT + i))
  up=0
  for _ in $(seq 1 3000); do
    if .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:$port/_stcore/health" 2>/dev/null; then
      up=1
      break
    fi
    if ! kill -0 "$(cat "$RUN_DIR/r$i.pid")" 2>/dev/null; then
      echo "replica r$i stopped while starting:" >&2
      tail -n 20 "$RUN_DIR/r$i.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  if [ "$up" != 1 ]; then
    echo "replica r$i did not answer its health check within 10 minutes:" >&2
    tail -n 20 "$RUN_DIR/r$i.log" >&2
    exit 1
  fi
done

{
  cat <<EOF
# Written by scripts/run-cluster.sh: $REPLICAS replicas of the app behind one address.
global
    maxconn 4096

defaults
    mode http
    $FORWARDFOR
    timeout connect 5s
    # A Streamlit session is a WebSocket held open while the tab is: allow an hour of quiet.
    timeout client 1h
    timeout server 1h
    timeout tunnel 1h
    retries 3
    # A browser pinned to a replica that is down is sent to another rather than given an error.
    option redispatch

frontend insight
    bind $BIND:$PORT
    default_backend replicas

backend replicas
    balance roundrobin
    # Each browser stays on the replica that holds its session (its WebSocket, its uploads).
    cookie INSIGHT_REPLICA insert indirect nocache httponly
    option httpchk GET /_stcore/health
    default-server inter 1s fall 2 rise 2
EOF
  for i in $(seq 1 "$REPLICAS"); do
    echo "    server r$i 127.0.0.1:$((PORT + i)) check cookie r$i"
  done
} >"$RUN_DIR/haproxy.cfg"

"$HAPROXY" -c -q -f "$RUN_DIR/haproxy.cfg"
"$HAPROXY" -db -f "$RUN_DIR/haproxy.cfg" >"$RUN_DIR/haproxy.log" 2>&1 &
PIDS+=("$!")
echo "$!" >"$RUN_DIR/haproxy.pid"
for _ in $(seq 1 100); do
  if .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
    "http://127.0.0.1:$PORT/_stcore/health" 2>/dev/null; then
    break
  fi
  sleep 0.1
done
echo "serving $REPLICAS replicas on http://$BIND:$PORT (store: ${INSIGHT_DATA_DIR:-data/store}; run folder: $RUN_DIR)"
echo "ready" >"$RUN_DIR/ready"
wait -n ${PIDS[@]+"${PIDS[@]}"} || true
# A replica or the proxy stopped on its own: HAProxy keeps serving from the others; wait for Ctrl-C.
wait
