// A decision explained for a person who did not write the policy (`cavra policy explain`, failing tests).

public enum Explanation {
    public static func text(_ decision: Decision) -> String {
        let policy = decision.policy
        var lines: [String] = []
        let enforced = decision.enforced ? "" : " (shadow policy: not enforced)"
        lines.append("\(decision.allow ? "ALLOW" : "DENY") \(decision.action.rawValue)\(enforced)")
        lines.append(
            "policy \(policy.id)\(policy.version.map { " \($0)" } ?? "") (sha256 \(policy.sha256.prefix(12))…)")
        if !decision.determining.isEmpty {
            lines.append("determined by: " + decision.determiningIds.joined(separator: ", "))
        }
        for entry in decision.obligations {
            let rules = entry.rules.map { policy.rules[$0].id }.joined(separator: ", ")
            lines.append("obligation: \(entry.obligation.rawValue) (required by \(rules))")
        }
        for reason in decision.reasons { lines.append("reason: \(reason)") }
        for error in decision.errors {
            lines.append(
                "error in \(policy.rules[error.rule].id) at \(policy.fileName(error.location.file)):\(error.location.line):\(error.location.column): \(error.message)"
            )
        }
        lines.append("")
        lines += traceLines(decision)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Roles evaluated, then each rule considered: whether it applied and the clause that decided it.
    public static func traceLines(_ decision: Decision) -> [String] {
        guard let trace = decision.trace else { return [] }
        let policy = decision.policy
        var lines: [String] = []
        if !trace.roles.isEmpty {
            lines.append("roles:")
            for entry in trace.roles {
                let name = policy.roles[entry.role].name
                switch entry.value {
                case true?: lines.append("  \(name): held")
                case false?: lines.append("  \(name): not held")
                case nil: lines.append("  \(name): failed (\(entry.error ?? "error"))")
                }
            }
        }
        lines.append("rules covering `\(decision.action.rawValue)`: \(trace.rules.count) of \(policy.rules.count)")
        for entry in trace.rules {
            let rule = policy.rules[entry.rule]
            lines.append(
                "  \(rule.effect.rawValue) \(rule.id) (\(policy.fileName(rule.file)):\(rule.line)): \(summary(entry, rule, policy))"
            )
            for condition in entry.conditions {
                let value = condition.value.map { String($0) } ?? "error: \(condition.error ?? "")"
                lines.append("    \(condition.condition.clause) \(condition.condition.source) → \(value)")
            }
        }
        return lines
    }

    private static func summary(_ entry: Trace.RuleEntry, _ rule: CompiledRule, _ policy: CompiledPolicy) -> String {
        switch entry.outcome {
        case .applied:
            return "applied"
        case .skippedPrincipal:
            let roles = rule.principals?.map { policy.roles[$0].name }.joined(separator: ", ") ?? ""
            return "skipped: the actor holds none of the roles \(roles)"
        case .notApplied:
            guard let last = entry.conditions.last else { return "not applied" }
            return "not applied: `\(last.condition.clause)` clause was \(last.value == true)"
        case .error:
            return "failed to evaluate"
        }
    }
}
