// `cavra audit export` and `cavra audit verify` end to end, run as the built binary; and the Python verifier of
// docs/audit-packages.md run against an exported package.

import CavraDrills
import CavraJSON
import CavraTesting
import Foundation
import Testing

enum AuditCLI {
    static let executable = builtCavra(repositoryRoot: ServiceFixture.repositoryRoot)

    /// `python3` on the PATH.
    static let python: URL? = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        .map { URL(fileURLWithPath: String($0)).appendingPathComponent("python3") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }

    typealias Run = ProcessRun

    /// Runs `executable` without the audit and identity variables of the test's own environment, plus `environment`.
    static func run(_ executable: URL, _ args: [String], cwd: URL, environment: [String: String] = [:]) throws -> Run {
        var inherited = ProcessInfo.processInfo.environment
        for name in ["CAVRA_AUDIT_SIGNING_KEY", "CAVRA_AUDIT_PREVIOUS_KEYS", "CAVRA_APPROVAL_OIDC_CONFIG"] {
            inherited[name] = nil
        }
        return try runProcess(executable, args, cwd: cwd, environment: inherited.merging(environment) { _, new in new })
    }

    static func cavra(_ args: [String], cwd: URL, environment: [String: String] = [:]) throws -> Run {
        try run(executable, args, cwd: cwd, environment: environment)
    }
}

@Suite
struct AuditPackageCLITests {
    static let staging = ServiceFixture.repositoryRoot.appendingPathComponent(
        "Sources/CavraDrills/Resources/sample/schedule-search-staging.json")
    static let commander = ["--as", "ic", "--groups", "incident-commanders"]
    static let auditor = ["--as", "auditor", "--groups", "auditors"]

    /// A directory with the repository's policy, a staging plan, two records on the email route and one refusal.
    private func populatedDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cavra-audit-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: ServiceFixture.repositoryRoot.appendingPathComponent("policy"),
            to: directory.appendingPathComponent("policy"))
        let steps: [([String], Int32)] = [
            (["drills", "plan", "--schedule", Self.staging.path, "--as", "planner", "--groups", "drill-planners"], 0),
            (["drills", "acknowledge", "search_fallback_biweekly", "--provider", "email"] + Self.commander, 0),
            (["drills", "resolve", "search_fallback_biweekly", "--provider", "email"] + Self.commander, 5),
            (
                ["drills", "resolve", "search_fallback_biweekly", "--provider", "email", "--external-ref", "CHG-7"]
                    + Self.commander, 0
            ),
        ]
        for (args, status) in steps {
            let run = try AuditCLI.cavra(args, cwd: directory)
            #expect(run.status == status, "\(args): \(run.stderr)")
        }
        return directory
    }

    @Test func exportSignedToAFileThenVerify() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let key = AuditSigningKey()
        try key.pemRepresentation.write(
            to: directory.appendingPathComponent("signing-key.pem"), atomically: true, encoding: .utf8)
        try key.publicKey.pemRepresentation.write(
            to: directory.appendingPathComponent("signing-key.pub"), atomically: true, encoding: .utf8)
        try AuditSigningKey().publicKey.base64URL.write(
            to: directory.appendingPathComponent("other.pub"), atomically: true, encoding: .utf8)
        let environment = ["CAVRA_AUDIT_SIGNING_KEY": "signing-key.pem"]

        let export = try AuditCLI.cavra(
            ["audit", "export", "-o", "package.json"] + Self.auditor, cwd: directory, environment: environment)
        #expect(export.status == 0, "\(export.stderr)")
        let package = try JSON.parse(
            String(contentsOf: directory.appendingPathComponent("package.json"), encoding: .utf8))
        let auditId = try #require(package["audit_id"]?.stringValue)
        let keyId = key.publicKey.keyId
        #expect(
            export.stdout
                == "exported \(auditId) to package.json (4 routes, 2 records, 1 refused attempts, 0 withheld, signature: \(keyId))\n"
        )

        let verify = try AuditCLI.cavra(["audit", "verify", "package.json"], cwd: directory)
        #expect(verify.status == 0)
        #expect(
            verify.stdout
                == "verified: \(auditId) (4 routes, 2 records, 1 refused attempts, signature: \(keyId) untrusted)\n")
        let trusted = try AuditCLI.cavra(
            [
                "audit", "verify", "package.json", "--trusted-key", "other.pub", "--trusted-key", "signing-key.pub",
                "--strict-trace",
            ], cwd: directory)
        #expect(trusted.status == 0)
        #expect(trusted.stdout.hasSuffix("signature: \(keyId) trusted)\n"))
        let untrusted = try AuditCLI.cavra(
            ["audit", "verify", "package.json", "--trusted-key", "other.pub"], cwd: directory)
        #expect(untrusted.status == 1)
        #expect(untrusted.stdout.hasPrefix("not verified: /integrity/signature/public_key: the package was signed by"))
        let json = try JSON.parse(
            try AuditCLI.cavra(["audit", "verify", "package.json", "--json"], cwd: directory).stdout)
        #expect(json["verified"] == true)
        #expect(json["signature"] == ["status": "untrusted", "key_id": .string(keyId)])

        // A note edited in the file.
        let email = try #require(package["routes"]?.arrayValue?.firstIndex { $0["provider"] == "email" })
        let tampered = package.setting("/routes/\(email)/acknowledgements/1/operator_input/notes", to: "edited")
        try tampered.serialized(pretty: true).write(
            to: directory.appendingPathComponent("tampered.json"), atomically: true, encoding: .utf8)
        let failed = try AuditCLI.cavra(["audit", "verify", "tampered.json"], cwd: directory)
        #expect(failed.status == 1)
        #expect(failed.stdout.hasPrefix("not verified: /routes/\(email)/acknowledgements/1/hash: "))
        let failedJSON = try JSON.parse(
            try AuditCLI.cavra(["audit", "verify", "tampered.json", "--json"], cwd: directory).stdout)
        #expect(failedJSON["verified"] == false)
        #expect(failedJSON["pointer"]?.stringValue == "/routes/\(email)/acknowledgements/1/hash")
    }

    @Test func exportToStandardOutputWithFiltersAndTheExitCodes() throws {
        let directory = try populatedDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let export = try AuditCLI.cavra(
            ["audit", "export", "--schedule-id", "SEARCH_FALLBACK_BIWEEKLY", "--provider", "email", "--json"]
                + Self.auditor, cwd: directory)
        #expect(export.status == 0, "\(export.stderr)")
        let package = try JSON.parse(export.stdout)
        #expect(package["route_count"] == 1)
        #expect(package["filters"]?["provider"] == "email")
        #expect(package["integrity"]?["signature"] == nil)
        #expect(AuditFixture.failure(package) == nil)

        // 3: a release manager may export nothing; the refusals are logged.
        let denied = try AuditCLI.cavra(
            ["audit", "export", "--as", "rm", "--groups", "release-managers"], cwd: directory)
        #expect(denied.status == 3)
        #expect(denied.stderr.contains("forbidden"))
        let after = try JSON.parse(try AuditCLI.cavra(["audit", "export"] + Self.auditor, cwd: directory).stdout)
        #expect(after["routes"]?.arrayValue?.reduce(0) { $0 + ($1["refused_attempts"]?.arrayValue?.count ?? 0) } == 5)
        // 2: an unreadable signing key, a bad filter, no actor; an unreadable package or trusted key.
        #expect(
            try AuditCLI.cavra(
                ["audit", "export"] + Self.auditor, cwd: directory,
                environment: ["CAVRA_AUDIT_SIGNING_KEY": "missing.pem"]
            ).status == 2)
        #expect(try AuditCLI.cavra(["audit", "export", "--state", "lost"] + Self.auditor, cwd: directory).status == 2)
        #expect(try AuditCLI.cavra(["audit", "export"], cwd: directory).status == 2)
        #expect(try AuditCLI.cavra(["audit", "verify", "missing.json"], cwd: directory).status == 2)
        try "{}".write(to: directory.appendingPathComponent("empty.json"), atomically: true, encoding: .utf8)
        #expect(
            try AuditCLI.cavra(["audit", "verify", "empty.json", "--trusted-key", "missing.pub"], cwd: directory)
                .status == 2)
        // 1: not a package.
        let empty = try AuditCLI.cavra(["audit", "verify", "empty.json"], cwd: directory)
        #expect(empty.status == 1)
        #expect(empty.stdout == "not verified: /schema_version: missing\n")
        try "{".write(to: directory.appendingPathComponent("broken.json"), atomically: true, encoding: .utf8)
        let broken = try AuditCLI.cavra(["audit", "verify", "broken.json"], cwd: directory)
        #expect(broken.status == 1)
        #expect(broken.stdout.hasPrefix("not verified: : the file is not JSON: "))
        // 10: a store that cannot be opened.
        try "not a database".write(
            to: directory.appendingPathComponent("bad.sqlite"), atomically: true, encoding: .utf8)
        #expect(
            try AuditCLI.cavra(["audit", "export", "--store", "bad.sqlite"] + Self.auditor, cwd: directory).status
                == 10)
    }
}

@Suite
struct AuditPackagePythonVerifierTests {
    /// The ```python block of docs/audit-packages.md.
    static func documentedVerifier() throws -> String {
        let doc = try String(
            contentsOf: ServiceFixture.repositoryRoot.appendingPathComponent("docs/audit-packages.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```python\n"))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        return String(doc[start.upperBound..<end.lowerBound])
    }

    @Test func theDocumentedVerifierAcceptsAnExportAndFindsAnEditedNote() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await AuditFixture.populate(fixture)
        let package = try await AuditFixture.export(fixture, key: AuditSigningKey())
        let script = fixture.directory.appendingPathComponent("verify.py")
        try Self.documentedVerifier().write(to: script, atomically: true, encoding: .utf8)
        let good = fixture.directory.appendingPathComponent("package.json")
        try package.serialized(pretty: true).write(to: good, atomically: true, encoding: .utf8)
        let python = try #require(AuditCLI.python)
        let accepted = try AuditCLI.run(python, [script.path, good.path], cwd: fixture.directory)
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(
            accepted.stdout
                == "hashes and chains ok: \(package["audit_id"]!.stringValue!) (3 records, 2 refused attempts)\n")

        let slack = try AuditFixture.routeIndex(package, provider: "slack", owner: "release-governance")
        for tampered in [
            package.setting("/routes/\(slack)/acknowledgements/0/operator_input/notes", to: "edited"),
            package.changing("/routes/\(slack)/acknowledgements/0") {
                $0.setting("/operator_input/notes", to: "edited").resealed
            },
            package.setting("/breached_count", to: 0),
        ] {
            let bad = fixture.directory.appendingPathComponent("tampered.json")
            try tampered.serialized(pretty: true).write(to: bad, atomically: true, encoding: .utf8)
            let refused = try AuditCLI.run(python, [script.path, bad.path], cwd: fixture.directory)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("AssertionError"))
        }
    }
}
