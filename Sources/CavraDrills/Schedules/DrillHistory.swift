// A drill history (architecture.md §10): the rollback drills that ran, and whether the latest one counts.

import CavraJSON

public struct DrillHistory: Sendable, Equatable {
    public static let schemaVersion = "cavra.go-backend-rollback-drill-history.v1"
    /// How far back the latest drill may lie and still count.
    public static let validityDays: Int64 = 90

    public var environment: String
    /// Never empty, in file order.
    public var drills: [Drill]

    public struct Drill: Sendable, Equatable {
        public var drillId: String
        public var executedAt: Timestamp
        public var actor: String
        public var sourceMode: String
        public var targetMode: String
        public var status: String
        public var fallbackVerified: Bool
        /// Minutes, possibly fractional; nil when the file does not say.
        public var recoveryMinutes: Double?
        public var maxRecoveryMinutes: Double?
        public var runbookRef: String
        public var evidenceRefs: [String]

        /// Why this drill does not count at `now`, as a short phrase, or nil when it does: `status` is `pass`,
        /// `target_mode` is `disabled`, the fallback was verified, `0 < recovery_minutes <= max_recovery_minutes`,
        /// it ran at most 90 days before `now`, and it has evidence and a runbook.
        public func problem(now: Timestamp) -> String? {
            if status != "pass" { return "status is `\(status)`, not `pass`" }
            if targetMode != "disabled" { return "target_mode is `\(targetMode)`, not `disabled`" }
            if !fallbackVerified { return "fallback not verified" }
            guard let recovery = recoveryMinutes else { return "no recovery_minutes" }
            guard recovery > 0 else { return "recovery_minutes is not above 0" }
            guard let limit = maxRecoveryMinutes else { return "no max_recovery_minutes" }
            guard recovery <= limit else {
                let (took, allowed) = (ECMAScriptNumber.string(recovery), ECMAScriptNumber.string(limit))
                return "recovery took \(took) minutes, more than the \(allowed) allowed"
            }
            if now.milliseconds - executedAt.milliseconds > DrillHistory.validityDays * 86_400_000 {
                return "ran more than \(DrillHistory.validityDays) days ago"
            }
            if evidenceRefs.isEmpty { return "no evidence_refs" }
            if runbookRef.isEmpty { return "no runbook_ref" }
            return nil
        }
    }

    /// The drill with the greatest `executed_at`; of drills run at the same instant, the one listed last.
    public var latest: Drill {
        drills.dropFirst().reduce(drills[0]) { $1.executedAt >= $0.executedAt ? $1 : $0 }
    }

    /// Whether `latest` counts at `now` (architecture.md §10).
    public static func isValid(latest: Drill, now: Timestamp) -> Bool { latest.problem(now: now) == nil }

    /// Reads a history. `drill_id` and `executed_at` are required; a field the validity rules check may be absent
    /// (the drill then does not count) but never of the wrong type. Unknown fields are ignored.
    public static func parse(_ json: JSON) throws(InputError) -> DrillHistory {
        let root = try InputObject(json, path: "")
        try root.requireValue("schema_version", schemaVersion)
        guard let entries = try root.objectList("drills") else { throw root.missing(["drills"]) }
        guard !entries.isEmpty else { throw InputError(field: "drills", message: "must not be empty") }
        var drills: [Drill] = []
        for entry in entries {
            drills.append(
                Drill(
                    drillId: try entry.requiredString("drill_id"),
                    executedAt: try entry.requiredTimestamp("executed_at"),
                    actor: try entry.string("actor") ?? "",
                    sourceMode: try entry.string("source_mode") ?? "",
                    targetMode: try entry.string("target_mode") ?? "",
                    status: try entry.string("status") ?? "",
                    fallbackVerified: try entry.bool("fallback_verified") ?? false,
                    recoveryMinutes: try entry.number("recovery_minutes"),
                    maxRecoveryMinutes: try entry.number("max_recovery_minutes"),
                    runbookRef: try entry.string("runbook_ref") ?? "",
                    evidenceRefs: try entry.stringList("evidence_refs") ?? []))
        }
        return DrillHistory(environment: try root.string("environment") ?? "", drills: drills)
    }
}
