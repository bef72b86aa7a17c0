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
    let rawTrace: RawTrace?

    init(
        policy: CompiledPolicy, action: PolicyAction, allow: Bool, determining: [Int], obligations: [ObligationEntry],
        reasons: [String], errors: [RuleError], rawTrace: RawTrace?
    ) {
        self.policy = policy
        self.action = action
        self.allow = allow
        self.determining = determining
        self.obligations = obligations
        self.reasons = reasons
        self.errors = errors
        self.rawTrace = rawTrace
    }

    /// The trace of §6, when the evaluation recorded one.
    public var trace: Trace? {
        guard let rawTrace else { return nil }
        return Trace(
            roles: rawTrace.roles.entries,
            rules: rawTrace.rules.map { traced in
                let clauses = policy.rules[traced.rule].clauses
                let conditions = zip(clauses, traced.conditions).map { clause, position in
                    Trace.ConditionEntry(
                        condition: clause, value: rawTrace.conditions[position],
                        error: rawTrace.conditionErrors[position])
                }
                return Trace.RuleEntry(
                    rule: traced.rule, principal: traced.principal, conditions: conditions[...], outcome: traced.outcome
                )
            })
    }

    /// False under a `mode shadow` policy: the decision is recorded, never enforced.
    public var enforced: Bool { !policy.shadow }

    public var determiningIds: [String] { determining.map { policy.rules[$0].id } }
    public var obligationNames: [String] { obligations.map(\.obligation.rawValue) }
}

/// What an evaluation recorded for its trace, in the cheapest form: rule indices, clause values, role states.
struct RawTrace: Sendable {
    /// 16 bytes an entry, so that the trace of an action's rules is one small allocation.
    struct TracedRule: Sendable {
        private var ruleIndex: UInt32
        private var conditionStart: UInt32
        private var conditionEnd: UInt32
        var principal: Bool?
        var outcome: RuleOutcome

        init(rule: Int, principal: Bool?, conditions: Range<Int>, outcome: RuleOutcome) {
            ruleIndex = UInt32(rule)
            conditionStart = UInt32(conditions.lowerBound)
            conditionEnd = UInt32(conditions.upperBound)
            self.principal = principal
            self.outcome = outcome
        }

        var rule: Int { Int(ruleIndex) }
        /// A range of `conditions`, so that appending never copies the array.
        var conditions: Range<Int> { Int(conditionStart)..<Int(conditionEnd) }
    }

    var rules: [TracedRule]
    /// The value of each clause checked, in order; the n-th of a rule's range is its n-th clause
    /// (`CompiledRule.clauses`). nil for a clause that failed, with its message in `conditionErrors`.
    var conditions: [Bool?]
    var conditionErrors: [Int: String]
    var roles: ExpressionContext.RoleSnapshot
}
