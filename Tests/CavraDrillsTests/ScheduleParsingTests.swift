import CavraDrills
import CavraJSON
import Testing

@Suite struct ScheduleParsingTests {
    @Test func readsTheProductionExample() throws {
        let schedule = try PlanningFixtures.productionSchedule()
        #expect(schedule.scheduleId == "go_backend_checkout_fallback_monthly")
        #expect(schedule.environment == "production")
        #expect(schedule.service == "checkout-api")
        #expect(schedule.tags == ["tier-1", "payments"])
        #expect(schedule.intervalDays == 30)
        #expect(schedule.nextDueAt == nil)
        #expect(schedule.owners == ["release-governance", "platform-operations", "payments-sre"])
        #expect(schedule.notificationProviders == ["slack", "teams", "webhook"])
        #expect(schedule.runbookRef == "RB-ROLLBACK-CHECKOUT-7")
        #expect(
            schedule.ownerRoutes["release-governance"]
                == .init(providers: ["slack", "webhook"], acknowledgementMinutes: 30, escalationOwner: "platform-lead"))
        #expect(
            schedule.ownerRoutes["platform-operations"]
                == .init(providers: ["teams"], acknowledgementMinutes: 60, escalationOwner: "ops-director"))
        #expect(schedule.ownerRoutes["payments-sre"] == nil)
        #expect(schedule.providers(for: "payments-sre") == ["slack", "teams", "webhook"])
        let window = try #require(schedule.maintenanceWindows.first)
        #expect(window.windowId == "mw-webhook-migration")
        #expect(window.startAt == drillTime("2026-11-28T22:00:00Z"))
        #expect(window.endAt == drillTime("2026-11-30T06:00:00Z"))
        #expect(window.reason == "webhook gateway migration")
        #expect(window.providers == ["WEBHOOK"])
        #expect(window.owners == ["release-governance"])
        #expect(window.scheduleIds == [])
        let calendar = try #require(schedule.ownerCalendars["payments-sre"])
        #expect(calendar.available)
        #expect(
            calendar.unavailableWindows == [
                .init(
                    startAt: drillTime("2026-11-27T00:00:00Z"), endAt: drillTime("2026-12-01T00:00:00Z"),
                    reason: "regional holiday")
            ])
    }

    @Test func readsTheRoutingRulesListExample() throws {
        let schedule = try Schedule.parse(PlanningFixtures.json("schedule-routing-rules-list.json"))
        #expect(schedule.nextDueAt == drillTime("2026-11-20T12:00:00Z"))
        #expect(schedule.tags == [])
        #expect(
            schedule.ownerRoutes["search-oncall"]
                == .init(providers: ["slack"], acknowledgementMinutes: 15, escalationOwner: "search-lead"))
        #expect(
            schedule.ownerRoutes["release-governance"]
                == .init(providers: nil, acknowledgementMinutes: 45, escalationOwner: nil))
    }

    /// Every alias of architecture.md §10 reads as its canonical name.
    @Test func aliasesReadAsTheirCanonicalNames() throws {
        let canonical = try PlanningFixtures.schedule([
            "notification_providers": ["slack"],
            "owner_routes": [
                "alpha": ["providers": ["teams"], "acknowledgement_minutes": 20, "escalation_owner": "lead"]
            ],
            "maintenance_windows": [
                [
                    "window_id": "mw-1", "start_at": "2026-11-01T00:00:00Z", "end_at": "2026-11-02T00:00:00Z",
                    "reason": "upgrade",
                ]
            ],
            "owner_calendars": [
                "beta": [
                    "unavailable_windows": [
                        ["start_at": "2026-11-03T00:00:00Z", "end_at": "2026-11-04T00:00:00Z", "reason": "leave"]
                    ]
                ]
            ],
        ])
        let aliased = try PlanningFixtures.schedule([
            "notification_providers": "slack",
            "routing_rules": ["alpha": ["notification_providers": "teams", "ack_minutes": 20, "manager": "lead"]],
            "suppression_windows": [
                [
                    "id": "mw-1", "starts_at": "2026-11-01T00:00:00Z", "ends_at": "2026-11-02T00:00:00Z",
                    "description": "upgrade",
                ]
            ],
            "calendars": [
                "beta": [
                    "blackout_windows": [
                        [
                            "starts_at": "2026-11-03T00:00:00Z", "ends_at": "2026-11-04T00:00:00Z",
                            "description": "leave",
                        ]
                    ]
                ]
            ],
        ])
        #expect(aliased == canonical)
        #expect(canonical.ownerRoutes["alpha"]?.escalationOwner == "lead")
        #expect(canonical.maintenanceWindows.count == 1)
        #expect(canonical.ownerCalendars["beta"]?.unavailableWindows.count == 1)
    }

    @Test func theCanonicalNameWinsOverItsAlias() throws {
        let schedule = try PlanningFixtures.schedule([
            "owner_routes": [
                "alpha": ["ack_minutes": 5, "acknowledgement_minutes": 10, "escalation_owner": "e", "manager": "m"]
            ],
            "routing_rules": ["beta": ["ack_minutes": 7]],
        ])
        #expect(
            schedule.ownerRoutes == ["alpha": .init(providers: nil, acknowledgementMinutes: 10, escalationOwner: "e")])
    }

    @Test func optionalFieldsDefaultAndUnknownFieldsAreIgnored() throws {
        let schedule = try PlanningFixtures.schedule(
            dueAt: nil,
            [
                "x_reference_extra": ["anything": [1, 2]], "next_due_at": .null, "environment": .null,
            ])
        #expect(schedule.environment == "")
        #expect(schedule.service == "")
        #expect(schedule.tags == [])
        #expect(schedule.nextDueAt == nil)
        #expect(schedule.ownerRoutes.isEmpty)
        #expect(schedule.maintenanceWindows.isEmpty)
        #expect(schedule.ownerCalendars.isEmpty)
    }

    @Test func routingRulesListMergesInOrder() throws {
        let schedule = try PlanningFixtures.schedule([
            "owners": ["alpha", "beta", "gamma"],
            "routing_rules": [
                ["owners": [], "acknowledgement_minutes": 45, "providers": ["slack"]],
                ["owners": ["alpha"], "acknowledgement_minutes": 15, "escalation_owner": "first"],
                ["owners": ["alpha"], "manager": "second", "providers": "teams"],
                ["owners": ["beta", "nobody"], "manager": "m"],
                ["acknowledgement_minutes": 50, "owners": ["gamma"]],
                ["ack_minutes": 5],
            ],
        ])
        #expect(
            schedule.ownerRoutes["alpha"]
                == .init(providers: ["teams"], acknowledgementMinutes: 5, escalationOwner: "second"))
        #expect(
            schedule.ownerRoutes["beta"] == .init(providers: ["slack"], acknowledgementMinutes: 5, escalationOwner: "m")
        )
        #expect(
            schedule.ownerRoutes["gamma"]
                == .init(providers: ["slack"], acknowledgementMinutes: 5, escalationOwner: nil))
        // A rule may name owners the schedule does not have; they get no route.
        #expect(schedule.ownerRoutes["nobody"]?.escalationOwner == "m")
        #expect(!schedule.owners.contains("nobody"))
    }

    @Test func aStringIsAOneItemProviderList() throws {
        let schedule = try PlanningFixtures.schedule([
            "notification_providers": "pager",
            "maintenance_windows": [
                ["start_at": "2026-11-01T00:00:00Z", "end_at": "2026-11-02T00:00:00Z", "providers": "SLACK"]
            ],
        ])
        #expect(schedule.notificationProviders == ["pager"])
        #expect(schedule.maintenanceWindows[0].providers == ["SLACK"])
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var members: [String: JSON]
        var field: String
        var message: String
        var testDescription: String { "\(field): \(message)" }

        init(_ members: [String: JSON], _ field: String, _ message: String) {
            self.members = members
            self.field = field
            self.message = message
        }
    }

    static let window: JSON = ["start_at": "2026-11-01T00:00:00Z", "end_at": "2026-11-02T00:00:00Z"]

    @Test(arguments: [
        Refusal(["schema_version": .null], "schema_version", "required"),
        Refusal(
            ["schema_version": "cavra.go-backend-rollback-drill-schedule.v2"], "schema_version",
            "must be `cavra.go-backend-rollback-drill-schedule.v1`, found `cavra.go-backend-rollback-drill-schedule.v2`"
        ),
        Refusal(["schedule_id": .null], "schedule_id", "required"),
        Refusal(["schedule_id": ""], "schedule_id", "must not be empty"),
        Refusal(["schedule_id": 7], "schedule_id", "must be a string, found a number"),
        Refusal(["status": "paused"], "status", "must be `active`, found `paused`"),
        Refusal(["status": .null], "status", "required"),
        Refusal(["interval_days": 0], "interval_days", "must be between 1 and 36500, found 0"),
        Refusal(["interval_days": -3], "interval_days", "must be between 1 and 36500, found -3"),
        Refusal(["interval_days": "30"], "interval_days", "must be an integer, found a string"),
        Refusal(["interval_days": .double(1.5)], "interval_days", "must be an integer, found a number"),
        Refusal(["interval_days": .null], "interval_days", "required"),
        Refusal(["next_due_at": "2026-02-30T00:00:00Z"], "next_due_at", "`2026-02-30T00:00:00Z` is not a valid date"),
        Refusal(["next_due_at": 5], "next_due_at", "must be a timestamp string, found a number"),
        Refusal(["owners": []], "owners", "must not be empty"),
        Refusal(["owners": .null], "owners", "required"),
        Refusal(["owners": "alpha"], "owners", "must be a list of strings, found a string"),
        Refusal(["owners": ["alpha", 1]], "owners[1]", "must be a string, found a number"),
        Refusal(["owners": ["alpha", ""]], "owners[1]", "must not be empty"),
        Refusal(["owners": ["alpha", "alpha"]], "owners[1]", "repeats `alpha`"),
        Refusal(["notification_providers": []], "notification_providers", "must not be empty"),
        Refusal(["notification_providers": .null], "notification_providers", "required"),
        Refusal(["notification_providers": ""], "notification_providers[0]", "must not be empty"),
        Refusal(
            ["notification_providers": ["slack": true]], "notification_providers",
            "must be a list of strings or a string, found an object"),
        Refusal(["runbook_ref": .null], "runbook_ref", "required"),
        Refusal(["runbook_ref": ""], "runbook_ref", "must not be empty"),
        Refusal(["environment": 5], "environment", "must be a string, found a number"),
        Refusal(["service": false], "service", "must be a string, found a boolean"),
        Refusal(["tags": "tier-1"], "tags", "must be a list of strings, found a string"),
        Refusal(["owner_routes": "alpha"], "owner_routes", "must be an object, found a string"),
        Refusal(["owner_routes": ["alpha": 3]], "owner_routes.alpha", "must be an object, found a number"),
        Refusal(
            ["owner_routes": ["alpha": ["acknowledgement_minutes": 0]]], "owner_routes.alpha.acknowledgement_minutes",
            "must be between 1 and 525600, found 0"),
        Refusal(
            ["owner_routes": ["alpha": ["ack_minutes": "30"]]], "owner_routes.alpha.ack_minutes",
            "must be an integer, found a string"),
        Refusal(["owner_routes": ["alpha": ["providers": []]]], "owner_routes.alpha.providers", "must not be empty"),
        Refusal(
            ["owner_routes": ["alpha": ["notification_providers": 1]]], "owner_routes.alpha.notification_providers",
            "must be a list of strings or a string, found a number"),
        Refusal(
            ["owner_routes": ["alpha": ["escalation_owner": ""]]], "owner_routes.alpha.escalation_owner",
            "must not be empty"),
        Refusal(
            ["owner_routes": ["alpha": ["manager": 2]]], "owner_routes.alpha.manager",
            "must be a string, found a number"),
        Refusal(["routing_rules": [3]], "routing_rules[0]", "must be an object, found a number"),
        Refusal(
            ["routing_rules": [["owners": []], ["owners": "alpha", "ack_minutes": 5]]], "routing_rules[1].owners",
            "must be a list of strings, found a string"),
        Refusal(
            ["routing_rules": [["owners": ["alpha"], "ack_minutes": -1]]], "routing_rules[0].ack_minutes",
            "must be between 1 and 525600, found -1"),
        Refusal(["maintenance_windows": window], "maintenance_windows", "must be a list of objects, found an object"),
        Refusal(
            ["maintenance_windows": [["end_at": "2026-11-02T00:00:00Z"]]], "maintenance_windows[0].start_at", "required"
        ),
        Refusal(
            ["suppression_windows": [["starts_at": "2026-11-02T00:00:00Z"]]], "suppression_windows[0].end_at",
            "required"),
        Refusal(
            ["maintenance_windows": [window, ["start_at": "soon", "end_at": "2026-11-02T00:00:00Z"]]],
            "maintenance_windows[1].start_at",
            "`soon` is not a timestamp; write ISO 8601 such as `2026-11-28T22:00:00Z` or `2026-12-01`"),
        Refusal(
            ["suppression_windows": [["starts_at": "2026-11-02T00:00:00Z", "ends_at": "2026-11-01T00:00:00Z"]]],
            "suppression_windows[0].ends_at", "must not be before the window's start"),
        Refusal(
            ["maintenance_windows": [["start_at": "2026-11-01", "end_at": "2026-11-02", "providers": [1]]]],
            "maintenance_windows[0].providers[0]", "must be a string, found a number"),
        Refusal(
            ["maintenance_windows": [["start_at": "2026-11-01", "end_at": "2026-11-02", "owners": "alpha"]]],
            "maintenance_windows[0].owners", "must be a list of strings, found a string"),
        Refusal(
            ["maintenance_windows": [["start_at": "2026-11-01", "end_at": "2026-11-02", "schedule_ids": [true]]]],
            "maintenance_windows[0].schedule_ids[0]", "must be a string, found a boolean"),
        Refusal(
            ["maintenance_windows": [["window_id": 1, "start_at": "2026-11-01", "end_at": "2026-11-02"]]],
            "maintenance_windows[0].window_id", "must be a string, found a number"),
        Refusal(
            ["maintenance_windows": [["start_at": "2026-11-01", "end_at": "2026-11-02", "description": ["x"]]]],
            "maintenance_windows[0].description", "must be a string, found an array"),
        Refusal(
            ["owner_calendars": ["alpha": ["available": "no"]]], "owner_calendars.alpha.available",
            "must be a boolean, found a string"),
        Refusal(
            ["owner_calendars": ["alpha": ["reason": 1]]], "owner_calendars.alpha.reason",
            "must be a string, found a number"),
        Refusal(["calendars": []], "calendars", "must be an object, found an array"),
        Refusal(
            ["calendars": ["alpha": ["blackout_windows": [["start_at": "2026-13-01", "end_at": "2026-12-02"]]]]],
            "calendars.alpha.blackout_windows[0].start_at", "`2026-13-01` is not a valid date"),
        Refusal(
            ["owner_calendars": ["alpha": ["unavailable_windows": [["start_at": "2026-12-01"]]]]],
            "owner_calendars.alpha.unavailable_windows[0].end_at", "required"),
        Refusal(
            [
                "owner_calendars": [
                    "alpha": ["unavailable_windows": [["start_at": "2026-12-02", "end_at": "2026-12-01"]]]
                ]
            ],
            "owner_calendars.alpha.unavailable_windows[0].end_at", "must not be before the window's start"),
    ])
    func refusalsNameTheirField(_ refusal: Refusal) {
        #expect(throws: InputError(field: refusal.field, message: refusal.message)) {
            try PlanningFixtures.schedule(refusal.members)
        }
    }

    @Test func aFileThatIsNotAnObjectIsRefused() {
        #expect(throws: InputError(field: "(file)", message: "must be an object, found an array")) {
            try Schedule.parse([1, 2])
        }
    }
}
