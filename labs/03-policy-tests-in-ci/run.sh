#!/usr/bin/env bash
# Lab 03, run non-interactively: reads the two commands the CI files run (github-actions.yml and
# gitlab-ci.yml), checks that both files run the same ones and wire their reports, and runs them
# the way CI would: on the repository's policy, on a deliberately broken policy, on a failing test
# and on an untested rule, checking the SARIF, the JUnit XML and the exit codes.
# CAVRA names the binary (default: .build/debug/cavra of this checkout).
set -euo pipefail

LAB=03-policy-tests-in-ci
LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# shellcheck source=../lib.sh
source "$LAB_DIR/../lib.sh"

# ci_step NAME POLICY_DIR: runs the CI command NAME (validate or test) the way the CI files do, in
# $WORK/checkout with POLICY=POLICY_DIR; stdout, stderr and exit code in out, err and RC.
ci_step() {
    local command
    command=$(cat "$WORK/$1.cmd")
    set +e
    (cd "$WORK/checkout" && CAVRA="$CAVRA" POLICY="$2" bash -c "$command") >"$WORK/out" 2>"$WORK/err"
    RC=$?
    set -e
}

# --- the walkthrough ----------------------------------------------------------------------------
cd "$WORK"

step "1. the CI files run the same two commands and keep their reports"
python3 - "$LAB_DIR/github-actions.yml" "$LAB_DIR/gitlab-ci.yml" "$WORK" <<'EOF' || fail "the CI files do not agree (see above)"
import re, sys

github_path, gitlab_path, out = sys.argv[1:4]

def load(path):
    """The parsed YAML with PyYAML; without it, None (the line-based reading below is used)."""
    try:
        import yaml
    except ImportError:
        return None
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)

def lines_with(path, needle):
    """Fallback: the shell lines holding NEEDLE, unwrapped from YAML list items and quotes."""
    found = []
    for line in open(path, encoding="utf-8"):
        text = line.strip()
        if needle not in text or "$CAVRA" not in text or text.startswith("#"):
            continue
        text = re.sub(r"^-\s+", "", text)
        if len(text) > 1 and text[0] == text[-1] == "'":
            text = text[1:-1].replace("''", "'")
        found.append(text)
    return found

problems = []
def check(ok, message):
    if not ok:
        problems.append(message)

commands = {}
github, gitlab = load(github_path), load(gitlab_path)
for name, needle in (("validate", "policy validate"), ("test", "policy test")):
    if github is not None:
        steps = github["jobs"]["policy"]["steps"]
        gh = [s["run"].strip() for s in steps if s.get("id") == name]
        gl = [c.strip() for c in gitlab["cavra-policy"]["script"] if needle in c]
    else:
        gh, gl = lines_with(github_path, needle), lines_with(gitlab_path, needle)
    check(len(gh) == 1, f"github-actions.yml: expected one `{needle}` command, found {gh}")
    check(len(gl) == 1, f"gitlab-ci.yml: expected one `{needle}` command, found {gl}")
    if gh and gl:
        check(gh[0] == gl[0], f"the `{needle}` commands differ:\n  github: {gh[0]}\n  gitlab: {gl[0]}")
        commands[name] = gh[0]

validate, test = commands.get("validate", ""), commands.get("test", "")
check("--format sarif" in validate, "validate must write SARIF (--format sarif)")
for flag in ("--format junit", "--coverage", "--threshold 100"):
    check(flag in test, f"test must run with {flag}")
sarif_file = (re.findall(r">\s*(\S+)\s*$", validate) or [""])[0]
junit_file = (re.findall(r">\s*(\S+)\s*$", test) or [""])[0]
check(sarif_file.endswith(".sarif"), f"validate must write its SARIF to a file, found `{sarif_file}`")
check(junit_file.endswith(".xml"), f"test must write its JUnit XML to a file, found `{junit_file}`")

if github is not None:
    job = github["jobs"]["policy"]
    check(job.get("permissions", {}).get("security-events") == "write",
          "github-actions.yml: upload-sarif needs `permissions: security-events: write`")
    uploads = [s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    check(len(uploads) == 1 and uploads[0]["with"]["sarif_file"] == sarif_file,
          f"github-actions.yml: one github/codeql-action/upload-sarif step must upload {sarif_file}")
    artifacts = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    check(any(s["with"]["path"] == junit_file for s in artifacts),
          f"github-actions.yml: an actions/upload-artifact step must keep {junit_file}")
    reports = gitlab["cavra-policy"].get("artifacts", {})
    check(reports.get("reports", {}).get("junit") == junit_file,
          f"gitlab-ci.yml: `artifacts: reports: junit:` must name {junit_file}")
    check(reports.get("when") == "always", "gitlab-ci.yml: artifacts must be kept `when: always`")
else:
    text = open(github_path, encoding="utf-8").read()
    check("security-events: write" in text, "github-actions.yml: needs security-events: write")
    check(f"sarif_file: {sarif_file}" in text, f"github-actions.yml: upload-sarif must upload {sarif_file}")
    check(f"junit: {junit_file}" in open(gitlab_path, encoding="utf-8").read(),
          f"gitlab-ci.yml: reports: junit: must name {junit_file}")

for message in problems:
    print("  " + message, file=sys.stderr)
if problems:
    sys.exit(1)
for name, command in commands.items():
    with open(f"{out}/{name}.cmd", "w", encoding="utf-8") as fh:
        fh.write(command + "\n")
with open(f"{out}/reports", "w", encoding="utf-8") as fh:
    fh.write(f"{sarif_file}\n{junit_file}\n")
EOF
SARIF=$(sed -n 1p reports)
JUNIT=$(sed -n 2p reports)
echo "   validate: $(cat validate.cmd)"
echo "   test:     $(cat test.cmd)"
for cmd in validate test; do
    grep -qF -- "$(cat "$cmd.cmd")" "$LAB_DIR/README.md" || fail "README.md does not show the $cmd command the CI files run"
done

# A checkout: the repository's policy and, beside it, the broken ones the next steps make.
mkdir checkout
cp -R "$REPO/policy" checkout/policy

# check_sarif FILE JQ WHAT: FILE is SARIF 2.1.0 from cavra and satisfies JQ.
check_sarif() {
    jq -e . "$1" >/dev/null 2>&1 || fail "$1 is not valid JSON"
    jq -e '.version == "2.1.0" and (.runs | length) == 1 and .runs[0].tool.driver.name == "cavra"
           and (.runs[0].results | type) == "array"' "$1" >/dev/null || fail "$1 is not a SARIF 2.1.0 log of cavra"
    jq -e "$2" "$1" >/dev/null || fail "$1: expected $3"
}
# check_junit FILE TESTS FAILURES: FILE parses as JUnit XML with those totals (TESTS: "any" = > 0).
check_junit() {
    python3 - "$1" "$2" "$3" <<'EOF' || fail "$1 is not the JUnit XML expected (see above)"
import sys
import xml.etree.ElementTree as ET
path, tests, failures = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    root = ET.parse(path).getroot()
except ET.ParseError as error:
    sys.exit(f"  {path}: not XML: {error}")
if root.tag != "testsuites":
    sys.exit(f"  {path}: the root is <{root.tag}>, not <testsuites>")
cases = root.findall("./testsuite/testcase")
total, failed = int(root.get("tests")), int(root.get("failures"))
if total != len(cases) or failed != len(root.findall("./testsuite/testcase/failure")):
    sys.exit(f"  {path}: the totals ({total} tests, {failed} failures) do not count the testcases")
if (tests == "any" and total == 0) or (tests != "any" and total != int(tests)) or failed != failures:
    sys.exit(f"  {path}: {total} tests and {failed} failures, expected {tests} and {failures}")
EOF
}

step "2. CI on the repository's policy: both commands pass"
ci_step validate policy/
expect_rc 0
check_sarif "checkout/$SARIF" '.runs[0].results == []' "no results for a valid policy"
ci_step test policy/
expect_rc 0
check_junit "checkout/$JUNIT" any 0
grep -qE '^coverage: 100% \(([0-9]+) of \1 rules\)$' "$WORK/err" || fail "expected \`coverage: 100% (N of N rules)\` on stderr"

step "3. a deliberately broken policy: validate fails, and its SARIF points at the line"
cp -R checkout/policy checkout/broken
sed 's/when route\.environment == "production" and not actor\.verified/when route.enviroment == "production" and not actor.verified/' \
    checkout/policy/drills.cavra > checkout/broken/drills.cavra
grep -q 'route\.enviroment' checkout/broken/drills.cavra || fail "could not break the policy (the rule text changed?)"
LINE=$(grep -n 'route\.enviroment' checkout/broken/drills.cavra | cut -d: -f1)
ci_step validate broken/
expect_rc 1
check_sarif "checkout/$SARIF" "
    (.runs[0].results | length) >= 1
    and (.runs[0].results[0] | .ruleId == \"CAV020\" and .level == \"error\"
         and (.message.text | contains(\"route.enviroment\"))
         and .locations[0].physicalLocation.artifactLocation.uri == \"broken/drills.cavra\"
         and .locations[0].physicalLocation.region.startLine == $LINE)
    and ([.runs[0].tool.driver.rules[].id] | index(\"CAV020\")) != null" \
    "a CAV020 error at broken/drills.cavra:$LINE, with CAV020 among the rules"

step "4. a failing test: test fails, and the JUnit XML says which"
cp -R checkout/policy checkout/failing
cat >> checkout/failing/tests/acknowledge.cavra <<'EOF'

test "auditors acknowledge (wrong on purpose)" {
  actor { id: "auditor@example.com", verified: true, groups: ["auditors"] }
  route { environment: "staging" }
  expect acknowledge allow
}
EOF
ci_step test failing/
expect_rc 1
check_junit "checkout/$JUNIT" any 1
grep -qF 'name="auditors acknowledge (wrong on purpose): expect acknowledge allow"' "checkout/$JUNIT" \
    || fail "the JUnit XML does not name the failing expectation"
grep -qF '<failure message="decision: expected allow, got deny" type="expectation">' "checkout/$JUNIT" \
    || fail "the JUnit XML does not say what differed"

step "5. an untested rule: every test passes, the threshold fails the job"
cp -R checkout/policy checkout/untested
cat >> checkout/untested/drills.cavra <<'EOF'

@id("auditors-dismiss-healthy")
permit dismiss by auditor
  when route.category == "healthy_schedule"
EOF
ci_step validate untested/
expect_rc 0
ci_step test untested/
expect_rc 1
check_junit "checkout/$JUNIT" any 0
grep -qE '^drills\.cavra:[0-9]+ auditors-dismiss-healthy$|^untested/drills\.cavra:[0-9]+ auditors-dismiss-healthy$' "$WORK/err" \
    || fail "stderr does not list the untested rule"
grep -qE '^error: coverage [0-9.]+% is below the threshold of 100%$' "$WORK/err" \
    || fail "stderr does not say the coverage is below the threshold"

echo "== $LAB: PASS"
