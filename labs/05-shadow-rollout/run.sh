#!/usr/bin/env bash
# Lab 05, run non-interactively: a stricter candidate policy run in shadow beside the enforced one,
# its shadow decisions recorded, compared with `cavra policy replay`, then promoted; each outcome of
# README.md checked. CAVRA names the binary (default: .build/debug/cavra of this checkout).
set -euo pipefail

LAB=05-shadow-rollout
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=../lib.sh
source "$LAB_DIR/../lib.sh"

# run_bounded SECONDS CMD…: like run, but a command still running after SECONDS is stopped (RC 124).
run_bounded() {
    local seconds="$1" pid i
    shift
    rm -f "$WORK/body.json"
    "$@" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
    for ((i = 0; i < seconds * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        RC=124
    else
        set +e; wait "$pid"; RC=$?; set -e
    fi
}

# http METHOD PATH [BODY] [HEADER…]: STATUS gets the status, $WORK/body.json the body.
http() {
    local method="$1" path="$2" body="${3:-}"
    rm -f "$WORK/out" "$WORK/err"
    shift 2; [[ $# -gt 0 ]] && shift
    local args=(-sS --noproxy '*' --max-time 20 -X "$method" -o "$WORK/body.json" -w '%{http_code}')
    [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    local header
    for header in "$@"; do args+=(-H "$header"); done
    STATUS=$(curl "${args[@]}" "$BASE$path") || fail "$method $path: no answer from the server"
}

# --- the walkthrough ----------------------------------------------------------------------------
cd "$WORK"
# Local mode (no OIDC): actors are asserted, which the default policy accepts outside production.
unset CAVRA_APPROVAL_OIDC_CONFIG CAVRA_DATABASE_URL
cp -R "$REPO/policy" policy
cp "$LAB_DIR/schedule-search-staging.json" .
SCHEDULE=go_backend_search_fallback_biweekly
API=/runtime/go-pilot/rollback-drill-notifications
ACK="$API/$SCHEDULE/acknowledgements"
claims() { printf '{"sub": "%s", "groups": ["%s"]}' "$1" "$2"; }
RM_CLAIMS=$(claims rm release-managers)
IC_CLAIMS=$(claims ic incident-commanders)
AUDITOR_CLAIMS=$(claims auditor auditors)

step "1. the candidate: the enforced policy plus one forbid, in shadow mode"
cp -R policy candidate
cp "$LAB_DIR/tier-1.cavra" candidate/tier-1.cavra
awk '$0 == "policy \"rollback-drills\" version \"1.0.0\"" { $0 = "policy \"rollback-drills\" version \"1.1.0\"" }
     { print } /^description / { print "mode shadow" }' policy/drills.cavra > candidate/drills.cavra
grep -qx 'policy "rollback-drills" version "1.1.0"' candidate/drills.cavra && grep -qx 'mode shadow' candidate/drills.cavra \
    || fail "could not set the candidate's header (did the default policy's header change?)"
run cavra policy validate candidate
expect_rc 0
expect_match out '^valid: rollback-drills 1\.1\.0 \('
run cavra policy test candidate --coverage
expect_rc 0
expect_line out "PASS release manager cannot acknowledge a tier-1 staging route"
expect_match out '^coverage: 100% '
expect_match out ' 0 failed$'
run cavra policy fmt candidate --check
expect_rc 0

step "2. a shadow policy must say so, and an enforced one must not"
run_bounded 60 "$CAVRA" api --port 0 --store refused.sqlite --policy policy --shadow-policy policy
expect_rc 1
expect_match err 'mode shadow'
run_bounded 60 "$CAVRA" api --port 0 --store refused.sqlite --policy candidate
expect_rc 1
expect_match err 'mode shadow'

step "3. start the server with the candidate in shadow"
start_api --store lab05.sqlite --policy policy --shadow-policy candidate
http GET /readyz
expect_status 200
expect_json '.policy.version == "1.0.0" and .shadow_policy.version == "1.1.0"' "policy 1.0.0 enforced, 1.1.0 in shadow"
http GET /console/security-boundary
expect_status 200
expect_json '.shadow_policy.version == "1.1.0"' "the shadow policy in the security boundary"

step "4. plan, and act as usual"
BODY=$(jq -n --slurpfile s schedule-search-staging.json --argjson a "$(claims planner drill-planners)" '{schedule: $s[0], actor_claims: $a}')
http POST "$API/plans" "$BODY"
expect_status 201
expect_json '.plan.alert_level == "critical" and ([.plan.routes[] | "\(.owner)/\(.provider):\(.category)"] | sort) ==
             ["release-governance/email:deliver", "release-governance/slack:deliver", "search-oncall/slack:deliver"]' \
    "a critical plan with three delivered routes"
http POST "$ACK" "{\"provider\": \"slack\", \"owner\": \"search-oncall\", \"actor_claims\": $RM_CLAIMS}"
expect_status 200
expect_json '.acknowledgement.decision.decision == "allow" and .acknowledgement.decision.determining == ["rm-acknowledges-non-production"]
             and .acknowledgement.shadow_decision.decision == "deny" and .acknowledgement.shadow_decision.enforced == false
             and .acknowledgement.shadow_decision.determining == ["tier-1-needs-incident-commander"]
             and .acknowledgement.shadow_decision.reasons == ["tier-1 routes are acknowledged by an incident commander"]
             and .acknowledgement.shadow_decision.policy.version == "1.1.0"' \
    "allowed and recorded, with a shadow deny by tier-1-needs-incident-commander"
RM_ACK_ID=$(jq -r .acknowledgement.acknowledgement_id "$WORK/body.json")
http POST "$ACK" "{\"provider\": \"email\", \"owner\": \"release-governance\", \"actor_claims\": $IC_CLAIMS}"
expect_status 200
expect_json '.acknowledgement.decision.decision == "allow" and .acknowledgement.shadow_decision.decision == "allow"' \
    "the incident commander: allowed by both"
http POST "$ACK" "{\"provider\": \"slack\", \"owner\": \"release-governance\", \"actor_claims\": $AUDITOR_CLAIMS}"
expect_status 403
expect_json '.code == "forbidden" and .decision.decision == "deny"' "the auditor: denied (by the enforced policy)"

step "5. the shadow decisions in the history"
http GET "$API?schedule_id=$SCHEDULE&kind=acknowledgement" "" "X-Cavra-Actor: auditor" "X-Cavra-Actor-Groups: auditors"
expect_status 200
expect_json '[.items[].payload | "\(.acknowledged_by): \(.decision.decision)/\(.shadow_decision.decision)"] | sort == ["ic: allow/allow", "rm: allow/deny"]' \
    "two records: rm allow/deny (enforced/shadow), ic allow/allow"
http GET "$API?schedule_id=$SCHEDULE&kind=refusal" "" "X-Cavra-Actor: auditor" "X-Cavra-Actor-Groups: auditors"
expect_status 200
expect_json '[.items[].payload | "\(.actor.id): \(.decision.decision)/\(.shadow_decision.decision)"] == ["auditor: deny/deny"]' \
    "one refused attempt, denied by both"
stop_api

step "6. replay every stored decision with the candidate"
run cavra policy replay --store lab05.sqlite candidate
expect_rc 0
expect_match out '^replayed [0-9]+ stored decisions? with rollback-drills 1\.1\.0 \(sha256 [0-9a-f]{12}\): 1 changed, [0-9]+ unchanged$'
expect_match out '^  allow → deny: 1, deny → allow: 0, '
expect_match out "^  allow → deny  acknowledge  route gordroute-[0-9a-f]{16} of $SCHEDULE\$"
expect_match out "^    acknowledgement $RM_ACK_ID at "
expect_match out '^  tier-1-needs-incident-commander: newly determines 1'
run cavra policy replay --store lab05.sqlite candidate --format json
expect_rc 0
jq -e --arg id "$RM_ACK_ID" '.candidate.version == "1.1.0" and .counts.changed == 1 and .counts.allow_to_deny == 1
       and .counts.deny_to_allow == 0 and .counts.unreplayable == 0
       and ([.decisions[] | select(.change != null) | {id, kind, action, change, r: .recorded.decision, c: .candidate.decision,
             by: .candidate.determining}] == [{id: $id, kind: "acknowledgement", action: "acknowledge", change: "allow_to_deny",
             r: "allow", c: "deny", by: ["tier-1-needs-incident-commander"]}])' "$WORK/out" >/dev/null \
    || fail "replay --format json: expected exactly the release manager's acknowledgement to change, allow → deny"
run cavra policy replay --store lab05.sqlite candidate --fail-on-change
expect_rc 1
run cavra policy replay --store lab05.sqlite policy --fail-on-change
expect_rc 0
expect_match out ': 0 changed, [0-9]+ unchanged$'

step "7. promote the candidate: enforce it"
cp -R candidate promoted
grep -vx 'mode shadow' candidate/drills.cavra > promoted/drills.cavra
run cavra policy validate promoted
expect_rc 0
expect_match out '^valid: rollback-drills 1\.1\.0 '
start_api --store lab05.sqlite --policy promoted
http GET /readyz
expect_status 200
expect_json '.policy.version == "1.1.0" and .shadow_policy == null' "policy 1.1.0 enforced, no shadow"

step "8. the action the shadow would have denied is now denied"
http POST "$ACK" "{\"provider\": \"slack\", \"owner\": \"release-governance\", \"actor_claims\": $RM_CLAIMS}"
expect_status 403
expect_json '.code == "forbidden" and .decision.enforced == true and .decision.determining == ["tier-1-needs-incident-commander"]
             and .decision.reasons == ["tier-1 routes are acknowledged by an incident commander"]
             and .decision.policy.version == "1.1.0"' "403 by tier-1-needs-incident-commander, enforced"
http POST "$ACK" "{\"provider\": \"slack\", \"owner\": \"release-governance\", \"actor_claims\": $IC_CLAIMS}"
expect_status 200
expect_json '.acknowledgement.decision.policy.version == "1.1.0" and .acknowledgement.decision.determining == ["ic-acknowledges"]' \
    "the incident commander acknowledges under 1.1.0"
stop_api

step "9. the evidence holds all three policies and verifies"
run cavra audit export --store lab05.sqlite --policy promoted --as auditor --groups auditors -o package.json
expect_rc 0
jq -e '[.policies[] | .version] | sort == ["1.0.0", "1.1.0", "1.1.0"]' package.json >/dev/null \
    || fail "the package should embed 1.0.0, the 1.1.0 shadow candidate and the promoted 1.1.0"
run cavra audit verify package.json
expect_rc 0
expect_match out '^verified: gordackaudit-[0-9a-f]{16} \(3 routes, 3 records, 2 refused attempts, signature: none\)$'

echo "== $LAB: PASS"
