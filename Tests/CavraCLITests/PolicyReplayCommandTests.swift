// `cavra policy replay` end to end, run as the built binary on a store the binary itself filled.

import CavraJSON
import CavraTesting
import Foundation
import Testing

@Suite("cavra policy replay")
struct PolicyReplayCommandTests {
    static let stagingSchedule = repositoryRoot.appendingPathComponent(
        "Sources/CavraDrills/Resources/sample/schedule-search-staging.json")
    static let scheduleId = "search_fallback_biweekly"
    static let commander = ["--as", "ic", "--groups", "incident-commanders"]

    /// A staging acknowledgement freeze, as an extra file of a copy of the repository's policy.
    static let freeze = """
        @id("staging-freeze")
        forbid acknowledge by anyone
          when route.environment == "staging"
          because "staging acknowledgements are frozen"

        """

    /// A new directory with the repository's policy, a `freeze/` candidate beside it, and in
    /// `.cavra/cavra.sqlite` a staging plan, an acknowledgement of the email route, a resolve refused for its
    /// missing reference, and a release manager's refused escalation: four stored decisions.
    private func populatedDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cavra-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryPolicy, to: directory.appendingPathComponent("policy"))
        try FileManager.default.copyItem(at: repositoryPolicy, to: directory.appendingPathComponent("freeze"))
        try write(Self.freeze, to: "freeze/freeze.cavra", in: directory)
        let steps: [([String], Int32)] = [
            (
                [
                    "drills", "plan", "--schedule", Self.stagingSchedule.path, "--as", "planner", "--groups",
                    "drill-planners",
                ], 0
            ),
            (["drills", "acknowledge", Self.scheduleId, "--provider", "email"] + Self.commander, 0),
            (["drills", "resolve", Self.scheduleId, "--provider", "email"] + Self.commander, 5),
            (
                [
                    "drills", "escalate", Self.scheduleId, "--provider", "pagerduty", "--as", "rm", "--groups",
                    "release-managers",
                ],
                3
            ),
        ]
        for (args, status) in steps {
            let run = try cavra(args, cwd: directory)
            #expect(run.status == status, "\(args): \(run.stderr)")
        }
        return directory
    }

    @Test("the policy in force changes nothing; --fail-on-change exits 0")
    func samePolicy() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try cavra(["policy", "replay", "policy", "--fail-on-change"], cwd: directory)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.isEmpty)
        let lines = run.stdoutLines
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("replayed 4 stored decisions with rollback-drills 1.0.0 (sha256 ") == true)
        #expect(lines.first?.hasSuffix("): 0 changed, 4 unchanged") == true)
        #expect(
            lines.dropFirst().first == "  allow → deny: 0, deny → allow: 0, obligations changed: 0, outcome changed: 0")
        #expect(lines.last?.hasSuffix(": 4 decisions") == true)
    }

    @Test("a stricter candidate: the changed route and rules in text; exit 1 with --fail-on-change")
    func stricterCandidateText() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try cavra(["policy", "replay", "freeze", "--store", ".cavra/cavra.sqlite"], cwd: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = run.stdoutLines
        #expect(lines.first?.hasSuffix("): 1 changed, 3 unchanged") == true)
        #expect(
            lines.dropFirst().first == "  allow → deny: 1, deny → allow: 0, obligations changed: 0, outcome changed: 1")
        #expect(
            Array(lines.dropFirst(3).prefix(4)) == [
                "rules:", "  ic-acknowledges: no longer determines 1", "  staging-freeze: newly determines 1",
                "changes:",
            ])
        #expect(lines.dropFirst(7).first?.hasPrefix("  allow → deny  acknowledge  route gordroute-") == true)
        #expect(lines.dropFirst(7).first?.hasSuffix(" of \(Self.scheduleId)") == true)
        #expect(lines.dropFirst(8).first?.hasPrefix("    acknowledgement gordack-") == true)
        #expect(lines.dropFirst(9).first == "    recorded:  allow by ic-acknowledges (allowed)")
        #expect(
            lines.dropFirst(10).first
                == "    candidate: deny by staging-freeze (denied): staging acknowledgements are frozen")
        #expect(lines.count == 11)

        let failing = try cavra(["policy", "replay", "freeze", "--fail-on-change"], cwd: directory)
        #expect(failing.status == 1)
        #expect(failing.stdout == run.stdout)

        let limited = try cavra(["policy", "replay", "freeze", "--limit", "0"], cwd: directory)
        #expect(limited.status == 0)
        #expect(limited.stdoutLines.last == "  … 1 more not listed (raise --limit, or use --format json)")
    }

    @Test("--format json: counts, rules, and every decision recorded and replayed")
    func stricterCandidateJSON() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = try cavra(["policy", "replay", "freeze", "--format", "json"], cwd: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSON.parse(run.stdout)
        #expect(report["candidate"]?["id"] == "rollback-drills")
        #expect(report["candidate"]?["version"] == "1.0.0")
        #expect(report["recorded_policies"]?.arrayValue?.count == 1)
        #expect(report["recorded_policies"]?.arrayValue?[0]["decisions"] == 4)
        #expect(
            report["counts"] == [
                "replayed": 4, "unchanged": 3, "changed": 1, "allow_to_deny": 1, "deny_to_allow": 0,
                "obligations_changed": 0, "outcome_changed": 1, "unreplayable": 0,
            ])
        #expect(
            report["rules"] == [
                ["rule": "ic-acknowledges", "newly_determining": 0, "no_longer_determining": 1],
                ["rule": "staging-freeze", "newly_determining": 1, "no_longer_determining": 0],
            ])
        let decisions = try #require(report["decisions"]?.arrayValue)
        #expect(decisions.map { $0["kind"] } == ["plan", "acknowledgement", "refusal", "refusal"])
        #expect(decisions.map { $0["action"] } == ["plan", "acknowledge", "resolve", "escalate"])
        #expect(decisions.map { $0["change"] } == [.null, "allow_to_deny", .null, .null])
        #expect(decisions[0]["route_id"] == .null)
        #expect(decisions.allSatisfy { $0["schedule_id"]?.stringValue == Self.scheduleId })
        let changed = decisions[1]
        #expect(changed["route_id"]?.stringValue?.hasPrefix("gordroute-") == true)
        #expect(changed["id"]?.stringValue?.hasPrefix("gordack-") == true)
        #expect(
            changed["recorded"] == [
                "decision": "allow", "obligations": [], "determining": ["ic-acknowledges"], "reasons": [],
                "outcome": "allowed",
                "policy": report["recorded_policies"]?.arrayValue?.first.map(Self.identity) ?? .null,
            ])
        #expect(
            changed["candidate"] == [
                "decision": "deny", "obligations": [], "determining": ["staging-freeze"],
                "reasons": ["staging acknowledgements are frozen"], "outcome": "denied",
            ])
        #expect(decisions[2]["recorded"]?["outcome"] == "missing_obligation")
        #expect(decisions[3]["candidate"]?["reasons"] == ["no permit rule applies"])
        #expect(report["unreplayable"] == [])
    }

    /// `{id, version, sha256}` of a `recorded_policies` entry.
    private static func identity(_ entry: JSON) -> JSON {
        ["id": entry["id"] ?? .null, "version": entry["version"] ?? .null, "sha256": entry["sha256"] ?? .null]
    }

    @Test("an invalid candidate prints its diagnostics and exits 1; an unreadable one exits 2")
    func invalidCandidate() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try write(
            Self.freeze.replacingOccurrences(of: "route.environment", with: "route.enviroment"),
            to: "freeze/freeze.cavra", in: directory)
        let invalid = try cavra(["policy", "replay", "freeze"], cwd: directory)
        #expect(invalid.status == 1)
        #expect(invalid.stdout.isEmpty)
        #expect(invalid.stderr.contains("freeze/freeze.cavra:3:8: error[CAV020]: unknown attribute `route.enviroment`"))
        let missing = try cavra(["policy", "replay", "no-such-policy"], cwd: directory)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no-such-policy"))
    }

    @Test("store selection: --store, CAVRA_DATABASE_URL, a missing store (2), an unreadable one (10)")
    func storeSelection() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let elsewhere = directory.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let store = directory.appendingPathComponent(".cavra/cavra.sqlite").path
        let candidate = directory.appendingPathComponent("freeze").path

        let named = try cavra(["policy", "replay", candidate, "--store", store], cwd: elsewhere)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stdoutLines.first?.hasSuffix("): 1 changed, 3 unchanged") == true)

        var environment = ProcessInfo.processInfo.environment
        environment["CAVRA_DATABASE_URL"] = store
        let fromEnvironment = try runProcess(
            cavraExecutable, ["policy", "replay", candidate], cwd: elsewhere, environment: environment)
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(fromEnvironment.stdout == named.stdout)

        let missing = try cavra(["policy", "replay", candidate], cwd: elsewhere)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no store at `.cavra/cavra.sqlite`"))

        try write("not a database", to: "broken.sqlite", in: elsewhere)
        let broken = try cavra(["policy", "replay", candidate, "--store", "broken.sqlite"], cwd: elsewhere)
        #expect(broken.status == 10)
        #expect(broken.stdout.isEmpty)
    }
}
