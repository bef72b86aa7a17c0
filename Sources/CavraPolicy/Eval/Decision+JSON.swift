// The decision object of policy-language.md §6, as JSON.

import CavraJSON

extension Decision {
    /// The full object of §6; `trace: false` leaves the trace out.
    public func json(trace includeTrace: Bool = true) -> JSON {
        var object = JSONObject()
        object["decision"] = .string(allow ? "allow" : "deny")
        object["enforced"] = .bool(enforced)
        object["action"] = .string(action.rawValue)
        object["determining"] = .array(determiningIds.map(JSON.string))
        object["obligations"] = .array(obligationNames.map(JSON.string))
        object["obligation_rules"] = .object(
            JSONObject(
                obligations.map { ($0.obligation.rawValue, .array($0.rules.map { .string(policy.rules[$0].id) })) }))
        object["reasons"] = .array(reasons.map(JSON.string))
        object["errors"] = errorsJSON
        object["policy"] = policy.identityJSON
        if includeTrace, let trace { object["trace"] = traceJSON(trace) }
        return .object(object)
    }

    /// The short line of `eval --batch`: `{decision, enforced, determining, obligations, reasons, errors}`.
    public func batchJSON(trace includeTrace: Bool) -> JSON {
        var object = JSONObject()
        object["decision"] = .string(allow ? "allow" : "deny")
        object["enforced"] = .bool(enforced)
        object["determining"] = .array(determiningIds.map(JSON.string))
        object["obligations"] = .array(obligationNames.map(JSON.string))
        object["reasons"] = .array(reasons.map(JSON.string))
        object["errors"] = errorsJSON
        if includeTrace, let trace { object["trace"] = traceJSON(trace) }
        return .object(object)
    }

    private var errorsJSON: JSON {
        .array(
            errors.map { error in
                [
                    "rule": .string(policy.rules[error.rule].id),
                    "file": .string(policy.fileName(error.location.file)),
                    "line": .int(Int64(error.location.line)),
                    "column": .int(Int64(error.location.column)),
                    "message": .string(error.message),
                ]
            })
    }

    private func traceJSON(_ trace: Trace) -> JSON {
        let roles: [JSON] = trace.roles.map { entry in
            var object: JSONObject = [
                "role": .string(policy.roles[entry.role].name), "value": entry.value.map(JSON.bool) ?? .null,
            ]
            if let error = entry.error { object["error"] = .string(error) }
            return .object(object)
        }
        let rules: [JSON] = trace.rules.map { entry in
            let rule = policy.rules[entry.rule]
            let conditions: [JSON] = entry.conditions.map { condition in
                var object: JSONObject = [
                    "clause": .string(condition.condition.clause), "source": .string(condition.condition.source),
                    "value": condition.value.map(JSON.bool) ?? .null,
                ]
                if let error = condition.error { object["error"] = .string(error) }
                return .object(object)
            }
            return [
                "rule": .string(rule.id), "effect": .string(rule.effect.rawValue),
                "file": .string(policy.fileName(rule.file)), "line": .int(Int64(rule.line)),
                "principal": entry.principal.map(JSON.bool) ?? .null, "conditions": .array(conditions),
                "outcome": .string(entry.outcome.rawValue),
            ]
        }
        return ["rules_total": .int(Int64(policy.rules.count)), "roles": .array(roles), "rules": .array(rules)]
    }
}

extension CompiledPolicy {
    /// `{id, version, sha256}`.
    public var identityJSON: JSON {
        ["id": .string(id), "version": version.map(JSON.string) ?? .null, "sha256": .string(sha256)]
    }
}
