// Reading and writing request attributes by `Attribute`: for the index, fixtures and request JSON.

extension PolicyRequest {
    /// The value of a string attribute (value-set attributes by their name), for the index.
    func stringValue(of attribute: Attribute) -> String? {
        switch attribute {
        case .actorId: actor.id
        case .actorIssuer: actor.issuer
        case .actorSubject: actor.subject
        case .routeId: route.id
        case .routeScheduleId: route.scheduleId
        case .routePlanId: route.planId
        case .routeProvider: route.provider
        case .routeOwner: route.owner
        case .routeEscalationOwner: route.escalationOwner
        case .routeEnvironment: route.environment
        case .routeService: route.service
        case .routeSeverity: route.severity.rawValue
        case .routeState: route.state.rawValue
        case .routeCategory: route.category.rawValue
        case .contextChannel: context.channel.rawValue
        default: nil
        }
    }

    mutating func set(_ attribute: Attribute, string value: String) {
        switch attribute {
        case .actorId: actor.id = value
        case .actorIssuer: actor.issuer = value
        case .actorSubject: actor.subject = value
        case .routeId: route.id = value
        case .routeScheduleId: route.scheduleId = value
        case .routePlanId: route.planId = value
        case .routeProvider: route.provider = value
        case .routeOwner: route.owner = value
        case .routeEscalationOwner: route.escalationOwner = value
        case .routeEnvironment: route.environment = value
        case .routeService: route.service = value
        case .routeSeverity: route.severity = Severity(rawValue: value)!
        case .routeState: route.state = RouteState(rawValue: value)!
        case .routeCategory: route.category = RouteCategory(rawValue: value)!
        case .contextChannel: context.channel = Channel(rawValue: value)!
        default: preconditionFailure("\(attribute.rawValue) is not a string attribute")
        }
    }

    mutating func set(_ attribute: Attribute, bool value: Bool) {
        switch attribute {
        case .actorVerified: actor.verified = value
        case .routeBreached: route.breached = value
        case .contextBulk: context.bulk = value
        default: preconditionFailure("\(attribute.rawValue) is not a bool attribute")
        }
    }

    /// Ints, and durations in seconds.
    mutating func set(_ attribute: Attribute, int value: Int64) {
        switch attribute {
        case .routeAge: route.age = value
        case .routeSlo: route.slo = value
        case .contextNow: context.now = value
        case .contextBulkSize: context.bulkSize = value
        default: preconditionFailure("\(attribute.rawValue) is not an int or duration attribute")
        }
    }

    mutating func set(_ attribute: Attribute, strings value: [String]) {
        switch attribute {
        case .actorGroups: actor.groups = value
        case .routeTags: route.tags = value
        default: preconditionFailure("\(attribute.rawValue) is not a list attribute")
        }
    }
}
