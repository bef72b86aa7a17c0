// A route as the policy sees it (policy-language.md §4).

import CavraPolicy

extension Route {
    /// The route as the policy sees it at `now`, in `state`, as a route of a current plan or not.
    public func policyAttributes(state: RouteState, current: Bool, now: Timestamp) -> PolicyRequest.RouteAttributes {
        let route = self
        var attributes = PolicyRequest.RouteAttributes()
        attributes.id = route.routeId
        attributes.scheduleId = route.scheduleId
        attributes.planId = route.planId
        attributes.provider = route.provider
        attributes.owner = route.owner
        attributes.escalationOwner = route.escalationOwner
        attributes.environment = route.environment
        attributes.service = route.service
        attributes.severity = route.severity
        attributes.state = state
        attributes.category = route.category
        attributes.age = Planner.ageSeconds(route: route, now: now)
        attributes.slo = route.sloSeconds
        attributes.breached = Planner.isBreached(route: route, state: state, current: current, now: now)
        attributes.tags = route.tags
        return attributes
    }
}
