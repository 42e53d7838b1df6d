#!/usr/bin/env bash
# Runs a command with a throwaway NATS server (JetStream on) beside it, for the tests that run
# hark as several processes over the page stream (`make test` wraps `cargo test` in it):
#   - Debian's `nats-server` (2.9), installed with apt-get only when missing (needs root);
#   - JetStream storage in a temporary directory, listening on 127.0.0.1 only, on a free port;
#   - the command runs with HARK_TEST_NATS_URL=nats://127.0.0.1:PORT, HARK_TEST_NATS_REQUIRED=1
#     and HARK_TEST_NATS_STORE=<dir> (tests that restart the server reuse the directory);
#   - the server is stopped and its directory removed when the command ends, however it ends.
#
# Usage: scripts/with-nats.sh COMMAND [ARGS...]
# Env: HARK_TEST_NATS_URL already set: use that server, start nothing.
#      HARK_NATS_SKIP_APT=1: do not install; fail with what is missing.
set -euo pipefail

say() { printf 'with-nats: %s\n' "$*" >&2; }
die() { printf 'with-nats: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -gt 0 ]] || die "usage: $0 COMMAND [ARGS...]"

if [[ -n "${HARK_TEST_NATS_URL:-}" ]]; then
    say "using the server at HARK_TEST_NATS_URL"
    export HARK_TEST_NATS_REQUIRED=1
    exec "$@"
fi

if ! command -v nats-server >/dev/null 2>&1; then
    if [[ "${HARK_NATS_SKIP_APT:-0}" == 1 ]]; then
        die "nats-server is missing and HARK_NATS_SKIP_APT=1"
    fi
    [[ "$(id -u)" -eq 0 ]] || die "nats-server is missing and installing it needs root: run 'sudo apt-get update && sudo apt-get install -y nats-server', or run 'make test' as root"
    say "installing Debian's nats-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || die "apt-get update failed (is the Debian mirror reachable?)"
    apt-get install -y -q --no-install-recommends nats-server >&2 || die "apt-get install nats-server failed"
    command -v nats-server >/dev/null 2>&1 || die "nats-server installed but not on PATH"
fi

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DIR="$(mktemp -d /tmp/hark-nats.XXXXXX)"
PID=""
stop() {
    [[ -n "$PID" ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
    rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT TERM

say "starting nats-server $(nats-server --version 2>/dev/null | awk '{print $2}') with JetStream on 127.0.0.1:$PORT ($DIR)"
nats-server -js -a 127.0.0.1 -p "$PORT" -sd "$DIR/store" >"$DIR/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
    kill -0 "$PID" 2>/dev/null || { cat "$DIR/server.log" >&2; die "nats-server exited"; }
    sleep 0.1
done

export HARK_TEST_NATS_URL="nats://127.0.0.1:$PORT"
export HARK_TEST_NATS_REQUIRED=1
export HARK_TEST_NATS_STORE="$DIR/store"
status=0
"$@" || status=$?
exit "$status"
