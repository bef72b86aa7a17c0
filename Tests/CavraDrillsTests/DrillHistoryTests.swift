import CavraDrills
import CavraJSON
import Testing

@Suite struct DrillHistoryTests {
    let now = drillTime("2026-11-29T12:00:00Z")

    @Test func readsTheProductionExample() throws {
        let history = try PlanningFixtures.productionHistory()
        #expect(history.environment == "production")
        #expect(history.drills.map(\.drillId) == ["drill-2026-09-14", "drill-2026-10-12"])
        let latest = history.latest
        #expect(latest.drillId == "drill-2026-10-12")
        #expect(latest.executedAt == drillTime("2026-10-12T08:05:00Z"))
        #expect(latest.actor == "release-manager@example.com")
        #expect(latest.sourceMode == "go")
        #expect(latest.targetMode == "disabled")
        #expect(latest.status == "pass")
        #expect(latest.fallbackVerified)
        #expect(latest.recoveryMinutes == 4)
        #expect(latest.maxRecoveryMinutes == 30)
        #expect(latest.runbookRef == "RB-ROLLBACK-CHECKOUT-7")
        #expect(latest.evidenceRefs == ["evidence://drills/2026-10-12/timeline"])
        #expect(DrillHistory.isValid(latest: latest, now: now))
    }

    @Test func latestIsTheGreatestExecutedAtWhateverTheOrder() throws {
        let history = try PlanningFixtures.history(
            PlanningFixtures.drillJSON(executedAt: "2026-11-10T00:00:00Z", ["drill_id": "newest"]),
            PlanningFixtures.drillJSON(
                executedAt: "2026-11-10T01:00:00+02:00", ["drill_id": "older", "status": "fail"]),
            PlanningFixtures.drillJSON(executedAt: "2026-10-01T00:00:00Z", ["drill_id": "oldest"]))
        #expect(history.latest.drillId == "newest")
        #expect(DrillHistory.isValid(latest: history.latest, now: now))
    }

    @Test func ofDrillsAtTheSameInstantTheLastListedIsLatest() throws {
        let history = try PlanningFixtures.history(
            PlanningFixtures.drillJSON(["drill_id": "first"]), PlanningFixtures.drillJSON(["drill_id": "second"]))
        #expect(history.latest.drillId == "second")
    }

    struct Rule: Sendable, CustomTestStringConvertible {
        var members: [String: JSON]
        var executedAt = "2026-11-01T00:00:00Z"
        var valid: Bool
        var testDescription: String { "\(members) at \(executedAt): \(valid ? "valid" : "invalid")" }
    }

    @Test(arguments: [
        Rule(members: [:], valid: true),
        Rule(members: ["status": "fail"], valid: false),
        Rule(members: ["status": "PASS"], valid: false),
        Rule(members: ["status": .null], valid: false),
        Rule(members: ["target_mode": "go"], valid: false),
        Rule(members: ["target_mode": .null], valid: false),
        Rule(members: ["fallback_verified": false], valid: false),
        Rule(members: ["fallback_verified": .null], valid: false),
        Rule(members: ["recovery_minutes": 0], valid: false),
        Rule(members: ["recovery_minutes": -1], valid: false),
        Rule(members: ["recovery_minutes": .double(0.5)], valid: true),
        Rule(members: ["recovery_minutes": 30], valid: true),
        Rule(members: ["recovery_minutes": .double(30.5)], valid: false),
        Rule(members: ["recovery_minutes": .null], valid: false),
        Rule(members: ["max_recovery_minutes": .null], valid: false),
        Rule(members: ["evidence_refs": []], valid: false),
        Rule(members: ["evidence_refs": .null], valid: false),
        Rule(members: ["runbook_ref": ""], valid: false),
        Rule(members: ["runbook_ref": .null], valid: false),
        Rule(members: [:], executedAt: "2026-08-31T12:00:00Z", valid: true),
        Rule(members: [:], executedAt: "2026-08-31T11:59:59.999Z", valid: false),
        Rule(members: [:], executedAt: "2026-11-29T12:00:00Z", valid: true),
    ])
    func validityRules(_ rule: Rule) throws {
        let history = try PlanningFixtures.history(
            PlanningFixtures.drillJSON(executedAt: rule.executedAt, rule.members))
        #expect(DrillHistory.isValid(latest: history.latest, now: now) == rule.valid)
        #expect((history.latest.problem(now: now) == nil) == rule.valid)
    }

    @Test func problemsArePhrasedForOperators() throws {
        let drill = try PlanningFixtures.history(PlanningFixtures.drillJSON(["status": "fail"])).latest
        #expect(drill.problem(now: now) == "status is `fail`, not `pass`")
        let old = try PlanningFixtures.history(PlanningFixtures.drillJSON(executedAt: "2026-01-01")).latest
        #expect(old.problem(now: now) == "ran more than 90 days ago")
        let slow = try PlanningFixtures.history(PlanningFixtures.drillJSON(["recovery_minutes": .double(30.5)])).latest
        #expect(slow.problem(now: now) == "recovery took 30.5 minutes, more than the 30 allowed")
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var json: JSON
        var field: String
        var message: String
        var testDescription: String { "\(field): \(message)" }
    }

    static let valid = PlanningFixtures.drillJSON()

    @Test(arguments: [
        Refusal(
            json: ["schema_version": "cavra.go-backend-rollback-drill-history.v2", "drills": [valid]],
            field: "schema_version",
            message: "must be `cavra.go-backend-rollback-drill-history.v1`, found "
                + "`cavra.go-backend-rollback-drill-history.v2`"),
        Refusal(json: ["drills": [valid]], field: "schema_version", message: "required"),
        Refusal(
            json: ["schema_version": "cavra.go-backend-rollback-drill-history.v1"], field: "drills", message: "required"
        ),
        Refusal(json: PlanningFixtures.historyJSON([]), field: "drills", message: "must not be empty"),
        Refusal(
            json: ["schema_version": "cavra.go-backend-rollback-drill-history.v1", "drills": valid], field: "drills",
            message: "must be a list of objects, found an object"),
        Refusal(
            json: [
                "schema_version": "cavra.go-backend-rollback-drill-history.v1", "drills": [valid], "environment": 1,
            ],
            field: "environment", message: "must be a string, found a number"),
        Refusal(
            json: PlanningFixtures.historyJSON([valid, "drill"]), field: "drills[1]",
            message: "must be an object, found a string"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["drill_id": .null])]),
            field: "drills[0].drill_id",
            message: "required"),
        Refusal(
            json: PlanningFixtures.historyJSON([valid, PlanningFixtures.drillJSON(["executed_at": .null])]),
            field: "drills[1].executed_at", message: "required"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(executedAt: "2026-02-29T10:00:00Z")]),
            field: "drills[0].executed_at", message: "`2026-02-29T10:00:00Z` is not a valid date"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["recovery_minutes": "6"])]),
            field: "drills[0].recovery_minutes", message: "must be a number, found a string"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["max_recovery_minutes": [30]])]),
            field: "drills[0].max_recovery_minutes", message: "must be a number, found an array"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["fallback_verified": "yes"])]),
            field: "drills[0].fallback_verified", message: "must be a boolean, found a string"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["evidence_refs": "evidence://1"])]),
            field: "drills[0].evidence_refs", message: "must be a list of strings, found a string"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["status": true])]),
            field: "drills[0].status",
            message: "must be a string, found a boolean"),
        Refusal(
            json: PlanningFixtures.historyJSON([PlanningFixtures.drillJSON(["runbook_ref": 7])]),
            field: "drills[0].runbook_ref", message: "must be a string, found a number"),
    ])
    func refusalsNameTheirField(_ refusal: Refusal) {
        #expect(throws: InputError(field: refusal.field, message: refusal.message)) {
            try DrillHistory.parse(refusal.json)
        }
    }
}
