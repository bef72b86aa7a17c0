// A validated policy in the indexed form the evaluator runs: rules bucketed by action, roles by index.

public struct CompiledRole: Sendable {
    public var name: String
    /// The role's expression as written, comments removed and whitespace collapsed.
    public var source: String
    var node: Node
    var infallible: Bool
}

/// A `when`, `unless` or `require … when|unless` clause as the trace shows it. A class, so that a trace entry
/// refers to its clause without copying it.
public final class CompiledCondition: Sendable {
    /// `when`, `unless`, `require note when`, `require note unless`.
    public let clause: String
    /// The clause's expression text, comments removed and whitespace collapsed.
    public let source: String
    /// For `when` (and `require … when`): the rule goes on when the value is true.
    let isWhen: Bool
    let node: Node

    init(clause: String, source: String, isWhen: Bool, node: Node) {
        self.clause = clause
        self.source = source
        self.isWhen = isWhen
        self.node = node
    }
}

public struct CompiledRequirement: Sendable {
    public var obligation: Obligation
    var condition: CompiledCondition?
}

/// A class, so that evaluating a rule reads it in place instead of copying its lists.
public final class CompiledRule: Sendable {
    public let id: String
    public let effect: Effect
    /// The file index in the policy's source, and the line of the `permit`/`forbid` keyword.
    public let file: Int
    public let line: Int
    /// nil: every action (`*`).
    public let actions: Set<PolicyAction>?
    /// Role indices of `by`, left to right; nil without `by` or with `by anyone`.
    let principals: [Int]?
    public let conditions: [CompiledCondition]
    public let requirements: [CompiledRequirement]
    public let because: String?
    /// The clauses in the order an evaluation checks them: the conditions, then the requirements' conditions.
    /// The trace records only their values, the n-th for the n-th clause.
    let clauses: [CompiledCondition]

    init(
        id: String, effect: Effect, file: Int, line: Int, actions: Set<PolicyAction>?, principals: [Int]?,
        conditions: [CompiledCondition], requirements: [CompiledRequirement], because: String?
    ) {
        self.id = id
        self.effect = effect
        self.file = file
        self.line = line
        self.actions = actions
        self.principals = principals
        self.conditions = conditions
        self.requirements = requirements
        self.because = because
        clauses = conditions + requirements.compactMap(\.condition)
    }

    func covers(_ action: PolicyAction) -> Bool { actions?.contains(action) ?? true }
}

public final class CompiledPolicy: Sendable {
    public let id: String
    public let version: String?
    public let description: String?
    public let shadow: Bool
    public let sha256: String
    public let source: PolicySource
    public let rules: [CompiledRule]
    public let roles: [CompiledRole]
    public let tests: [PolicyTest]
    /// For each action, by `PolicyAction.ordinal`, the rules whose action list covers it, in source order.
    let buckets: [ActionBucket]

    init(
        header: Header, source: PolicySource, rules: [CompiledRule], roles: [CompiledRole], tests: [PolicyTest]
    ) {
        id = header.id
        version = header.version
        description = header.description
        shadow = header.shadow
        sha256 = source.sha256
        self.source = source
        self.rules = rules
        self.roles = roles
        self.tests = tests
        buckets = PolicyAction.allCases.map { action in
            ActionBucket(rules: rules.indices.filter { rules[$0].covers(action) }, policyRules: rules, roles: roles)
        }
    }

    /// The file name used in ids, the trace and errors.
    public func fileName(_ index: Int) -> String { source.files[index].name }
}

extension PolicyAction {
    /// The position in `allCases`, without hashing.
    var ordinal: Int {
        switch self {
        case .acknowledge: 0
        case .escalate: 1
        case .resolve: 2
        case .dismiss: 3
        case .export: 4
        case .plan: 5
        }
    }
}
