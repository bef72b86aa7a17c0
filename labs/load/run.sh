#!/usr/bin/env bash
# Load test of the HTTP API (issue #9): durable acknowledgements per second against the raw durable
# insert rate of SQLite on the same disk, plus GET /healthz and the route list. See labs/load/README.md.
#
#   labs/load/run.sh [--smoke] [--json FILE] [--routes N] [--schedules S] [--duration SECONDS]
#                    [--threads T] [--connections C] [--get-connections C] [--raw-inserts N]
#                    [--bin PATH] [--keep]
#
# Exit 0 when every check held, 1 when one failed (a non-200 answer, a count that does not match, the
# server not stopping cleanly), 2 on a usage error.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"

routes=2000
schedules=1
duration=10
threads=2
ack_connections=32
get_connections=16
raw_inserts=2000
ack_deadline=600
probe_routes=20
smoke=0
json_out=""
keep=0
bin="${CAVRA_BIN:-$repo/.build-release/release/cavra}"

usage() {
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) smoke=1 ;;
        --json) json_out="${2:?--json needs a file}"; shift ;;
        --routes) routes="${2:?}"; shift ;;
        --schedules) schedules="${2:?}"; shift ;;
        --duration) duration="${2:?}"; shift ;;
        --threads) threads="${2:?}"; shift ;;
        --connections) ack_connections="${2:?}"; shift ;;
        --get-connections) get_connections="${2:?}"; shift ;;
        --raw-inserts) raw_inserts="${2:?}"; shift ;;
        --bin) bin="${2:?}"; shift ;;
        --keep) keep=1 ;;
        -h | --help) usage ;;
        *) echo "unknown argument: $1" >&2; usage ;;
    esac
    shift
done

if [ "$smoke" = 1 ]; then
    # Small enough for CI, and still checks every status and the stored count.
    routes=50
    duration=2
    raw_inserts=200
    ack_connections=4
    get_connections=8
    ack_deadline=60
    probe_routes=10
fi

for value in "$routes" "$schedules" "$duration" "$threads" "$ack_connections" "$get_connections" "$raw_inserts"; do
    case "$value" in '' | *[!0-9]* | 0) echo "every count must be a positive whole number, found \`$value\`" >&2; exit 2 ;; esac
done
[ "$ack_connections" -ge "$threads" ] && [ "$get_connections" -ge "$threads" ] ||
    { echo "--connections and --get-connections must be at least --threads" >&2; exit 2; }
[ -z "$json_out" ] || json_out="$(cd "$(dirname "$json_out")" && pwd)/$(basename "$json_out")"

log() { printf '== %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# --- prerequisites -------------------------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 is needed"
apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    log "installing $1"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null ||
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null; }
}
command -v wrk >/dev/null || apt_install wrk || die "wrk is needed (apt-get install wrk)"
# strace counts the server's fsync calls in the durability probe; without it the probe is skipped.
command -v strace >/dev/null || apt_install strace || true
if [ ! -x "$bin" ]; then
    log "building the release binary"
    (cd "$repo" && swift build -c release --scratch-path .build-release)
fi
"$bin" api --help >/dev/null 2>&1 || die "$bin has no \`api\` command: rebuild it (swift build -c release --scratch-path .build-release)"

work="$(mktemp -d -t cavra-load.XXXXXX)"
server_pid=""
wrk_pid=""
strace_pid=""
cleanup() {
    local status=$?
    [ -z "$wrk_pid" ] || kill "$wrk_pid" 2>/dev/null || true
    [ -z "$strace_pid" ] || { kill -INT "$strace_pid" 2>/dev/null; wait "$strace_pid" 2>/dev/null; } || true
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "$keep" = 1 ] || [ "$status" != 0 ]; then
        echo "work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

store="$work/store/cavra.sqlite"
policy="$repo/policy"
helpers() { python3 "$here/helpers.py" "$@"; }

# --- identity: a development identity provider, a planner and a release manager --------------------------
"$bin" identity init "$work/idp" >/dev/null
export CAVRA_APPROVAL_OIDC_CONFIG="$work/idp/oidc.json"
issuer="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["issuer"])' "$CAVRA_APPROVAL_OIDC_CONFIG")"
audience="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["audience"])' "$CAVRA_APPROVAL_OIDC_CONFIG")"
mint() {
    "$bin" token mint --key "$work/idp/signing-key.pem" --issuer "$issuer" --audience "$audience" --ttl 2h "$@"
}
# The default policy: drill-planners plan; release managers acknowledge outside production.
mint --sub load-planner --email planner@example.com --groups drill-planners >"$work/planner.token"
mint --sub load-rm --email rm@example.com --groups release-managers >"$work/rm.token"

# --- the plan: one wide schedule (or S of them) with N routes in total, every one `deliver` -------------------
log "planning $routes routes (+ $probe_routes for the durability probe) over $schedules schedule(s)"
plan_files=()
start_plan=$(date +%s.%N)
for schedule in $(helpers schedule --routes "$((routes + probe_routes))" --schedules "$schedules" --out "$work"); do
    plan="${schedule%.json}.plan.json"
    "$bin" drills plan --schedule "$schedule" --store "$store" --policy "$policy" \
        --token "$(cat "$work/planner.token")" --json >"$plan"
    plan_files+=("$plan")
done
plan_seconds=$(python3 -c "import sys; print(round($(date +%s.%N) - $start_plan, 2))")
helpers bodies --expect "$routes" --out "$work/bodies.tsv" --probe "$probe_routes" --probe-out "$work/probe.tsv" \
    "${plan_files[@]}"

# --- the server ---------------------------------------------------------------------------------------------
log "starting cavra api"
"$bin" api --host 127.0.0.1 --port 0 --store "$store" --policy "$policy" >"$work/api.out" 2>"$work/api.log" &
server_pid=$!
base=""
for _ in $(seq 1 600); do
    base="$(sed -n 's|^cavra api listening on \(http://127\.0\.0\.1:[0-9]*\).*|\1|p' "$work/api.out")"
    [ -z "$base" ] || break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/api.log" >&2; die "cavra api exited at start"; }
    sleep 0.1
done
[ -n "$base" ] || die "cavra api did not start listening within 60 s"
log "listening on $base"

# --- 1. acknowledgements: each request a different route, exactly once ----------------------------------------
log "acknowledging $routes routes (wrk -t$threads -c$ack_connections)"
mkdir -p "$work/acks"
wrk -t"$threads" -c"$ack_connections" -d"${ack_deadline}s" --timeout 30s -s "$here/acks.lua" "$base" \
    -- "$work/bodies.tsv" "$work/rm.token" "$threads" "$work/acks" >"$work/wrk-acks.out" 2>&1 &
wrk_pid=$!
# wrk's main thread sleeps for the whole -d; once every thread has its last answer, interrupt it. The rate is
# timed by the threads themselves; this loop only ends the run, so it looks rarely and starts no process but
# `sleep`, to leave the CPU to the server.
while kill -0 "$wrk_pid" 2>/dev/null; do
    finished=("$work"/acks/done-*)
    if [ -e "${finished[0]}" ] && [ "${#finished[@]}" -ge "$threads" ]; then
        kill -INT "$wrk_pid" 2>/dev/null || true
        break
    fi
    sleep 0.2
done
wait "$wrk_pid" || true
wrk_pid=""
[ -s "$work/acks/acks.json" ] || { cat "$work/wrk-acks.out" >&2; die "wrk wrote no result for the acknowledgements"; }

# The API's own view, while it runs: how many routes are acknowledged.
api_total="$(python3 - "$base" "$work/rm.token" <<'EOF'
import json, sys, urllib.request
base, token = sys.argv[1], open(sys.argv[2]).read().strip()
req = urllib.request.Request(base + "/runtime/go-pilot/rollback-drill-notifications/routes?state=acknowledged&limit=1",
                             headers={"Authorization": "Bearer " + token})
print(json.load(urllib.request.urlopen(req))["total"])
EOF
)"

# --- 2. GET /healthz ------------------------------------------------------------------------------------------------
log "GET /healthz for ${duration}s (wrk -t$threads -c$get_connections)"
wrk -t"$threads" -c"$get_connections" -d"${duration}s" --timeout 30s -s "$here/get.lua" "$base/healthz" \
    -- - "$work/healthz.json" >"$work/wrk-healthz.out" 2>&1
[ -s "$work/healthz.json" ] || { cat "$work/wrk-healthz.out" >&2; die "wrk wrote no result for /healthz"; }

# --- 3. the route list with per-route permissions, 100 routes a page --------------------------------------------
log "GET the route list (limit=100) for ${duration}s (wrk -t$threads -c$get_connections)"
wrk -t"$threads" -c"$get_connections" -d"${duration}s" --timeout 30s -s "$here/get.lua" \
    "$base/runtime/go-pilot/rollback-drill-notifications/routes?limit=100" \
    -- "$work/rm.token" "$work/routes.json" >"$work/wrk-routes.out" 2>&1
[ -s "$work/routes.json" ] || { cat "$work/wrk-routes.out" >&2; die "wrk wrote no result for the route list"; }

# --- 4. the durability probe: a 200 must mean a synced commit ------------------------------------------------------
# SQLite in WAL mode with synchronous=FULL syncs the WAL at every commit; with NORMAL only at checkpoints,
# so a commit answered 200 can be lost with the power. Acknowledge a few more routes, one at a time, with
# strace counting the server's fsync and fdatasync calls: there must be at least one per acknowledgement.
probe_syncs=-1
probe_ok="$(wc -l <"$work/probe.tsv")"
if command -v strace >/dev/null; then
    log "durability probe: $probe_routes acknowledgements under strace"
    strace -f -qq -c -e trace=fsync,fdatasync -o "$work/strace.txt" -p "$server_pid" 2>"$work/strace.err" &
    strace_pid=$!
    sleep 1
    if kill -0 "$strace_pid" 2>/dev/null; then
        probe_ok="$(helpers probe --base "$base" --token "$work/rm.token" "$work/probe.tsv")"
        kill -INT "$strace_pid" 2>/dev/null || true
        wait "$strace_pid" || true
        strace_pid=""
        probe_syncs="$(helpers syncs "$work/strace.txt")"
    else
        wait "$strace_pid" || true
        strace_pid=""
        log "durability probe skipped: strace cannot attach ($(head -c 200 "$work/strace.err"))"
    fi
fi
if [ "$probe_syncs" -lt 0 ]; then
    # Without strace the probe routes are still acknowledged, so the counts below stay comparable.
    probe_ok="$(helpers probe --base "$base" --token "$work/rm.token" "$work/probe.tsv")"
fi

# --- stop the server; count what is on disk with the CLI ------------------------------------------------------------
log "stopping cavra api"
kill -TERM "$server_pid"
server_exit=0
wait "$server_pid" || server_exit=$?
server_pid=""
cli_total="$("$bin" drills routes --store "$store" --policy "$policy" --state acknowledged --limit 1 --json \
    --token "$(cat "$work/rm.token")" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])')"
helpers store-stats "$store" >"$work/store.json"
helpers log-stats "$work/api.log" >"$work/log.json"

# --- 5. the raw durable insert rate of SQLite, same disk, same settings ----------------------------------------------
payload="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["avg_record_bytes"] or 4096)' "$work/store.json")"
log "raw SQLite: $raw_inserts inserts of $payload bytes, one transaction each"
helpers raw-insert --dir "$work" --count "$raw_inserts" --payload-bytes "$payload" >"$work/raw.json"
# For reference: the same without a sync per commit (synchronous=NORMAL), not durable against power loss.
helpers raw-insert --dir "$work" --count "$raw_inserts" --payload-bytes "$payload" --synchronous NORMAL \
    >"$work/raw-normal.json"

# --- results ----------------------------------------------------------------------------------------------------------
helpers collect --work "$work" --routes "$routes" --schedules "$schedules" --threads "$threads" \
    --ack-connections "$ack_connections" --get-connections "$get_connections" --duration "$duration" \
    --smoke "$smoke" --api-total "$api_total" --cli-total "$cli_total" --server-exit "$server_exit" \
    --probe-routes "$probe_routes" --probe-ok "$probe_ok" --probe-syncs "$probe_syncs" \
    --plan-seconds "$plan_seconds" >"$work/results.json"
echo
helpers summary ${json_out:+--json "$json_out"} "$work/results.json"
