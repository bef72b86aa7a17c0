// Evaluates a request against a compiled policy (policy-language.md §5): order, fail-closed errors, combining.

import CavraJSON

struct EvalFailure: Error {
    var message: String
    var location: SourceLocation
}

extension CompiledPolicy {
    /// Decides `request`. With `trace` false the index skips rules whose guard cannot hold; the decision, its
    /// obligations, reasons and errors are the same either way.
    public func evaluate(_ request: PolicyRequest, trace: Bool = true) -> Decision {
        evaluate(request, trace: trace, indexed: !trace)
    }

    /// `indexed: false` evaluates every rule of the action in order: the plain form the index is checked against.
    public func evaluate(_ request: PolicyRequest, trace: Bool, indexed: Bool) -> Decision {
        withUnsafePointer(to: request) { evaluate(at: $0, trace: trace, indexed: indexed) }
    }

    /// Decides the request `request` points to, read in place; it must stay valid for the call. A batch decides
    /// its requests where they stand, without copying each one (and retaining its strings and lists).
    func evaluate(at request: UnsafePointer<PolicyRequest>, trace: Bool, indexed: Bool) -> Decision {
        ExpressionContext.withRequest(at: request, roles: roles) { expressions in
            var run = Evaluation(policy: self, expressions: expressions, tracing: trace)
            run.evaluateRules(in: buckets[request.pointee.action.ordinal], indexed: indexed)
            return run.decision()
        }
    }
}

extension Evaluation {
    fileprivate mutating func evaluateRules(in bucket: ActionBucket, indexed: Bool) {
        if indexed {
            var candidates = bucket.unguarded
            for guardEntry in bucket.attributeGuards {
                if let value = expressions.request.stringValue(of: guardEntry.attribute),
                    let postings = guardEntry.postings[value]
                {
                    candidates.formUnion(postings)
                }
            }
            for guardEntry in bucket.roleGuards where roleHeldInfallibly(guardEntry.role) {
                candidates.formUnion(guardEntry.postings)
            }
            candidates.forEach { evaluateRule(bucket.rules[$0]) }
        } else {
            if tracing {
                ruleTrace.reserveCapacity(bucket.rules.count)
                conditionTrace.reserveCapacity(bucket.clauseCount)
            }
            for rule in bucket.rules { evaluateRule(rule) }
        }
    }
}

/// One evaluation's state: the roles evaluated so far and what each rule did.
struct Evaluation {
    let policy: CompiledPolicy
    let tracing: Bool
    fileprivate var expressions: ExpressionContext
    private var applyingPermits: [Int] = []
    private var applyingForbids: [Int] = []
    private var errors: [RuleError] = []
    /// Obligations met so far, as (obligation, rule index).
    private var obligations: [MetObligation] = []
    private var ruleTrace: [RawTrace.TracedRule] = []
    private var conditionTrace: [Bool?] = []
    private var conditionErrors: [Int: String] = [:]

    private struct MetObligation {
        var obligation: Obligation
        var rule: Int
    }

    init(policy: CompiledPolicy, expressions: ExpressionContext, tracing: Bool) {
        self.policy = policy
        self.tracing = tracing
        self.expressions = expressions
    }

    // MARK: Rules

    mutating func evaluateRule(_ index: Int) {
        let conditionStart = conditionTrace.count
        var principal: Bool?
        let outcome: RuleOutcome
        do {
            outcome = try ruleOutcome(policy.rules[index], index: index, principal: &principal)
        } catch {
            errors.append(RuleError(rule: index, location: error.location, message: error.message))
            outcome = .error
        }
        if outcome == .applied {
            if policy.rules[index].effect == .permit {
                applyingPermits.append(index)
            } else {
                applyingForbids.append(index)
            }
        }
        if tracing {
            ruleTrace.append(
                RawTrace.TracedRule(
                    rule: index, principal: principal, conditions: conditionStart..<conditionTrace.count,
                    outcome: outcome))
        }
    }

    private mutating func ruleOutcome(_ rule: borrowing CompiledRule, index: Int, principal: inout Bool?)
        throws(EvalFailure) -> RuleOutcome
    {
        if let principals = rule.principals {
            var held = false
            for role in principals where try expressions.role(role) {
                held = true
                break
            }
            principal = held
            if !held { return .skippedPrincipal }
        }
        for condition in rule.conditions {
            let value = try check(condition)
            if value != condition.isWhen { return .notApplied }
        }
        let before = obligations.count
        for requirement in rule.requirements {
            if let condition = requirement.condition {
                do {
                    if try check(condition) == condition.isWhen {
                        obligations.append(MetObligation(obligation: requirement.obligation, rule: index))
                    }
                } catch {
                    obligations.removeSubrange(before...)
                    throw error
                }
            } else {
                obligations.append(MetObligation(obligation: requirement.obligation, rule: index))
            }
        }
        return .applied
    }

    /// Evaluates one clause, tracing it.
    private mutating func check(_ condition: CompiledCondition) throws(EvalFailure) -> Bool {
        do {
            let value = try expressions.bool(condition.node)
            if tracing { conditionTrace.append(value) }
            return value
        } catch {
            if tracing {
                conditionErrors[conditionTrace.count] = error.message
                conditionTrace.append(nil)
            }
            throw error
        }
    }

    /// For the index: roles used as guards cannot fail.
    mutating func roleHeldInfallibly(_ index: Int) -> Bool {
        (try? expressions.role(index)) ?? false
    }

    // MARK: Combining

    func decision() -> Decision {
        let allow: Bool
        let determining: [Int]
        var reasons: [String] = []
        var forbidReasons: [String] {
            applyingForbids.map { index in policy.rules[index].because ?? "denied by \(policy.rules[index].id)" }
        }
        if !errors.isEmpty {
            allow = false
            determining = applyingForbids
            reasons = ["a rule failed to evaluate"] + forbidReasons
        } else if !applyingForbids.isEmpty {
            allow = false
            determining = applyingForbids
            reasons = forbidReasons
        } else if !applyingPermits.isEmpty {
            allow = true
            determining = applyingPermits
        } else {
            allow = false
            determining = []
            reasons = ["no permit rule applies"]
        }
        var grouped: [ObligationEntry] = []
        if allow {
            for obligation in Obligation.sortedByName {
                var rules: [Int] = []
                for met in obligations where met.obligation == obligation && !rules.contains(met.rule) {
                    rules.append(met.rule)
                }
                if !rules.isEmpty { grouped.append(ObligationEntry(obligation: obligation, rules: rules)) }
            }
        }
        // The trace is kept raw; `Decision.trace` builds its public form only when someone reads it.
        let raw: RawTrace? =
            tracing
            ? RawTrace(
                rules: ruleTrace, conditions: conditionTrace, conditionErrors: conditionErrors,
                roles: expressions.roleSnapshot()) : nil
        return Decision(
            policy: policy, action: expressions.request.action, allow: allow, determining: determining,
            obligations: grouped, reasons: reasons, errors: errors, rawTrace: raw)
    }
}
