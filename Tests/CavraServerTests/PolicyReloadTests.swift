// The policy a running server decides with: an edit is picked up, a broken edit is refused while the old
// policy keeps deciding, a shadow policy is recorded beside each decision, and a primary policy in shadow mode
// never starts.

import CavraJSON
import CavraTesting
import Foundation
import Testing

@Suite("cavra api policy reloads", .serialized)
struct PolicyReloadTests {
    static let staging = "schedule-search-staging.json"
    static let ack = LiveServer.drills + "/search_fallback_biweekly/acknowledgements"
    static let manager: JSON = ["sub": "rm", "groups": ["release-managers"]]

    /// Polls `/readyz` until `condition` holds (the poll runs every 2 s, and waits one more round to debounce).
    func waitForReady(_ live: LiveServer, _ condition: (Answer) -> Bool) async throws -> Answer {
        var last = try await live.get("/readyz")
        for _ in 0..<100 where !condition(last) {
            try await Task.sleep(for: .milliseconds(200))
            last = try await live.get("/readyz")
        }
        return last
    }

    @Test("an edit is picked up; a broken edit is refused and the last good policy keeps deciding")
    func reload() async throws {
        let live = try LiveServer(oidc: false)
        defer { live.removeDirectory() }
        #expect(try await live.plan(schedule: Self.staging).status == 201)
        let policyFile = live.directory.appendingPathComponent("policy/drills.cavra")
        let original = try String(contentsOf: policyFile, encoding: .utf8)
        let before = try await live.get("/readyz")

        // The release manager may acknowledge staging routes today.
        let allowed = try await live.post(
            Self.ack, ["provider": "pagerduty", "actor_claims": Self.manager, "expected_state": "outstanding"])
        #expect(allowed.status == 200, "\(allowed.text)")

        // An edit that takes that away is picked up.
        let stricter = original.replacingOccurrences(
            of: "permit acknowledge by release-manager\n  when route.environment != \"production\"",
            with: "permit acknowledge by release-manager\n  when route.environment == \"development\"")
        #expect(stricter != original)
        try Data(stricter.utf8).write(to: policyFile)
        let reloaded = try await waitForReady(live) { $0["policy"]?["sha256"] != before["policy"]?["sha256"] }
        #expect(reloaded["policy"]?["sha256"] != before["policy"]?["sha256"])
        #expect(reloaded["policy_error"] == nil)
        let denied = try await live.post(Self.ack, ["provider": "email", "actor_claims": Self.manager])
        #expect(denied.status == 403)
        #expect(denied["decision"]?["policy"]?["sha256"] == reloaded["policy"]?["sha256"])

        // A broken edit is refused: the policy in force stays, and readiness says why.
        try Data((stricter + "\npermit frobnicate by nobody\n").utf8).write(to: policyFile)
        let refused = try await waitForReady(live) { $0["policy_error"] != nil }
        #expect(refused.status == 200)
        #expect(refused["policy_error"]?.stringValue?.contains("drills.cavra:") == true)
        #expect(refused["policy"]?["sha256"] == reloaded["policy"]?["sha256"])
        let stillDenied = try await live.post(Self.ack, ["provider": "email", "actor_claims": Self.manager])
        #expect(stillDenied.status == 403)
        #expect(stillDenied["decision"]?["policy"]?["sha256"] == reloaded["policy"]?["sha256"])
        let metrics = try await live.get("/metrics")
        #expect(metrics.text.contains("cavra_policy_reloads_total 1"))
        #expect(metrics.text.contains("cavra_policy_reload_failures_total 1"))
        #expect(metrics.text.contains("cavra_policy_error 1"))

        // Fixing the file clears the error.
        try Data(original.utf8).write(to: policyFile)
        let fixed = try await waitForReady(live) { $0["policy_error"] == nil }
        #expect(fixed["policy"]?["sha256"] == before["policy"]?["sha256"])
        #expect(live.stop() == 0)
        #expect(live.server.log.contains("policy edit refused"))
    }

    @Test("a shadow policy is recorded as shadow_decision; a primary policy in shadow mode does not start")
    func shadow() async throws {
        let live = try LiveServer(
            oidc: false, arguments: ["--shadow-policy", "candidate.cavra"],
            setUp: { directory in
                let original = try String(
                    contentsOf: directory.appendingPathComponent("policy/drills.cavra"), encoding: .utf8)
                let candidate = original.replacingOccurrences(
                    of: "policy \"rollback-drills\" version \"1.0.0\"",
                    with: "policy \"rollback-drills-candidate\" version \"2.0.0\""
                ).replacingOccurrences(of: "\n\n# Roles", with: "\nmode shadow\n\n# Roles")
                try Data(candidate.utf8).write(to: directory.appendingPathComponent("candidate.cavra"))
            })
        defer { live.removeDirectory() }
        #expect(try await live.plan(schedule: Self.staging).status == 201)
        let done = try await live.post(Self.ack, ["provider": "email", "actor_claims": Self.manager])
        #expect(done.status == 200, "\(done.text)")
        let shadow = done["acknowledgement"]?["shadow_decision"]
        #expect(shadow?["policy"]?["id"] == "rollback-drills-candidate")
        #expect(shadow?["enforced"] == false)
        let ready = try await live.get("/readyz")
        #expect(ready["shadow_policy"]?["id"] == "rollback-drills-candidate")
        live.stop()

        // The candidate as the primary policy: refused at start, exit 1.
        let run = try runProcess(
            cavraExecutable, ["api", "--port", "0", "--policy", "candidate.cavra"], cwd: live.directory,
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(run.status == 1)
        #expect(run.stderr.contains("mode shadow"))
        // A shadow policy whose header does not say so is refused too.
        let notShadow = try runProcess(
            cavraExecutable, ["api", "--port", "0", "--shadow-policy", "policy"], cwd: live.directory,
            environment: ["PATH": "/usr/bin:/bin"])
        #expect(notShadow.status == 1)
        #expect(notShadow.stderr.contains("does not say `mode shadow`"))
    }
}
