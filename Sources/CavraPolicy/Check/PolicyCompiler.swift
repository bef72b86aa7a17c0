// Validates a policy (policy-language.md §7) and, when it has no errors, compiles it for the evaluator.

public struct PolicyCompilation: Sendable {
    public var source: PolicySource
    /// Sorted by file, line and column.
    public var diagnostics: [Diagnostic]
    /// The compiled policy; nil when any diagnostic is an error.
    public var policy: CompiledPolicy?

    public init(source: PolicySource, diagnostics: [Diagnostic], policy: CompiledPolicy?) {
        self.source = source
        self.diagnostics = diagnostics
        self.policy = policy
    }

    public var errorCount: Int { diagnostics.filter(\.isError).count }
    public var warningCount: Int { diagnostics.count - errorCount }
}

public enum PolicyCompiler {
    public static func compile(_ source: PolicySource) -> PolicyCompilation {
        let checker = Checker(source: source)
        let policy = checker.run()
        let diagnostics = checker.diagnostics.enumerated().sorted { a, b in
            a.element.span.start == b.element.span.start
                ? a.offset < b.offset : a.element.span.start < b.element.span.start
        }.map(\.element)
        return PolicyCompilation(
            source: source, diagnostics: diagnostics, policy: diagnostics.contains(where: \.isError) ? nil : policy)
    }
}

/// One validation run. A class because name resolution is recursive and memoised across the whole policy.
final class Checker {
    enum Scope {
        case role(String)
        case `let`(String)
        case rule
    }

    private enum BindingState {
        case pending
        case inProgress
        case done(Node, ValueType)
    }

    private struct BindingEntry {
        var binding: Binding
        /// The role's index among roles, in source order; nil for a let.
        var roleIndex: Int?
        var state: BindingState = .pending
    }

    let source: PolicySource
    var diagnostics: [Diagnostic] = []
    private(set) var syntaxFiles: [SyntaxFile] = []
    private(set) var hasSyntaxErrors = false
    private var bindings: [String: BindingEntry] = [:]
    private var bindingOrder: [String] = []
    private var roleNames: [String] = []
    private var used: Set<String> = []
    private var readsActorRoles = false
    private var resolving: [String] = []
    private var reportedDeepChain = false
    /// The compiled expression of each role, by role index.
    private var roleBodies: [Int: Node] = [:]

    init(source: PolicySource) {
        self.source = source
    }

    func run() -> CompiledPolicy? {
        for (index, file) in source.files.enumerated() {
            let (syntax, syntaxDiagnostics) = Parser.parse(scalars: file.scalars, file: index)
            syntaxFiles.append(syntax)
            diagnostics += syntaxDiagnostics
            if let invalid = Self.firstInvalidUTF8(file.bytes) {
                diagnostics.append(
                    Diagnostic("CAV001", at: spanAt(file: index, byteOffset: invalid), "the file is not valid UTF-8"))
            }
        }
        hasSyntaxErrors = diagnostics.contains(where: \.isError)
        let header = checkHeaders()
        collectBindings()
        let roles = compileRoles()
        for name in bindingOrder where bindings[name]?.roleIndex == nil { _ = resolve(name, at: nil) }
        let rules = compileRules()
        let tests = compileTests(ruleIds: Set(rules.map(\.id)))
        warnUnused()
        warnShadowedPermits(rules)
        guard let header else { return nil }
        return CompiledPolicy(header: header, source: source, rules: rules, roles: roles, tests: tests)
    }

    // MARK: Header

    private func checkHeaders() -> Header? {
        var found: Header?
        for syntax in syntaxFiles {
            for (position, statement) in syntax.statements.enumerated() {
                guard case .header(let header) = statement else { continue }
                let keyword = keywordSpan(header.span, length: 6)
                if found != nil {
                    diagnostics.append(
                        Diagnostic(
                            "CAV011", at: keyword, "repeated `policy` header",
                            help: "a policy has exactly one header; the first is at \(describe(found!.span))"))
                } else if position != 0 {
                    diagnostics.append(
                        Diagnostic(
                            "CAV011", at: keyword, "the `policy` header must be the first statement of its file",
                            help: "move it to the top of the file"))
                    found = header
                } else {
                    found = header
                }
            }
        }
        if found == nil && !hasSyntaxErrors {
            let span = spanAt(file: 0, byteOffset: 0)
            diagnostics.append(
                Diagnostic(
                    "CAV010", at: span, "missing `policy` header",
                    help: "start the first file with `policy \"my-policy\" version \"1.0.0\"`"))
        }
        return found
    }

    // MARK: Roles and lets

    private func collectBindings() {
        for syntax in syntaxFiles {
            for case .binding(let binding) in syntax.statements {
                if let existing = bindings[binding.name] {
                    diagnostics.append(
                        Diagnostic(
                            "CAV041", at: binding.nameSpan, "duplicate name `\(binding.name)`",
                            help:
                                "already defined as a \(existing.binding.kind.rawValue) at \(describe(existing.binding.nameSpan))"
                        ))
                    continue
                }
                var entry = BindingEntry(binding: binding)
                if binding.kind == .role {
                    entry.roleIndex = roleNames.count
                    roleNames.append(binding.name)
                }
                bindings[binding.name] = entry
                bindingOrder.append(binding.name)
            }
        }
    }

    private func compileRoles() -> [CompiledRole] {
        var nodes: [Node] = []
        for (index, name) in roleNames.enumerated() {
            _ = resolve(name, at: nil)
            nodes.append(
                roleBodies[index]
                    ?? Node(kind: .constant(.bool(false)), location: bindings[name]!.binding.nameSpan.start))
        }
        var infallible: [Bool?] = Array(repeating: nil, count: nodes.count)
        var roles = roleNames.indices.map { index in
            CompiledRole(
                name: roleNames[index], source: sourceText(bindings[roleNames[index]]!.binding.expr.span),
                node: nodes[index], infallible: false)
        }
        func isInfallible(_ index: Int) -> Bool {
            if let known = infallible[index] { return known }
            infallible[index] = false
            // Roles never read `actor.roles` (CAV042), so `allRoles` is not reached from a role.
            let result = nodes[index].isInfallible(role: isInfallible, allRoles: { false })
            infallible[index] = result
            return result
        }
        for index in roles.indices { roles[index].infallible = isInfallible(index) }
        return roles
    }

    /// The node and type a role or let name stands for, compiling it on first use.
    private func resolve(_ name: String, at use: SourceSpan?) -> (Node, ValueType)? {
        guard var entry = bindings[name] else { return nil }
        switch entry.state {
        case .done(let node, let type):
            return (node, type)
        case .inProgress:
            reportCycle(from: name)
            return (Node(kind: .constant(.bool(false)), location: entry.binding.nameSpan.start), .invalid)
        case .pending:
            // Roles and lets referring to each other nest like parentheses: bound them the same way (CAV002).
            if resolving.count >= Parser.maxNesting {
                if !reportedDeepChain {
                    reportedDeepChain = true
                    diagnostics.append(
                        Diagnostic(
                            "CAV002", at: entry.binding.nameSpan,
                            "roles and lets refer to each other more than \(Parser.maxNesting) levels deep",
                            help: "shorten the chain that starts at `\(resolving[0])`"))
                }
                let invalid = Node(kind: .constant(.bool(false)), location: entry.binding.nameSpan.start)
                bindings[name]!.state = .done(invalid, .invalid)
                return (invalid, .invalid)
            }
            entry.state = .inProgress
            bindings[name] = entry
            resolving.append(name)
            let scope: Scope = entry.roleIndex == nil ? .let(name) : .role(name)
            var (node, type) = compile(entry.binding.expr, scope: scope)
            resolving.removeLast()
            if case .done(let node, let type) = bindings[name]!.state {
                return (node, type)  // a cycle through this binding already settled it
            }
            if let roleIndex = entry.roleIndex {
                requireBool(type, entry.binding.expr, what: "role `\(name)`")
                roleBodies[roleIndex] = node
                let reference = Node(kind: .role(roleIndex), location: use?.start ?? entry.binding.nameSpan.start)
                bindings[name]!.state = .done(reference, .bool)
                return (reference, .bool)
            }
            if type != .invalid, let folded = fold(node) {
                node = Node(kind: .constant(folded), location: node.location)
            } else {
                type = .invalid
            }
            bindings[name]!.state = .done(node, type)
            return (node, type)
        }
    }

    private func reportCycle(from name: String) {
        guard let start = resolving.firstIndex(of: name) else { return }
        let members = Array(resolving[start...])
        let first = members.min { a, b in bindings[a]!.binding.nameSpan.start < bindings[b]!.binding.nameSpan.start }!
        let path = (members + [name]).map { "`\($0)`" }.joined(separator: " → ")
        diagnostics.append(
            Diagnostic(
                "CAV042", at: bindings[first]!.binding.nameSpan, "cycle among roles and lets: \(path)",
                help: "a role or let cannot depend on itself; break the cycle"))
        for member in members {
            bindings[member]!.state = .done(
                Node(kind: .constant(.bool(false)), location: bindings[member]!.binding.nameSpan.start), .invalid)
        }
    }

    /// Evaluates a let's expression once, at compile time: it reads no attribute and no role.
    private func fold(_ node: Node) -> Value? {
        ExpressionContext.withRequest(PolicyRequest(action: .plan), roles: []) { context in
            try? context.value(node)
        }
    }

    // MARK: Rules

    private func compileRules() -> [CompiledRule] {
        var rules: [CompiledRule] = []
        var idSpans: [String: SourceSpan] = [:]
        var unnamedLines: Set<[Int]> = []
        for syntax in syntaxFiles {
            for case .rule(let rule) in syntax.statements {
                let compiled = compileRule(rule)
                let explicit = rule.annotations.first { $0.name.text == "id" }?.argument
                if explicit == nil {
                    let key = [rule.keywordSpan.file, rule.keywordSpan.line]
                    if unnamedLines.contains(key) {
                        diagnostics.append(
                            Diagnostic(
                                "CAV040", at: rule.keywordSpan,
                                "two rules without `@id` start on line \(rule.keywordSpan.line)",
                                help: "give each an `@id(\"…\")`, or start them on separate lines"))
                        continue
                    }
                    unnamedLines.insert(key)
                }
                if let previous = idSpans[compiled.id] {
                    diagnostics.append(
                        Diagnostic(
                            "CAV040", at: explicit?.span ?? rule.keywordSpan, "duplicate rule id `\(compiled.id)`",
                            help: "ids are unique within a policy; the first is at \(describe(previous))"))
                    continue
                }
                idSpans[compiled.id] = explicit?.span ?? rule.keywordSpan
                rules.append(compiled)
            }
        }
        return rules
    }

    private func compileRule(_ rule: Rule) -> CompiledRule {
        let file = rule.keywordSpan.file
        var id = "\(source.files[file].name):\(rule.keywordSpan.line)"
        var sawId = false
        for annotation in rule.annotations {
            if annotation.name.text != "id" {
                diagnostics.append(
                    Diagnostic(
                        "CAV034", at: annotation.span, "unknown annotation `@\(annotation.name.text)`",
                        help: "the only annotation is `@id(\"…\")`"))
            } else if sawId {
                diagnostics.append(
                    Diagnostic("CAV034", at: annotation.span, "repeated annotation `@id`", help: "a rule has one id"))
            } else {
                sawId = true
                if let argument = annotation.argument, !argument.value.isEmpty {
                    id = argument.value
                } else {
                    diagnostics.append(
                        Diagnostic(
                            "CAV034", at: annotation.span, "empty rule id",
                            help: "write a non-empty id: `@id(\"my-rule\")`"))
                }
            }
        }
        let actions = compileActions(rule.actions)
        let principals = compilePrincipals(rule.principals)
        var conditions: [CompiledCondition] = []
        var requirements: [CompiledRequirement] = []
        var because: String?
        for clause in rule.clauses {
            switch clause {
            case .when(let expr, _), .unless(let expr, _):
                let isWhen = if case .when = clause { true } else { false }
                conditions.append(compileCondition(expr, label: isWhen ? "when" : "unless", isWhen: isWhen))
            case .require(let name, let condition, let keyword):
                if rule.effect == .forbid {
                    diagnostics.append(
                        Diagnostic(
                            "CAV033", at: keyword, "`require` on a forbid rule",
                            help: "obligations belong to permits; remove the clause or make the rule a permit"))
                }
                let obligation = Obligation(rawValue: name.text)
                if obligation == nil {
                    diagnostics.append(unknownObligation(name))
                }
                let compiledCondition = condition.map { condition in
                    compileCondition(
                        condition.expr, label: "require \(name.text) \(condition.isWhen ? "when" : "unless")",
                        isWhen: condition.isWhen)
                }
                if let obligation, rule.effect == .permit {
                    requirements.append(
                        CompiledRequirement(obligation: obligation, condition: compiledCondition))
                }
            case .because(let text, let keyword):
                if because != nil {
                    diagnostics.append(
                        Diagnostic("CAV034", at: keyword, "repeated `because`", help: "a rule has at most one reason"))
                } else {
                    because = text.value
                }
            }
        }
        return CompiledRule(
            id: id, effect: rule.effect, file: file, line: rule.keywordSpan.line, actions: actions,
            principals: principals, conditions: conditions, requirements: requirements, because: because)
    }

    private func unknownObligation(_ name: Name) -> Diagnostic {
        let known = Obligation.allCases.map(\.rawValue)
        let suggestion = closest(to: name.text, in: known).map { "did you mean `\($0)`? " } ?? ""
        return Diagnostic(
            "CAV032", at: name.span, "unknown obligation `\(name.text)`",
            help: "\(suggestion)the obligations are \(known.map { "`\($0)`" }.joined(separator: " and "))")
    }

    private func compileActions(_ actions: Rule.Actions) -> Set<PolicyAction>? {
        guard case .named(let names) = actions else { return nil }
        var result: Set<PolicyAction> = []
        for name in names {
            if let action = PolicyAction(rawValue: name.text) {
                result.insert(action)
            } else {
                diagnostics.append(unknownAction(name))
            }
        }
        return result
    }

    private func unknownAction(_ name: Name) -> Diagnostic {
        let known = PolicyAction.allCases.map(\.rawValue)
        let suggestion = closest(to: name.text, in: known).map { "did you mean `\($0)`? " } ?? ""
        return Diagnostic(
            "CAV030", at: name.span, "unknown action `\(name.text)`",
            help: "\(suggestion)the actions are \(known.joined(separator: ", "))")
    }

    private func compilePrincipals(_ principals: Rule.Principals) -> [Int]? {
        guard case .roles(let names) = principals else { return nil }
        var result: [Int] = []
        for name in names {
            used.insert(name.text)
            if let entry = bindings[name.text] {
                if let index = entry.roleIndex {
                    result.append(index)
                } else {
                    diagnostics.append(
                        Diagnostic(
                            "CAV031", at: name.span, "`\(name.text)` is a let, not a role",
                            help: "`by` names roles; define it with `role \(name.text) = …`"))
                }
            } else if !hasSyntaxErrors {
                let suggestion = closest(to: name.text, in: roleNames).map { "did you mean `\($0)`?" }
                diagnostics.append(
                    Diagnostic(
                        "CAV031", at: name.span, "unknown role `\(name.text)`",
                        help: suggestion ?? "define it with `role \(name.text) = …`, or write `by anyone`"))
            }
        }
        return result
    }

    private func compileCondition(_ expr: Expr, label: String, isWhen: Bool) -> CompiledCondition {
        let (node, type) = compile(expr, scope: .rule)
        requireBool(type, expr, what: "a `\(label.split(separator: " ").last!)` condition")
        return CompiledCondition(clause: label, source: sourceText(expr.span), isWhen: isWhen, node: node)
    }

    private func requireBool(_ type: ValueType, _ expr: Expr, what: String) {
        guard type != .bool, !type.isOpen else { return }
        diagnostics.append(
            Diagnostic(
                "CAV023", at: expr.span, "\(what) must be a bool, found \(type.display)",
                help: "compare it with something, e.g. `… == \"value\"`"))
    }

    // MARK: Warnings

    private func warnUnused() {
        // After a syntax error or a cut chain, some uses were never read: a warning would be a cascade.
        guard !hasSyntaxErrors && !reportedDeepChain else { return }
        for name in bindingOrder where !used.contains(name) {
            let entry = bindings[name]!
            if entry.roleIndex != nil && readsActorRoles { continue }
            diagnostics.append(
                Diagnostic(
                    "CAV101", .warning, at: entry.binding.nameSpan,
                    "\(entry.binding.kind.rawValue) `\(name)` is never used", help: "remove it, or use it in a rule"))
        }
    }

    private func warnShadowedPermits(_ rules: [CompiledRule]) {
        guard !hasSyntaxErrors else { return }
        let forbids = rules.filter { $0.effect == .forbid && $0.conditions.isEmpty }
        // A permit whose actions all failed to resolve has an empty action set: no finding to add to its error.
        for permit in rules where permit.effect == .permit && permit.actions?.isEmpty != true {
            guard let forbid = forbids.first(where: { Self.covers($0, permit) }) else { continue }
            let span = ruleKeywordSpan(permit)
            diagnostics.append(
                Diagnostic(
                    "CAV100", .warning, at: span, "permit `\(permit.id)` can never determine an allow",
                    help:
                        "the unconditional forbid `\(forbid.id)` at \(source.files[forbid.file].displayPath):\(forbid.line) covers all its actions and principals"
                ))
        }
    }

    private static func covers(_ forbid: CompiledRule, _ permit: CompiledRule) -> Bool {
        let actionsCovered: Bool =
            switch (forbid.actions, permit.actions) {
            case (nil, _): true
            case (.some, nil): false
            case (.some(let f), .some(let p)): p.isSubset(of: f)
            }
        let principalsCovered: Bool =
            switch (forbid.principals, permit.principals) {
            case (nil, _): true
            case (.some, nil): false
            case (.some(let f), .some(let p)): Set(p).isSubset(of: Set(f))
            }
        return actionsCovered && principalsCovered
    }

    private func ruleKeywordSpan(_ rule: CompiledRule) -> SourceSpan {
        for case .rule(let syntax) in syntaxFiles[rule.file].statements
        where syntax.keywordSpan.line == rule.line {
            return syntax.keywordSpan
        }
        return spanAt(file: rule.file, byteOffset: 0)
    }

    // MARK: Expressions

    func compile(_ expr: Expr, scope: Scope) -> (Node, ValueType) {
        let location = expr.span.start
        func node(_ kind: Node.Kind) -> Node { Node(kind: kind, location: location) }
        switch expr.kind {
        case .string(let value): return (node(.constant(.string(value))), .string)
        case .integer(let value): return (node(.constant(.int(value))), .int)
        case .duration(let value): return (node(.constant(.duration(value))), .duration)
        case .bool(let value): return (node(.constant(.bool(value))), .bool)
        case .parenthesized(let inner):
            let (compiled, type) = compile(inner, scope: scope)
            return (compiled, type)
        case .list(let items): return compileList(items, expr: expr, scope: scope)
        case .path(let path): return compilePath(path, expr: expr, scope: scope)
        case .name(let name): return compileName(name, expr: expr, scope: scope)
        case .not(let operand):
            let (compiled, type) = compile(operand, scope: scope)
            expectBoolOperand(type, operand, op: "not")
            return (node(.not(compiled)), .bool)
        case .and(let operands), .or(let operands):
            let isAnd = if case .and = expr.kind { true } else { false }
            var nodes: [Node] = []
            for operand in operands {
                let (compiled, type) = compile(operand, scope: scope)
                expectBoolOperand(type, operand, op: isAnd ? "and" : "or")
                nodes.append(compiled)
            }
            return (node(isAnd ? .and(nodes) : .or(nodes)), .bool)
        case .has(let operand, let key):
            let (compiled, type) = compile(operand, scope: scope)
            if type != .map && !type.isOpen {
                diagnostics.append(
                    Diagnostic(
                        "CAV022", at: expr.span, "`has` needs a map, found \(type.display)",
                        help: "`has` tests keys of `actor.claims` or of a map inside it"))
            }
            return (node(.has(compiled, key)), .bool)
        case .binary(let op, let left, let right):
            return compileBinary(op, left, right, expr: expr, scope: scope)
        }
    }

    private func expectBoolOperand(_ type: ValueType, _ operand: Expr, op: String) {
        guard type != .bool, !type.isOpen else { return }
        diagnostics.append(
            Diagnostic(
                "CAV022", at: operand.span, "`\(op)` needs bool operands, found \(type.display)",
                help: "compare the value with something first"))
    }

    private func compileList(_ items: [Expr], expr: Expr, scope: Scope) -> (Node, ValueType) {
        var nodes: [Node] = []
        var element: ValueType?
        var failed = false
        for item in items {
            let (compiled, type) = compile(item, scope: scope)
            nodes.append(compiled)
            if type.isOpen { continue }
            if let known = element, let unified = Self.unify(known, type) {
                element = unified
            } else if let known = element {
                failed = true
                diagnostics.append(
                    Diagnostic(
                        "CAV022", at: item.span,
                        "a list holds one element type: \(type.display) after \(known.display)",
                        help: "make every element the same type"))
            } else {
                element = type
            }
        }
        let listNode: Node
        if let constants = Self.constants(nodes) {
            listNode = Node(kind: .constant(.list(constants)), location: expr.span.start)
        } else {
            listNode = Node(kind: .list(nodes), location: expr.span.start)
        }
        if failed { return (listNode, .invalid) }
        guard let element else { return (listNode, items.isEmpty ? .emptyList : .list(.dynamic)) }
        return (listNode, .list(element))
    }

    private static func constants(_ nodes: [Node]) -> [Value]? {
        var values: [Value] = []
        for node in nodes {
            guard case .constant(let value) = node.kind else { return nil }
            values.append(value)
        }
        return values
    }

    /// The common type of two list elements, or nil when they differ.
    private static func unify(_ a: ValueType, _ b: ValueType) -> ValueType? {
        if a == b { return a }
        switch (a, b) {
        case (.emptyList, .list), (.list, .emptyList): return a == .emptyList ? b : a
        case (.list(let x), .list(let y)): return unify(x, y).map(ValueType.list)
        default: return nil
        }
    }

    private func compilePath(_ path: Path, expr: Expr, scope: Scope) -> (Node, ValueType) {
        let location = expr.span.start
        if case .let(let name) = scope {
            diagnostics.append(
                Diagnostic(
                    "CAV043", at: expr.span, "let `\(name)` reads the attribute `\(path.display)`",
                    help: "a let holds constants; use a role or write the attribute in the rule"))
            return (Node(kind: .constant(.bool(false)), location: location), .invalid)
        }
        let first = path.segments[0]
        let rootSpan = SourceSpan(
            start: location, startOffset: expr.span.startOffset,
            endOffset: expr.span.startOffset + path.root.rawValue.count,
            endLine: location.line, endColumn: location.column + path.root.rawValue.count)
        guard !first.bracketed, let attribute = Attribute.find(root: path.root, name: first.name) else {
            let attempted = "\(path.root.rawValue).\(first.name)"
            let suggestion = first.bracketed ? nil : closest(to: first.name, in: Attribute.names(of: path.root))
            diagnostics.append(
                Diagnostic(
                    "CAV020", at: rootSpan.through(first.span),
                    first.bracketed
                        ? "`[…]` on `\(path.root.rawValue)`, which is not a map" : "unknown attribute `\(attempted)`",
                    help: suggestion.map { "did you mean `\(path.root.rawValue).\($0)`?" }
                        ?? "the attributes of `\(path.root.rawValue)` are \(Attribute.names(of: path.root).joined(separator: ", "))"
                ))
            return (Node(kind: .constant(.bool(false)), location: location), .invalid)
        }
        if attribute == .actorClaims {
            let keys = path.segments.dropFirst().map(\.name)
            if keys.isEmpty { return (Node(kind: .attribute(.actorClaims), location: location), .map) }
            return (Node(kind: .claim(keys: keys, display: path.display), location: location), .dynamic)
        }
        if path.segments.count > 1 {
            diagnostics.append(
                Diagnostic(
                    "CAV020", at: expr.span,
                    "`\(attribute.rawValue)` is \(attribute.type.display), not a map: it has no member `\(path.segments[1].name)`",
                    help: "only `actor.claims` and the maps inside it have members"))
            return (Node(kind: .constant(.bool(false)), location: location), .invalid)
        }
        if attribute == .actorRoles {
            if case .role(let name) = scope {
                diagnostics.append(
                    Diagnostic(
                        "CAV042", at: expr.span, "role `\(name)` reads `actor.roles`",
                        help: "`actor.roles` is computed from every role; name the roles you need instead"))
                return (Node(kind: .constant(.bool(false)), location: location), .invalid)
            }
            readsActorRoles = true
            return (Node(kind: .actorRoles, location: location), .list(.string))
        }
        return (Node(kind: .attribute(attribute), location: location), attribute.type)
    }

    private func compileName(_ name: String, expr: Expr, scope: Scope) -> (Node, ValueType) {
        let invalid = (Node(kind: .constant(.bool(false)), location: expr.span.start), ValueType.invalid)
        used.insert(name)
        guard let entry = bindings[name] else {
            if hasSyntaxErrors { return invalid }
            let suggestion = closest(to: name, in: bindingOrder)
            diagnostics.append(
                Diagnostic(
                    "CAV021", at: expr.span, "unknown name `\(name)`",
                    help: suggestion.map { "did you mean `\($0)`?" }
                        ?? "define it with `role` or `let`, or write an attribute such as `actor.groups`"))
            return invalid
        }
        if case .let(let letName) = scope, entry.roleIndex != nil {
            diagnostics.append(
                Diagnostic(
                    "CAV043", at: expr.span, "let `\(letName)` uses the role `\(name)`",
                    help: "a let holds constants; use a role to combine roles"))
            return invalid
        }
        guard let (node, type) = resolve(name, at: expr.span) else { return invalid }
        if entry.roleIndex != nil, type != .invalid {
            return (Node(kind: .role(entry.roleIndex!), location: expr.span.start), .bool)
        }
        return (Node(kind: node.kind, location: expr.span.start), type)
    }
}
