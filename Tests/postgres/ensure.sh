#!/usr/bin/env bash
# Prints the URL of a PostgreSQL the tests may use (and nothing else on stdout):
#   - CAVRA_TEST_DATABASE_URL, when it is set and the server answers;
#   - else a private cluster on 127.0.0.1:55432 with its data in .build-postgres/data, initialised and started on
#     first use (installing Debian's `postgresql` when missing) and reused by later runs.
# Trust authentication on loopback is enough for a throw-away test cluster; fsync and synchronous_commit stay on
# so the tests exercise the durability production relies on.
#
#   export CAVRA_TEST_DATABASE_URL="$(bash Tests/postgres/ensure.sh)"
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PORT="${CAVRA_TEST_POSTGRES_PORT:-55432}"
STATE="$ROOT/.build-postgres"
URL="postgres://postgres@127.0.0.1:$PORT/cavra_test"

say() { echo "ensure.sh: $*" >&2; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Runs a command as the cluster's owner: `postgres` when we are root (initdb refuses root), else ourselves.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}

BIN="$(bindir)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
        say "PostgreSQL is not installed; install the Debian package \`postgresql\` (needs root)"
        exit 1
    fi
    say "installing postgresql"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(bindir)"
fi

answers() { "$BIN/psql" "$1" -XAtqc 'SELECT 1' >/dev/null 2>&1; }

if [ -n "${CAVRA_TEST_DATABASE_URL:-}" ]; then
    if answers "$CAVRA_TEST_DATABASE_URL"; then
        echo "$CAVRA_TEST_DATABASE_URL"
        exit 0
    fi
    say "CAVRA_TEST_DATABASE_URL does not answer; using the private cluster on 127.0.0.1:$PORT"
fi

mkdir -p "$STATE"
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$STATE"
    if ! su postgres -s /bin/sh -c "test -w '$STATE'" 2>/dev/null; then
        # The checkout is out of the postgres user's reach (a private home directory): keep the cluster in its home.
        STATE="$(getent passwd postgres | cut -d: -f6)/cavra-tests-$(printf %s "$ROOT" | cksum | cut -d' ' -f1)"
        mkdir -p "$STATE"
        chown postgres: "$STATE"
    fi
fi
DATA="$STATE/data"
# Two runs at once (two `make test`) must not both initialise or start the cluster.
exec 9>"$STATE/lock"
flock 9

if ! "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    if [ ! -f "$DATA/PG_VERSION" ]; then
        say "initialising a private cluster in $DATA"
        rm -rf "$DATA"
        mkdir -p "$DATA"
        [ "$(id -u)" = 0 ] && chown -R postgres: "$STATE"
        as_owner "'$BIN/initdb' -D '$DATA' -U postgres --auth=trust --encoding=UTF8 --locale=C >/dev/null"
    fi
    [ "$(id -u)" = 0 ] && chown -R postgres: "$STATE"
    say "starting PostgreSQL on 127.0.0.1:$PORT"
    # 9>&-: the server must not inherit (and hold forever) the lock.
    as_owner "'$BIN/pg_ctl' -D '$DATA' -l '$STATE/postgres.log' -w -t 60 start \
        -o \"-h 127.0.0.1 -p $PORT -k /tmp -c fsync=on -c synchronous_commit=on -c max_connections=300\"" >&2 9>&-
fi

admin="postgres://postgres@127.0.0.1:$PORT/postgres"
if [ "$("$BIN/psql" "$admin" -XAtqc "SELECT 1 FROM pg_database WHERE datname = 'cavra_test'")" != 1 ]; then
    "$BIN/psql" "$admin" -XAtqc "CREATE DATABASE cavra_test" >/dev/null
fi
answers "$URL" || { say "the private cluster does not answer; see $STATE/postgres.log"; exit 1; }
echo "$URL"
