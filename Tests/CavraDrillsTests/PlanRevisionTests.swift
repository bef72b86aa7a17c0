import CavraDrills
import CavraJSON
import CavraPolicy
import Testing

@Suite struct PlanRevisionTests {
    let now = drillTime("2026-11-29T12:00:00Z")

    func plan(_ schedule: Schedule, at time: Timestamp, force: Bool = false, existing: Plan?) -> PlanResult {
        Planner.plan(schedule: schedule, history: nil, now: time, force: force, existing: existing)
    }

    @Test func anUnchangedRevisionChangesNothing() throws {
        let schedule = try PlanningFixtures.productionSchedule()
        let history = try PlanningFixtures.productionHistory()
        let first = Planner.plan(schedule: schedule, history: history, now: now, force: false, existing: nil).plan
        for minutes: Int64 in [0, 5, 60] {
            let later = now.adding(seconds: minutes * 60)
            let again = Planner.plan(schedule: schedule, history: history, now: later, force: false, existing: first)
            #expect(!again.created)
            #expect(again.changes.isEmpty)
            #expect(again.plan == first)
        }
    }

    @Test func aDrillBecomingOverdueRaisesThePlan() throws {
        let schedule = try PlanningFixtures.schedule(dueAt: "2026-12-01T00:00:00Z")
        let first = plan(schedule, at: now, existing: nil).plan
        #expect(first.alertLevel == .warning)
        let later = drillTime("2026-12-01T00:00:00.001Z")
        let result = plan(schedule, at: later, existing: first)
        let revised = result.plan
        #expect(!result.created)
        #expect(revised.planId == first.planId)
        #expect(revised.routes.map(\.routeId) == first.routes.map(\.routeId))
        #expect(revised.revision == 2)
        #expect(revised.createdAt == now)
        #expect(revised.revisedAt == later)
        #expect(revised.alertLevel == .critical)
        #expect(revised.routes.allSatisfy { $0.severity == .critical && $0.deliveredAt == now })
        let firstRoute = first.routes[0].routeId
        #expect(
            result.changes.prefix(3) == [
                PlanChange(routeId: nil, field: "alert_level", from: "warning", to: "critical"),
                PlanChange(
                    routeId: firstRoute, field: "reason", from: "drill due 2026-12-01T00:00:00.000Z, within 14 days",
                    to: "drill overdue since 2026-12-01T00:00:00.000Z"),
                PlanChange(routeId: firstRoute, field: "severity", from: "warning", to: "critical"),
            ])
        #expect(result.changes.count == 1 + 2 * 4)
    }

    @Test func aWindowThatEndsTurnsItsRoutesToDeliver() throws {
        let schedule = try PlanningFixtures.schedule([
            "maintenance_windows": [
                ["start_at": "2026-11-29", "end_at": "2026-11-29T13:00:00Z", "owners": ["alpha"], "reason": "upgrade"]
            ]
        ])
        let first = plan(schedule, at: now, existing: nil).plan
        #expect(first.routes.map(\.category) == [.maintenanceWindow, .maintenanceWindow, .deliver, .deliver])
        #expect(first.routes.map(\.deliveredAt) == [nil, nil, now, now])
        let later = drillTime("2026-11-29T13:00:01Z")
        let result = plan(schedule, at: later, existing: first)
        #expect(result.plan.revision == 2)
        #expect(result.plan.routes.map(\.category) == [.deliver, .deliver, .deliver, .deliver])
        #expect(result.plan.routes.map(\.deliveredAt) == [later, later, now, now])
        let alphaSlack = first.routes[0].routeId
        #expect(
            result.changes.prefix(3) == [
                PlanChange(routeId: alphaSlack, field: "category", from: "maintenance_window", to: "deliver"),
                PlanChange(
                    routeId: alphaSlack, field: "reason", from: "upgrade",
                    to: "drill due 2026-12-01T00:00:00.000Z, within 14 days"),
                PlanChange(routeId: alphaSlack, field: "delivered_at", from: nil, to: "2026-11-29T13:00:01.000Z"),
            ])
        #expect(result.changes.count == 6)
    }

    @Test func deliveredAtNeverChangesOnceSet() throws {
        let windowed = try PlanningFixtures.schedule([
            "maintenance_windows": [["start_at": "2026-11-29T13:00:00Z", "end_at": "2026-11-29T14:00:00Z"]]
        ])
        let first = plan(windowed, at: now, existing: nil).plan
        let suppressed = plan(windowed, at: drillTime("2026-11-29T13:30:00Z"), existing: first).plan
        #expect(suppressed.routes.allSatisfy { $0.category == .maintenanceWindow && $0.deliveredAt == now })
        let delivered = plan(windowed, at: drillTime("2026-11-29T15:00:00Z"), existing: suppressed)
        #expect(delivered.plan.routes.allSatisfy { $0.category == .deliver && $0.deliveredAt == now })
        #expect(!delivered.changes.contains { $0.field == "delivered_at" })
        #expect(delivered.plan.revision == 3)
    }

    @Test func aRouteNoLongerAskedForIsRemovedAndRestoredLater() throws {
        let both = try PlanningFixtures.schedule()
        let first = plan(both, at: now, existing: nil).plan
        let betaIds = first.routes.suffix(2).map(\.routeId)

        let alphaOnly = try PlanningFixtures.schedule(["owners": ["alpha"]])
        let removedAt = now.adding(seconds: 600)
        let removal = plan(alphaOnly, at: removedAt, existing: first)
        #expect(removal.plan.revision == 2)
        #expect(removal.plan.routes.count == 4)
        #expect(removal.plan.routes.map(\.removed) == [false, false, true, true])
        #expect(removal.plan.routes.suffix(2).allSatisfy { $0.category == .deliver && $0.deliveredAt == now })
        #expect(
            removal.changes == betaIds.map { PlanChange(routeId: $0, field: "removed", from: false, to: true) })
        #expect(plan(alphaOnly, at: removedAt.adding(seconds: 60), existing: removal.plan).changes.isEmpty)

        let restoredAt = now.adding(seconds: 1200)
        let restore = plan(both, at: restoredAt, existing: removal.plan)
        #expect(restore.plan.revision == 3)
        #expect(restore.plan.routes.map(\.removed) == [false, false, false, false])
        #expect(restore.plan.routes.map(\.deliveredAt) == [now, now, now, now])
        #expect(restore.changes == betaIds.map { PlanChange(routeId: $0, field: "removed", from: true, to: false) })
        #expect(restore.plan.routes == first.routes)
    }

    @Test func aNewRouteIsAddedAtTheEnd() throws {
        let first = plan(try PlanningFixtures.schedule(), at: now, existing: nil).plan
        let wider = try PlanningFixtures.schedule(["owners": ["gamma", "alpha", "beta"]])
        let later = now.adding(seconds: 60)
        let result = plan(wider, at: later, existing: first)
        #expect(result.plan.routes.prefix(4) == first.routes[...])
        #expect(result.plan.routes.suffix(2).map { "\($0.owner)/\($0.provider)" } == ["gamma/slack", "gamma/teams"])
        #expect(result.plan.routes.suffix(2).allSatisfy { $0.deliveredAt == later && !$0.removed })
        let added = result.plan.routes[4]
        #expect(result.changes.first == PlanChange(routeId: added.routeId, field: "route", from: nil, to: added.json()))
        #expect(result.changes.count == 2)
    }

    @Test func recomputedFieldsFollowTheSchedule() throws {
        let first = plan(try PlanningFixtures.schedule(), at: now, existing: nil).plan
        let edited = try PlanningFixtures.schedule([
            "owner_routes": ["alpha": ["ack_minutes": 10, "escalation_owner": "lead"]],
            "environment": "production", "service": "checkout", "tags": ["tier-1"],
        ])
        let result = plan(edited, at: now, existing: first)
        let alphaSlack = first.routes[0].routeId
        #expect(
            result.changes.filter { $0.routeId == alphaSlack } == [
                PlanChange(routeId: alphaSlack, field: "escalation_owner", from: "alpha", to: "lead"),
                PlanChange(routeId: alphaSlack, field: "environment", from: "", to: "production"),
                PlanChange(routeId: alphaSlack, field: "service", from: "", to: "checkout"),
                PlanChange(routeId: alphaSlack, field: "tags", from: [], to: ["tier-1"]),
                PlanChange(routeId: alphaSlack, field: "slo_seconds", from: 3600, to: 600),
            ])
        #expect(result.plan.routes[0].sloSeconds == 600)
        #expect(result.plan.routes[3].escalationOwner == "beta")
        #expect(result.plan.routes[3].tags == ["tier-1"])
        #expect(result.plan.revision == 2)
    }

    @Test func forceIsStickyForTheCycle() throws {
        let healthy = try PlanningFixtures.schedule(dueAt: "2027-03-01T00:00:00Z")
        let forced = plan(healthy, at: now, force: true, existing: nil).plan
        #expect(forced.forced)
        let again = plan(healthy, at: now.adding(seconds: 300), existing: forced)
        #expect(again.changes.isEmpty)
        #expect(again.plan.forced)
        #expect(again.plan.routes.allSatisfy { $0.category == .deliver })

        let unforced = plan(healthy, at: now, existing: nil).plan
        let later = now.adding(seconds: 60)
        let forcing = plan(healthy, at: later, force: true, existing: unforced)
        #expect(forcing.plan.forced)
        #expect(forcing.plan.revision == 2)
        #expect(forcing.changes.first == PlanChange(routeId: nil, field: "forced", from: false, to: true))
        #expect(forcing.plan.routes.allSatisfy { $0.category == .deliver && $0.deliveredAt == later })
        #expect(plan(healthy, at: later.adding(seconds: 60), existing: forcing.plan).changes.isEmpty)
    }

    /// Making a superseded plan current again is the caller's: it also supersedes the current one.
    @Test func supersessionIsLeftToTheCaller() throws {
        let schedule = try PlanningFixtures.schedule()
        var stored = plan(schedule, at: now, existing: nil).plan
        stored.superseded = true
        let result = plan(schedule, at: now.adding(seconds: 60), existing: stored)
        #expect(result.plan == stored)
        #expect(result.changes.isEmpty)
    }

    @Test func changesAsJSON() {
        #expect(
            PlanChange(routeId: "gordroute-1", field: "category", from: "deliver", to: "owner_calendar").json
                .canonicalString
                == #"{"field":"category","from":"deliver","route_id":"gordroute-1","to":"owner_calendar"}"#)
        #expect(
            PlanChange(routeId: nil, field: "alert_level", from: "warning", to: "critical").json.serialized()
                == #"{"field":"alert_level","from":"warning","to":"critical"}"#)
    }
}
