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
        var run = Evaluation(policy: self, request: request, tracing: trace)
        let bucket = buckets[request.action]!
        if indexed {
            var candidates = bucket.unguarded
            for guardEntry in bucket.attributeGuards {
                if let value = request.stringValue(of: guardEntry.attribute),
                    let postings = guardEntry.postings[value]
                {
                    candidates.formUnion(postings)
                }
            }
            for guardEntry in bucket.roleGuards where run.roleHeldInfallibly(guardEntry.role) {
                candidates.formUnion(guardEntry.postings)
            }
            candidates.forEach { run.evaluateRule(bucket.rules[$0]) }
        } else {
            for rule in bucket.rules { run.evaluateRule(rule) }
        }
        return run.decision()
    }
}

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
}

/// One evaluation's state: the roles evaluated so far and what each rule did.
struct Evaluation {
    let policy: CompiledPolicy
    let tracing: Bool
    private var expressions: ExpressionContext
    private var applyingPermits: [Int] = []
    private var applyingForbids: [Int] = []
    private var errors: [RuleError] = []
    private var obligations: [(Obligation, Int)] = []
    private var ruleTrace: [Trace.RuleEntry] = []
    private var conditionTrace: [Trace.ConditionEntry] = []

    init(policy: CompiledPolicy, request: PolicyRequest, tracing: Bool) {
        self.policy = policy
        self.tracing = tracing
        expressions = ExpressionContext(request: request, roles: policy.roles)
    }

    // MARK: Rules

    mutating func evaluateRule(_ index: Int) {
        let rule = policy.rules[index]
        let conditionStart = conditionTrace.count
        var principal: Bool?
        let outcome: RuleOutcome
        do {
            outcome = try ruleOutcome(rule, index: index, principal: &principal)
        } catch {
            errors.append(RuleError(rule: index, location: error.location, message: error.message))
            outcome = .error
        }
        if outcome == .applied {
            if rule.effect == .permit { applyingPermits.append(index) } else { applyingForbids.append(index) }
        }
        if tracing {
            ruleTrace.append(
                Trace.RuleEntry(
                    rule: index, principal: principal, conditions: conditionTrace[conditionStart...],
                    outcome: outcome))
        }
    }

    private mutating func ruleOutcome(_ rule: CompiledRule, index: Int, principal: inout Bool?)
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
        var met: [(Obligation, Int)] = []
        for requirement in rule.requirements {
            if let condition = requirement.condition {
                if try check(condition) == condition.isWhen { met.append((requirement.obligation, index)) }
            } else {
                met.append((requirement.obligation, index))
            }
        }
        obligations += met
        return .applied
    }

    /// Evaluates one clause, tracing it.
    private mutating func check(_ condition: CompiledCondition) throws(EvalFailure) -> Bool {
        do {
            let value = try expressions.bool(condition.node)
            if tracing { conditionTrace.append(Trace.ConditionEntry(condition: condition, value: value)) }
            return value
        } catch {
            if tracing {
                conditionTrace.append(Trace.ConditionEntry(condition: condition, value: nil, error: error.message))
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
        let forbidReasons = applyingForbids.map { index in
            policy.rules[index].because ?? "denied by \(policy.rules[index].id)"
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
        var grouped: [(obligation: Obligation, rules: [Int])] = []
        if allow {
            for obligation in Obligation.allCases.sorted(by: { $0.rawValue < $1.rawValue }) {
                var rules: [Int] = []
                for (met, rule) in obligations where met == obligation && !rules.contains(rule) { rules.append(rule) }
                if !rules.isEmpty { grouped.append((obligation, rules.sorted())) }
            }
        }
        let trace: Trace? =
            tracing
            ? Trace(
                roles: expressions.roleTrace(), rules: ruleTrace) : nil
        return Decision(
            policy: policy, action: expressions.request.action, allow: allow, determining: determining.sorted(),
            obligations: grouped, reasons: reasons, errors: errors, trace: trace)
    }
}
