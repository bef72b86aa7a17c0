// Plans and routes as the API and the CLI write them (architecture.md §2).

import CavraJSON
import CavraPolicy

extension Plan {
    /// `{plan_id, schedule_id, cycle, revision, created_at, revised_at, alert_level, next_due, superseded, routes}`,
    /// the routes without their derived fields.
    public var json: JSON {
        [
            "plan_id": .string(planId),
            "schedule_id": .string(scheduleId),
            "cycle": .string(cycle),
            "revision": .int(Int64(revision)),
            "created_at": .string(createdAt.description),
            "revised_at": .string(revisedAt.description),
            "alert_level": .string(alertLevel.rawValue),
            "next_due": nextDue.map { .string($0.description) } ?? .null,
            "superseded": .bool(superseded),
            "routes": .array(routes.map { $0.json() }),
        ]
    }
}

extension Route {
    /// `{route_id, plan_id, schedule_id, owner, provider, escalation_owner, category, reason, environment, service,
    /// tags, severity, slo_seconds, delivered_at, removed}`, plus `state`, `age_seconds` and `breached` when given.
    public func json(state: RouteState? = nil, age: Int64? = nil, breached: Bool? = nil) -> JSON {
        var object: JSONObject = [
            "route_id": .string(routeId),
            "plan_id": .string(planId),
            "schedule_id": .string(scheduleId),
            "owner": .string(owner),
            "provider": .string(provider),
        ]
        for (field, value) in recomputedFields { object[field] = value }
        object["delivered_at"] = deliveredAt.map { .string($0.description) } ?? .null
        object["removed"] = .bool(removed)
        if let state { object["state"] = .string(state.rawValue) }
        if let age { object["age_seconds"] = .int(age) }
        if let breached { object["breached"] = .bool(breached) }
        return .object(object)
    }

    /// The fields a revision recomputes, in the order the route JSON writes them.
    var recomputedFields: [(String, JSON)] {
        [
            ("escalation_owner", .string(escalationOwner)),
            ("category", .string(category.rawValue)),
            ("reason", .string(reason)),
            ("environment", .string(environment)),
            ("service", .string(service)),
            ("tags", .array(tags.map(JSON.string))),
            ("severity", .string(severity.rawValue)),
            ("slo_seconds", .int(sloSeconds)),
        ]
    }
}
