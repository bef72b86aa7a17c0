// Type rules of the binary operators (policy-language.md §5.6) and the value-set check CAV024.

extension Checker {
    func compileBinary(_ op: BinaryOperator, _ left: Expr, _ right: Expr, expr: Expr, scope: Scope) -> (Node, ValueType)
    {
        let (l, lt) = compile(left, scope: scope)
        let (r, rt) = compile(right, scope: scope)
        let location = expr.span.start
        checkValueSet(op, left, l, right, r)
        if let problem = Self.typeProblem(op, lt, rt) {
            diagnostics.append(
                Diagnostic(
                    "CAV022", at: left.span.through(right.span), "type mismatch: \(problem)",
                    help: Self.typeHelp(op, lt, rt)))
        }
        if op == .matches, case .constant(.string(let pattern)) = r.kind {
            return (Node(kind: .matches(l, Glob(pattern)), location: location), .bool)
        }
        if op == .matches {
            return (Node(kind: .matchesDynamic(l, r), location: location), .bool)
        }
        return (Node(kind: .compare(op, l, r), location: location), .bool)
    }

    /// Why `left op right` cannot type-check, or nil when it can (or when run time must decide).
    private static func typeProblem(_ op: BinaryOperator, _ lt: ValueType, _ rt: ValueType) -> String? {
        if lt == .invalid || rt == .invalid { return nil }
        let operands = "`\(op.rawValue)` between \(lt.display) and \(rt.display)"
        switch op {
        case .equal, .notEqual:
            if lt == .map || rt == .map { return "\(operands): maps cannot be compared" }
            return comparable(lt, rt) ? nil : operands
        case .less, .lessEqual, .greater, .greaterEqual:
            switch (lt, rt) {
            case (.int, .int), (.duration, .duration), (.int, .dynamic), (.dynamic, .int), (.dynamic, .dynamic):
                return nil
            default:
                return "\(operands): ordering needs two ints or two durations"
            }
        case .in, .notIn:
            return membershipProblem(item: lt, container: rt, operands: operands)
        case .contains:
            return membershipProblem(item: rt, container: lt, operands: operands)
        case .matches:
            let textOK = lt == .string || lt == .dynamic
            let patternOK = rt == .string || rt == .dynamic
            return textOK && patternOK ? nil : "\(operands): `matches` needs a string and a glob string"
        }
    }

    private static func comparable(_ a: ValueType, _ b: ValueType) -> Bool {
        if a == b { return true }
        switch (a, b) {
        case (.dynamic, .duration), (.duration, .dynamic): return false
        case (.dynamic, _), (_, .dynamic): return true
        case (.emptyList, .list), (.list, .emptyList): return true
        case (.list(let x), .list(let y)): return comparable(x, y)
        default: return false
        }
    }

    private static func membershipProblem(item: ValueType, container: ValueType, operands: String) -> String? {
        switch container {
        case .emptyList, .dynamic:
            return item == .map || item == .duration && container == .dynamic ? operands : nil
        case .list(let element):
            return item != .map && comparable(item, element) ? nil : operands
        case .string:
            return item == .string || item == .dynamic ? nil : "\(operands): a substring test needs two strings"
        default:
            return "\(operands): the container must be a list or a string"
        }
    }

    private static func typeHelp(_ op: BinaryOperator, _ lt: ValueType, _ rt: ValueType) -> String {
        if (lt == .duration && rt == .int) || (lt == .int && rt == .duration) {
            return "durations compare with durations: write `30m`, not a number of seconds"
        }
        switch op {
        case .equal, .notEqual: return "both sides of `\(op.rawValue)` must have the same type"
        case .less, .lessEqual, .greater, .greaterEqual: return "compare ints with ints, durations with durations"
        case .in, .notIn: return "write `x in [a, b]` with a list of x's type, or `\"s\" in text` for a substring"
        case .contains: return "write `list contains x` with x of the list's type, or `text contains \"s\"`"
        case .matches: return "write `text matches \"glob*\"`"
        }
    }

    /// CAV024: a string literal compared with an attribute of a fixed value set must be one of its values.
    private func checkValueSet(_ op: BinaryOperator, _ left: Expr, _ l: Node, _ right: Expr, _ r: Node) {
        guard [.equal, .notEqual, .in, .notIn, .contains].contains(op) else { return }
        for (attributeNode, literal) in [(l, right), (r, left)] {
            guard case .attribute(let attribute) = attributeNode.kind, let values = attribute.valueSet else { continue }
            for (text, span) in Self.stringLiterals(literal) where !values.contains(text) {
                let suggestion = closest(to: text, in: values).map { "did you mean `\"\($0)\"`? " } ?? ""
                diagnostics.append(
                    Diagnostic(
                        "CAV024", at: span, "`\"\(text)\"` is not a value of `\(attribute.rawValue)`",
                        help: "\(suggestion)the values are \(values.joined(separator: ", "))"))
            }
        }
    }

    /// String literals written directly, or directly inside a list literal.
    private static func stringLiterals(_ expr: Expr) -> [(String, SourceSpan)] {
        switch expr.kind {
        case .string(let text): return [(text, expr.span)]
        case .parenthesized(let inner): return stringLiterals(inner)
        case .list(let items):
            return items.compactMap { item in
                if case .string(let text) = item.kind { return (text, item.span) }
                return nil
            }
        default: return []
        }
    }
}
