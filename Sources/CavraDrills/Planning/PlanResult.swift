// What planning a schedule produced: the plan, whether it is new, and what a revision changed.

import CavraJSON

public struct PlanResult: Sendable, Equatable {
    /// The new plan, or the stored one revised (unchanged when `changes` is empty).
    public var plan: Plan
    /// True for a new plan (the API's 201).
    public var created: Bool
    /// What a revision changed, in order: the plan's fields, then each route's. Empty for a new plan and for an
    /// unchanged revision.
    public var changes: [PlanChange]
}

/// One changed field of a plan revision, recorded in history as part of `plan_revised`.
public struct PlanChange: Sendable, Equatable {
    /// The route changed; nil for a field of the plan itself.
    public var routeId: String?
    /// The field's name as the plan or route JSON writes it (`category`, `delivered_at`, `alert_level`, …), or
    /// `route` for a route added by the revision (`from` null, `to` the route).
    public var field: String
    public var from: JSON
    public var to: JSON

    public init(routeId: String?, field: String, from: JSON, to: JSON) {
        self.routeId = routeId
        self.field = field
        self.from = from
        self.to = to
    }

    /// `{route_id?, field, from, to}`.
    public var json: JSON {
        var object: JSONObject = [:]
        if let routeId { object["route_id"] = .string(routeId) }
        object["field"] = .string(field)
        object["from"] = from
        object["to"] = to
        return .object(object)
    }
}
