// Revising the stored plan of a cycle (architecture.md §2): same ids, recomputed fields, routes added, removed or
// restored, each change listed.

import CavraJSON
import CavraPolicy

struct PlanRevision {
    private(set) var plan: Plan
    private(set) var changes: [PlanChange] = []
    let now: Timestamp

    init(plan: Plan, now: Timestamp) {
        self.plan = plan
        self.now = now
    }

    /// Brings the plan to what planning asks for now. `routes` are the routes the schedule asks for; stored routes
    /// not among them are marked removed and keep their fields; new ones are appended in the schedule's order.
    /// The revision number and `revised_at` move only when something changed. `superseded` is left as stored:
    /// superseding, and making a superseded cycle current again, is the caller's (it sees the other cycles).
    mutating func revise(alertLevel: Severity, forced: Bool, routes: [Route]) {
        if forced, !plan.forced {
            note(nil, "forced", from: false, to: true)
            plan.forced = true
        }
        if plan.alertLevel != alertLevel {
            note(nil, "alert_level", from: .string(plan.alertLevel.rawValue), to: .string(alertLevel.rawValue))
            plan.alertLevel = alertLevel
        }
        var asked = Dictionary(uniqueKeysWithValues: routes.map { ($0.routeId, $0) })
        for index in plan.routes.indices {
            if let fresh = asked.removeValue(forKey: plan.routes[index].routeId) {
                plan.routes[index] = revised(plan.routes[index], to: fresh)
            } else if !plan.routes[index].removed {
                note(plan.routes[index].routeId, "removed", from: false, to: true)
                plan.routes[index].removed = true
            }
        }
        for route in routes where asked[route.routeId] != nil {
            note(route.routeId, "route", from: .null, to: route.json())
            plan.routes.append(route)
        }
        if !changes.isEmpty {
            plan.revision += 1
            plan.revisedAt = now
        }
    }

    /// A stored route asked for again: restored if removed, its recomputed fields taken from `fresh`, and
    /// delivered now if it delivers for the first time. Its `delivered_at` never changes once set.
    private mutating func revised(_ stored: Route, to fresh: Route) -> Route {
        var route = stored
        if route.removed {
            note(route.routeId, "removed", from: true, to: false)
            route.removed = false
        }
        for ((field, before), (_, after)) in zip(route.recomputedFields, fresh.recomputedFields) where before != after {
            note(route.routeId, field, from: before, to: after)
        }
        route.category = fresh.category
        route.reason = fresh.reason
        route.sloSeconds = fresh.sloSeconds
        route.escalationOwner = fresh.escalationOwner
        route.severity = fresh.severity
        route.environment = fresh.environment
        route.service = fresh.service
        route.tags = fresh.tags
        if route.category == .deliver, route.deliveredAt == nil {
            note(route.routeId, "delivered_at", from: .null, to: .string(now.description))
            route.deliveredAt = now
        }
        return route
    }

    private mutating func note(_ routeId: String?, _ field: String, from: JSON, to: JSON) {
        changes.append(PlanChange(routeId: routeId, field: field, from: from, to: to))
    }
}
