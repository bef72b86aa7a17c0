// The console session's permissions (architecture.md §5): what an actor may do somewhere, so the console can
// offer or hide whole features before a route is picked.

import CavraJSON
import CavraPolicy

extension DrillService {
    /// `{acknowledge_drill_notifications, escalate_drill_notifications, resolve_drill_notifications,
    /// dismiss_drill_notifications, export_drill_audit, plan_drills}`: each true iff the action is allowed (state
    /// machine and policy) on at least one current route — for `plan_drills`, on at least one stored schedule.
    public func sessionPermissions(actor: Actor?, channel: Channel) async throws(ServiceError) -> JSONObject {
        var allowed: Set<String> = []
        if let actor {
            let now = clock()
            let policy = policies().enforced
            for view in try await routeViews(filter: RouteFilter(), now: now) {
                for (action, permission) in Self.permissions(
                    for: view, actor: actor, channel: channel, now: now, policy: policy)
                where permission["allowed"] == .bool(true) {
                    allowed.insert(action)
                }
                if allowed.count == RouteAction.allCases.count + 1 { break }
            }
            if try await mayPlanSomething(actor: actor, channel: channel, now: now, policy: policy) {
                allowed.insert("plan")
            }
        }
        let names: [(String, String)] = [
            ("acknowledge", "acknowledge_drill_notifications"), ("escalate", "escalate_drill_notifications"),
            ("resolve", "resolve_drill_notifications"), ("dismiss", "dismiss_drill_notifications"),
            ("export", "export_drill_audit"), ("plan", "plan_drills"),
        ]
        return JSONObject(names.map { ($0.1, JSON.bool(allowed.contains($0.0))) })
    }

    /// Every route of the current plans as the route list derives it now (without permissions): what the
    /// metrics count.
    public func currentRoutes() async throws(ServiceError) -> [RouteView] {
        try await routeViews(filter: RouteFilter(), now: clock())
    }

    /// Whether the policy lets `actor` plan at least one stored schedule, at the severity of its current plan.
    private func mayPlanSomething(actor: Actor, channel: Channel, now: Timestamp, policy: CompiledPolicy)
        async throws(ServiceError) -> Bool
    {
        let stored: [StoredSchedule]
        do {
            stored = try await store.schedules()
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
        let plans = try await readPlans(scheduleId: nil)
        for entry in stored {
            guard let schedule = try? Schedule.parse(entry.document) else { continue }
            let severity =
                plans.first { $0.scheduleId == entry.scheduleId && !$0.superseded }?.alertLevel ?? .critical
            let request = Self.planRequest(
                schedule: schedule, severity: severity, now: now, context: CallContext(actor: actor, channel: channel))
            if policy.evaluate(request, trace: false).allow { return true }
        }
        return false
    }
}
