import CavraDrills
import CavraJSON
import CavraPolicy
import Testing

/// Age, breach and the JSON of routes and plans.
@Suite struct RouteDerivedValuesTests {
    let deliveredAt = drillTime("2026-11-29T12:00:00Z")

    func route(category: RouteCategory = .deliver, delivered: Timestamp?, slo: Int64 = 1800, removed: Bool = false)
        -> Route
    {
        Route(
            routeId: "gordroute-1", planId: "gordplan-1", scheduleId: "s1", owner: "alpha", provider: "slack",
            escalationOwner: "lead", category: category, reason: "r", environment: "production", service: "api",
            tags: ["t"], severity: .critical, sloSeconds: slo, deliveredAt: delivered, removed: removed)
    }

    @Test func ageIsWholeSecondsSinceDelivery() {
        let delivered = route(delivered: deliveredAt)
        #expect(Planner.ageSeconds(route: delivered, now: deliveredAt) == 0)
        #expect(Planner.ageSeconds(route: delivered, now: deliveredAt.adding(seconds: 90)) == 90)
        #expect(
            Planner.ageSeconds(route: delivered, now: Timestamp(milliseconds: deliveredAt.milliseconds + 1999)) == 1)
        #expect(Planner.ageSeconds(route: delivered, now: deliveredAt.adding(seconds: -30)) == 0)
        #expect(Planner.ageSeconds(route: route(delivered: nil), now: deliveredAt.adding(seconds: 9000)) == 0)
    }

    @Test func breachedWhenTheAgeReachesTheSLO() {
        let delivered = route(delivered: deliveredAt)
        let atSLO = deliveredAt.adding(seconds: 1800)
        let justBefore = Timestamp(milliseconds: atSLO.milliseconds - 1)
        #expect(Planner.isBreached(route: delivered, state: .outstanding, current: true, now: atSLO))
        #expect(!Planner.isBreached(route: delivered, state: .outstanding, current: true, now: justBefore))
        #expect(
            Planner.isBreached(route: delivered, state: .outstanding, current: true, now: atSLO.adding(seconds: 9999)))
    }

    @Test func nothingElseIsEverBreached() {
        let late = deliveredAt.adding(seconds: 86_400)
        #expect(
            !Planner.isBreached(route: route(delivered: deliveredAt), state: .outstanding, current: false, now: late))
        for state in RouteState.allCases where state != .outstanding {
            #expect(!Planner.isBreached(route: route(delivered: deliveredAt), state: state, current: true, now: late))
        }
        for category in RouteCategory.allCases where category != .deliver {
            #expect(
                !Planner.isBreached(
                    route: route(category: category, delivered: deliveredAt), state: .outstanding, current: true,
                    now: late))
        }
        #expect(
            !Planner.isBreached(
                route: route(delivered: deliveredAt, removed: true), state: .outstanding, current: true, now: late))
        #expect(!Planner.isBreached(route: route(delivered: nil), state: .outstanding, current: true, now: late))
    }

    @Test func routeJSON() {
        let json = route(delivered: deliveredAt).json(state: .outstanding, age: 1800, breached: true)
        #expect(
            json.serialized()
                == #"{"route_id":"gordroute-1","plan_id":"gordplan-1","schedule_id":"s1","owner":"alpha","#
                + #""provider":"slack","escalation_owner":"lead","category":"deliver","reason":"r","#
                + #""environment":"production","service":"api","tags":["t"],"severity":"critical","slo_seconds":1800,"#
                + #""delivered_at":"2026-11-29T12:00:00.000Z","removed":false,"state":"outstanding","#
                + #""age_seconds":1800,"breached":true}"#)
        let bare = route(category: .ownerCalendar, delivered: nil).json()
        #expect(bare["delivered_at"] == .null)
        #expect(bare["state"] == nil)
        #expect(bare["age_seconds"] == nil)
        #expect(bare["breached"] == nil)
        #expect(bare.objectValue?.count == 15)
    }

    @Test func planJSON() throws {
        let plan = Planner.plan(
            schedule: try PlanningFixtures.productionSchedule(), history: try PlanningFixtures.productionHistory(),
            now: drillTime("2026-11-29T12:00:00Z"), force: false, existing: nil
        ).plan
        let json = plan.json
        #expect(
            json.objectValue?.keys == [
                "plan_id", "schedule_id", "cycle", "revision", "created_at", "revised_at", "alert_level", "next_due",
                "superseded", "routes",
            ])
        #expect(json["cycle"] == "2026-11-11T08:05:00.000Z")
        #expect(json["next_due"] == "2026-11-11T08:05:00.000Z")
        #expect(json["created_at"] == "2026-11-29T12:00:00.000Z")
        #expect(json["revised_at"] == "2026-11-29T12:00:00.000Z")
        #expect(json["revision"] == 1)
        #expect(json["alert_level"] == "critical")
        #expect(json["superseded"] == false)
        #expect(json["routes"]?.arrayValue?.count == 6)
        #expect(json["routes"]?.arrayValue?[1]["category"] == "maintenance_window")
        #expect(json["routes"]?.arrayValue?[1]["delivered_at"] == .null)

        let unknown = Planner.plan(
            schedule: try PlanningFixtures.schedule(dueAt: nil), history: nil, now: drillTime("2026-11-29T12:00:00Z"),
            force: false, existing: nil
        ).plan
        #expect(unknown.json["next_due"] == .null)
        #expect(unknown.json["cycle"] == "unknown")
    }
}
