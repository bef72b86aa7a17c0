#!/usr/bin/env bash
# Property-based tests of the running API against its own description (docs/openapi.json, served as /openapi.json):
# schemathesis generates requests from the document, valid and invalid, and checks every answer:
#   - not_a_server_error: no 5xx (a 503 `store_unavailable` is documented, but the store here is always up);
#   - status_code_conformance, content_type_conformance, response_schema_conformance: the status, the
#     Content-Type and the body are ones the document declares for that operation.
# Two live servers are started here on free loopback ports, each with a temporary store:
#   1. `cavra sandbox --port 0` (sample mode), run from the repository root so that it uses policy/; requests carry
#      the sample incident commander's token, so mutations get past identity to the policy and the store;
#   2. `cavra api --port 0` in local mode (no OIDC): no token; actors are asserted in bodies and headers.
# The run is bounded (MAX_EXAMPLES cases per operation and phase, a fixed SEED; schemathesis 4 runs Hypothesis
# without a deadline, so a slow answer is no failure) and takes under two minutes.
# schemathesis lives in a virtual environment of its own, .build-schemathesis-venv/ (ignored by git through
# `.build-*/`), created on the first run (that run needs PyPI). Needs a built binary (`swift build --product cavra`;
# override with CAVRA=path).
#
#   bash Tests/openapi/schemathesis.sh                 # both servers
#   MAX_EXAMPLES=100 SEED=7 bash Tests/openapi/schemathesis.sh
#   bash Tests/openapi/schemathesis.sh --include-path-regex plans    # extra arguments go to `st run`
#
# Exits 0 when every check passes on both servers, 1 when schemathesis finds a failure, 2 when it cannot run.

set -euo pipefail

# Pinned so that a new release cannot change the verdict; 4.x reads OpenAPI 3.1 natively.
SCHEMATHESIS="schemathesis==4.32.5"
MAX_EXAMPLES="${MAX_EXAMPLES:-25}"
SEED="${SEED:-20261129}"
CHECKS="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

CAVRA="${CAVRA:-.build/debug/cavra}"
case "$CAVRA" in /*) ;; *) CAVRA="$ROOT/$CAVRA" ;; esac
if [ ! -x "$CAVRA" ]; then
  echo "schemathesis.sh: no cavra binary at $CAVRA — build it first: swift build --product cavra" >&2
  exit 2
fi

VENV="$ROOT/.build-schemathesis-venv"
if [ ! -x "$VENV/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$VENV"
fi
STAMP="$VENV/cavra-schemathesis-packages.txt"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$SCHEMATHESIS" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$SCHEMATHESIS"
  echo "$SCHEMATHESIS" >"$STAMP"
fi

WORK="$(mktemp -d -t cavra-schemathesis.XXXXXX)"
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

# wait_for_url LOG PID: prints the server's URL once it has printed "… listening on http://127.0.0.1:PORT" on
# LOG (its stdout; its stderr is beside it, LOG with .err for .out).
wait_for_url() {
  local log="$1" pid="$2" url
  for _ in $(seq 1 600); do
    url="$(grep -o 'listening on http://127\.0\.0\.1:[0-9]*' "$log" 2>/dev/null | head -n 1 | sed 's/^listening on //')"
    if [ -n "$url" ]; then
      echo "$url"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "schemathesis.sh: the server stopped before listening:" >&2
      cat "$log" "${log%.out}.err" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "schemathesis.sh: the server did not start in 60 s:" >&2
  cat "$log" "${log%.out}.err" >&2
  return 1
}

# run_schemathesis NAME URL [ARGS…]: one bounded run against the server at URL.
run_schemathesis() {
  local name="$1" url="$2"
  shift 2
  echo "== schemathesis: $name ($url)"
  # From the scratch directory, so that nothing is written into the repository.
  (cd "$WORK" && "$VENV/bin/st" run "$url/openapi.json" \
    --checks "$CHECKS" \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 1 \
    --request-timeout 20 \
    --generation-database none \
    --suppress-health-check all \
    --no-color \
    "$@")
}

export CAVRA_LOG_LEVEL=error
status=0

# 1. Sample mode, with the sample incident commander's token.
"$CAVRA" sandbox --port 0 >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
PIDS+=("$!")
sandbox="$(wait_for_url "$WORK/sandbox.out" "${PIDS[-1]}")" || exit 2
token="$(
  "$VENV/bin/python" - "$sandbox/console/sample-personas" <<'PYTHON'
import json
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=20) as response:
    personas = json.load(response)["personas"]
tokens = [p["token"] for p in personas if p.get("token") and "incident-commanders" in p["claims"].get("groups", [])]
if not tokens:
    sys.exit("no sample persona of the incident-commanders group has a token")
print(tokens[0])
PYTHON
)" || exit 2
run_schemathesis "cavra sandbox" "$sandbox" -H "Authorization: Bearer $token" "$@" || status=1

# 2. Local mode: `cavra api` without OIDC, its own store and the repository's policy.
mkdir -p "$WORK/api"
(cd "$WORK/api" && exec env -u CAVRA_APPROVAL_OIDC_CONFIG -u CAVRA_DATABASE_URL \
  "$CAVRA" api --port 0 --store "$WORK/api/cavra.sqlite" --policy "$ROOT/policy") \
  >"$WORK/api.out" 2>"$WORK/api.err" &
PIDS+=("$!")
api="$(wait_for_url "$WORK/api.out" "${PIDS[-1]}")" || exit 2
run_schemathesis "cavra api (local mode)" "$api" "$@" || status=1

if [ "$status" -ne 0 ]; then
  echo "schemathesis.sh: schemathesis found failures (above)" >&2
fi
exit "$status"
