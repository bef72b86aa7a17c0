// Planning a schedule (architecture.md §2, §10): its due date and alert level, one route per owner × provider, and
// the plan of the due cycle, created or revised. Pure functions: the caller passes `now` and the stored plan.

import CavraPolicy

public enum Planner {
    /// A schedule due within this many days (inclusive) is `warning`.
    public static let dueSoonDays: Int64 = 14
    /// The SLO of an owner without `acknowledgement_minutes`: 60 minutes.
    public static let defaultSLOSeconds: Int64 = 3600

    /// `next_due_at`, else the latest drill's `executed_at` plus `interval_days`; nil when neither is known.
    public static func nextDue(schedule: Schedule, history: DrillHistory?) -> Timestamp? {
        if let nextDueAt = schedule.nextDueAt { return nextDueAt }
        guard let history else { return nil }
        return history.latest.executedAt.adding(seconds: schedule.intervalDays * 86_400)
    }

    /// `critical` when stale (due date past or unknown, or the latest drill does not count), `warning` when due
    /// within 14 days, else `healthy`.
    public static func alertLevel(schedule: Schedule, history: DrillHistory?, now: Timestamp) -> Severity {
        Assessment(schedule: schedule, history: history, now: now).alertLevel
    }

    /// The due cycle a plan of this schedule belongs to: `next_due` in the timestamp form, or `"unknown"`. The
    /// caller finds the stored plan of this cycle, if any, to pass to `plan` as `existing`.
    public static func cycle(for schedule: Schedule, history: DrillHistory?) -> String {
        nextDue(schedule: schedule, history: history)?.description ?? "unknown"
    }

    /// The plan of the schedule's current cycle at `now`: a new one (revision 1) when `existing` is nil, else
    /// `existing` revised (architecture.md §2). `existing` must be the stored plan of the same cycle. `force`
    /// delivers the routes of a healthy plan and stays on for every later revision of the cycle. Supersession is
    /// the caller's job: superseding the plans of other cycles, and making `existing` current again (with a
    /// `superseded` change) when it was superseded; its `superseded` flag is returned as stored.
    public static func plan(
        schedule: Schedule, history: DrillHistory?, now: Timestamp, force: Bool, existing: Plan?
    ) -> PlanResult {
        let assessment = Assessment(schedule: schedule, history: history, now: now)
        let cycle = assessment.nextDue?.description ?? "unknown"
        let planId = PlanIds.planId(scheduleId: schedule.scheduleId, cycle: cycle)
        let forced = force || existing?.forced == true
        let routes = routes(schedule: schedule, assessment: assessment, planId: planId, now: now, forced: forced)
        guard let existing else {
            let plan = Plan(
                planId: planId, scheduleId: schedule.scheduleId, cycle: cycle, revision: 1, createdAt: now,
                revisedAt: now, alertLevel: assessment.alertLevel, nextDue: assessment.nextDue, superseded: false,
                forced: forced, routes: routes)
            return PlanResult(plan: plan, created: true, changes: [])
        }
        precondition(existing.planId == planId, "`existing` must be the stored plan of the schedule's current cycle")
        var revision = PlanRevision(plan: existing, now: now)
        revision.revise(alertLevel: assessment.alertLevel, forced: forced, routes: routes)
        return PlanResult(plan: revision.plan, created: false, changes: revision.changes)
    }

    /// Seconds since the route was first delivered, rounded down; 0 for a route never delivered.
    public static func ageSeconds(route: Route, now: Timestamp) -> Int64 {
        guard let deliveredAt = route.deliveredAt else { return 0 }
        return max(0, now.milliseconds - deliveredAt.milliseconds) / 1000
    }

    /// A route is breached when it belongs to its schedule's `current` plan, is delivered, still outstanding, not
    /// removed, and its age has reached its SLO. Nothing else is ever breached.
    public static func isBreached(route: Route, state: RouteState, current: Bool, now: Timestamp) -> Bool {
        current && route.category == .deliver && state == .outstanding && !route.removed
            && ageSeconds(route: route, now: now) >= route.sloSeconds
    }

    /// One route per owner × provider, in the schedule's order, each delivered at `now` if it delivers.
    static func routes(
        schedule: Schedule, assessment: Assessment, planId: String, now: Timestamp, forced: Bool
    ) -> [Route] {
        var routes: [Route] = []
        for owner in schedule.owners {
            let routing = schedule.ownerRoutes[owner]
            for provider in schedule.providers(for: owner) {
                let (category, reason) = categorize(
                    schedule: schedule, assessment: assessment, owner: owner, provider: provider, now: now,
                    forced: forced)
                routes.append(
                    Route(
                        routeId: PlanIds.routeId(planId: planId, owner: owner, provider: provider), planId: planId,
                        scheduleId: schedule.scheduleId, owner: owner, provider: provider,
                        escalationOwner: routing?.escalationOwner ?? owner, category: category, reason: reason,
                        environment: schedule.environment, service: schedule.service, tags: schedule.tags,
                        severity: assessment.alertLevel,
                        sloSeconds: routing?.acknowledgementMinutes.map { $0 * 60 } ?? defaultSLOSeconds,
                        deliveredAt: category == .deliver ? now : nil, removed: false))
            }
        }
        return routes
    }

    /// The first that holds: a healthy plan not forced, an active maintenance window (first match), an
    /// unavailable owner, else deliver; with the reason shown to operators.
    static func categorize(
        schedule: Schedule, assessment: Assessment, owner: String, provider: String, now: Timestamp, forced: Bool
    ) -> (RouteCategory, String) {
        if assessment.alertLevel == .healthy, !forced {
            return (.healthySchedule, "schedule healthy: \(assessment.summary)")
        }
        let window = schedule.maintenanceWindows.first {
            $0.applies(scheduleId: schedule.scheduleId, owner: owner, provider: provider, at: now)
        }
        if let window {
            if !window.reason.isEmpty { return (.maintenanceWindow, window.reason) }
            return (
                .maintenanceWindow,
                window.windowId.isEmpty ? "maintenance window" : "maintenance window `\(window.windowId)`"
            )
        }
        if let unavailability = schedule.ownerCalendars[owner]?.unavailability(at: now) {
            return (.ownerCalendar, unavailability.isEmpty ? "owner `\(owner)` unavailable" : unavailability)
        }
        if assessment.alertLevel == .healthy {
            return (.deliver, "delivered on request (force): \(assessment.summary)")
        }
        return (.deliver, assessment.summary)
    }
}

/// The schedule's standing at `now`: due date, alert level, and a phrase saying why, which stays the same while
/// the alert level does (so a plan revised every few minutes does not change its reasons).
struct Assessment {
    var nextDue: Timestamp?
    var alertLevel: Severity
    var summary: String

    init(schedule: Schedule, history: DrillHistory?, now: Timestamp) {
        nextDue = Planner.nextDue(schedule: schedule, history: history)
        guard let nextDue else {
            alertLevel = .critical
            summary = "drill due date unknown: no next_due_at and no drill history"
            return
        }
        if nextDue < now {
            alertLevel = .critical
            summary = "drill overdue since \(nextDue)"
        } else if let latest = history?.latest, let problem = latest.problem(now: now) {
            alertLevel = .critical
            summary = "latest drill `\(latest.drillId)` does not count: \(problem)"
        } else if nextDue.milliseconds - now.milliseconds <= Planner.dueSoonDays * 86_400_000 {
            alertLevel = .warning
            summary = "drill due \(nextDue), within \(Planner.dueSoonDays) days"
        } else {
            alertLevel = .healthy
            summary = "drill due \(nextDue)"
        }
    }
}
