# What every lab's run.sh shares: steps and failures named after the lab, a temporary working directory removed at
# exit, the cavra binary, commands and HTTP answers checked, and `cavra api` started on a free port and stopped at
# exit. A lab sets LAB and LAB_DIR, then sources this file; labs still never depend on each other's state.
#
# CAVRA names the binary (default: .build/debug/cavra of this checkout, built with `swift build` when missing).

REPO=$(cd "$LAB_DIR/../.." && pwd)
WORK=$(mktemp -d)
API_PID=""
STEP="setup"

step() { STEP="$1"; echo "== $LAB: $1"; }

# fail MESSAGE: names the lab and the step, shows what the last command or request left, and exits 1.
fail() {
    echo "FAIL [$LAB, step: $STEP]: $1" >&2
    [[ -s "$WORK/body.json" ]] && { echo "--- last response body" >&2; head -c 4000 "$WORK/body.json" >&2; echo >&2; }
    [[ -f "$WORK/out" ]] && { echo "--- stdout" >&2; head -c 4000 "$WORK/out" >&2; }
    [[ -f "$WORK/err" ]] && { echo "--- stderr" >&2; head -c 4000 "$WORK/err" >&2; }
    [[ -s "$WORK/api.log" ]] && { echo "--- last lines of the server log" >&2; tail -n 5 "$WORK/api.log" >&2; }
    exit 1
}
trap 'echo "FAIL [$LAB, step: $STEP]: unexpected error at line $LINENO" >&2' ERR

stop_api() {
    if [[ -n "$API_PID" ]] && kill -0 "$API_PID" 2>/dev/null; then
        kill -TERM "$API_PID" 2>/dev/null || true
        wait "$API_PID" 2>/dev/null || true
    fi
    API_PID=""
}
cleanup() { stop_api; rm -rf "$WORK"; }
trap cleanup EXIT

# shellcheck source=labs/binary.sh
source "$REPO/labs/binary.sh"
resolve_cavra "== $LAB: "
[[ -x "$CAVRA" ]] || { echo "FAIL [$LAB, step: setup]: no cavra binary at $CAVRA" >&2; exit 1; }
cavra() { "$CAVRA" "$@"; }

# run CMD…: runs it, keeping stdout in $WORK/out, stderr in $WORK/err and the exit code in RC.
run() { rm -f "$WORK/body.json"; set +e; "$@" >"$WORK/out" 2>"$WORK/err"; RC=$?; set -e; }
expect_rc() { [[ "$RC" == "$1" ]] || fail "expected exit code $1, got $RC"; }
# expect_line FILE TEXT: FILE (out or err) holds TEXT as a whole line.
expect_line() { grep -qxF -- "$2" "$WORK/$1" || fail "expected the line \`$2\` on std$1"; }
# expect_text FILE TEXT: FILE (out or err) holds TEXT somewhere.
expect_text() { grep -qF -- "$2" "$WORK/$1" || fail "expected \`$2\` on std$1"; }
# expect_match FILE REGEX: a line of FILE (out or err) matches the extended regular expression.
expect_match() { grep -qE -- "$2" "$WORK/$1" || fail "expected a line matching \`$2\` on std$1"; }

# After a lab's own `http` function: STATUS holds the status, $WORK/body.json the body.
expect_status() { [[ "$STATUS" == "$1" ]] || fail "expected HTTP $1, got $STATUS"; }
# expect_json FILTER WHAT: the last body satisfies the jq FILTER.
expect_json() { jq -e "$1" "$WORK/body.json" >/dev/null 2>&1 || fail "expected $2 (jq: $1)"; }

# start_api ARGS…: starts `cavra api --port 0 ARGS…` and sets BASE from its first stdout line.
start_api() {
    "$CAVRA" api --host 127.0.0.1 --port 0 "$@" >"$WORK/api.out" 2>"$WORK/api.log" &
    API_PID=$!
    local i
    for ((i = 0; i < 300; i++)); do
        if grep -q 'listening on http://' "$WORK/api.out" 2>/dev/null; then break; fi
        kill -0 "$API_PID" 2>/dev/null || fail "cavra api exited during start-up"
        sleep 0.1
    done
    BASE=$(sed -n 's|^cavra api listening on \(http://[^ ]*\).*|\1|p' "$WORK/api.out" | head -n 1)
    [[ -n "$BASE" ]] || fail "cavra api did not say where it listens within 30 s"
}
