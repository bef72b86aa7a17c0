#!/usr/bin/env bash
# Runs every lab's run.sh (labs/0*/run.sh), one after the other, and reports pass or fail per lab.
# Exits 1 when any lab fails. CAVRA names the binary the labs use (default: .build/debug/cavra of
# this checkout, built with `swift build` when missing). Each lab's output is shown only when it
# fails, or always with VERBOSE=1.
set -euo pipefail

LABS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LABS_DIR/.." && pwd)

# shellcheck source=labs/binary.sh
source "$LABS_DIR/binary.sh"
resolve_cavra ""

LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

passed=0
failed=()
for script in "$LABS_DIR"/0*/run.sh; do
    lab=$(basename "$(dirname "$script")")
    start=$SECONDS
    if bash "$script" >"$LOG" 2>&1; then
        printf 'PASS  %-24s %3ds\n' "$lab" $((SECONDS - start))
        passed=$((passed + 1))
        [[ "${VERBOSE:-}" == 1 ]] && sed 's/^/      /' "$LOG"
    else
        printf 'FAIL  %-24s %3ds\n' "$lab" $((SECONDS - start))
        sed 's/^/      /' "$LOG"
        failed+=("$lab")
    fi
done

echo "labs: $passed passed, ${#failed[@]} failed${failed:+ (${failed[*]})}"
[[ ${#failed[@]} -eq 0 ]]
