// The ids of plans, routes, acknowledgements, bulk actions and refusals (architecture.md §2, §7): a prefix and the
// first 16 hex characters of the SHA-256 of a JCS object, so anyone can recompute them.

import CavraJSON

public enum PlanIds {
    public static func planId(scheduleId: String, cycle: String) -> String {
        "gordplan-" + hex16(["schedule_id": .string(scheduleId), "cycle": .string(cycle)])
    }

    public static func routeId(planId: String, owner: String, provider: String) -> String {
        "gordroute-" + hex16(["plan_id": .string(planId), "owner": .string(owner), "provider": .string(provider)])
    }

    public static func acknowledgementId(routeId: String, sequence: Int64) -> String {
        "gordack-" + hex16(["route_id": .string(routeId), "sequence": .int(sequence)])
    }

    /// Over the ids sorted bytewise, so the same set of acknowledgements has one id whatever their order.
    public static func bulkId(acknowledgementIds: [String]) -> String {
        let sorted = acknowledgementIds.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return "gordbulkack-" + hex16(.array(sorted.map(JSON.string)))
    }

    /// A decision-log entry of `chain` (`route:<route_id>` or `schedule:<schedule_id>`).
    public static func refusalId(chain: String, sequence: Int64) -> String {
        "gordrefusal-" + hex16(["chain": .string(chain), "sequence": .int(sequence)])
    }

    private static func hex16(_ value: JSON) -> String { String(value.canonicalSHA256.prefix(16)) }
}
