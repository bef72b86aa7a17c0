// Shared inputs of the schedule, history and planning tests: the example files and small schedules built in code.

import CavraDrills
import CavraJSON
import Foundation

enum PlanningFixtures {
    /// The examples of the design (`Fixtures/`), unchanged.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
        "Fixtures")

    static func json(_ name: String) throws -> JSON {
        try JSON.parse(String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
    }

    static func productionSchedule() throws -> Schedule {
        try Schedule.parse(json("schedule-checkout-production.json"))
    }
    static func productionHistory() throws -> DrillHistory {
        try DrillHistory.parse(json("history-checkout-production.json"))
    }

    /// A valid schedule: `s1`, owners alpha and beta, providers slack and teams, due `dueAt`, with `members` added
    /// or replaced (a `.null` member is removed).
    static func scheduleJSON(dueAt: String? = "2026-12-01T00:00:00Z", _ members: [String: JSON] = [:]) -> JSON {
        var object: JSONObject = [
            "schema_version": "cavra.go-backend-rollback-drill-schedule.v1",
            "schedule_id": "s1",
            "status": "active",
            "interval_days": 30,
            "owners": ["alpha", "beta"],
            "notification_providers": ["slack", "teams"],
            "runbook_ref": "RB-1",
        ]
        if let dueAt { object["next_due_at"] = .string(dueAt) }
        for (key, value) in members { object[key] = value == .null ? nil : value }
        return .object(object)
    }

    static func schedule(dueAt: String? = "2026-12-01T00:00:00Z", _ members: [String: JSON] = [:]) throws -> Schedule {
        try Schedule.parse(scheduleJSON(dueAt: dueAt, members))
    }

    /// A valid drill, with `members` replaced (a `.null` member is removed).
    static func drillJSON(executedAt: String = "2026-11-01T00:00:00Z", _ members: [String: JSON] = [:]) -> JSON {
        var object: JSONObject = [
            "drill_id": "d1", "executed_at": .string(executedAt), "actor": "someone@example.com", "source_mode": "go",
            "target_mode": "disabled", "status": "pass", "fallback_verified": true, "recovery_minutes": 5,
            "max_recovery_minutes": 30, "runbook_ref": "RB-1", "evidence_refs": ["evidence://1"],
        ]
        for (key, value) in members { object[key] = value == .null ? nil : value }
        return .object(object)
    }

    static func historyJSON(_ drills: [JSON]) -> JSON {
        [
            "schema_version": "cavra.go-backend-rollback-drill-history.v1", "environment": "test",
            "drills": .array(drills),
        ]
    }

    static func history(_ drills: JSON...) throws -> DrillHistory { try DrillHistory.parse(historyJSON(drills)) }
}

/// A timestamp written in a planning test.
func drillTime(_ text: String) -> Timestamp {
    try! Timestamp(parsing: text)
}
