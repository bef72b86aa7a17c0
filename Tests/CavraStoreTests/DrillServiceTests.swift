// DrillService on each store engine: plans, state changes, refusals, conflicts, bulk, races, answers.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import Testing

@Suite struct DrillServiceTests {
    private let productionId = "go_backend_checkout_fallback_monthly"

    @Test(arguments: StoreEngine.tested)
    func planningCreatesThenLeavesAnUnchangedPlanAlone(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let first = try await fixture.planProduction()
            #expect(first.created)
            #expect(first.plan.revision == 1)
            #expect(first.plan.alertLevel == .critical)
            #expect(first.plan.routes.filter { $0.category == .deliver }.count == 2)
            fixture.clock.advance(seconds: 60)
            let second = try await fixture.planProduction()
            #expect(!second.created)
            #expect(second.changes.isEmpty)
            #expect(second.plan == first.plan)
            let events = try await fixture.store.history(
                scheduleId: nil, provider: nil, kind: nil, limit: 10, offset: 0)
            #expect(events.map(\.kind) == ["plan_created"])
        }
    }

    @Test(arguments: StoreEngine.tested)
    func anUnverifiedPlannerCannotPlanProductionAndTheRefusalIsKept(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            await #expect(throws: ServiceError.self) {
                try await fixture.service.plan(
                    schedule: try ServiceFixture.example("schedule-checkout-production.json"), history: nil,
                    force: false,
                    context: ServiceFixture.context(Actor.unverified("p", groups: ["drill-planners"])))
            }
            let refusals = try await fixture.store.refusals(chain: "schedule:\(productionId)")
            #expect(refusals.count == 1)
            #expect(refusals[0].json["outcome"] == "denied")
            #expect(refusals[0].json["action"] == "plan")
            #expect(refusals[0].hashVerifies)
            #expect(try await fixture.store.plans(scheduleId: productionId).isEmpty)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func recordsChainPerRouteAndCarryTheDecisionAndItsRequest(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let target = RouteTarget(scheduleId: productionId, provider: "SLACK")
            let first = try await fixture.service.act(
                .acknowledge, on: target, context: ServiceFixture.context(ServiceFixture.commander))
            fixture.clock.advance(seconds: 30)
            let second = try await fixture.service.act(
                .resolve, on: target, expectedState: .acknowledged,
                context: ServiceFixture.context(ServiceFixture.commander, ref: "CHG-42"))
            #expect(first.sequence == 1)
            #expect(first.json["prev_hash"] == "")
            #expect(second.sequence == 2)
            #expect(second.json["prev_hash"]?.stringValue == first.hash)
            #expect(second.json["previous_state"] == "acknowledged")
            #expect(second.json["acknowledgement_state"] == "resolved")
            #expect(second.json["operator_input"]?["external_ref"] == "CHG-42")
            #expect(second.json["decision"]?["decision"] == "allow")
            #expect(second.json["decision"]?["obligations"] == ["external_ref"])
            #expect(second.json["decision"]?["request"]?["route"]?["state"] == "acknowledged")
            #expect(
                second.json["actor"] == [
                    "id": "ic@example.com", "verified": true, "issuer": "https://id", "subject": "ic1",
                ])
            #expect(first.hashVerifies && second.hashVerifies)
            let routeId = try #require(first.json["route_id"]?.stringValue)
            #expect(
                second.json["acknowledgement_id"]?.stringValue
                    == PlanIds.acknowledgementId(routeId: routeId, sequence: 2))
            let stored = try await fixture.store.records(routeId: routeId)
            #expect(stored == [first, second])
            let latest = try await fixture.store.latestRecords(routeIds: [routeId, "gordroute-none"])
            #expect(latest == [routeId: second])
            #expect(try await fixture.store.routeHead(routeId: routeId)?.sequence == 2)
            #expect(try await fixture.store.routeHead(routeId: "gordroute-none") == nil)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func conflictsComeBeforeThePolicy(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let visitor = ServiceFixture.context(Actor.unverified("visitor"))
            func code(_ target: RouteTarget, _ action: RouteAction, expected: RouteState? = nil) async -> String? {
                do {
                    _ = try await fixture.service.act(action, on: target, expectedState: expected, context: visitor)
                    return nil
                } catch {
                    return error.code
                }
            }
            #expect(await code(RouteTarget(scheduleId: "nope", provider: "slack"), .acknowledge) == "unknown_schedule")
            #expect(
                await code(RouteTarget(scheduleId: productionId, provider: "pager"), .acknowledge)
                    == "no_matching_route")
            #expect(
                await code(RouteTarget(scheduleId: productionId, provider: "webhook"), .acknowledge)
                    == "ambiguous_route")
            let suppressed = RouteTarget(scheduleId: productionId, provider: "webhook", owner: "release-governance")
            #expect(await code(suppressed, .acknowledge) == "route_suppressed")
            let slack = RouteTarget(scheduleId: productionId, provider: "slack", owner: "release-governance")
            #expect(await code(slack, .acknowledge, expected: .escalated) == "state_changed")
            // The visitor reaches the policy only for a legal transition, and is denied there.
            #expect(await code(slack, .acknowledge) == "forbidden")
            _ = try await fixture.service.act(
                .dismiss, on: slack, context: ServiceFixture.context(ServiceFixture.commander))
            #expect(await code(slack, .acknowledge) == "invalid_transition")
            let refusals = try await fixture.store.refusals(
                chain: "route:"
                    + PlanIds.routeId(
                        planId: try #require(try await fixture.store.plans(scheduleId: productionId).first?.planId),
                        owner: "release-governance", provider: "slack"))
            #expect(refusals.count == 1)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func anUnmetObligationIsRefusedAndLogged(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let target = RouteTarget(scheduleId: productionId, provider: "teams")
            do {
                _ = try await fixture.service.act(
                    .escalate, on: target, context: ServiceFixture.context(ServiceFixture.commander))
                Issue.record("an escalation of a critical route without a note was accepted")
            } catch let error as ServiceError {
                #expect(error.code == "missing_obligation")
                #expect(error.json["missing"] == ["note"])
                #expect(error.exitCode == 5)
            }
            let record = try await fixture.service.act(
                .escalate, on: target, context: ServiceFixture.context(ServiceFixture.commander, note: "paging ops"))
            #expect(record.sequence == 1)
            let refusals = try await fixture.store.refusals(
                chain: "route:\(record.json["route_id"]?.stringValue ?? "")")
            #expect(refusals.map { $0.json["outcome"] } == ["missing_obligation"])
        }
    }

    @Test(arguments: StoreEngine.tested)
    func bulkIsAllOrNothing(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let plan = try await fixture.planProduction().plan
            let delivered = plan.routes.filter { $0.category == .deliver }.map(\.routeId)
            let suppressed = try #require(plan.routes.first { $0.category != .deliver }?.routeId)
            let commander = ServiceFixture.context(ServiceFixture.commander)
            func entries(_ ids: [String]) -> [BulkEntry] {
                ids.map { BulkEntry(scheduleId: productionId, routeId: $0) }
            }
            do {
                _ = try await fixture.service.bulk(
                    to: .acknowledged, entries: entries(delivered + [suppressed]), context: commander)
                Issue.record("a bulk with a suppressed route was accepted")
            } catch let error as BulkRefusal {
                #expect(error.code == "route_suppressed")
            }
            for id in delivered { #expect(try await fixture.store.records(routeId: id).isEmpty) }
            do {
                _ = try await fixture.service.bulk(
                    to: .resolved, entries: entries(delivered),
                    context: ServiceFixture.context(ServiceFixture.commander, ref: "CHG-1"))
                Issue.record("a bulk resolve was accepted")
            } catch let error as BulkRefusal {
                #expect(error.code == "forbidden")
            }
            for id in delivered {
                #expect(try await fixture.store.refusals(chain: "route:\(id)").count == 1)
                #expect(try await fixture.store.records(routeId: id).isEmpty)
            }
            let records = try await fixture.service.bulk(
                to: .acknowledged, entries: entries(delivered), context: commander
            )
            .records
            #expect(records.count == 2)
            let bulkIds = Set(records.compactMap { $0.json["bulk_id"]?.stringValue })
            #expect(
                bulkIds == [
                    PlanIds.bulkId(
                        acknowledgementIds: records.compactMap { $0.json["acknowledgement_id"]?.stringValue })
                ])
            #expect(records.allSatisfy { $0.json["decision"]?["request"]?["context"]?["bulk_size"] == 2 })
        }
    }

    /// Many tasks race to acknowledge one route: exactly one wins, the others conflict, one record exists.
    @Test(arguments: StoreEngine.tested)
    func racingOnOneRouteLeavesOneRecord(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let target = RouteTarget(scheduleId: productionId, provider: "teams")
            let service = fixture.service
            let outcomes = await withTaskGroup(of: String.self) { group in
                for index in 0..<24 {
                    group.addTask {
                        let actor = Actor(
                            id: "ic\(index)@example.com", verified: true, issuer: "https://id", subject: "ic\(index)",
                            groups: ["incident-commanders"])
                        do {
                            _ = try await service.act(.acknowledge, on: target, context: ServiceFixture.context(actor))
                            return "ok"
                        } catch let error as ServiceError {
                            return error.code
                        } catch {
                            return "unexpected: \(error)"
                        }
                    }
                }
                var all: [String] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.filter { $0 == "ok" }.count == 1)
            #expect(outcomes.filter { $0 == "invalid_transition" }.count == 23)
            let plan = try #require(try await fixture.store.plans(scheduleId: productionId).first)
            let routeId = try #require(plan.routes.first { $0.provider == "teams" }?.routeId)
            #expect(try await fixture.store.records(routeId: routeId).count == 1)
        }
    }

    /// Refused attempts racing on one route chain one after another: contiguous sequences, each linked to the last.
    @Test(arguments: StoreEngine.tested)
    func racingRefusalsChainWithoutAGap(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let plan = try await fixture.planProduction().plan
            let routeId = try #require(plan.routes.first { $0.provider == "teams" }?.routeId)
            let target = RouteTarget(scheduleId: productionId, provider: "teams")
            let service = fixture.service
            let codes = await withTaskGroup(of: String.self) { group in
                for index in 0..<12 {
                    group.addTask {
                        do {
                            _ = try await service.act(
                                .acknowledge, on: target,
                                context: ServiceFixture.context(Actor.unverified("visitor\(index)")))
                            return "ok"
                        } catch let error as ServiceError {
                            return error.code
                        } catch {
                            return "unexpected: \(error)"
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(codes == Array(repeating: "forbidden", count: 12))
            let chain = try await fixture.store.refusals(chain: "route:\(routeId)")
            #expect(chain.map(\.sequence) == Array(1...12))
            #expect(chain.allSatisfy { $0.hashVerifies })
            for (previous, entry) in zip(chain, chain.dropFirst()) {
                #expect(entry.json["prev_hash"]?.stringValue == previous.hash)
            }
        }
    }

    /// The first plan of a schedule, asked for by many callers at once: one creates it, the others find it.
    @Test(arguments: StoreEngine.tested)
    func racingFirstPlansCreateOnePlan(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 { group.addTask { try await fixture.planProduction().created } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await fixture.store.plans(scheduleId: productionId).count == 1)
            let events = try await fixture.store.history(
                scheduleId: productionId, provider: nil, kind: nil, limit: 50, offset: 0)
            #expect(events.map(\.kind) == ["plan_created"])
        }
    }

    @Test(arguments: StoreEngine.tested)
    func aNewCycleSupersedesTheOldPlanAndItsRoutes(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let old = try await fixture.planProduction().plan
            var schedule = try ServiceFixture.example("schedule-checkout-production.json").objectValue!
            schedule["next_due_at"] = "2026-12-20T08:00:00Z"
            let outcome = try await fixture.service.plan(
                schedule: .object(schedule), history: nil, force: false,
                context: ServiceFixture.context(ServiceFixture.planner))
            #expect(outcome.created)
            let plans = try await fixture.store.plans(scheduleId: productionId)
            #expect(plans.count == 2)
            #expect(plans.first { $0.planId == old.planId }?.superseded == true)
            let oldRoute = try #require(old.routes.first { $0.category == .deliver })
            do {
                _ = try await fixture.service.act(
                    .acknowledge, on: RouteTarget(scheduleId: productionId, routeId: oldRoute.routeId),
                    context: ServiceFixture.context(ServiceFixture.commander))
                Issue.record("a route of a superseded plan was acknowledged")
            } catch let error as ServiceError {
                #expect(error.code == "route_superseded")
            }
            // Planning the old cycle again makes its plan current again: a revision.
            let back = try await fixture.planProduction()
            #expect(!back.created)
            #expect(back.plan.revision == 2)
            #expect(back.plan.superseded == false)
        }
    }

    /// A service names the route to lock from the plans it read before; when another process has planned a new
    /// cycle since, the route found inside the transaction wins and the action is on the new plan's route.
    @Test(arguments: StoreEngine.tested)
    func plansKnownFromAnEarlierCallGiveWayToANewerPlan(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let old = try await fixture.planProduction().plan
            let target = RouteTarget(scheduleId: productionId, provider: "teams")
            let context = ServiceFixture.context(ServiceFixture.commander)
            let first = try await fixture.service.act(.acknowledge, on: target, context: context)
            #expect(first.json["plan_id"]?.stringValue == old.planId)
            // Another process, with its own service on the same store, plans the next cycle.
            let source = try PolicySource.load(
                path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
            let policy = try #require(PolicyCompiler.compile(source).policy)
            let other = DrillService(
                store: fixture.store, policies: { PolicySet(enforced: policy) }, clock: { fixture.clock.now })
            var schedule = try ServiceFixture.example("schedule-checkout-production.json").objectValue!
            schedule["next_due_at"] = "2026-12-20T08:00:00Z"
            let newer = try await other.plan(
                schedule: .object(schedule), history: nil, force: false,
                context: ServiceFixture.context(ServiceFixture.planner))
            #expect(newer.created)
            // The same call as before now names the new plan's routes (two for this provider, neither deliverable
            // yet), as it does for a service that knew nothing before; never the old plan's route.
            for service in [fixture.service, other] {
                do {
                    _ = try await service.act(.acknowledge, on: target, context: context)
                    Issue.record("the action was taken on a route of the superseded plan")
                } catch let error as ServiceError {
                    #expect(error.code == "ambiguous_route")
                    guard case .conflict(_, _, _, let candidates) = error else {
                        Issue.record("not a conflict: \(error)")
                        continue
                    }
                    let ids = candidates.compactMap { $0["route_id"]?.stringValue }
                    #expect(ids.count == 2)
                    #expect(ids.allSatisfy { id in newer.plan.routes.contains { $0.routeId == id } })
                }
            }
        }
    }

    @Test(arguments: StoreEngine.tested)
    func theStoreRemembersOIDCAndRefusesANewerSchema(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            #expect(try await fixture.store.isOIDCStore() == false)
            try await fixture.store.markOIDCStore()
            let reopened = try await fixture.reopen()
            #expect(try await reopened.isOIDCStore())
            await DrillStores.close(reopened)
            try await fixture.pretendNewerSchema()
            do {
                let newer = try await fixture.reopen()
                await DrillStores.close(newer)
                Issue.record("a store with a newer schema was opened")
            } catch let error as StoreError {
                #expect(error.description.contains("has a newer schema than this cavra understands; upgrade cavra"))
            }
        }
    }
}

@Suite struct DrillServiceReadsTests {
    private let productionId = "go_backend_checkout_fallback_monthly"

    @Test(arguments: StoreEngine.tested)
    func answersAreKeptOnceAndExpireAfterADay(_ engine: StoreEngine) async throws {
        // Spelled out: every `try` here is inside `#expect`, where effect inference does not look.
        try await ServiceFixture.with(engine) { (fixture: ServiceFixture) async throws in
            let first = StoredAnswer(requestSHA256: "a", status: 200, body: ["n": 1])
            let second = StoredAnswer(requestSHA256: "b", status: 409, body: ["n": 2])
            #expect(try await fixture.service.keptAnswer(key: "k") == nil)
            #expect(try await fixture.service.keep(answer: first, key: "k") == first)
            // A racing second answer under the same key gets the first one back.
            #expect(try await fixture.service.keep(answer: second, key: "k") == first)
            #expect(try await fixture.service.keptAnswer(key: "k") == first)
            fixture.clock.advance(seconds: DrillService.answerLifetimeSeconds + 1)
            #expect(try await fixture.service.keptAnswer(key: "k") == nil)
            #expect(try await fixture.service.keep(answer: second, key: "k") == second)
        }
    }

    @Test(arguments: StoreEngine.tested)
    func escalationPlanDashboardAndHistory(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            // Both delivered routes wait; after 45 minutes the 30-minute slack route is breached, teams (60) is not.
            fixture.clock.advance(seconds: 45 * 60)
            _ = try await fixture.service.act(
                .acknowledge, on: RouteTarget(scheduleId: productionId, provider: "teams"),
                context: ServiceFixture.context(ServiceFixture.commander))
            let plan = try await fixture.service.escalationPlan()
            let actions = Dictionary(
                uniqueKeysWithValues: (plan["items"]?.arrayValue ?? []).map {
                    ($0["provider"]?.stringValue ?? "", $0["recommended_action"]?.stringValue ?? "")
                })
            #expect(actions == ["slack": "escalate_missed_drill_notification", "teams": "no_action"])
            let dashboard = try await fixture.service.dashboard()
            #expect(dashboard["routes"] == 6)
            #expect(dashboard["delivered"] == 2)
            #expect(dashboard["breached"] == 1)
            #expect(dashboard["outstanding"] == 1)
            #expect(dashboard["states"]?["acknowledged"] == 1)
            #expect(dashboard["oldest_outstanding_age_seconds"] == 2700)
            #expect(dashboard["latest_events"]?.arrayValue?.map { $0["kind"] } == ["acknowledgement", "plan_created"])
            let refusalsOnly = try await fixture.service.history(kind: "refusal")
            #expect(refusalsOnly.isEmpty)
            await #expect(throws: ServiceError.self) { try await fixture.service.history(kind: "nope") }
        }
    }
}
