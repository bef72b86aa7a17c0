// The route list (architecture.md §5): current plans' routes with their derived state, age, breach and what
// the asking actor may do to each.

import CavraJSON
import CavraPolicy

/// One route as the route list shows it.
public struct RouteView: Sendable {
    public var route: Route
    public var state: RouteState
    public var ageSeconds: Int64
    public var breached: Bool
    public var current: Bool
    public var hasRecords: Bool
    public var latestAcknowledgement: JSON?
    /// For acknowledge, escalate, resolve, dismiss and export: `{allowed, obligations, determining, reasons}`.
    public var permissions: JSONObject
}

public struct RouteList: Sendable {
    public var items: [RouteView]
    public var total: Int
    public var limit: Int
    public var offset: Int
}

extension DrillService {
    public func routes(filter: RouteFilter, limit: Int, offset: Int, actor: Actor, channel: Channel)
        async throws(ServiceError) -> RouteList
    {
        guard (1...500).contains(limit) else { throw .badInput(field: "limit", detail: "must be from 1 to 500") }
        guard offset >= 0 else { throw .badInput(field: "offset", detail: "must not be negative") }
        let now = clock()
        var views = try await routeViews(filter: filter, now: now)
        views.sort {
            ($0.route.scheduleId, $0.route.owner, $0.route.provider) < (
                $1.route.scheduleId, $1.route.owner, $1.route.provider
            )
        }
        let total = views.count
        var page = Array(views.dropFirst(offset).prefix(limit))
        let policies = self.policies()
        let latest: [String: ChainedEvidence]
        do {
            latest = try await store.latestRecords(routeIds: page.filter(\.hasRecords).map(\.route.routeId))
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
        for index in page.indices {
            page[index].latestAcknowledgement = latest[page[index].route.routeId]?.json
            page[index].permissions = Self.permissions(
                for: page[index], actor: actor, channel: channel, now: now, policy: policies.enforced)
        }
        return RouteList(items: page, total: total, limit: limit, offset: offset)
    }

    /// Every route of the (current, unless the filter says otherwise) plans that passes `filter`, at `now`.
    func routeViews(filter: RouteFilter, now: Timestamp) async throws(ServiceError) -> [RouteView] {
        let plans = try await readPlans(scheduleId: nil).filter { filter.includeSuperseded || !$0.superseded }
        let heads: [String: ChainHead]
        do {
            heads = try await store.routeHeads(planIds: plans.map(\.planId))
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
        var views: [RouteView] = []
        for plan in plans {
            for route in plan.routes {
                let state = RouteState.derived(latest: heads[route.routeId]?.state)
                let breached = Planner.isBreached(route: route, state: state, current: !plan.superseded, now: now)
                guard filter.matches(route, state: state, breached: breached) else { continue }
                views.append(
                    RouteView(
                        route: route, state: state, ageSeconds: Planner.ageSeconds(route: route, now: now),
                        breached: breached, current: !plan.superseded, hasRecords: heads[route.routeId] != nil,
                        latestAcknowledgement: nil, permissions: [:]))
            }
        }
        return views
    }

    /// §5: for the four state changes `allowed` needs a current, not removed, deliver route, a legal transition and
    /// a policy allow; when the route or the state machine refuses, the policy is not asked. For export only the
    /// policy decides.
    static func permissions(for view: RouteView, actor: Actor, channel: Channel, now: Timestamp, policy: CompiledPolicy)
        -> JSONObject
    {
        var result = JSONObject()
        for action in RouteAction.allCases.map(\.policyAction) + [.export] {
            var refusal: String?
            if let change = RouteAction(rawValue: action.rawValue) {
                if !view.current {
                    refusal = "the route's plan is superseded"
                } else if view.route.removed {
                    refusal = "the route was removed"
                } else if view.route.category != .deliver {
                    refusal = "the route is suppressed (\(view.route.category.rawValue))"
                } else if !view.state.canMove(to: change.targetState) {
                    refusal =
                        view.state.allowedTransitions.isEmpty
                        ? "\(view.state.rawValue) is final"
                        : "\(view.state.rawValue) cannot become \(change.targetState.rawValue)"
                }
            }
            if let refusal {
                result[action.rawValue] = [
                    "allowed": false, "obligations": [], "determining": [], "reasons": [.string(refusal)],
                ]
                continue
            }
            var request = PolicyRequest(action: action)
            request.actor = actor.policyAttributes
            request.route = view.route.policyAttributes(state: view.state, current: view.current, now: now)
            request.context.now = now.unixSeconds
            request.context.channel = channel
            let decision = policy.evaluate(request, trace: false)
            result[action.rawValue] = [
                "allowed": .bool(decision.allow), "obligations": .array(decision.obligationNames.map(JSON.string)),
                "determining": .array(decision.determiningIds.map(JSON.string)),
                "reasons": .array(decision.reasons.map(JSON.string)),
            ]
        }
        return result
    }
}

extension RouteFilter {
    func matches(_ route: Route, state: RouteState, breached: Bool) -> Bool {
        func same(_ wanted: String?, _ value: String) -> Bool {
            wanted.map { $0.equalsIgnoringCase(value) } ?? true
        }
        return same(scheduleId, route.scheduleId) && same(provider, route.provider) && same(owner, route.owner)
            && (self.state.map { $0 == state } ?? true) && (category.map { $0 == route.category } ?? true)
            && (self.breached.map { $0 == breached } ?? true)
    }
}
