#!/usr/bin/env bash
# CAVRA against Cedar, Rego and Casbin on one policy, and CAVRA's cost per decision as the policy grows.
# Usage: bash labs/benchmarks/run.sh [--smoke] [options of bench.py run]   (SMOKE=1 works as --smoke)
# The cavra binary comes from $CAVRA (default .build-release/release/cavra, built if missing).
set -euo pipefail

cd "$(dirname "$0")/../.."
here=labs/benchmarks
venv=.build-bench-venv
python=${PYTHON:-python3}

args=("$@")
if [ "${SMOKE:-0}" = "1" ]; then
    args+=(--smoke)
fi

if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
# Quiet and without network when the pinned versions are already there.
if ! "$venv/bin/python" -m pip freeze 2>/dev/null | sort | diff -q - <(grep -E '^[A-Za-z]' "$here/requirements.txt" | sort) >/dev/null; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi

cavra=${CAVRA:-.build-release/release/cavra}
if [ ! -x "$cavra" ]; then
    echo "building $cavra" >&2
    swift build -c release --scratch-path .build-release
fi

exec "$venv/bin/python" "$here/bench.py" run --cavra "$cavra" --work .build-bench "${args[@]}"
