// `cavra sandbox`: the real server with sample data and sample identities (architecture.md §8).

import CavraJSON
import CavraTesting
import Foundation
import Testing

@Suite("cavra sandbox")
struct SandboxTests {
    @Test("personas act through real verification; the visitor acts unverified; records say channel sample")
    func sandbox() async throws {
        // Outside a checkout (no ./policy): the built-in default policy decides.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-sbx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try ServerProcess(cavraExecutable, ["sandbox", "--port", "0"], cwd: directory)
        let base = "http://127.0.0.1:\(server.port)"
        let client = TestClient(base: base)

        let ready = try await client.get("/readyz")
        let repositoryPolicy = try runProcess(
            cavraExecutable, ["policy", "validate", "--format", "json", "policy"], cwd: repositoryRoot)
        #expect(repositoryPolicy.status == 0)
        #expect(ready["policy"]?["sha256"] == (try JSON.parse(repositoryPolicy.stdout))["policy"]?["sha256"])

        let personas = try await client.get("/console/sample-personas")
        #expect(personas.status == 200)
        let list = personas["personas"]?.arrayValue ?? []
        #expect(
            list.map { $0["name"]?.stringValue ?? "" } == [
                "release-manager", "incident-commander", "auditor", "visitor",
            ])
        #expect(list.last?["token"] == nil)
        let commander = list[1]["token"]?.stringValue ?? ""

        let session = try await client.get("/console/session", token: commander)
        #expect(session["mode"] == "sample")
        #expect(session["authenticated"] == true)
        #expect(session["permissions"]?["escalate_drill_notifications"] == true)

        // Seeded: some routes already breached, one acknowledged by the sample planner.
        let breached = try await client.get(
            "/runtime/go-pilot/rollback-drill-notifications/routes?breached=true", token: commander)
        #expect((breached["total"]?.intValue ?? 0) > 0)
        let acknowledged = try await client.get(
            "/runtime/go-pilot/rollback-drill-notifications/routes?state=acknowledged", token: commander)
        #expect(acknowledged["total"] == 1)

        let done = try await client.post(
            "/runtime/go-pilot/rollback-drill-notifications/ledger_fallback_monthly/acknowledgements",
            ["provider": "pagerduty"], token: commander)
        #expect(done.status == 200, "\(done.text)")
        #expect(done["acknowledgement"]?["channel"] == "sample")
        #expect(done["acknowledgement"]?["actor"]?["verified"] == true)

        // The visitor asserts claims: fine on staging, refused on production.
        let visitor = list[3]["claims"] ?? .null
        let staging = try await client.post(
            "/runtime/go-pilot/rollback-drill-notifications/search_fallback_biweekly/acknowledgements",
            ["provider": "email", "actor_claims": visitor])
        #expect(staging.status == 200, "\(staging.text)")
        #expect(staging["acknowledgement"]?["actor"]?["verified"] == false)
        let production = try await client.post(
            "/runtime/go-pilot/rollback-drill-notifications/ledger_fallback_monthly/acknowledgements",
            ["provider": "slack", "actor_claims": visitor])
        #expect(production.status == 403)

        // The console is served with its CSP.
        let page = try await client.get("/")
        #expect(page.status == 200)
        #expect(page.headers.first(name: "Content-Security-Policy")?.contains("script-src 'self'") == true)
        #expect(server.stop() == 0)
    }
}
