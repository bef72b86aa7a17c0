// Naming the route a caller means: a schedule and a provider, narrowed by owner or by route id.

import CavraJSON
import CavraPolicy

public struct RouteTarget: Sendable, Equatable {
    public var scheduleId: String
    public var provider: String?
    public var owner: String?
    public var routeId: String?
    /// The plan to look in instead of the current one (an action on a superseded plan's route is then a 409).
    public var planId: String?

    public init(
        scheduleId: String, provider: String? = nil, owner: String? = nil, routeId: String? = nil,
        planId: String? = nil
    ) {
        self.scheduleId = scheduleId
        self.provider = provider
        self.owner = owner
        self.routeId = routeId
        self.planId = planId
    }

    /// The one route of `plans` this target names (§5 error order: 404 before 409).
    func resolve(in plans: [Plan]) throws(ServiceError) -> (plan: Plan, route: Route) {
        let ofSchedule = plans.filter { $0.scheduleId == scheduleId }
        guard !ofSchedule.isEmpty else {
            throw .notFound(code: "unknown_schedule", detail: "no schedule `\(scheduleId)` has been planned")
        }
        if let routeId {
            for plan in ofSchedule where planId.map({ $0 == plan.planId }) ?? true {
                // A provider or owner given beside the id must agree with it.
                if let route = plan.route(id: routeId),
                    provider.map({ route.provider.equalsIgnoringCase($0) }) ?? true,
                    owner.map({ route.owner.equalsIgnoringCase($0) }) ?? true
                {
                    return (plan, route)
                }
            }
            throw .notFound(code: "no_matching_route", detail: "schedule `\(scheduleId)` has no route `\(routeId)`")
        }
        if let planId, !ofSchedule.contains(where: { $0.planId == planId }) {
            throw .notFound(code: "no_matching_route", detail: "schedule `\(scheduleId)` has no plan `\(planId)`")
        }
        let chosen = ofSchedule.first { plan in planId.map { plan.planId == $0 } ?? !plan.superseded }
        guard let current = chosen else {
            throw .notFound(code: "no_current_plan", detail: "schedule `\(scheduleId)` has no current plan")
        }
        let matches = current.routes.filter { route in
            (provider.map { route.provider.equalsIgnoringCase($0) } ?? true)
                && (owner.map { route.owner.equalsIgnoringCase($0) } ?? true)
        }
        guard !matches.isEmpty else {
            let what = [provider.map { "provider `\($0)`" }, owner.map { "owner `\($0)`" }].compactMap { $0 }
            throw .notFound(
                code: "no_matching_route",
                detail: "the current plan of `\(scheduleId)` has no route for \(what.joined(separator: " and "))")
        }
        // Several routes match, but only one can be acted on (the others are suppressed or removed): that one.
        let actionable = matches.filter { $0.category == .deliver && !$0.removed }
        if matches.count > 1, actionable.count == 1 { return (current, actionable[0]) }
        if matches.count > 1 {
            let candidates: [JSON] = matches.map { route in
                [
                    "route_id": .string(route.routeId), "owner": .string(route.owner),
                    "provider": .string(route.provider),
                ]
            }
            throw .conflict(
                code: "ambiguous_route",
                detail: "\(matches.count) routes of `\(scheduleId)` match; name the owner or the route id",
                currentState: nil, candidates: candidates)
        }
        return (current, matches[0])
    }
}
