// A `test` block as the runner uses it: the request its fixtures describe and what each `expect` line wants.

public struct PolicyExpectation: Sendable {
    public var action: PolicyAction
    public var allow: Bool
    /// The exact obligations expected (none for an `allow` without `require`).
    public var obligations: [Obligation]
    /// The exact determining rule ids, when the line has `by`.
    public var determining: [String]?
    public var line: Int
}

public struct PolicyTest: Sendable {
    public var name: String
    public var file: Int
    public var line: Int
    /// The fixtures over the test defaults; the action is set per expectation.
    public var request: PolicyRequest
    public var expectations: [PolicyExpectation]
}
