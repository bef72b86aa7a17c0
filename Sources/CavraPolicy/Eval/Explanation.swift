// A decision explained for a person who did not write the policy (`cavra policy explain`, failing tests).

public enum Explanation {
    public static func text(_ decision: Decision, request: PolicyRequest) -> String {
        let policy = decision.policy
        var lines: [String] = []
        let verdict = decision.allow ? "ALLOW" : "DENY"
        let enforced = decision.enforced ? "" : " (shadow policy: recorded, not enforced)"
        lines.append("\(verdict) \(decision.action.rawValue)\(enforced)")
        lines.append("  \(summary(decision))")
        for entry in decision.obligations {
            let rules = entry.rules.map { policy.rules[$0].id }.joined(separator: ", ")
            lines.append(
                "  obligation \(entry.obligation.rawValue): \(obligationMeaning(entry.obligation)) (required by \(rules))"
            )
        }
        for error in decision.errors {
            lines.append(
                "  error in \(policy.rules[error.rule].id) at "
                    + "\(policy.fileName(error.location.file)):\(error.location.line):\(error.location.column): \(error.message)"
            )
        }
        lines.append("")
        let version = policy.version.map { " \($0)" } ?? ""
        lines.append("policy: \(policy.id)\(version), sha256 \(policy.sha256)")
        lines.append("actor: \(describe(request.actor))")
        lines.append("route: \(describe(request.route))")
        lines.append("")
        lines += traceLines(decision)
        let skipped = policy.rules.count - (decision.trace?.rules.count ?? 0)
        if skipped > 0 {
            lines.append("")
            lines.append(
                skipped == 1
                    ? "1 other rule covers other actions and was not considered."
                    : "\(skipped) other rules cover other actions and were not considered.")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func summary(_ decision: Decision) -> String {
        let ids = decision.determiningIds.joined(separator: ", ")
        if decision.allow { return "allowed by \(ids); no forbid applied" }
        if !decision.errors.isEmpty { return "denied because a rule failed to evaluate (errors fail closed)" }
        if decision.determining.isEmpty { return "denied by default: no permit rule applies" }
        return "denied by \(ids): " + decision.reasons.joined(separator: "; ")
    }

    private static func obligationMeaning(_ obligation: Obligation) -> String {
        switch obligation {
        case .note: "the submission must carry a non-empty note"
        case .externalRef: "the submission must carry a change or incident reference"
        }
    }

    private static func describe(_ actor: PolicyRequest.ActorAttributes) -> String {
        let identity = actor.verified ? "verified, issuer \(actor.issuer), subject \(actor.subject)" : "unverified"
        let groups = actor.groups.isEmpty ? "no groups" : "groups " + actor.groups.joined(separator: ", ")
        return "\(actor.id) (\(identity)), \(groups)"
    }

    private static func describe(_ route: PolicyRequest.RouteAttributes) -> String {
        var parts = [
            "environment \(route.environment)", "state \(route.state.rawValue)", "severity \(route.severity.rawValue)",
            "category \(route.category.rawValue)",
        ]
        if route.breached { parts.append("breached") }
        if !route.tags.isEmpty { parts.append("tags " + route.tags.joined(separator: ", ")) }
        return parts.joined(separator: ", ")
    }

    /// Roles evaluated and why, then each rule considered: whether it applied and the clause that decided it.
    public static func traceLines(_ decision: Decision) -> [String] {
        guard let trace = decision.trace else { return [] }
        let policy = decision.policy
        var lines: [String] = []
        if !trace.roles.isEmpty {
            lines.append("roles (only those this decision needed are evaluated):")
            for entry in trace.roles {
                let role = policy.roles[entry.role]
                switch entry.value {
                case true?: lines.append("  \(role.name): held, because `\(role.source)` is true")
                case false?: lines.append("  \(role.name): not held, because `\(role.source)` is false")
                case nil: lines.append("  \(role.name): failed: \(entry.error ?? "error")")
                }
            }
        }
        let held = Set(trace.roles.filter { $0.value == true }.map(\.role))
        lines.append("rules for `\(decision.action.rawValue)`, in order:")
        for entry in trace.rules {
            let rule = policy.rules[entry.rule]
            let outcome =
                switch entry.outcome {
                case .applied: "APPLIED"
                case .notApplied: "not applied"
                case .skippedPrincipal: "skipped"
                case .error: "FAILED"
                }
            lines.append(
                "  \(rule.effect.rawValue) \(rule.id) (\(policy.fileName(rule.file)):\(rule.line)): \(outcome)")
            lines.append("    " + principalLine(entry, rule, policy, held: held))
            for condition in entry.conditions {
                lines.append("    " + conditionLine(condition, outcome: entry.outcome))
            }
        }
        return lines
    }

    private static func principalLine(
        _ entry: Trace.RuleEntry, _ rule: CompiledRule, _ policy: CompiledPolicy, held: Set<Int>
    ) -> String {
        guard let principals = rule.principals else { return "by anyone" }
        let names = principals.map { policy.roles[$0].name }
        switch entry.principal {
        case true?:
            let first = principals.first(where: held.contains).map { policy.roles[$0].name } ?? names[0]
            return "by \(names.joined(separator: ", ")): the actor holds \(first)"
        case false?: return "by \(names.joined(separator: ", ")): the actor holds none of them, so the rule is skipped"
        case nil: return "by \(names.joined(separator: ", ")): a role failed to evaluate"
        }
    }

    private static func conditionLine(_ condition: Trace.ConditionEntry, outcome: RuleOutcome) -> String {
        let clause = "\(condition.condition.clause) \(condition.condition.source)"
        guard let value = condition.value else { return "\(clause) → failed: \(condition.error ?? "error")" }
        let isRequire = condition.condition.clause.hasPrefix("require")
        if isRequire {
            return "\(clause) → \(value): " + (value == condition.condition.isWhen ? "required" : "not required")
        }
        let stops = value != condition.condition.isWhen
        return "\(clause) → \(value)" + (stops ? ": the rule does not apply" : "")
    }
}
