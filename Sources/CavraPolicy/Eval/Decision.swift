// The outcome of one evaluation (policy-language.md §6): decision, determining rules, obligations, errors, trace.

public enum RuleOutcome: String, Sendable {
    case applied
    case notApplied = "not_applied"
    case skippedPrincipal = "skipped_principal"
    case error
}

public struct RuleError: Sendable, Equatable {
    public var rule: Int
    public var location: SourceLocation
    public var message: String
}

public struct Trace: Sendable {
    public struct RoleEntry: Sendable {
        public var role: Int
        /// nil when the role failed to evaluate.
        public var value: Bool?
        public var error: String?
    }

    public struct ConditionEntry: Sendable {
        public var condition: CompiledCondition
        /// nil when the clause failed to evaluate.
        public var value: Bool?
        public var error: String?
    }

    public struct RuleEntry: Sendable {
        init(rule: Int, principal: Bool?, conditions: ArraySlice<ConditionEntry>, outcome: RuleOutcome) {
            self.rule = rule
            self.principal = principal
            self.conditions = conditions
            self.outcome = outcome
        }

        public var rule: Int
        /// nil when not evaluated, without `by`, or with `by anyone`.
        public var principal: Bool?
        public var conditions: ArraySlice<ConditionEntry>
        public var outcome: RuleOutcome
    }

    public var roles: [RoleEntry]
    public var rules: [RuleEntry]
}

/// An obligation of an allow, with the determining permits (source order) that required it.
public struct ObligationEntry: Sendable {
    public var obligation: Obligation
    public var rules: [Int]
}

public struct Decision: Sendable {
    public let policy: CompiledPolicy
    public let action: PolicyAction
    public let allow: Bool
    /// Indices of the determining rules, in source order.
    public let determining: [Int]
    /// Sorted by name.
    public let obligations: [ObligationEntry]
    public let reasons: [String]
    public let errors: [RuleError]
    public let trace: Trace?

    /// False under a `mode shadow` policy: the decision is recorded, never enforced.
    public var enforced: Bool { !policy.shadow }

    public var determiningIds: [String] { determining.map { policy.rules[$0].id } }
    public var obligationNames: [String] { obligations.map(\.obligation.rawValue) }
}
