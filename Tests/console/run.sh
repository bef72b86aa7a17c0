#!/usr/bin/env bash
# Browser tests of the Evidence Console (Tests/console/test_console.py): headless Chromium driven by Selenium
# against two live servers started here on free loopback ports:
#   - `cavra sandbox --port 0`  (sample mode: seeded routes, sample personas), run from the repository root so
#     it uses the repository's policy/;
#   - `cavra api --port 0` with OIDC (a development identity from `cavra identity init`), in a temporary
#     directory (it creates .cavra/cavra.sqlite there).
# Needs a built binary (`swift build --product cavra`; override with CAVRA=path) and the Debian packages
# chromium and chromium-driver. Exits non-zero when any test fails.
#
#   Tests/console/run.sh            # all tests
#   Tests/console/run.sh -k bulk    # extra arguments go to `python -m unittest`
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CAVRA="${CAVRA:-.build/debug/cavra}"
case "$CAVRA" in /*) ;; *) CAVRA="$ROOT/$CAVRA" ;; esac
if [ ! -x "$CAVRA" ]; then
  echo "run.sh: no cavra binary at $CAVRA — build it first: swift build --product cavra" >&2
  exit 2
fi
export CAVRA
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
for tool in "$CHROMIUM" "$CHROMEDRIVER"; do
  if [ ! -x "$tool" ]; then
    echo "run.sh: $tool is missing — apt-get install chromium chromium-driver" >&2
    exit 2
  fi
done

# A private virtual environment with Selenium (git-ignored by the .build-*/ pattern).
VENV="$ROOT/.build-console-venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '4.51.0')" 2>/dev/null; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check selenium==4.51.0
fi

export CAVRA_CONSOLE_SCREENS="$ROOT/.build-console-screens"
mkdir -p "$CAVRA_CONSOLE_SCREENS"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/cavra-console-tests.XXXXXX")"
export CAVRA_CONSOLE_WORK="$WORK"
PIDS=()
cleanup() {
  # Stop only the servers this script started, by their process ids.
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for_url LOG PID: prints the server's URL once it has printed "… listening on http://127.0.0.1:PORT".
wait_for_url() {
  local log="$1" pid="$2" url
  for _ in $(seq 1 600); do
    url="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null | head -n 1 | sed 's/^listening on //')"
    if [ -n "$url" ]; then
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "run.sh: the server stopped before listening:" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "run.sh: the server did not start in 60 s:" >&2
  cat "$log" >&2
  return 1
}

# 1. Sample mode.
"$CAVRA" sandbox --port 0 >"$WORK/sandbox.log" 2>&1 &
PIDS+=("$!")
CAVRA_SANDBOX_URL="$(wait_for_url "$WORK/sandbox.log" "${PIDS[-1]}")"
export CAVRA_SANDBOX_URL

# 2. OIDC mode. The leeway is set to 0 so that the expired-token test need not wait a minute past `exp`.
mkdir -p "$WORK/oidc"
(cd "$WORK/oidc" && "$CAVRA" identity init id >/dev/null)
"$VENV/bin/python" - "$WORK/oidc/id/oidc.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config["leeway_seconds"] = 0
json.dump(config, open(path, "w"), indent=2)
PY
(cd "$WORK/oidc" && CAVRA_APPROVAL_OIDC_CONFIG=id/oidc.json exec "$CAVRA" api --port 0 --policy "$ROOT/policy") \
  >"$WORK/oidc.log" 2>&1 &
PIDS+=("$!")
CAVRA_OIDC_URL="$(wait_for_url "$WORK/oidc.log" "${PIDS[-1]}")"
export CAVRA_OIDC_URL
export CAVRA_OIDC_DIR="$WORK/oidc/id"
export CAVRA_SAMPLE_SCHEDULE="$ROOT/Sources/CavraDrills/Resources/sample/schedule-search-staging.json"

echo "sandbox: $CAVRA_SANDBOX_URL   oidc api: $CAVRA_OIDC_URL   screenshots: $CAVRA_CONSOLE_SCREENS"

set +e
"$VENV/bin/python" -m unittest discover -s "$ROOT/Tests/console" -p 'test_*.py' -v "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  echo "--- sandbox log (tail) ---" >&2
  tail -n 20 "$WORK/sandbox.log" >&2 || true
  echo "--- oidc api log (tail) ---" >&2
  tail -n 20 "$WORK/oidc.log" >&2 || true
fi
exit "$status"
