#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server beside it, for the tests that run hark on a
# PostgreSQL store (`make test` wraps `cargo test` in it):
#   - Debian's PostgreSQL 15 (`postgresql-15`), installed with apt-get only when missing
#     (needs root, as on CI);
#   - a new cluster in a temporary directory, owned by the `postgres` user (PostgreSQL refuses
#     to run as root), listening on 127.0.0.1 only, on a free port, trust authentication for
#     loopback (nothing else can reach it), fsync off (a test server: speed over durability);
#   - the command runs with HARK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:PORT/postgres
#     (tests create a database of their own on it) and HARK_TEST_POSTGRES_REQUIRED=1;
#   - the server is stopped and its directory removed when the command ends, however it ends.
#
# Usage: scripts/with-postgres.sh COMMAND [ARGS...]
# Env: HARK_TEST_POSTGRES_URL already set: use that server, start nothing.
#      HARK_POSTGRES_SKIP_APT=1: do not install; fail with what is missing.
set -euo pipefail

say() { printf 'with-postgres: %s\n' "$*" >&2; }
die() { printf 'with-postgres: ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -gt 0 ]] || die "usage: $0 COMMAND [ARGS...]"

if [[ -n "${HARK_TEST_POSTGRES_URL:-}" ]]; then
    say "using the server at HARK_TEST_POSTGRES_URL"
    export HARK_TEST_POSTGRES_REQUIRED=1
    exec "$@"
fi

PG_MAJOR=15
PG_BIN="/usr/lib/postgresql/$PG_MAJOR/bin"

if [[ ! -x "$PG_BIN/pg_ctl" ]]; then
    if [[ "${HARK_POSTGRES_SKIP_APT:-0}" == 1 ]]; then
        die "PostgreSQL $PG_MAJOR is missing ($PG_BIN/pg_ctl) and HARK_POSTGRES_SKIP_APT=1"
    fi
    [[ "$(id -u)" -eq 0 ]] || die "PostgreSQL $PG_MAJOR is missing and installing it needs root: run 'sudo apt-get update && sudo apt-get install -y postgresql-$PG_MAJOR', or run 'make test' as root"
    say "installing Debian's postgresql-$PG_MAJOR"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2 || die "apt-get update failed (is the Debian mirror reachable?)"
    apt-get install -y -q --no-install-recommends "postgresql-$PG_MAJOR" >&2 \
        || die "apt-get install postgresql-$PG_MAJOR failed"
    [[ -x "$PG_BIN/pg_ctl" ]] || die "postgresql-$PG_MAJOR installed but $PG_BIN/pg_ctl is missing"
fi

# Run the server as `postgres` when we are root (it refuses root), as ourselves otherwise.
if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' is missing (the postgresql package creates it)"
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
DIR="$(mktemp -d /tmp/hark-postgres.XXXXXX)"
chmod 755 "$DIR"
[[ "$(id -u)" -eq 0 ]] && chown postgres: "$DIR"

stop() {
    as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT TERM

say "starting PostgreSQL $PG_MAJOR on 127.0.0.1:$PORT ($DIR)"
as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { cat "$DIR/server.log" >&2; die "PostgreSQL did not start"; }

export HARK_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export HARK_TEST_POSTGRES_REQUIRED=1
status=0
"$@" || status=$?
exit "$status"
