#!/usr/bin/env bash
# Lab 01, run non-interactively: the walkthrough of README.md in a temporary directory, checking
# every outcome it shows. CAVRA names the binary (default: .build/debug/cavra of this checkout).
set -euo pipefail

LAB=01-first-policy
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=../lib.sh
source "$LAB_DIR/../lib.sh"

expect_last_line() {
    [[ "$(tail -n 1 "$WORK/$1")" == "$2" ]] || fail "expected the last line of std$1 to be \`$2\`"
}

# --- the walkthrough ----------------------------------------------------------------------------
cd "$WORK"
mkdir lab && cd lab
cp "$LAB_DIR/first.cavra" "$LAB_DIR/qa-acknowledge.json" .

step "1. validate the policy"
run cavra policy validate first.cavra
expect_rc 0
expect_line out "valid: first-policy 0.1.0 (1 rule, 3 tests, 0 warnings)"

step "2. a typo: validate names the file, line and column, and suggests the fix"
sed 's/route\.environment == "staging"/route.enviroment == "staging"/' first.cavra > typo.cavra
run cavra policy validate typo.cavra
expect_rc 1
expect_line err 'typo.cavra:9:8: error[CAV020]: unknown attribute `route.enviroment`'
expect_line err '      = help: did you mean `route.environment`?'
expect_last_line err "invalid: 1 error, 0 warnings"
[[ ! -s "$WORK/out" ]] || fail "an invalid policy prints nothing on stdout"
run cavra policy validate typo.cavra --format json
expect_rc 1
jq -e '.valid == false and .policy == null
       and .diagnostics[0].code == "CAV020" and .diagnostics[0].line == 9 and .diagnostics[0].column == 8
       and .diagnostics[0].help == "did you mean `route.environment`?"' "$WORK/out" >/dev/null \
    || fail "validate --format json: expected one CAV020 diagnostic at 9:8"
rm typo.cavra

step "3. run the tests: one fails, with its trace"
run cavra policy test first.cavra
expect_rc 1
expect_line out "PASS release manager acknowledges a staging route"
expect_line out "FAIL release manager acknowledges a qa route (first.cavra:17)"
expect_line out '  expect acknowledge allow by "rm-acknowledges-outside-production" (line 20)'
expect_line out "    decision: expected allow, got deny"
expect_line out '    determining: expected ["rm-acknowledges-outside-production"], got []'
expect_line out "      permit rm-acknowledges-outside-production (first.cavra:8): not applied"
expect_line out '        when route.environment == "staging" → false: the rule does not apply'
expect_line out "PASS release manager cannot acknowledge production"
expect_last_line out "2 passed, 1 failed"

step "4. explain the failing case as a request"
run cavra policy explain first.cavra --input qa-acknowledge.json
expect_rc 0
expect_line out "DENY acknowledge"
expect_line out "  denied by default: no permit rule applies"
expect_line out "actor: rm@example.com (verified, issuer https://cavra.local/dev, subject rm-1), groups release-managers"

step "5. fix the rule and run the tests again, with coverage"
sed 's/route\.environment == "staging"/route.environment != "production"/' first.cavra > first.edited
mv first.edited first.cavra
grep -qF 'when route.environment != "production"' first.cavra || fail "the fix was not applied"
run cavra policy test first.cavra --coverage
expect_rc 0
expect_line out "PASS release manager acknowledges a qa route"
expect_line out "coverage: 100% (1 of 1 rules)"
expect_last_line out "3 passed, 0 failed"

step "6. the same request is now allowed"
run cavra policy explain first.cavra --input qa-acknowledge.json
expect_rc 0
expect_line out "ALLOW acknowledge"
expect_line out "  allowed by rm-acknowledges-outside-production; no forbid applied"
expect_line out '    when route.environment != "production" → true'
run cavra policy eval first.cavra --input qa-acknowledge.json
expect_rc 0
jq -e '.decision == "allow" and .enforced == true
       and .determining == ["rm-acknowledges-outside-production"] and .obligations == []
       and .policy.id == "first-policy" and .trace.rules[0].outcome == "applied"' "$WORK/out" >/dev/null \
    || fail "eval: expected an enforced allow by rm-acknowledges-outside-production"

step "7. add a test in a hurry, then let fmt lay it out"
cat >> first.cavra <<'EOF'
test "an auditor cannot acknowledge" { actor { id: "auditor@example.com", verified: true, groups: [ "auditors" ] } route { environment: "staging" }
  expect acknowledge deny }
EOF
run cavra policy fmt first.cavra --check
expect_rc 1
expect_line out "first.cavra"
run cavra policy fmt first.cavra
expect_rc 0
expect_line_in_file() { grep -qxF -- "$2" "$1" || fail "expected the line \`$2\` in $1"; }
expect_line_in_file first.cavra 'test "an auditor cannot acknowledge" {'
expect_line_in_file first.cavra '  actor { id: "auditor@example.com", verified: true, groups: ["auditors"] }'
expect_line_in_file first.cavra '  route { environment: "staging" }'
expect_line_in_file first.cavra '  expect acknowledge deny'
run cavra policy fmt first.cavra --check
expect_rc 0
[[ ! -s "$WORK/out" ]] || fail "fmt --check on a formatted file lists nothing"
run cavra policy test first.cavra --threshold 100
expect_rc 0
expect_line out "PASS an auditor cannot acknowledge"
expect_last_line out "4 passed, 0 failed"

echo "== $LAB: PASS"
