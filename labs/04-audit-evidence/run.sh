#!/usr/bin/env bash
# Lab 04, run non-interactively: evidence made through the CLI with verified tokens, a signed audit
# package exported, verified with a trusted key, tampered with in three ways, and a recorded
# decision replayed from the package alone. CAVRA names the binary (default: .build/debug/cavra).
set -euo pipefail

LAB=04-audit-evidence
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=../lib.sh
source "$LAB_DIR/../lib.sh"

command -v openssl >/dev/null || fail "openssl is needed to make the signing keys"

# --- the walkthrough ----------------------------------------------------------------------------
cd "$WORK"
cp -R "$REPO/policy" policy
cp "$LAB_DIR/schedule-checkout-production.json" "$LAB_DIR/history-checkout-production.json" "$LAB_DIR/reseal.py" .
unset CAVRA_DATABASE_URL CAVRA_AUDIT_PREVIOUS_KEYS
SCHEDULE=go_backend_checkout_fallback_monthly
STORE=(--store lab04.sqlite --policy policy)

step "1. evidence: plan, a refused attempt, an acknowledgement, an unmet obligation, a resolution"
cavra identity init dev-idp > /dev/null
export CAVRA_APPROVAL_OIDC_CONFIG=dev-idp/oidc.json
mint() { cavra token mint --key dev-idp/signing-key.pem --issuer https://cavra.local/dev --audience cavra "$@"; }
PLANNER=$(mint --sub planner-1 --email planner@example.com --groups drill-planners)
IC=$(mint --sub ic-1 --email ic@example.com --groups incident-commanders)
AUDITOR=$(mint --sub auditor-1 --email auditor@example.com --groups auditors)
run cavra drills plan --schedule schedule-checkout-production.json --history history-checkout-production.json "${STORE[@]}" --token "$PLANNER"
expect_rc 0
expect_match out "^plan gordplan-[0-9a-f]{16} created: $SCHEDULE, cycle 2026-11-11T08:05:00.000Z, revision 1, alert critical$"
run cavra drills acknowledge "$SCHEDULE" --provider slack "${STORE[@]}" --token "$AUDITOR"
expect_rc 3
expect_match err '\(forbidden\)$'
run cavra drills acknowledge "$SCHEDULE" --provider slack "${STORE[@]}" --token "$IC" --note "on it"
expect_rc 0
expect_match out '^acknowledged gordroute-[0-9a-f]{16} \(release-governance → slack\): outstanding → acknowledged, record 1, by ic@example.com'
run cavra drills resolve "$SCHEDULE" --provider slack "${STORE[@]}" --token "$IC"
expect_rc 5
expect_match err '\(missing_obligation\)$'
run cavra drills resolve "$SCHEDULE" --provider slack "${STORE[@]}" --token "$IC" --external-ref CHG-1042 --note "drill rescheduled"
expect_rc 0
expect_match out '^resolved gordroute-[0-9a-f]{16} \(release-governance → slack\): acknowledged → resolved, record 2, by ic@example.com'
run cavra drills acknowledge "$SCHEDULE" --provider teams "${STORE[@]}" --token "$IC"
expect_rc 0

step "2. a signing key, and a signed export by the auditor"
openssl genpkey -algorithm ed25519 -out audit-signing-key.pem 2>/dev/null
openssl pkey -in audit-signing-key.pem -pubout -out audit-signing-key.pub
run env CAVRA_AUDIT_SIGNING_KEY=audit-signing-key.pem "$CAVRA" audit export "${STORE[@]}" --token "$AUDITOR" -o package.json
expect_rc 0
expect_match out '^exported gordackaudit-[0-9a-f]{16} to package.json \(6 routes, 3 records, 2 refused attempts, 0 withheld, signature: [0-9a-f]{16}\)$'
jq -e '.schema_version == "cavra.rollback-drill-acknowledgement-audit-package.v2"
       and .route_count == 6 and .acknowledgement_count == 3 and .generated_by.id == "auditor@example.com"
       and .generated_by.verified == true and .integrity.signature.algorithm == "Ed25519"' package.json >/dev/null \
    || fail "package.json: unexpected schema, counts, exporter or signature"
AUDIT_ID=$(jq -r .audit_id package.json)
KEY_ID=$(jq -r .integrity.signature.key_id package.json)
# The route with the history: release-governance → slack.
R=$(jq '[.routes[] | .owner + "/" + .provider] | index("release-governance/slack")' package.json)
[[ "$R" =~ ^[0-9]+$ ]] || fail "no release-governance/slack route in the package"
jq -e ".routes[$R] | .state == \"resolved\" and .record_count == 2 and (.refused_attempts | map(.outcome)) == [\"denied\", \"missing_obligation\"]" \
    package.json >/dev/null || fail "release-governance/slack: expected 2 records and 2 refused attempts"

step "3. verify, with and without a trusted key"
run cavra audit verify package.json --trusted-key audit-signing-key.pub
expect_rc 0
expect_line out "verified: $AUDIT_ID (6 routes, 3 records, 2 refused attempts, signature: $KEY_ID trusted)"
run cavra audit verify package.json
expect_rc 0
expect_line out "verified: $AUDIT_ID (6 routes, 3 records, 2 refused attempts, signature: $KEY_ID untrusted)"
run cavra audit verify package.json --trusted-key audit-signing-key.pub --json
expect_rc 0
jq -e ".verified == true and .signature.status == \"trusted\" and .signature.key_id == \"$KEY_ID\"" "$WORK/out" >/dev/null \
    || fail "verify --json: expected verified, signature trusted"

step "4. tamper: edit a note"
jq ".routes[$R].acknowledgements[0].operator_input.notes = \"all fine, nothing to see\"" package.json > tampered.json
run cavra audit verify tampered.json --trusted-key audit-signing-key.pub
expect_rc 1
expect_match out "^not verified: /routes/$R/acknowledgements/0/hash: the record's content hashes to [0-9a-f]{64}, not to its \`hash\`$"
run cavra audit verify tampered.json --json
expect_rc 1
jq -e ".verified == false and .pointer == \"/routes/$R/acknowledgements/0/hash\"" "$WORK/out" >/dev/null \
    || fail "verify --json: expected the pointer /routes/$R/acknowledgements/0/hash"

step "5. tamper: a field no record covers"
jq '.withheld_route_count = 0 | .filters.owner = "release-governance"' package.json > tampered-filters.json
run cavra audit verify tampered-filters.json
expect_rc 1
expect_match out '^not verified: /integrity/content_sha256: '

step "6. tamper deliberately: recompute every hash, then sign with a key of one's own"
run python3 reseal.py tampered.json rewritten.json
expect_rc 0
run cavra audit verify rewritten.json
expect_rc 1
expect_match out '^not verified: /integrity/signature/value: '
openssl genpkey -algorithm ed25519 -out forger-key.pem 2>/dev/null
run python3 reseal.py tampered.json forged.json --sign forger-key.pem
expect_rc 0
run cavra audit verify forged.json
expect_rc 0
expect_match out '^verified: gordackaudit-[0-9a-f]{16} .*signature: [0-9a-f]{16} untrusted\)$'
run cavra audit verify forged.json --trusted-key audit-signing-key.pub
expect_rc 1
expect_match out "^not verified: /integrity/signature/public_key: .*not a trusted key \\($KEY_ID\\)"
# Resealing the untouched package changes nothing: the script computes what cavra computes.
run python3 reseal.py package.json resealed.json --sign audit-signing-key.pem
expect_rc 0
[[ "$(jq -r .audit_id resealed.json)" == "$AUDIT_ID" ]] || fail "resealing the original changed its audit_id"

step "7. replay a recorded decision from the package alone"
SHA=$(jq -r ".routes[$R].acknowledgements[1].decision.policy.sha256" package.json)
python3 - package.json "$SHA" replay-policy <<'EOF'
import json, os, sys
package, sha, out = json.load(open(sys.argv[1], encoding="utf-8")), sys.argv[2], sys.argv[3]
for f in package["policies"][sha]["files"]:
    path = os.path.join(out, f["path"])
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(f["text"])
EOF
run cavra policy validate replay-policy --format json
expect_rc 0
[[ "$(jq -r .policy.sha256 "$WORK/out")" == "$SHA" ]] || fail "the extracted policy does not hash to $SHA"
jq ".routes[$R].acknowledgements[1].decision.request" package.json > resolve-request.json
run cavra policy eval replay-policy --input resolve-request.json
expect_rc 0
FIELDS='{decision, enforced, action, determining, obligations, reasons, errors, policy}'
[[ "$(jq -cS "$FIELDS" "$WORK/out")" == "$(jq -cS ".routes[$R].acknowledgements[1].decision | $FIELDS" package.json)" ]] \
    || fail "the replayed decision differs from the recorded one"
jq -e '.decision == "allow" and .determining == ["ic-resolves"] and .obligations == ["external_ref"]' "$WORK/out" >/dev/null \
    || fail "expected an allow by ic-resolves with the obligation external_ref"
run cavra policy explain replay-policy --input resolve-request.json
expect_rc 0
expect_line out "ALLOW resolve"
expect_line out "  obligation external_ref: the submission must carry a change or incident reference (required by ic-resolves)"
jq ".routes[$R].refused_attempts[0].decision.request" package.json > refused-request.json
run cavra policy explain replay-policy --input refused-request.json
expect_rc 0
expect_line out "DENY acknowledge"
expect_line out "  denied by default: no permit rule applies"
expect_match out '^actor: auditor@example.com \(verified, issuer https://cavra.local/dev, subject auditor-1\), groups auditors$'

echo "== $LAB: PASS"
