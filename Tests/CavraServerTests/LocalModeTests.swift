// `cavra api` without OIDC (local mode): the endpoints, their status codes and the check order of
// architecture.md §5, through a live server.

import CavraJSON
import Foundation
import Testing

@Suite("cavra api in local mode", .serialized)
struct LocalModeTests {
    static let staging = "schedule-search-staging.json"
    static let commander: JSON = ["sub": "ic", "groups": ["incident-commanders"]]

    @Test("health, readiness, metrics, unknown paths and methods")
    func serviceEndpoints() async throws {
        let live = try LiveServer(oidc: false)
        defer { live.removeDirectory() }
        let health = try await live.get("/healthz")
        #expect(health.status == 200)
        #expect(health["status"] == "ok")
        #expect(health.headers.first(name: "Cache-Control") == "no-store")
        #expect(health.headers.first(name: "X-Request-Id")?.isEmpty == false)

        let ready = try await live.get("/readyz")
        #expect(ready.status == 200)
        #expect(ready["policy"]?["id"] == "rollback-drills")
        #expect(ready["policy"]?["sha256"]?.stringValue?.count == 64)
        #expect(ready["store"]?["status"] == "ok")
        #expect(ready["policy_error"] == nil)

        #expect(try await live.plan(schedule: Self.staging).status == 201)
        let metrics = try await live.get("/metrics")
        #expect(metrics.status == 200)
        for series in [
            "cavra_http_requests_total", "cavra_http_request_duration_seconds", "cavra_decisions_total",
            "cavra_routes{", "cavra_oldest_outstanding_age_seconds", "cavra_policy_reloads_total",
            "cavra_policy_reload_failures_total", "cavra_jwks_refreshes_total", "cavra_store_errors_total",
        ] {
            #expect(metrics.text.contains(series), "missing \(series)")
        }
        #expect(metrics.text.contains("cavra_decisions_total{action=\"plan\",outcome=\"allow\"} 1"))

        let unknown = try await live.get("/nope")
        #expect(unknown.status == 404)
        #expect(unknown.code == "not_found")
        let wrongMethod = try await live.send(.DELETE, "/healthz")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers.first(name: "Allow") == "GET")
        #expect(try await live.get("/console/sample-personas").status == 404)

        // One JSON log line per request, with its request id.
        let ids = [health, ready, metrics, unknown].compactMap { $0.headers.first(name: "X-Request-Id") }
        #expect(live.stop() == 0)
        let lines = live.server.log.split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
            .filter { $0["message"] == "request" }
        for id in ids { #expect(lines.filter { $0["request_id"]?.stringValue == id }.count == 1) }
        // New ids are 16 hex digits, distinct; durations are milliseconds with three decimals.
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.utf8.count == 16 && $0.allSatisfy(\.isHexDigit) })
        #expect(
            lines.allSatisfy { line in
                guard let text = line["duration_ms"]?.stringValue, let dot = text.firstIndex(of: ".") else {
                    return false
                }
                return Double(text) != nil && text[text.index(after: dot)...].count == 3
            })
        #expect(lines.contains { $0["route"] == "/readyz" && $0["status"] == 200 })
    }

    @Test("plans, the route list, an action, and every early refusal in §5's order")
    func checkOrder() async throws {
        let live = try LiveServer(oidc: false)
        defer { live.removeDirectory() }
        let path = LiveServer.drills + "/search_fallback_biweekly/acknowledgements"

        let created = try await live.plan(schedule: Self.staging)
        #expect(created.status == 201)
        #expect(created["plan"]?["schedule_id"] == "search_fallback_biweekly")
        let again = try await live.plan(schedule: Self.staging)
        #expect(again.status == 200)
        #expect(again["plan"]?["plan_id"] == created["plan"]?["plan_id"])

        // 413 before anything else, even with no actor.
        let big = [UInt8](repeating: 0x20, count: (1 << 20) + 10)
        let tooLarge = try await live.send(.POST, path, raw: big)
        #expect(tooLarge.status == 413)
        // 400 malformed JSON, then a body that is not an object, before the actor.
        let malformed = try await live.send(.POST, path, raw: Array("{\"provider\": ".utf8))
        #expect(malformed.status == 400)
        #expect(malformed.code == "malformed_json")
        let notObject = try await live.send(.POST, path, raw: Array("[1]".utf8))
        #expect(notObject.code == "malformed_json")
        let notUTF8 = try await live.send(.POST, path, raw: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])
        #expect(notUTF8.code == "malformed_json")
        // 401 before a field error; local-mode 401 uses the realm form.
        let noActor = try await live.post(path, ["provider": 5])
        #expect(noActor.status == 401)
        #expect(noActor.code == "missing_actor")
        #expect(noActor.headers.first(name: "WWW-Authenticate") == "Bearer realm=\"cavra\"")
        // A token without OIDC is a 400.
        let token = try await live.post(path, ["provider": "email"], token: "abc.def.ghi")
        #expect(token.status == 400)
        #expect(token.code == "oidc_not_configured")
        // 400 field errors name the field.
        let wrongType = try await live.post(path, ["provider": 5, "actor_claims": Self.commander])
        #expect(wrongType.status == 400)
        #expect(wrongType["field"] == "provider")
        let tooLong = try await live.post(
            path,
            [
                "provider": "email", "notes": .string(String(repeating: "n", count: 4097)),
                "actor_claims": Self.commander,
            ])
        #expect(tooLong.status == 400)
        #expect(tooLong["field"] == "notes")
        let badState = try await live.post(
            path, ["provider": "email", "acknowledgement_state": "outstanding", "actor_claims": Self.commander])
        #expect(badState["field"] == "acknowledgement_state")
        // 404 then 409.
        let unknown = try await live.post(
            LiveServer.drills + "/nope/acknowledgements", ["provider": "email", "actor_claims": Self.commander])
        #expect(unknown.status == 404)
        #expect(unknown.code == "unknown_schedule")
        let ambiguous = try await live.post(path, ["provider": "slack", "actor_claims": Self.commander])
        #expect(ambiguous.status == 409)
        #expect(ambiguous.code == "ambiguous_route")
        #expect(ambiguous["candidates"]?.arrayValue?.count == 2)

        // Nothing above stored anything.
        let untouched = try await live.get(
            LiveServer.drills + "/routes?provider=email", headers: [("X-Cavra-Actor", "ic")])
        #expect(untouched["items"]?.arrayValue?.first?["state"] == "outstanding")

        // The action, as asserted claims (unverified), through the console.
        let done = try await live.post(
            path, ["provider": "email", "actor_claims": Self.commander, "notes": "on it"],
            headers: [("X-Cavra-Channel", "console")])
        #expect(done.status == 200, "\(done.text)")
        #expect(done["acknowledgement"]?["acknowledgement_state"] == "acknowledged")
        #expect(done["acknowledgement"]?["actor"]?["verified"] == false)
        #expect(done["acknowledgement"]?["channel"] == "console")
        #expect(done["route"]?["state"] == "acknowledged")
        #expect(done["actor"]?["actor"] == "ic")
        // The same transition again is 409 with the state machine's facts.
        let twice = try await live.post(path, ["provider": "email", "acknowledged_by": "someone"])
        #expect(twice.status == 409)
        #expect(twice.code == "invalid_transition")
        #expect(twice["current_state"] == "acknowledged")
        #expect(twice["allowed_transitions"] == ["escalated", "resolved"])
        // 403 with the decision; 422 with what is missing.
        let denied = try await live.post(
            path, ["provider": "email", "acknowledgement_state": "escalated", "acknowledged_by": "visitor"])
        #expect(denied.status == 403)
        #expect(denied.code == "forbidden")
        #expect(denied["decision"]?["decision"] == "deny")
        let missing = try await live.post(
            path, ["provider": "email", "acknowledgement_state": "resolved", "actor_claims": Self.commander])
        #expect(missing.status == 422)
        #expect(missing["missing"] == ["external_ref"])

        // Route list: filters, paging and per-route permissions.
        let list = try await live.get(
            LiveServer.drills + "/routes?schedule_id=SEARCH_FALLBACK_BIWEEKLY&limit=2",
            headers: [("X-Cavra-Actor", "ic"), ("X-Cavra-Actor-Groups", "incident-commanders")])
        #expect(list.status == 200)
        #expect(list["total"] == 4)
        #expect(list["items"]?.arrayValue?.count == 2)
        let email = try await live.get(
            LiveServer.drills + "/routes?provider=email",
            headers: [("X-Cavra-Actor", "ic"), ("X-Cavra-Actor-Groups", "incident-commanders")])
        let permissions = email["items"]?.arrayValue?.first?["permissions"]
        #expect(permissions?["acknowledge"]?["allowed"] == false)
        #expect(permissions?["acknowledge"]?["reasons"] == ["acknowledged cannot become acknowledged"])
        #expect(permissions?["resolve"]?["allowed"] == true)
        #expect(permissions?["resolve"]?["obligations"] == ["external_ref"])
        let anonymous = try await live.get(LiveServer.drills + "/routes?provider=pagerduty")
        #expect(anonymous["items"]?.arrayValue?.first?["permissions"]?["acknowledge"]?["allowed"] == false)
        for bad in ["state=open", "category=x", "breached=maybe", "limit=0", "limit=501", "offset=-1"] {
            let refused = try await live.get(LiveServer.drills + "/routes?" + bad)
            #expect(refused.status == 400, "\(bad)")
            #expect(refused["field"]?.stringValue == String(bad.prefix { $0 != "=" }))
        }

        // History, dashboard, escalation plan.
        let history = try await live.get(LiveServer.drills + "?kind=refusal")
        #expect(history.status == 200)
        #expect(history["items"]?.arrayValue?.count == 2)
        let dashboard = try await live.get(LiveServer.drills + "/dashboard")
        #expect(dashboard.status == 200)
        let escalation = try await live.get(LiveServer.drills + "/escalation-plan")
        #expect(escalation.status == 200)

        // The session in local mode.
        let session = try await live.get(
            "/console/session", headers: [("X-Cavra-Actor", "ic"), ("X-Cavra-Actor-Groups", "incident-commanders")])
        #expect(session["mode"] == "local")
        #expect(session["authenticated"] == false)
        #expect(session["permissions"]?["resolve_drill_notifications"] == true)
        #expect(session["permissions"]?["plan_drills"] == false)
        let nobody = try await live.get("/console/session")
        #expect(nobody["actor"] == .null)
        #expect(nobody["permissions"]?["acknowledge_drill_notifications"] == false)
    }
}
