// The bulk endpoint through a live server: all or nothing, every route's outcome, and the refusals logged.

import CavraJSON
import Foundation
import Testing

@Suite("cavra api bulk actions")
struct BulkAPITests {
    static let bulk = LiveServer.drills + "/acknowledgements/bulk"
    static let commander: JSON = ["sub": "ic", "groups": ["incident-commanders"]]
    static let manager: JSON = ["sub": "rm", "groups": ["release-managers"]]

    @Test("a bulk with one refused route stores nothing; the same bulk without it stores every route")
    func allOrNothing() async throws {
        // A forbid added for the test: release managers leave pagerduty routes to the on-call.
        let live = try LiveServer(oidc: false) { directory in
            try Data(
                """
                @id("no-pagerduty-for-release-managers")
                forbid acknowledge by release-manager
                  when route.provider == "pagerduty"
                  because "pagerduty routes belong to the on-call"
                """.utf8
            ).write(to: directory.appendingPathComponent("policy/pagerduty.cavra"))
        }
        defer { live.removeDirectory() }
        #expect(try await live.plan(schedule: "schedule-search-staging.json").status == 201)
        let staging: [JSON] = [
            ["schedule_id": "search_fallback_biweekly", "provider": "email"],
            ["schedule_id": "search_fallback_biweekly", "provider": "slack", "owner": "release-governance"],
        ]
        // The pagerduty route is denied, so nothing is stored.
        let pagerduty: JSON = ["schedule_id": "search_fallback_biweekly", "provider": "pagerduty"]
        let refused = try await live.post(
            Self.bulk,
            [
                "routes": .array(staging + [pagerduty]), "acknowledgement_state": "acknowledged",
                "actor_claims": Self.manager,
            ])
        #expect(refused.status == 403, "\(refused.text)")
        #expect(refused.code == "forbidden")
        let outcomes = refused["results"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" }
        #expect(outcomes == ["would_store", "would_store", "denied"])
        #expect(refused["results"]?.arrayValue?.last?["decision"]?["decision"] == "deny")
        #expect(refused["results"]?.arrayValue?.last?["detail"]?.stringValue?.contains("on-call") == true)
        let untouched = try await live.get(
            LiveServer.drills + "/routes?state=acknowledged", headers: [("X-Cavra-Actor", "rm")])
        #expect(untouched["total"] == 0)
        let logged = try await live.get(LiveServer.drills + "?kind=refusal")
        #expect(logged["items"]?.arrayValue?.count == 1)
        #expect(
            logged["items"]?.arrayValue?.first?["payload"]?["bulk_id"]?.stringValue?.hasPrefix("gordbulkack-") == true)

        // A 404 entry answers before the denial; a duplicate is a 409 naming both entries.
        let missing = try await live.post(
            Self.bulk,
            [
                "routes": .array([pagerduty, ["schedule_id": "nope", "provider": "email"]]),
                "acknowledgement_state": "acknowledged", "actor_claims": Self.manager,
            ])
        #expect(missing.status == 404)
        #expect(missing["results"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" } == ["denied", "not_found"])
        let duplicate = try await live.post(
            Self.bulk,
            [
                "routes": .array([staging[0], staging[0]]), "acknowledgement_state": "acknowledged",
                "actor_claims": Self.manager,
            ])
        #expect(duplicate.status == 409)
        #expect(duplicate.code == "duplicate_route")
        #expect(duplicate["indexes"] == [0, 1])

        // Field errors: none or too many routes, a missing state.
        let none = try await live.post(
            Self.bulk, ["routes": [], "acknowledgement_state": "acknowledged", "actor_claims": Self.manager])
        #expect(none.status == 400)
        #expect(none["field"] == "routes")
        let noState = try await live.post(Self.bulk, ["routes": .array(staging), "actor_claims": Self.manager])
        #expect(noState["field"] == "acknowledgement_state")
        let badEntry = try await live.post(
            Self.bulk,
            ["routes": [["provider": "email"]], "acknowledgement_state": "acknowledged", "actor_claims": Self.manager])
        #expect(badEntry["field"] == "routes[0].schedule_id")

        // Without the pagerduty route: every route stored under one bulk id.
        let stored = try await live.post(
            Self.bulk,
            [
                "routes": .array(staging), "acknowledgement_state": "acknowledged", "actor_claims": Self.manager,
                "notes": "bulk pick-up",
            ])
        #expect(stored.status == 200, "\(stored.text)")
        #expect(stored["acknowledgement_count"] == 2)
        let records = stored["results"]?.arrayValue?.compactMap { $0["acknowledgement"] } ?? []
        #expect(records.count == 2)
        #expect(Set(records.compactMap { $0["bulk_id"] }) == [stored["bulk_id"] ?? .null])
        #expect(records.allSatisfy { $0["operator_input"]?["notes"] == "bulk pick-up" })
        #expect(records.allSatisfy { $0["decision"]?["request"]?["context"]?["bulk"] == true })
    }
}
