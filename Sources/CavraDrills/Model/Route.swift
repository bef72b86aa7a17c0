// Plans and routes (architecture.md §2): one plan per due cycle of a schedule, one route per owner × provider.

import CavraPolicy
import Synchronization

public struct Route: Sendable, Equatable {
    public var routeId: String
    public var planId: String
    public var scheduleId: String
    public var owner: String
    public var provider: String
    public var escalationOwner: String
    public var category: RouteCategory
    /// Why the route is suppressed (the window or calendar reason), or why it is delivered.
    public var reason: String
    public var environment: String
    public var service: String
    public var tags: [String]
    public var severity: Severity
    public var sloSeconds: Int64
    /// When the route first became `deliver`; nil for a route never delivered.
    public var deliveredAt: Timestamp?
    /// Dropped by a later revision of its plan; a revision that asks for it again restores it.
    public var removed: Bool

    public init(
        routeId: String, planId: String, scheduleId: String, owner: String, provider: String,
        escalationOwner: String, category: RouteCategory, reason: String, environment: String, service: String,
        tags: [String], severity: Severity, sloSeconds: Int64, deliveredAt: Timestamp?, removed: Bool
    ) {
        self.routeId = routeId
        self.planId = planId
        self.scheduleId = scheduleId
        self.owner = owner
        self.provider = provider
        self.escalationOwner = escalationOwner
        self.category = category
        self.reason = reason
        self.environment = environment
        self.service = service
        self.tags = tags
        self.severity = severity
        self.sloSeconds = sloSeconds
        self.deliveredAt = deliveredAt
        self.removed = removed
    }
}

public struct Plan: Sendable, Equatable {
    public var planId: String
    public var scheduleId: String
    /// The plan's due date `next_due` in the timestamp form, or `"unknown"`.
    public var cycle: String
    public var revision: Int
    public var createdAt: Timestamp
    public var revisedAt: Timestamp
    public var alertLevel: Severity
    public var nextDue: Timestamp?
    public var superseded: Bool
    /// Once a plan call for the cycle carried `force`, later revisions keep delivering.
    public var forced: Bool
    public var routes: [Route] {
        didSet { routeIndex = RouteIndex() }
    }
    /// Built on the first lookup by id; a plan of a thousand routes is searched on every action.
    private var routeIndex = RouteIndex()

    public init(
        planId: String, scheduleId: String, cycle: String, revision: Int, createdAt: Timestamp, revisedAt: Timestamp,
        alertLevel: Severity, nextDue: Timestamp?, superseded: Bool, forced: Bool, routes: [Route]
    ) {
        self.planId = planId
        self.scheduleId = scheduleId
        self.cycle = cycle
        self.revision = revision
        self.createdAt = createdAt
        self.revisedAt = revisedAt
        self.alertLevel = alertLevel
        self.nextDue = nextDue
        self.superseded = superseded
        self.forced = forced
        self.routes = routes
    }

    /// The first route with this id.
    public func route(id: String) -> Route? {
        routeIndex.position(of: id, in: routes).map { routes[$0] }
    }

    public static func == (lhs: Plan, rhs: Plan) -> Bool {
        (lhs.planId, lhs.scheduleId, lhs.cycle, lhs.revision, lhs.createdAt, lhs.revisedAt)
            == (rhs.planId, rhs.scheduleId, rhs.cycle, rhs.revision, rhs.createdAt, rhs.revisedAt)
            && (lhs.alertLevel, lhs.nextDue, lhs.superseded, lhs.forced) == (
                rhs.alertLevel, rhs.nextDue, rhs.superseded, rhs.forced
            )
            && lhs.routes == rhs.routes
    }
}

extension [Plan] {
    /// The first plan holding a route with this id, and that route.
    public func route(id: String) -> (plan: Plan, route: Route)? {
        for plan in self {
            if let route = plan.route(id: id) { return (plan, route) }
        }
        return nil
    }
}

/// Positions of a plan's routes by id, shared by the copies of a plan and built once, on the first lookup. A plan
/// whose routes change gets a new, empty one.
private final class RouteIndex: Sendable {
    private let positions = Mutex<[String: Int]?>(nil)

    func position(of routeId: String, in routes: [Route]) -> Int? {
        positions.withLock { positions in
            if positions == nil {
                var built: [String: Int] = [:]
                built.reserveCapacity(routes.count)
                for (position, route) in routes.enumerated() where built[route.routeId] == nil {
                    built[route.routeId] = position
                }
                positions = built
            }
            return positions![routeId]
        }
    }
}
