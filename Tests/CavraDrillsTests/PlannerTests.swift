import CavraDrills
import CavraJSON
import CavraPolicy
import Testing

@Suite struct PlannerTests {
    let now = drillTime("2026-11-29T12:00:00Z")

    /// The plan of the examples README, route by route.
    @Test func theProductionExamplePlan() throws {
        let schedule = try PlanningFixtures.productionSchedule()
        let history = try PlanningFixtures.productionHistory()
        let result = Planner.plan(schedule: schedule, history: history, now: now, force: false, existing: nil)
        let plan = result.plan
        #expect(result.created)
        #expect(result.changes.isEmpty)
        #expect(plan.scheduleId == "go_backend_checkout_fallback_monthly")
        #expect(plan.nextDue?.description == "2026-11-11T08:05:00.000Z")
        #expect(plan.cycle == "2026-11-11T08:05:00.000Z")
        #expect(Planner.cycle(for: schedule, history: history) == plan.cycle)
        #expect(plan.alertLevel == .critical)
        #expect(plan.revision == 1)
        #expect(plan.createdAt == now)
        #expect(plan.revisedAt == now)
        #expect(!plan.superseded)
        #expect(!plan.forced)

        let overdue = "drill overdue since 2026-11-11T08:05:00.000Z"
        let expected: [(String, String, RouteCategory, String, Int64, String)] = [
            ("release-governance", "slack", .deliver, overdue, 1800, "platform-lead"),
            ("release-governance", "webhook", .maintenanceWindow, "webhook gateway migration", 1800, "platform-lead"),
            ("platform-operations", "teams", .deliver, overdue, 3600, "ops-director"),
            ("payments-sre", "slack", .ownerCalendar, "regional holiday", 3600, "payments-sre"),
            ("payments-sre", "teams", .ownerCalendar, "regional holiday", 3600, "payments-sre"),
            ("payments-sre", "webhook", .ownerCalendar, "regional holiday", 3600, "payments-sre"),
        ]
        #expect(plan.routes.count == expected.count)
        for (route, (owner, provider, category, reason, slo, escalationOwner)) in zip(plan.routes, expected) {
            #expect(route.owner == owner)
            #expect(route.provider == provider)
            #expect(route.category == category, "\(owner) → \(provider)")
            #expect(route.reason == reason, "\(owner) → \(provider)")
            #expect(route.sloSeconds == slo, "\(owner) → \(provider)")
            #expect(route.escalationOwner == escalationOwner, "\(owner) → \(provider)")
            #expect(route.severity == .critical)
            #expect(route.environment == "production")
            #expect(route.service == "checkout-api")
            #expect(route.tags == ["tier-1", "payments"])
            #expect(route.deliveredAt == (category == .deliver ? now : nil))
            #expect(!route.removed)
            #expect(route.planId == plan.planId)
            #expect(route.scheduleId == plan.scheduleId)
            #expect(route.routeId == PlanIds.routeId(planId: plan.planId, owner: owner, provider: provider))
        }
    }

    @Test func theRoutingRulesListExamplePlan() throws {
        let schedule = try Schedule.parse(PlanningFixtures.json("schedule-routing-rules-list.json"))
        let plan = Planner.plan(schedule: schedule, history: nil, now: now, force: false, existing: nil).plan
        #expect(plan.alertLevel == .critical)
        #expect(plan.cycle == "2026-11-20T12:00:00.000Z")
        let routes = plan.routes.map {
            "\($0.owner)/\($0.provider)/\($0.sloSeconds)/\($0.escalationOwner)/\($0.category)"
        }
        #expect(
            routes == [
                "search-oncall/slack/900/search-lead/deliver",
                "release-governance/slack/2700/release-governance/deliver",
                "release-governance/email/2700/release-governance/deliver",
            ])
        #expect(plan.routes.allSatisfy { $0.environment == "staging" && $0.service == "search" && $0.tags == [] })
    }

    // MARK: due date and alert level

    @Test func nextDueIsTheScheduleDateElseTheLatestDrillPlusTheInterval() throws {
        let history = try PlanningFixtures.history(PlanningFixtures.drillJSON(executedAt: "2026-11-20T06:00:00Z"))
        let withDate = try PlanningFixtures.schedule(dueAt: "2027-01-01T00:00:00Z")
        #expect(Planner.nextDue(schedule: withDate, history: history) == drillTime("2027-01-01T00:00:00Z"))
        let withoutDate = try PlanningFixtures.schedule(dueAt: nil, ["interval_days": 14])
        #expect(Planner.nextDue(schedule: withoutDate, history: history) == drillTime("2026-12-04T06:00:00Z"))
        #expect(Planner.nextDue(schedule: withoutDate, history: nil) == nil)
    }

    @Test(arguments: [
        ("2026-11-29T11:59:59.999Z", Severity.critical),
        ("2026-11-29T12:00:00Z", .warning),
        ("2026-12-13T12:00:00Z", .warning),
        ("2026-12-13T12:00:00.001Z", .healthy),
        ("2027-06-01T00:00:00Z", .healthy),
    ])
    func alertLevelFromTheDueDate(_ due: String, _ level: Severity) throws {
        let schedule = try PlanningFixtures.schedule(dueAt: due)
        #expect(Planner.alertLevel(schedule: schedule, history: nil, now: now) == level)
        let history = try PlanningFixtures.history(PlanningFixtures.drillJSON())
        #expect(Planner.alertLevel(schedule: schedule, history: history, now: now) == level)
    }

    @Test func withoutADueDateOrAHistoryThePlanIsCritical() throws {
        let schedule = try PlanningFixtures.schedule(dueAt: nil)
        #expect(Planner.alertLevel(schedule: schedule, history: nil, now: now) == .critical)
        #expect(Planner.cycle(for: schedule, history: nil) == "unknown")
        let plan = Planner.plan(schedule: schedule, history: nil, now: now, force: false, existing: nil).plan
        #expect(plan.cycle == "unknown")
        #expect(plan.nextDue == nil)
        #expect(plan.planId == PlanIds.planId(scheduleId: "s1", cycle: "unknown"))
        #expect(plan.routes.allSatisfy { $0.category == .deliver })
        #expect(plan.routes[0].reason == "drill due date unknown: no next_due_at and no drill history")
    }

    @Test func anInvalidLatestDrillIsCriticalEvenWhenNotDue() throws {
        let schedule = try PlanningFixtures.schedule(dueAt: nil)
        let history = try PlanningFixtures.history(
            PlanningFixtures.drillJSON(executedAt: "2026-11-01T00:00:00Z"),
            PlanningFixtures.drillJSON(executedAt: "2026-11-20T00:00:00Z", ["drill_id": "d2", "target_mode": "go"]))
        #expect(Planner.nextDue(schedule: schedule, history: history) == drillTime("2026-12-20T00:00:00Z"))
        #expect(Planner.alertLevel(schedule: schedule, history: history, now: now) == .critical)
        let plan = Planner.plan(schedule: schedule, history: history, now: now, force: false, existing: nil).plan
        #expect(plan.routes[0].reason == "latest drill `d2` does not count: target_mode is `go`, not `disabled`")
        let valid = try PlanningFixtures.history(PlanningFixtures.drillJSON(executedAt: "2026-11-20T00:00:00Z"))
        #expect(Planner.alertLevel(schedule: schedule, history: valid, now: now) == .healthy)
    }

    // MARK: categories

    @Test func aHealthyPlanSuppressesEveryRouteUnlessForced() throws {
        let schedule = try PlanningFixtures.schedule(dueAt: "2027-03-01T00:00:00Z")
        let healthy = Planner.plan(schedule: schedule, history: nil, now: now, force: false, existing: nil).plan
        #expect(healthy.alertLevel == .healthy)
        #expect(healthy.routes.count == 4)
        #expect(healthy.routes.allSatisfy { $0.category == .healthySchedule && $0.deliveredAt == nil })
        #expect(healthy.routes[0].reason == "schedule healthy: drill due 2027-03-01T00:00:00.000Z")
        #expect(healthy.routes.allSatisfy { $0.severity == .healthy })

        let forced = Planner.plan(schedule: schedule, history: nil, now: now, force: true, existing: nil).plan
        #expect(forced.forced)
        #expect(forced.routes.allSatisfy { $0.category == .deliver && $0.deliveredAt == now })
        #expect(forced.routes[0].reason == "delivered on request (force): drill due 2027-03-01T00:00:00.000Z")
    }

    @Test func warningPlansDeliver() throws {
        let schedule = try PlanningFixtures.schedule(dueAt: "2026-12-05T00:00:00Z")
        let plan = Planner.plan(schedule: schedule, history: nil, now: now, force: false, existing: nil).plan
        #expect(plan.alertLevel == .warning)
        #expect(plan.routes.allSatisfy { $0.category == .deliver && $0.severity == .warning })
        #expect(plan.routes[0].reason == "drill due 2026-12-05T00:00:00.000Z, within 14 days")
    }

    @Test func forceDoesNotOverrideAMaintenanceWindowOrACalendar() throws {
        let schedule = try PlanningFixtures.schedule(
            dueAt: "2027-03-01T00:00:00Z",
            [
                "maintenance_windows": [
                    ["start_at": "2026-11-29", "end_at": "2026-11-30", "providers": ["slack"], "reason": "freeze"]
                ],
                "owner_calendars": ["beta": ["available": false, "reason": "on leave"]],
            ])
        let plan = Planner.plan(schedule: schedule, history: nil, now: now, force: true, existing: nil).plan
        #expect(
            plan.routes.map { "\($0.owner)/\($0.provider) \($0.category.rawValue) \($0.reason)" } == [
                "alpha/slack maintenance_window freeze",
                "alpha/teams deliver delivered on request (force): drill due 2027-03-01T00:00:00.000Z",
                "beta/slack maintenance_window freeze",
                "beta/teams owner_calendar on leave",
            ])
    }

    func categories(_ members: [String: JSON], at time: Timestamp? = nil) throws -> [String] {
        let schedule = try PlanningFixtures.schedule(members)
        let plan = Planner.plan(schedule: schedule, history: nil, now: time ?? now, force: false, existing: nil).plan
        return plan.routes.map { "\($0.owner)/\($0.provider) \($0.category.rawValue) \($0.reason)" }
    }

    @Test func windowMatchersAreCaseInsensitiveAndAllMustMatch() throws {
        let window: JSON = [
            "window_id": "mw", "start_at": "2026-11-29T00:00:00Z", "end_at": "2026-11-30T00:00:00Z", "reason": "r",
            "schedule_ids": ["OTHER", "S1"], "providers": ["Teams"], "owners": ["ALPHA"],
        ]
        #expect(
            try categories(["maintenance_windows": [window]]) == [
                "alpha/slack deliver drill due 2026-12-01T00:00:00.000Z, within 14 days",
                "alpha/teams maintenance_window r",
                "beta/slack deliver drill due 2026-12-01T00:00:00.000Z, within 14 days",
                "beta/teams deliver drill due 2026-12-01T00:00:00.000Z, within 14 days",
            ])
        let otherSchedule: JSON = [
            "start_at": "2026-11-29T00:00:00Z", "end_at": "2026-11-30T00:00:00Z", "schedule_ids": ["s2"],
        ]
        #expect(try categories(["maintenance_windows": [otherSchedule]]).allSatisfy { $0.contains(" deliver ") })
    }

    @Test func theFirstMatchingWindowWins() throws {
        let windows: JSON = [
            ["start_at": "2026-11-01", "end_at": "2026-11-02", "reason": "over"],
            ["start_at": "2026-11-29", "end_at": "2026-11-30", "owners": ["beta"], "reason": "beta only"],
            ["start_at": "2026-11-29", "end_at": "2026-11-30", "reason": "everyone"],
            ["start_at": "2026-11-29", "end_at": "2026-11-30", "owners": ["alpha"], "reason": "too late"],
        ]
        #expect(
            try categories(["maintenance_windows": windows]) == [
                "alpha/slack maintenance_window everyone", "alpha/teams maintenance_window everyone",
                "beta/slack maintenance_window beta only", "beta/teams maintenance_window beta only",
            ])
    }

    @Test func aWindowAppliesFromItsStartToItsEndInclusive() throws {
        let windows: JSON = [
            ["window_id": "mw-9", "start_at": "2026-11-29T12:00:00Z", "end_at": "2026-11-29T13:00:00Z"]
        ]
        for time in ["2026-11-29T12:00:00Z", "2026-11-29T13:00:00Z"] {
            let result = try categories(["maintenance_windows": windows], at: drillTime(time))
            #expect(result.allSatisfy { $0.hasSuffix("maintenance_window maintenance window `mw-9`") }, "\(time)")
        }
        for time in ["2026-11-29T11:59:59.999Z", "2026-11-29T13:00:00.001Z"] {
            let result = try categories(["maintenance_windows": windows], at: drillTime(time))
            #expect(result.allSatisfy { $0.contains(" deliver ") }, "\(time)")
        }
        let anonymous: JSON = [["start_at": "2026-11-29", "end_at": "2026-11-30"]]
        #expect(
            try categories(["maintenance_windows": anonymous])[0] == "alpha/slack maintenance_window maintenance window"
        )
    }

    @Test func ownerCalendars() throws {
        #expect(
            try categories(["owner_calendars": ["alpha": ["available": false, "reason": "parental leave"]]]).prefix(2)
                == [
                    "alpha/slack owner_calendar parental leave", "alpha/teams owner_calendar parental leave",
                ])
        #expect(
            try categories(["owner_calendars": ["beta": ["available": false]]])[2]
                == "beta/slack owner_calendar owner `beta` unavailable")
        let windows: JSON = [
            "alpha": [
                "reason": "travel",
                "unavailable_windows": [
                    ["start_at": "2026-11-01", "end_at": "2026-11-05", "reason": "past"],
                    ["start_at": "2026-11-29T12:00:00", "end_at": "2026-11-29T18:00:00+02:00"],
                ],
            ],
            "beta": [
                "available": true,
                "blackout_windows": [["start_at": "2026-11-30", "end_at": "2026-12-02", "reason": "later"]],
            ],
        ]
        let result = try categories(["owner_calendars": windows])
        #expect(result[0] == "alpha/slack owner_calendar travel")
        #expect(result[2].contains(" deliver "))
        #expect(
            try categories(["owner_calendars": windows], at: drillTime("2026-11-29T16:00:00.001Z"))[0].contains(
                " deliver "))
    }

    @Test func aMaintenanceWindowComesBeforeACalendar() throws {
        let members: [String: JSON] = [
            "maintenance_windows": [["start_at": "2026-11-29", "end_at": "2026-11-30", "reason": "freeze"]],
            "owner_calendars": ["alpha": ["available": false, "reason": "away"]],
        ]
        #expect(try categories(members)[0] == "alpha/slack maintenance_window freeze")
    }

    @Test func sloAndEscalationOwnerDefaults() throws {
        let schedule = try PlanningFixtures.schedule([
            "owner_routes": ["alpha": ["providers": "pager", "ack_minutes": 5], "beta": ["escalation_owner": "boss"]]
        ])
        let plan = Planner.plan(schedule: schedule, history: nil, now: now, force: false, existing: nil).plan
        #expect(
            plan.routes.map { "\($0.owner)/\($0.provider) \($0.sloSeconds) \($0.escalationOwner)" } == [
                "alpha/pager 300 alpha", "beta/slack 3600 boss", "beta/teams 3600 boss",
            ])
    }
}
