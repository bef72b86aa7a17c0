#!/usr/bin/env bash
# Lab 02, run non-interactively: a development identity provider, tokens for each persona, `cavra
# api` with OIDC on a free loopback port, and every answer of README.md checked (status and code).
# CAVRA names the binary (default: .build/debug/cavra of this checkout).
set -euo pipefail

LAB=02-verified-console
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=../lib.sh
source "$LAB_DIR/../lib.sh"

# http METHOD PATH TOKEN [BODY]: STATUS gets the status, $WORK/body.json the body, $WORK/headers
# the headers. An empty TOKEN sends no Authorization header.
http() {
    local method="$1" path="$2" token="$3" body="${4:-}"
    local args=(-sS --noproxy '*' --max-time 20 -X "$method" -D "$WORK/headers" -o "$WORK/body.json" -w '%{http_code}')
    [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
    [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
    STATUS=$(curl "${args[@]}" "$BASE$path") || fail "$method $path: no answer from the server"
}
expect_code() { expect_status "$1"; expect_json ".code == \"$2\"" "error code \`$2\`"; }
expect_header() { grep -qiF -- "$1" "$WORK/headers" || fail "expected the header \`$1\`"; }

# --- the walkthrough ----------------------------------------------------------------------------
cd "$WORK"
cp -R "$REPO/policy" policy
cp "$LAB_DIR/schedule-checkout-production.json" "$LAB_DIR/history-checkout-production.json" .
SCHEDULE=go_backend_checkout_fallback_monthly
ROUTES=/runtime/go-pilot/rollback-drill-notifications
ACK="$ROUTES/$SCHEDULE/acknowledgements"

step "1. a development identity provider"
cavra identity init dev-idp > init.out || fail "cavra identity init failed"
grep -qxF "wrote dev-idp/oidc.json" init.out || fail "identity init: expected \`wrote dev-idp/oidc.json\`"
jq -e '.issuer == "https://cavra.local/dev" and .audience == "cavra" and .algorithms == ["ES256"]' \
    dev-idp/oidc.json >/dev/null || fail "dev-idp/oidc.json: unexpected issuer, audience or algorithms"

step "2. tokens for the personas"
mint() {
    cavra token mint --key dev-idp/signing-key.pem --issuer https://cavra.local/dev --audience cavra "$@"
}
PLANNER=$(mint --sub planner-1 --email planner@example.com --groups drill-planners)
RM=$(mint --sub rm-1 --email rm@example.com --groups release-managers)
IC=$(mint --sub ic-1 --email ic@example.com --groups incident-commanders)
AUDITOR=$(mint --sub auditor-1 --email auditor@example.com --groups auditors)
claims() { jq -Rc 'split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | @base64d | fromjson' <<<"$1"; }
claims "$IC" | jq -e '.iss == "https://cavra.local/dev" and .aud == "cavra" and .sub == "ic-1"
                      and .email == "ic@example.com" and .groups == ["incident-commanders"]' >/dev/null \
    || fail "the incident commander's token does not carry the expected claims"

step "3. start cavra api with OIDC"
CAVRA_APPROVAL_OIDC_CONFIG=dev-idp/oidc.json start_api --store cavra.sqlite --policy policy
grep -qF "OIDC issuer https://cavra.local/dev" "$WORK/api.out" || fail "the start line does not name the OIDC issuer"
http GET /readyz ""
expect_status 200
expect_json '.status == "ready" and .policy.id == "rollback-drills"' "a ready server with the default policy"

step "4. the console page and the session"
http GET / ""
expect_status 200
expect_header "Content-Type: text/html"
expect_header "Content-Security-Policy: default-src 'none'"
http GET /console/session ""
expect_status 200
expect_json '.mode == "auth_required" and .authenticated == false and .actor == null' "an anonymous session: auth_required"
http GET /console/session "$IC"
expect_status 200
expect_json '.mode == "authenticated" and .authenticated == true and .actor.id == "ic@example.com"
             and .actor.verified == true and .actor.issuer == "https://cavra.local/dev" and .actor.subject == "ic-1"
             and .actor.groups == ["incident-commanders"]' "the incident commander, verified"

step "5. the planner plans the production schedule"
BODY=$(jq -n --slurpfile s schedule-checkout-production.json --slurpfile h history-checkout-production.json \
    '{schedule: $s[0], history: $h[0], notes: "lab 02"}')
http POST "$ROUTES/plans" "$PLANNER" "$BODY"
expect_status 201
expect_json '.plan.schedule_id == "go_backend_checkout_fallback_monthly" and .plan.alert_level == "critical"
             and ([.plan.routes[] | select(.owner == "release-governance" and .provider == "slack")][0].category == "deliver")
             and ([.plan.routes[] | select(.owner == "platform-operations" and .provider == "teams")][0].category == "deliver")' \
    "a critical plan whose release-governance/slack and platform-operations/teams routes deliver"

step "6. 401: no token, a malformed token, a token from an identity provider nobody trusts"
http GET "$ROUTES/routes" ""
expect_code 401 missing_token
http POST "$ACK" "" '{"provider": "slack", "owner": "release-governance"}'
expect_code 401 missing_token
expect_header 'WWW-Authenticate: Bearer realm="cavra"'
http POST "$ACK" "not-a-token" '{"provider": "slack", "owner": "release-governance"}'
expect_code 401 invalid_token
expect_header 'WWW-Authenticate: Bearer error="invalid_token"'
cavra identity init other-idp > /dev/null
FORGED=$(cavra token mint --key other-idp/signing-key.pem --issuer https://cavra.local/dev --audience cavra \
    --sub ic-1 --email ic@example.com --groups incident-commanders)
http POST "$ACK" "$FORGED" '{"provider": "slack", "owner": "release-governance"}'
expect_code 401 invalid_token
expect_json '.detail | test("unknown key id")' "a detail naming the unknown key id"
http POST "$ACK" "" '{"provider": "slack", "owner": "release-governance", "actor_claims": {"email": "ic@example.com", "groups": ["incident-commanders"]}}'
expect_code 401 actor_claims_refused

step "7. the release manager reads the routes: production is not theirs"
http GET "$ROUTES/routes?owner=release-governance&provider=slack" "$RM"
expect_status 200
expect_json '.total == 1 and .items[0].state == "outstanding" and .items[0].environment == "production"
             and .items[0].permissions.acknowledge.allowed == false
             and .items[0].permissions.acknowledge.reasons == ["no permit rule applies"]' \
    "acknowledge not allowed for the release manager, reason: no permit rule applies"

step "8. 403: the auditor (and the release manager) try to acknowledge"
http POST "$ACK" "$AUDITOR" '{"provider": "slack", "owner": "release-governance"}'
expect_code 403 forbidden
expect_json '.decision.decision == "deny" and .decision.reasons == ["no permit rule applies"]
             and .decision.request.actor.id == "auditor@example.com" and .decision.request.actor.verified == true' \
    "a deny decision for the verified auditor"
http POST "$ACK" "$RM" '{"provider": "slack", "owner": "release-governance"}'
expect_code 403 forbidden
expect_json '[.decision.trace.rules[] | select(.rule == "rm-acknowledges-non-production")][0].outcome == "not_applied"' \
    "rm-acknowledges-non-production not applied (the route is in production)"

step "9. 200: the incident commander acknowledges"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "notes": "on it", "acknowledged_by": "someone-else"}'
expect_status 200
expect_json '.acknowledgement.acknowledgement_state == "acknowledged" and .acknowledgement.sequence == 1
             and .acknowledgement.acknowledged_by == "ic@example.com" and .acknowledgement.actor.verified == true
             and .acknowledgement.claimed_acknowledged_by == "someone-else" and .acknowledgement.channel == "api"
             and .acknowledgement.decision.determining == ["ic-acknowledges"] and .route.state == "acknowledged"' \
    "an acknowledged record by the verified ic@example.com, the body's name kept as a claim"

step "10. 409: acknowledged twice, and a stale expected_state"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance"}'
expect_code 409 invalid_transition
expect_json '.current_state == "acknowledged" and .allowed_transitions == ["escalated", "resolved"]' \
    "current_state acknowledged, allowed transitions escalated and resolved"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "acknowledgement_state": "escalated", "expected_state": "outstanding", "notes": "nobody answered"}'
expect_code 409 state_changed
expect_json '.current_state == "acknowledged"' "current_state acknowledged"

step "11. 422: escalate a critical route without a note, resolve without an external reference"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "acknowledgement_state": "escalated", "expected_state": "acknowledged"}'
expect_code 422 missing_obligation
expect_json '.missing == ["note"] and .decision.decision == "allow" and .decision.obligation_rules.note == ["ic-escalates"]' \
    "missing note, required by ic-escalates"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "acknowledgement_state": "resolved"}'
expect_code 422 missing_obligation
expect_json '.missing == ["external_ref"] and .decision.obligation_rules.external_ref == ["ic-resolves"]' \
    "missing external_ref, required by ic-resolves"

step "12. 200: escalate with a note, resolve with a change reference"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "acknowledgement_state": "escalated", "expected_state": "acknowledged", "notes": "the rollback drill is 18 days overdue"}'
expect_status 200
expect_json '.acknowledgement.previous_state == "acknowledged" and .acknowledgement.acknowledgement_state == "escalated"
             and .acknowledgement.sequence == 2 and .acknowledgement.decision.obligations == ["note"]' "an escalated record 2"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "acknowledgement_state": "resolved", "external_ref": "CHG-1042", "notes": "drill rescheduled"}'
expect_status 200
expect_json '.acknowledgement.acknowledgement_state == "resolved" and .acknowledgement.sequence == 3
             and .acknowledgement.operator_input.external_ref == "CHG-1042"' "a resolved record 3 carrying CHG-1042"
http POST "$ACK" "$IC" '{"provider": "slack", "owner": "release-governance", "acknowledgement_state": "escalated", "notes": "again"}'
expect_code 409 invalid_transition
expect_json '.current_state == "resolved" and .allowed_transitions == []' "resolved is final"

step "13. the evidence: records and refused attempts in the history"
http GET "$ROUTES?schedule_id=$SCHEDULE&kind=acknowledgement" "$AUDITOR"
expect_status 200
expect_json '[.items[].payload.acknowledgement_state] == ["resolved", "escalated", "acknowledged"]' \
    "three records, newest first"
http GET "$ROUTES?schedule_id=$SCHEDULE&kind=refusal" "$AUDITOR"
expect_status 200
expect_json '[.items[].payload | "\(.action) \(.outcome) \(.actor.id)"] | sort ==
             ["acknowledge denied auditor@example.com", "acknowledge denied rm@example.com",
              "escalate missing_obligation ic@example.com", "resolve missing_obligation ic@example.com"]' \
    "four refused attempts (two denied, two missing an obligation)"

echo "== $LAB: PASS"
