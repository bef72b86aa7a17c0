// The request every decision is made for (policy-language.md §4): an action and the actor, route and context.

import CavraJSON

public struct PolicyRequest: Sendable, Equatable {
    public struct ActorAttributes: Sendable, Equatable {
        public var id = "test-actor"
        public var verified = false
        public var issuer = ""
        public var subject = ""
        public var groups: [String] = []
        /// Every claim, numbers already normalised (architecture.md §7).
        public var claims = JSONObject()

        public init() {}
    }

    public struct RouteAttributes: Sendable, Equatable {
        public var id = ""
        public var scheduleId = ""
        public var planId = ""
        public var provider = ""
        public var owner = ""
        public var escalationOwner = ""
        public var environment = "staging"
        public var service = ""
        public var severity = Severity.warning
        public var state = RouteState.outstanding
        public var category = RouteCategory.deliver
        /// Seconds since the route was first delivered.
        public var age: Int64 = 0
        /// The acknowledgement SLO, in seconds.
        public var slo: Int64 = 3600
        public var breached = false
        public var tags: [String] = []

        public init() {}
    }

    public struct ContextAttributes: Sendable, Equatable {
        /// Unix seconds of the decision.
        public var now: Int64 = 0
        public var channel = Channel.cli
        public var bulk = false
        public var bulkSize: Int64 = 1

        public init() {}
    }

    public var action: PolicyAction
    public var actor = ActorAttributes()
    public var route = RouteAttributes()
    public var context = ContextAttributes()

    /// A request with the test defaults of policy-language.md §8 for everything but the action.
    public init(action: PolicyAction) {
        self.action = action
    }
}
