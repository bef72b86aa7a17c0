// Read-only views for operators (architecture.md §5): the escalation plan, the dashboard and the history feed.

import CavraJSON
import CavraPolicy

extension DrillService {
    /// Current deliver routes with what to do next: escalate a breached one, wait on an outstanding one.
    public func escalationPlan(scheduleId: String? = nil) async throws(ServiceError) -> JSON {
        let now = clock()
        let views = try await routeViews(filter: RouteFilter(scheduleId: scheduleId, category: .deliver), now: now)
            .filter { !$0.route.removed }
        let items: [JSON] = views.map { view in
            let action =
                view.breached
                ? "escalate_missed_drill_notification"
                : view.state == .outstanding ? "wait_for_acknowledgement" : "no_action"
            return [
                "route_id": .string(view.route.routeId), "schedule_id": .string(view.route.scheduleId),
                "owner": .string(view.route.owner), "provider": .string(view.route.provider),
                "escalation_owner": .string(view.route.escalationOwner), "state": .string(view.state.rawValue),
                "age_seconds": .int(view.ageSeconds), "slo_seconds": .int(view.route.sloSeconds),
                "breached": .bool(view.breached), "recommended_action": .string(action),
            ]
        }
        return ["generated_at": .string(now.description), "items": .array(items)]
    }

    /// Counts of current routes by state, breached and outstanding, and the latest history events.
    public func dashboard(latest: Int = 10) async throws(ServiceError) -> JSON {
        let now = clock()
        let views = try await routeViews(filter: RouteFilter(), now: now).filter { !$0.route.removed }
        var byState = JSONObject()
        for state in RouteState.allCases {
            byState[state.rawValue] = .int(Int64(views.filter { $0.state == state }.count))
        }
        let delivered = views.filter { $0.route.category == .deliver }
        let outstanding = delivered.filter { $0.state == .outstanding }
        let oldest = outstanding.map(\.ageSeconds).max()
        return [
            "generated_at": .string(now.description), "routes": .int(Int64(views.count)),
            "delivered": .int(Int64(delivered.count)), "states": .object(byState),
            "outstanding": .int(Int64(outstanding.count)),
            "breached": .int(Int64(delivered.filter(\.breached).count)),
            "oldest_outstanding_age_seconds": oldest.map(JSON.int) ?? .null,
            "latest_events": .array(try await history(limit: latest, offset: 0).map(Self.eventJSON)),
        ]
    }

    /// History events, newest first; `kind` one of plan_created, plan_revised, acknowledgement, refusal,
    /// audit_package.
    public func history(
        scheduleId: String? = nil, provider: String? = nil, kind: String? = nil, limit: Int = 50, offset: Int = 0
    ) async throws(ServiceError) -> [HistoryEvent] {
        let kinds = ["plan_created", "plan_revised", "acknowledgement", "refusal", "audit_package"]
        if let kind, !kinds.contains(kind) {
            throw .badInput(field: "kind", detail: "must be one of \(kinds.joined(separator: ", "))")
        }
        guard (1...500).contains(limit) else { throw .badInput(field: "limit", detail: "must be from 1 to 500") }
        guard offset >= 0 else { throw .badInput(field: "offset", detail: "must not be negative") }
        do {
            return try await store.history(
                scheduleId: scheduleId, provider: provider, kind: kind, limit: limit, offset: offset)
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
    }

    public static func eventJSON(_ event: HistoryEvent) -> JSON {
        [
            "kind": .string(event.kind), "schedule_id": .string(event.scheduleId),
            "provider": event.provider.map(JSON.string) ?? .null, "at": .string(event.at.description),
            "payload": event.payload,
        ]
    }
}
