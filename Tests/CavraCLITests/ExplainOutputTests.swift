// `cavra policy explain`: the whole text for the documented example, and the parts a deny can add: the shadow
// marker, a default deny, a rule that failed to evaluate, the request's tags.

import CavraJSON
import Foundation
import Testing

/// The 1-based line of the first line of `text` that starts with `prefix`.
private func line(startingWith prefix: String, in text: String) throws -> Int {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    return try #require(lines.firstIndex { $0.hasPrefix(prefix) }, "no line starts with \(prefix)") + 1
}

/// A shadow-mode policy with a role-guarded permit for `plan`, a permit whose condition can fail on a claim, and
/// a forbid for `acknowledge`.
private let shadowPolicy = """
    policy "shadowed" version "2.0.0"
    mode shadow

    role planner = "drill-planners" in actor.groups

    @id("planners-plan")
    permit plan by planner

    @id("err")
    permit acknowledge
      when actor.claims.level > 3

    @id("quiet")
    forbid acknowledge
      unless route.breached

    """

@Suite("cavra policy explain output")
struct ExplainOutputTests {
    @Test("the documented example, line for line")
    func exampleText() throws {
        let validate = try JSON.parse(try cavra(["policy", "validate", "policy/", "--format", "json"]).stdout)
        let sha256 = try #require(validate["policy"]?["sha256"]?.stringValue)
        let drills = try text(of: repositoryPolicy.appendingPathComponent("drills.cavra"))
        let escalates = try line(startingWith: "permit escalate by incident-commander", in: drills)
        let production = try line(startingWith: "forbid * by anyone", in: drills)
        let facts = try PolicyFacts(directory: repositoryPolicy)

        let run = try cavra(["policy", "explain", "policy/", "--input", exampleRequestPath])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        #expect(
            run.stdoutLines == [
                "ALLOW escalate",
                "  allowed by ic-escalates; no forbid applied",
                "  obligation note: the submission must carry a non-empty note (required by ic-escalates)",
                "",
                "policy: rollback-drills 1.0.0, sha256 \(sha256)",
                "actor: ic@example.com (verified, issuer https://id.example.com, subject u-1042), "
                    + "groups incident-commanders",
                "route: environment production, state outstanding, severity critical, category deliver, breached",
                "",
                "roles (only those this decision needed are evaluated):",
                "  incident-commander: held, because `\"incident-commanders\" in actor.groups` is true",
                "rules for `escalate`, in order:",
                "  permit ic-escalates (drills.cavra:\(escalates)): APPLIED",
                "    by incident-commander: the actor holds incident-commander",
                "    require note when route.severity == \"critical\" → true: required",
                "  forbid production-needs-verified-actor (drills.cavra:\(production)): not applied",
                "    by anyone",
                "    when route.environment == \"production\" and not actor.verified → false: the rule does not apply",
                "",
                "\(facts.ruleCount - 2) other rules cover other actions and were not considered.",
            ])
    }

    @Test("a default deny under mode shadow, an actor left out, a route with tags")
    func shadowDefaultDeny() throws {
        try withTemporaryDirectory { directory in
            try write(shadowPolicy, to: "shadow.cavra", in: directory)
            try write(#"{"action": "plan", "route": {"tags": ["eu", "canary"]}}"#, to: "plan.json", in: directory)
            let run = try cavra(["policy", "explain", "shadow.cavra", "--input", "plan.json"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let sha256 = try sha256sum(Array(shadowPolicy.utf8))
            #expect(
                run.stdoutLines == [
                    "DENY plan (shadow policy: recorded, not enforced)",
                    "  denied by default: no permit rule applies",
                    "",
                    "policy: shadowed 2.0.0, sha256 \(sha256)",
                    "actor: test-actor (unverified), no groups",
                    "route: environment staging, state outstanding, severity warning, category deliver, tags eu, canary",
                    "",
                    "roles (only those this decision needed are evaluated):",
                    "  planner: not held, because `\"drill-planners\" in actor.groups` is false",
                    "rules for `plan`, in order:",
                    "  permit planners-plan (shadow.cavra:7): skipped",
                    "    by planner: the actor holds none of them, so the rule is skipped",
                    "",
                    "2 other rules cover other actions and were not considered.",
                ])
        }
    }

    @Test("a rule that fails to evaluate: the error with its location, FAILED, and the failing clause")
    func failedRule() throws {
        try withTemporaryDirectory { directory in
            try write(shadowPolicy, to: "shadow.cavra", in: directory)
            try write(
                #"{"action": "acknowledge", "actor": {"claims": {"level": "high"}}, "route": {"breached": true}}"#,
                to: "ack.json", in: directory)
            let run = try cavra(["policy", "explain", "shadow.cavra", "--input", "ack.json"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdoutLines
            #expect(
                Array(lines.prefix(3)) == [
                    "DENY acknowledge (shadow policy: recorded, not enforced)",
                    "  denied because a rule failed to evaluate (errors fail closed)",
                    "  error in err at shadow.cavra:11:8: `>` cannot compare a string with an int",
                ])
            let rules = try #require(lines.firstIndex(of: "rules for `acknowledge`, in order:"))
            #expect(
                Array(lines[rules...].dropLast())
                    == [
                        "rules for `acknowledge`, in order:",
                        "  permit err (shadow.cavra:10): FAILED",
                        "    by anyone",
                        "    when actor.claims.level > 3 → failed: `>` cannot compare a string with an int",
                        "  forbid quiet (shadow.cavra:14): not applied",
                        "    by anyone",
                        "    unless route.breached → true: the rule does not apply",
                        "",
                    ])
            // One rule left out: the closing line is in the singular.
            #expect(lines.last == "1 other rule covers other actions and was not considered.")
        }
    }
}
