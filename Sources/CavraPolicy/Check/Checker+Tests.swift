// Checks `test` blocks (CAV050, CAV051, and CAV024/CAV030/CAV032 inside them) and turns them into `PolicyTest`s.

import CavraJSON

extension Checker {
    func compileTests(ruleIds: Set<String>) -> [PolicyTest] {
        var tests: [PolicyTest] = []
        for syntax in syntaxFiles {
            for case .test(let block) in syntax.statements {
                tests.append(compileTest(block, ruleIds: ruleIds))
            }
        }
        return tests
    }

    private func compileTest(_ block: TestBlock, ruleIds: Set<String>) -> PolicyTest {
        var request = PolicyRequest(action: .acknowledge)
        var seenRoots: Set<String> = []
        for fixture in block.fixtures {
            if !seenRoots.insert(fixture.root.rawValue).inserted {
                diagnostics.append(
                    Diagnostic(
                        "CAV050", at: fixture.span, "repeated `\(fixture.root.rawValue)` fixture",
                        help: "put all of a test's `\(fixture.root.rawValue)` fields in one block"))
                continue
            }
            var seenKeys: Set<String> = []
            for member in fixture.members {
                if !seenKeys.insert(member.key.text).inserted {
                    diagnostics.append(
                        Diagnostic(
                            "CAV050", at: member.key.span,
                            "repeated fixture field `\(fixture.root.rawValue).\(member.key.text)`",
                            help: "give each field once"))
                    continue
                }
                apply(member, root: fixture.root, to: &request)
            }
        }
        var expectations: [PolicyExpectation] = []
        for expectation in block.expectations {
            if let compiled = compileExpectation(expectation, ruleIds: ruleIds) { expectations.append(compiled) }
        }
        return PolicyTest(
            name: block.name, file: block.span.file, line: block.span.line, request: request, expectations: expectations
        )
    }

    private func compileExpectation(_ expectation: Expectation, ruleIds: Set<String>) -> PolicyExpectation? {
        let action = PolicyAction(rawValue: expectation.action.text)
        if action == nil {
            let known = PolicyAction.allCases.map(\.rawValue)
            let suggestion = closest(to: expectation.action.text, in: known).map { "did you mean `\($0)`? " } ?? ""
            diagnostics.append(
                Diagnostic(
                    "CAV030", at: expectation.action.span, "unknown action `\(expectation.action.text)`",
                    help: "\(suggestion)the actions are \(known.joined(separator: ", "))"))
        }
        if !expectation.allow, let requireSpan = expectation.requireSpan {
            diagnostics.append(
                Diagnostic(
                    "CAV051", at: requireSpan, "`expect … deny` cannot `require` obligations",
                    help: "obligations come only with an allow; remove `require …`"))
        }
        var obligations: [Obligation] = []
        for name in expectation.obligations {
            if let obligation = Obligation(rawValue: name.text) {
                obligations.append(obligation)
            } else {
                let known = Obligation.allCases.map(\.rawValue)
                let suggestion = closest(to: name.text, in: known).map { "did you mean `\($0)`? " } ?? ""
                diagnostics.append(
                    Diagnostic(
                        "CAV032", at: name.span, "unknown obligation `\(name.text)`",
                        help: "\(suggestion)the obligations are `note` and `external_ref`"))
            }
        }
        for id in expectation.determining where !ruleIds.contains(id.value) && !hasSyntaxErrors {
            let suggestion = closest(to: id.value, in: ruleIds.sorted()).map { "did you mean `\"\($0)\"`?" }
            diagnostics.append(
                Diagnostic(
                    "CAV051", at: id.span, "unknown rule id `\(id.value)` in `expect … by`",
                    help: suggestion ?? "name rules by their `@id`, or `file:line` for rules without one"))
        }
        guard let action else { return nil }
        return PolicyExpectation(
            action: action, allow: expectation.allow,
            obligations: obligations.sorted { $0.rawValue < $1.rawValue },
            determining: expectation.determining.isEmpty ? nil : expectation.determining.map(\.value),
            line: expectation.span.line)
    }

    // MARK: Fixture fields

    private func apply(_ member: FixtureMember, root: PathRoot, to request: inout PolicyRequest) {
        let name = "\(root.rawValue).\(member.key.text)"
        guard let attribute = Attribute.find(root: root, name: member.key.text) else {
            let suggestion = closest(to: member.key.text, in: Attribute.names(of: root).filter { $0 != "roles" })
            diagnostics.append(
                Diagnostic(
                    "CAV050", at: member.key.span, "unknown fixture field `\(name)`",
                    help: suggestion.map { "did you mean `\($0)`?" }
                        ?? "the fields of `\(root.rawValue)` are \(Attribute.names(of: root).filter { $0 != "roles" }.joined(separator: ", "))"
                ))
            return
        }
        if attribute == .actorRoles {
            diagnostics.append(
                Diagnostic(
                    "CAV050", at: member.key.span, "`actor.roles` cannot be supplied",
                    help: "it is computed from the policy's roles; set `groups` or `claims` instead"))
            return
        }
        let value = member.value
        switch (attribute.type, value.kind) {
        case (.string, .string(let text)):
            if let values = attribute.valueSet, !values.contains(text) {
                let suggestion = closest(to: text, in: values).map { "did you mean `\"\($0)\"`? " } ?? ""
                diagnostics.append(
                    Diagnostic(
                        "CAV024", at: value.span, "`\"\(text)\"` is not a value of `\(name)`",
                        help: "\(suggestion)the values are \(values.joined(separator: ", "))"))
                return
            }
            request.set(attribute, string: text)
        case (.bool, .bool(let flag)):
            request.set(attribute, bool: flag)
        case (.int, .integer(let number)):
            request.set(attribute, int: number)
        case (.duration, .duration(let seconds)):
            request.set(attribute, int: seconds)
        case (.list(.string), .list(let items)):
            var strings: [String] = []
            for item in items {
                guard case .string(let text) = item.kind else {
                    wrongFixtureType(name, expected: "a list of strings", at: member.key.span)
                    return
                }
                strings.append(text)
            }
            request.set(attribute, strings: strings)
        case (.map, .object):
            if let claims = claimJSON(value)?.objectValue { request.actor.claims = claims }
        default:
            wrongFixtureType(name, expected: attribute.type.display, at: member.key.span)
        }
    }

    private func wrongFixtureType(_ name: String, expected: String, at span: SourceSpan) {
        let help =
            expected == "a duration"
            ? "write a duration literal such as `30m`" : "give the field \(expected)"
        diagnostics.append(
            Diagnostic("CAV050", at: span, "wrong type for fixture field `\(name)`: expected \(expected)", help: help))
    }

    /// A claims fixture as the JSON a token would carry; durations have no JSON form.
    private func claimJSON(_ value: FixtureValue) -> JSON? {
        switch value.kind {
        case .string(let text): return .string(text)
        case .integer(let number): return .int(number)
        case .bool(let flag): return .bool(flag)
        case .duration:
            diagnostics.append(
                Diagnostic(
                    "CAV050", at: value.span, "a claim cannot hold a duration",
                    help: "claims are strings, bools, integers, lists and maps"))
            return nil
        case .list(let items):
            var values: [JSON] = []
            for item in items {
                guard let json = claimJSON(item) else { return nil }
                values.append(json)
            }
            return .array(values)
        case .object(let members):
            var object = JSONObject()
            for member in members {
                guard let json = claimJSON(member.value) else { return nil }
                object[member.key.text] = json
            }
            return .object(object)
        }
    }
}
