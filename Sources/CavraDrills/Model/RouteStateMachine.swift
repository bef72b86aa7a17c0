// The route state machine of architecture.md §2, and the one function that derives a route's state.

import CavraPolicy

extension RouteState {
    /// The states a route may move to from this one; `resolved` and `dismissed` are final.
    public var allowedTransitions: [RouteState] {
        switch self {
        case .outstanding: [.acknowledged, .escalated, .resolved, .dismissed]
        case .acknowledged: [.escalated, .resolved]
        case .escalated: [.acknowledged, .resolved]
        case .resolved, .dismissed: []
        }
    }

    public func canMove(to next: RouteState) -> Bool { allowedTransitions.contains(next) }

    /// The state of a route whose records end with `latest` (nil: no record yet).
    public static func derived(latest: RouteState?) -> RouteState { latest ?? .outstanding }
}

/// The four actions that change a route's state, each to its own state.
public enum RouteAction: String, Sendable, CaseIterable {
    case acknowledge, escalate, resolve, dismiss

    public var targetState: RouteState {
        switch self {
        case .acknowledge: .acknowledged
        case .escalate: .escalated
        case .resolve: .resolved
        case .dismiss: .dismissed
        }
    }

    public var policyAction: PolicyAction { PolicyAction(rawValue: rawValue)! }

    public init?(targetState: RouteState) {
        guard let action = RouteAction.allCases.first(where: { $0.targetState == targetState }) else { return nil }
        self = action
    }
}
