// `cavra api` with OIDC: every identity refusal is a 401 that changes nothing, verified actors act under the
// policy, and the session, audit and key endpoints answer as architecture.md §5 says.

import CavraDrills
import CavraIdentity
import CavraJSON
import CavraStore
import CavraTesting
import Foundation
import Testing

@Suite("cavra api with OIDC", .serialized)
struct OIDCModeTests {
    static let production = "schedule-checkout-production.json"
    static let ack = LiveServer.drills + "/checkout_fallback_monthly/acknowledgements"
    static let slack: JSON = ["provider": "slack", "owner": "release-governance"]

    /// A server with the production sample planned by a verified planner.
    func planned() async throws -> (LiveServer, planner: String) {
        let live = try LiveServer(oidc: true)
        let planner = try live.token("planner", groups: ["drill-planners"])
        let plan = try await live.plan(
            schedule: Self.production, history: "history-checkout-production.json", token: planner)
        #expect(plan.status == 201, "\(plan.text)")
        return (live, planner)
    }

    /// The number of records and refused attempts in the store: what an identity refusal must leave alone.
    func storeCounts(_ live: LiveServer) async throws -> (records: Int, events: Int) {
        let store = try SQLiteDrillStore(path: live.directory.appendingPathComponent(".cavra/cavra.sqlite").path)
        let events = try await store.history(scheduleId: nil, provider: nil, kind: nil, limit: 500, offset: 0)
        var records = 0
        for plan in try await store.plans(scheduleId: nil) {
            for route in plan.routes { records += try await store.records(routeId: route.routeId).count }
        }
        return (records, events.count)
    }

    @Test("each identity refusal is a 401 and the store is unchanged")
    func identityRefusals() async throws {
        let (live, _) = try await planned()
        defer { live.removeDirectory() }
        let before = try await storeCounts(live)
        let commander = try live.token("ic", groups: ["incident-commanders"])

        let missing = try await live.post(Self.ack, Self.slack)
        #expect(missing.status == 401)
        #expect(missing.code == "missing_token")
        #expect(missing.headers.first(name: "WWW-Authenticate") == "Bearer realm=\"cavra\"")

        let other = DevelopmentSigningKey()
        let forged = try TokenMinter.mint(
            key: other, issuer: DevelopmentIdentity.issuer, audience: DevelopmentIdentity.audience, subject: "ic",
            email: "ic@example.com", groups: ["incident-commanders"], ttl: TokenLifetime(seconds: 600),
            now: Timestamp(Date()))
        let expired = try live.token(
            "ic", groups: ["incident-commanders"], ttlSeconds: 60, now: Timestamp(Date()).adding(seconds: -7200))
        var cases: [(String, Answer)] = []
        cases.append(("forged", try await live.post(Self.ack, Self.slack, token: forged)))
        cases.append(("expired", try await live.post(Self.ack, Self.slack, token: expired)))
        cases.append(("garbage", try await live.post(Self.ack, Self.slack, token: "not-a-jwt")))
        var claims = Self.slack.objectValue!
        claims["actor_claims"] = ["email": "ic@example.com", "groups": ["incident-commanders"]]
        cases.append(("claims", try await live.post(Self.ack, .object(claims))))
        var bodyToken = Self.slack.objectValue!
        bodyToken["actor_token"] = .string(forged)
        cases.append(("body token", try await live.post(Self.ack, .object(bodyToken))))
        for (name, answer) in cases {
            #expect(answer.status == 401, "\(name): \(answer.text)")
        }
        #expect(cases[0].1.code == "invalid_token")
        #expect(cases[0].1.headers.first(name: "WWW-Authenticate")?.hasPrefix("Bearer error=\"invalid_token\"") == true)
        #expect(cases[1].1["detail"]?.stringValue?.contains("expired") == true)
        #expect(cases[3].1.code == "actor_claims_refused")

        // A header and a different body token: 400, also nothing stored.
        var conflicting = Self.slack.objectValue!
        conflicting["actor_token"] = .string(forged)
        let conflict = try await live.post(Self.ack, .object(conflicting), token: commander)
        #expect(conflict.status == 400)
        #expect(conflict.code == "conflicting_credentials")
        // Reads need a token too, except the public ones.
        #expect(try await live.get(LiveServer.drills + "/routes").status == 401)
        #expect(try await live.get(LiveServer.drills + "/dashboard", token: expired).status == 401)
        #expect(try await live.get("/healthz").status == 200)
        let session = try await live.get("/console/session")
        #expect(session.status == 200)
        #expect(session["mode"] == "auth_required")
        #expect(session["auth_required"] == true)
        #expect(try await live.get("/console/session", token: forged).status == 401)

        let after = try await storeCounts(live)
        #expect(after.records == before.records)
        #expect(after.events == before.events)
    }

    @Test("verified actors act under the policy; session, audit packages and keys")
    func verifiedActions() async throws {
        let signingKey = AuditSigningKey()
        let keyDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-key-\(UUID())")
        try FileManager.default.createDirectory(at: keyDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: keyDirectory) }
        let keyPath = keyDirectory.appendingPathComponent("audit.pem")
        try Data(signingKey.pemRepresentation.utf8).write(to: keyPath)
        let live = try LiveServer(
            oidc: true,
            environment: ["CAVRA_AUDIT_SIGNING_KEY": keyPath.path, "CAVRA_CORS_ORIGINS": "https://console.example"])
        defer { live.removeDirectory() }
        let planner = try live.token("planner", groups: ["drill-planners"])
        #expect(
            try await live.plan(schedule: Self.production, history: "history-checkout-production.json", token: planner)
                .status == 201)
        let commander = try live.token("ic", groups: ["incident-commanders"])
        let manager = try live.token("rm", groups: ["release-managers"])
        let auditor = try live.token("au", groups: ["auditors"])

        let session = try await live.get("/console/session", token: commander)
        #expect(session["mode"] == "authenticated")
        #expect(session["authenticated"] == true)
        #expect(session["actor"]?["id"] == "ic@example.com")
        #expect(session["actor"]?["issuer"] == .string(DevelopmentIdentity.issuer))
        #expect(session["permissions"]?["acknowledge_drill_notifications"] == true)
        #expect(session["permissions"]?["plan_drills"] == false)
        #expect(session["expires_at"]?.stringValue?.hasSuffix("Z") == true)
        let managerSession = try await live.get("/console/session", token: manager)
        #expect(managerSession["permissions"]?["acknowledge_drill_notifications"] == false)
        let plannerSession = try await live.get("/console/session", token: planner)
        #expect(plannerSession["permissions"]?["plan_drills"] == true)

        // 403 for a release manager on production, then the commander acts; `acknowledged_by` is only a claim.
        let denied = try await live.post(Self.ack, Self.slack, token: manager)
        #expect(denied.status == 403)
        #expect(denied["decision"]?["decision"] == "deny")
        var body = Self.slack.objectValue!
        body["acknowledged_by"] = "someone-else"
        let done = try await live.post(Self.ack, .object(body), token: commander)
        #expect(done.status == 200, "\(done.text)")
        let record = done["acknowledgement"]
        #expect(record?["acknowledged_by"] == "ic@example.com")
        #expect(record?["claimed_acknowledged_by"] == "someone-else")
        #expect(record?["actor"]?["verified"] == true)
        #expect(record?["actor"]?["subject"] == "ic")
        #expect(record?["channel"] == "api")
        #expect(done["actor"]?["actor"] == "ic@example.com")

        // The route list carries the commander's per-route permissions.
        let routes = try await live.get(
            LiveServer.drills + "/routes?provider=slack&owner=release-governance", token: commander)
        let permissions = routes["items"]?.arrayValue?.first?["permissions"]
        #expect(permissions?["acknowledge"]?["allowed"] == false)
        #expect(permissions?["escalate"]?["allowed"] == true)
        #expect(permissions?["export"]?["allowed"] == true)
        #expect(routes["items"]?.arrayValue?.first?["latest_acknowledgement"]?["sequence"] == 1)

        // Audit: the manager may not export (403, all withheld); the auditor's package is signed, stored and
        // fetched again by id; the published keys hold the signing key.
        let refused = try await live.post(
            LiveServer.drills + "/acknowledgements/audit-package", ["schedule_id": "checkout_fallback_monthly"],
            token: manager)
        #expect(refused.status == 403)
        let exported = try await live.post(
            LiveServer.drills + "/acknowledgements/audit-package",
            ["schedule_id": "checkout_fallback_monthly", "breached": false], token: auditor)
        #expect(exported.status == 200, "\(exported.text)")
        let package = exported["audit_package"]
        #expect(package?["acknowledgement_count"] == 1)
        #expect(package?["integrity"]?["signature"]?["key_id"] == .string(signingKey.publicKey.keyId))
        let auditId = package?["audit_id"]?.stringValue ?? ""
        let fetched = try await live.get(
            LiveServer.drills + "/acknowledgements/audit-packages/\(auditId)", token: auditor)
        #expect(fetched.status == 200)
        #expect(fetched["audit_package"] == package)
        #expect(
            try await live.get(LiveServer.drills + "/acknowledgements/audit-packages/\(auditId)", token: manager)
                .status == 403)
        #expect(
            try await live.get(LiveServer.drills + "/acknowledgements/audit-packages/gordackaudit-0", token: auditor)
                .code == "unknown_audit_package")
        let keys = try await live.get("/runtime/go-pilot/audit-signing-keys", token: auditor)
        #expect(keys["keys"]?.arrayValue?.first?["key_id"] == .string(signingKey.publicKey.keyId))
        #expect(keys["keys"]?.arrayValue?.first?["status"] == "current")

        // The boundary names the issuer, the policy and the CORS origins; CORS answers only that origin.
        let boundary = try await live.get("/console/security-boundary", token: auditor)
        #expect(boundary["identity"]?["issuer"] == .string(DevelopmentIdentity.issuer))
        #expect(boundary["policy"]?["id"] == "rollback-drills")
        #expect(boundary["cors_origins"] == ["https://console.example"])
        let allowed = try await live.get("/healthz", headers: [("Origin", "https://console.example")])
        #expect(allowed.headers.first(name: "Access-Control-Allow-Origin") == "https://console.example")
        let foreign = try await live.get("/healthz", headers: [("Origin", "https://evil.example")])
        #expect(foreign.headers.first(name: "Access-Control-Allow-Origin") == nil)
        let preflight = try await live.send(
            .OPTIONS, Self.ack,
            headers: [("Origin", "https://console.example"), ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 204)
        #expect(preflight.headers.first(name: "Access-Control-Allow-Headers")?.contains("Authorization") == true)
        #expect(
            try await live.send(.OPTIONS, Self.ack, headers: [("Origin", "https://evil.example")]).status == 403)
        #expect(live.stop() == 0)
    }

    @Test("40 concurrent acknowledgements of one route: one 200 and 39 409s")
    func race() async throws {
        let (live, _) = try await planned()
        defer { live.removeDirectory() }
        let tokens = try (0..<40).map { try live.token("ic-\($0)", groups: ["incident-commanders"]) }
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for token in tokens {
                group.addTask { try await live.post(Self.ack, Self.slack, token: token).status }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 200 }.count == 1)
        #expect(statuses.filter { $0 == 409 }.count == 39)
        #expect(try await storeCounts(live).records == 1)
    }

    @Test("a retry with the same Idempotency-Key replays the first answer; another body is 409")
    func idempotency() async throws {
        let (live, _) = try await planned()
        defer { live.removeDirectory() }
        let commander = try live.token("ic", groups: ["incident-commanders"])
        let key = [("Idempotency-Key", "ack-1")]
        let first = try await live.post(Self.ack, Self.slack, token: commander, headers: key)
        #expect(first.status == 200)
        let retry = try await live.post(Self.ack, Self.slack, token: commander, headers: key)
        #expect(retry.status == 200)
        #expect(retry.json == first.json)
        #expect(retry.headers.first(name: "Idempotency-Replayed") == "true")
        #expect(try await storeCounts(live).records == 1)
        // Without the key, the same request is a new attempt: 409.
        #expect(try await live.post(Self.ack, Self.slack, token: commander).status == 409)
        // Another body under the same key.
        var other = Self.slack.objectValue!
        other["notes"] = "different"
        let reused = try await live.post(Self.ack, .object(other), token: commander, headers: key)
        #expect(reused.status == 409)
        #expect(reused.code == "idempotency_key_reused")
        // A refusal is a final answer too, and the key is the actor's own: another actor's same key is new.
        let manager = try live.token("rm", groups: ["release-managers"])
        let refusal = try await live.post(Self.ack, Self.slack, token: manager, headers: key)
        #expect(refusal.status == 409)
        #expect(refusal.code == "invalid_transition")
        let bad = try await live.post(Self.ack, Self.slack, token: commander, headers: [("Idempotency-Key", "")])
        #expect(bad.status == 400)
    }
}

@Suite("cavra api with keys from jwks_uri")
struct JWKSURITests {
    /// A static file server on a loopback port: the identity provider's JWKS endpoint.
    static func keyServer(serving directory: URL) throws -> ServerProcess {
        let script = """
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print("keys listening on http://127.0.0.1:%d/" % server.server_port, flush=True)
            server.serve_forever()
            """
        return try ServerProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, directory.path], cwd: directory)
    }

    @Test("keys are fetched at start, and again (at most once a minute) when a token names a new key")
    func rotation() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-jwks-\(UUID())")
        let identity = directory.appendingPathComponent("identity")
        try DevelopmentIdentity.initialize(directory: identity.path)
        let keys = try Self.keyServer(serving: identity)
        // SIGKILL: Python leaves SIGTERM to its default action, which a signal mask inherited from the test
        // process can block.
        defer { keys.stop(signal: SIGKILL) }
        let configuration: JSON = [
            "issuer": .string(DevelopmentIdentity.issuer), "audience": .string(DevelopmentIdentity.audience),
            "jwks_uri": .string("http://127.0.0.1:\(keys.port)/jwks.json"), "algorithms": ["ES256"],
        ]
        try Data(configuration.serialized().utf8).write(to: identity.appendingPathComponent("oidc-uri.json"))
        try FileManager.default.copyItem(
            at: repositoryRoot.appendingPathComponent("policy"), to: directory.appendingPathComponent("policy"))
        let live = try LiveServer(
            oidc: true,
            environment: ["CAVRA_APPROVAL_OIDC_CONFIG": identity.appendingPathComponent("oidc-uri.json").path],
            directory: directory)
        defer { live.removeDirectory() }
        let session = try await live.get("/console/session", token: try live.token("ic", groups: []))
        #expect(session["mode"] == "authenticated")
        let boundary = try await live.get("/console/security-boundary", token: try live.token("ic", groups: []))
        #expect(boundary["identity"]?["keys"]?.stringValue?.hasSuffix("/jwks.json") == true)

        // The provider rotates its key: the new key's tokens verify after one refetch.
        let rotated = DevelopmentSigningKey()
        try Data(rotated.jwks.serialized().utf8).write(to: identity.appendingPathComponent("jwks.json"))
        let token = try TokenMinter.mint(
            key: rotated, issuer: DevelopmentIdentity.issuer, audience: DevelopmentIdentity.audience, subject: "ic",
            email: "ic@example.com", groups: [], ttl: TokenLifetime(seconds: 600), now: Timestamp(Date()))
        // Within a minute of the last fetch the set is not fetched again: the new key is still unknown.
        let early = try await live.get("/console/session", token: token)
        #expect(early.status == 401)
        #expect(early["detail"]?.stringValue?.contains("unknown key id") == true)
        try await Task.sleep(for: .seconds(61))
        let after = try await live.get("/console/session", token: token)
        #expect(after.status == 200, "\(after.text)")
        #expect(after["actor"]?["subject"] == "ic")
        let metrics = try await live.get("/metrics")
        #expect(metrics.text.contains("cavra_jwks_refreshes_total 2"))
        // The old key is gone from the set: its tokens are refused now.
        #expect(try await live.get("/console/session", token: try live.token("ic", groups: [])).status == 401)
        #expect(live.stop() == 0)
    }

    @Test("an unreachable jwks_uri stops the start")
    func unreachable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-jwks-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration: JSON = [
            "issuer": "https://id.example", "audience": "cavra", "jwks_uri": "http://127.0.0.1:9/jwks.json",
        ]
        try Data(configuration.serialized().utf8).write(to: directory.appendingPathComponent("oidc.json"))
        try FileManager.default.copyItem(
            at: repositoryRoot.appendingPathComponent("policy"), to: directory.appendingPathComponent("policy"))
        let run = try runProcess(
            cavraExecutable, ["api", "--port", "0"], cwd: directory,
            environment: [
                "PATH": "/usr/bin:/bin",
                "CAVRA_APPROVAL_OIDC_CONFIG": directory.appendingPathComponent("oidc.json").path,
            ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("the OIDC keys cannot be fetched"))
    }
}
