#!/usr/bin/env bash
# A new user's first run: a clean clone, `make run` on a machine without database client headers
# and with an empty pip cache, on a free port; passes when /login answers, then stops the server.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill -TERM -- "-$pid" 2>/dev/null || true; sleep 2; kill -KILL -- "-$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
git clone -q . "$work/clone"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "[fresh-install] make run in a clean clone on port $port (no client headers, no pip cache)"
(cd "$work/clone" && PKG_CONFIG_LIBDIR=/nonexistent PIP_NO_CACHE_DIR=1 PORT=$port exec setsid make run) \
  >"$work/run.log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 1 600); do
  if curl -fsS -o /dev/null "http://127.0.0.1:$port/login" 2>/dev/null; then
    echo "[fresh-install] /login answered on port $port"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then break; fi
  sleep 1
done
echo "[fresh-install] FAILED: /login never answered; the end of make run's output:" >&2
tail -n 40 "$work/run.log" >&2
exit 1
