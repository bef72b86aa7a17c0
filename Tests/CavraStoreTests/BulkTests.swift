// Bulk actions on each store engine: all or nothing, an outcome per entry, §5's order of failing classes.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import Testing

@Suite struct BulkTests {
    private let production = "go_backend_checkout_fallback_monthly"
    private let staging = "search_fallback_biweekly"

    /// Runs `body` on a fresh fixture on `engine` holding the production plan (critical: slack and teams
    /// delivered) and the staging plan (warning: four delivered).
    private func withPlannedFixture(_ engine: StoreEngine, _ body: (ServiceFixture) async throws -> Void)
        async throws
    {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let schedule = try JSON.parse(
                String(
                    contentsOf: ServiceFixture.repositoryRoot.appendingPathComponent(
                        "Sources/CavraDrills/Resources/sample/schedule-search-staging.json"),
                    encoding: .utf8))
            _ = try await fixture.service.plan(
                schedule: schedule, history: nil, force: false, context: ServiceFixture.context(ServiceFixture.planner))
            try await body(fixture)
        }
    }

    private func entry(_ scheduleId: String, _ provider: String, _ owner: String, notes: String? = nil) -> BulkEntry {
        BulkEntry(scheduleId: scheduleId, provider: provider, owner: owner, notes: notes)
    }

    private var stagingThree: [BulkEntry] {
        [
            entry(staging, "slack", "search-oncall"), entry(staging, "email", "release-governance"),
            entry(staging, "slack", "release-governance"),
        ]
    }

    private func refused(
        _ fixture: ServiceFixture, to state: RouteState, _ entries: [BulkEntry], _ context: CallContext
    ) async -> BulkRefusal? {
        do {
            _ = try await fixture.service.bulk(to: state, entries: entries, context: context)
            return nil
        } catch {
            return error
        }
    }

    /// `results[index]` of an answer body, if there is one.
    private func item(_ body: JSON, _ index: Int) -> JSON? {
        guard let results = body["results"]?.arrayValue, results.indices.contains(index) else { return nil }
        return results[index]
    }

    /// Every record of every route of both plans.
    private func allRecords(_ fixture: ServiceFixture) async throws -> [ChainedEvidence] {
        var records: [ChainedEvidence] = []
        for plan in try await fixture.store.plans(scheduleId: nil) {
            for route in plan.routes { records += try await fixture.store.records(routeId: route.routeId) }
        }
        return records
    }

    private func routeId(_ fixture: ServiceFixture, _ scheduleId: String, _ provider: String, _ owner: String)
        async throws -> String
    {
        let plan = try #require(try await fixture.store.plans(scheduleId: scheduleId).first { !$0.superseded })
        return try #require(plan.routes.first { $0.provider == provider && $0.owner == owner }?.routeId)
    }

    @Test(arguments: StoreEngine.tested)
    func successStoresEveryRouteWithOneBulkIdAndOneNow(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            let outcome = try await fixture.service.bulk(
                to: .acknowledged, entries: stagingThree, context: ServiceFixture.context(ServiceFixture.commander))
            #expect(outcome.results.map(\.index) == [0, 1, 2])
            #expect(outcome.results.allSatisfy { $0.outcome == .stored })
            let records = outcome.records
            #expect(records.count == 3)
            #expect(
                outcome.bulkId
                    == PlanIds.bulkId(
                        acknowledgementIds: records.compactMap { $0.json["acknowledgement_id"]?.stringValue })
            )
            #expect(records.allSatisfy { $0.json["bulk_id"]?.stringValue == outcome.bulkId })
            #expect(Set(records.compactMap { $0.json["acknowledged_at"] }).count == 1)
            #expect(records.allSatisfy { $0.json["decision"]?["request"]?["context"]?["bulk"] == true })
            #expect(records.allSatisfy { $0.json["decision"]?["request"]?["context"]?["bulk_size"] == 3 })
            // Results follow the entries, whatever the route-id order the records were appended in.
            for (index, result) in outcome.results.enumerated() {
                let target = stagingThree[index].target
                #expect(result.acknowledgement?.json["provider"]?.stringValue == target.provider)
                #expect(result.acknowledgement?.json["owner"]?.stringValue == target.owner)
            }
            let json = outcome.json
            #expect(json["bulk_id"]?.stringValue == outcome.bulkId)
            #expect(json["acknowledgement_state"] == "acknowledged")
            #expect(json["acknowledgement_count"] == 3)
            #expect(item(json, 0)?["outcome"] == "stored")
            #expect(item(json, 0)?["index"] == 0)
            #expect(item(json, 0)?["acknowledgement"] == records[0].json)
            #expect(item(json, 0)?["detail"] == nil)
            #expect(try await allRecords(fixture).count == 3)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func oneDeniedRouteAmongThreeRefusesAllAndLogsOnlyItsRefusal(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            let entries = [
                entry(staging, "slack", "search-oncall"), entry(production, "slack", "release-governance"),
                entry(staging, "email", "release-governance"),
            ]
            // An unverified release manager may acknowledge staging routes but never touch production.
            let refusal = try #require(
                await refused(
                    fixture, to: .acknowledged, entries, ServiceFixture.context(ServiceFixture.releaseManager)))
            #expect(refusal.httpStatus == 403)
            #expect(refusal.exitCode == 3)
            #expect(refusal.code == "forbidden")
            #expect(refusal.results.map(\.outcome) == [.wouldStore, .denied, .wouldStore])
            #expect(try await allRecords(fixture).isEmpty)
            let deniedRoute = try await routeId(fixture, production, "slack", "release-governance")
            let logged = try await fixture.store.refusals(chain: "route:\(deniedRoute)")
            #expect(logged.count == 1)
            #expect(logged.first?.json["outcome"] == "denied")
            // The bulk id the bulk would have had: over the three routes' first acknowledgement ids.
            var ids: [String] = []
            for (scheduleId, provider, owner) in [
                (staging, "slack", "search-oncall"), (production, "slack", "release-governance"),
                (staging, "email", "release-governance"),
            ] {
                let id = try await routeId(fixture, scheduleId, provider, owner)
                ids.append(PlanIds.acknowledgementId(routeId: id, sequence: 1))
                if id != deniedRoute { #expect(try await fixture.store.refusals(chain: "route:\(id)").isEmpty) }
            }
            #expect(logged.first?.json["bulk_id"]?.stringValue == PlanIds.bulkId(acknowledgementIds: ids))
            let json = refusal.json
            #expect(json["code"] == "forbidden")
            #expect(json["decision"]?["decision"] == "deny")
            let results = try #require(json["results"]?.arrayValue)
            #expect(results.map { $0["outcome"] } == ["would_store", "denied", "would_store"])
            #expect(results[1]["route_id"]?.stringValue == deniedRoute)
            #expect(results[1]["decision"]?["decision"] == "deny")
            #expect(results[0]["decision"]?["decision"] == "allow")
            #expect(results.allSatisfy { $0["detail"]?.stringValue?.isEmpty == false })
            #expect(results.allSatisfy { $0["acknowledgement"] == nil })
        }
    }

    @Test(arguments: StoreEngine.tested)
    func aConflictAnswersBeforeADenyAndBothAreListed(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            _ = try await fixture.service.act(
                .acknowledge, on: RouteTarget(scheduleId: staging, provider: "email", owner: "release-governance"),
                context: ServiceFixture.context(ServiceFixture.commander))
            let entries = [
                entry(production, "teams", "platform-operations"), entry(staging, "email", "release-governance"),
            ]
            let refusal = try #require(
                await refused(
                    fixture, to: .acknowledged, entries, ServiceFixture.context(ServiceFixture.releaseManager)))
            #expect(refusal.httpStatus == 409)
            #expect(refusal.exitCode == 4)
            #expect(refusal.code == "invalid_transition")
            #expect(refusal.results.map(\.outcome) == [.denied, .conflict])
            #expect(refusal.json["current_state"] == "acknowledged")
            #expect(item(refusal.json, 1)?["decision"] == nil)
            // The policy refused the production route: that attempt is in its decision log all the same.
            let denied = try await routeId(fixture, production, "teams", "platform-operations")
            #expect(try await fixture.store.refusals(chain: "route:\(denied)").count == 1)
            #expect(try await allRecords(fixture).count == 1)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func aNotFoundEntryAnswersFirst(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            _ = try await fixture.service.act(
                .acknowledge, on: RouteTarget(scheduleId: staging, provider: "email", owner: "release-governance"),
                context: ServiceFixture.context(ServiceFixture.commander))
            let entries = [
                entry(production, "slack", "release-governance"), entry(staging, "email", "release-governance"),
                entry(staging, "fax", "search-oncall"), BulkEntry(scheduleId: "nope", provider: "slack"),
                entry(production, "webhook", "payments-sre"),
            ]
            let refusal = try #require(
                await refused(
                    fixture, to: .acknowledged, entries, ServiceFixture.context(ServiceFixture.releaseManager)))
            #expect(refusal.httpStatus == 404)
            #expect(refusal.exitCode == 2)
            #expect(refusal.code == "no_matching_route")
            #expect(refusal.results.map(\.outcome) == [.denied, .conflict, .notFound, .notFound, .conflict])
            #expect(refusal.results[2].routeId == nil)
            #expect(refusal.results[3].error?.code == "unknown_schedule")
            #expect(refusal.results[4].error?.code == "route_suppressed")
            #expect(item(refusal.json, 2)?["route_id"] == nil)
            #expect(refusal.json["results"]?.arrayValue?.count == 5)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func duplicateEntriesAreAConflictNamingBoth(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            let slack = try await routeId(fixture, staging, "slack", "search-oncall")
            let entries = [
                entry(staging, "slack", "search-oncall"), entry(staging, "email", "release-governance"),
                BulkEntry(scheduleId: staging, routeId: slack),
            ]
            let refusal = try #require(
                await refused(fixture, to: .acknowledged, entries, ServiceFixture.context(ServiceFixture.commander)))
            #expect(refusal.httpStatus == 409)
            #expect(refusal.code == "duplicate_route")
            #expect(refusal.results.map(\.outcome) == [.wouldStore, .wouldStore, .conflict])
            #expect(refusal.results[2].routeId == slack)
            #expect(refusal.json["indexes"] == [0, 2])
            #expect(item(refusal.json, 2)?["outcome"] == "conflict")
            #expect(try await allRecords(fixture).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func perRouteNotesAndReferencesWinWhenGiven(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            let entries = [
                BulkEntry(scheduleId: staging, provider: "slack", owner: "search-oncall", notes: "route note"),
                BulkEntry(
                    scheduleId: staging, provider: "email", owner: "release-governance", notes: "  ",
                    externalRef: "INC-2"),
                entry(staging, "slack", "release-governance"),
            ]
            let outcome = try await fixture.service.bulk(
                to: .escalated, entries: entries,
                context: ServiceFixture.context(ServiceFixture.commander, note: "bulk note", ref: "CHG-1"))
            let inputs = outcome.results.map { $0.acknowledgement?.json["operator_input"] }
            #expect(
                inputs == [
                    ["notes": "route note", "external_ref": "CHG-1"], ["notes": "bulk note", "external_ref": "INC-2"],
                    ["notes": "bulk note", "external_ref": "CHG-1"],
                ])
        }
    }

    @Test(arguments: StoreEngine.tested)
    func aPerRouteNoteMeetsTheObligationOnlyForItsRoute(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            // Escalating a critical (production) route needs a note.
            let entries = [
                entry(production, "slack", "release-governance", notes: "paging ops"),
                entry(production, "teams", "platform-operations"),
            ]
            let refusal = try #require(
                await refused(fixture, to: .escalated, entries, ServiceFixture.context(ServiceFixture.commander)))
            #expect(refusal.httpStatus == 422)
            #expect(refusal.exitCode == 5)
            #expect(refusal.results.map(\.outcome) == [.wouldStore, .missingObligation])
            #expect(refusal.json["missing"] == ["note"])
            #expect(item(refusal.json, 1)?["missing"] == ["note"])
            let teams = try await routeId(fixture, production, "teams", "platform-operations")
            let logged = try await fixture.store.refusals(chain: "route:\(teams)")
            #expect(logged.map { $0.json["outcome"] } == ["missing_obligation"])
            #expect(logged.first?.json["bulk_id"]?.stringValue?.hasPrefix("gordbulkack-") == true)
            #expect(try await allRecords(fixture).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func zeroOrMoreThanAHundredEntriesAndAnUnreachableStateAreBadInput(_ engine: StoreEngine) async throws {
        try await withPlannedFixture(engine) { fixture in
            let commander = ServiceFixture.context(ServiceFixture.commander)
            for count in [0, 101] {
                let entries = Array(repeating: entry(staging, "slack", "search-oncall"), count: count)
                let refusal = try #require(await refused(fixture, to: .acknowledged, entries, commander))
                #expect(refusal.httpStatus == 400)
                #expect(refusal.exitCode == 2)
                #expect(refusal.json["field"] == "routes")
                #expect(refusal.results.isEmpty)
                #expect(refusal.json["results"] == nil)
            }
            let outstanding = try #require(await refused(fixture, to: .outstanding, stagingThree, commander))
            #expect(outstanding.httpStatus == 400)
            #expect(outstanding.json["field"] == "acknowledgement_state")
            #expect(try await allRecords(fixture).isEmpty)
        }
    }
}
