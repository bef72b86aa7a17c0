// Recursive-descent parser for one file (policy-language.md §3), resynchronising at statement starts after an error.

public struct Parser {
    /// Each `(`, list `[`, `not`, fixture `[` and `{` opens a level; more than this many is CAV002.
    public static let maxNesting = 64

    private struct Failure: Error {
        var diagnostic: Diagnostic
    }

    private let tokens: [Token]
    private let file: Int
    private var index = 0
    private var depth = 0
    public private(set) var diagnostics: [Diagnostic] = []

    public init(tokens: [Token], file: Int) {
        self.tokens = tokens
        self.file = file
    }

    public static func parse(scalars: [Unicode.Scalar], file: Int) -> (SyntaxFile, [Diagnostic]) {
        var parser = Parser(tokens: Lexer.tokenize(scalars, file: file), file: file)
        let syntax = parser.parseFile()
        return (syntax, parser.diagnostics)
    }

    // MARK: Statements

    mutating func parseFile() -> SyntaxFile {
        var statements: [Statement] = []
        while current.kind != .endOfFile {
            let start = index
            do {
                statements.append(try parseStatement())
            } catch {
                diagnostics.append(error.diagnostic)
                depth = 0
                if index == start { index += 1 }
                while current.kind != .endOfFile && !Self.startsStatement(current) { index += 1 }
            }
        }
        return SyntaxFile(file: file, statements: statements)
    }

    private static func startsStatement(_ token: Token) -> Bool {
        switch token.kind {
        case .keyword(.policy), .keyword(.role), .keyword(.let), .keyword(.permit), .keyword(.forbid),
            .keyword(.test), .symbol(.at):
            true
        default:
            false
        }
    }

    private mutating func parseStatement() throws(Failure) -> Statement {
        switch current.kind {
        case .keyword(.policy): return .header(try parseHeader())
        case .keyword(.role): return .binding(try parseBinding(.role))
        case .keyword(.let): return .binding(try parseBinding(.let))
        case .keyword(.permit), .keyword(.forbid), .symbol(.at): return .rule(try parseRule())
        case .keyword(.test): return .test(try parseTest())
        default:
            throw failure(
                "expected a statement (`policy`, `role`, `let`, `permit`, `forbid`, `@id` or `test`), found \(current.display)"
            )
        }
    }

    private mutating func parseHeader() throws(Failure) -> Header {
        let start = take()
        let id = try expectString("the policy id")
        var header = Header(id: id.value, version: nil, description: nil, shadow: false, span: start.span)
        if accept(.version) { header.version = try expectString("the version").value }
        if accept(.description) { header.description = try expectString("the description").value }
        if accept(.mode) {
            if accept(.enforce) {
                header.shadow = false
            } else if accept(.shadow) {
                header.shadow = true
            } else {
                throw failure("expected `enforce` or `shadow` after `mode`, found \(current.display)")
            }
        }
        header.span = start.span.through(previous.span)
        return header
    }

    private mutating func parseBinding(_ kind: Binding.Kind) throws(Failure) -> Binding {
        let start = take()
        let name = try expectName("a \(kind.rawValue) name")
        try expectSymbol(.equals, "`=` after the \(kind.rawValue) name")
        let expr = try parseExpr()
        return Binding(
            kind: kind, name: name.text, nameSpan: name.span, expr: expr, span: start.span.through(expr.span))
    }

    private mutating func parseRule() throws(Failure) -> Rule {
        let first = current
        var annotations: [Annotation] = []
        while case .symbol(.at) = current.kind {
            annotations.append(try parseAnnotation())
        }
        let effect: Effect
        switch current.kind {
        case .keyword(.permit): effect = .permit
        case .keyword(.forbid): effect = .forbid
        default: throw failure("expected `permit` or `forbid` after the annotation, found \(current.display)")
        }
        let keyword = take()
        let actions = try parseActions()
        var principals = Rule.Principals.anyone
        if accept(.by) {
            if accept(.anyone) {
                principals = .anyone
            } else {
                principals = .roles(try parseNameList("a role name or `anyone` after `by`"))
            }
        }
        var clauses: [Clause] = []
        while let clause = try parseClause() { clauses.append(clause) }
        return Rule(
            annotations: annotations, effect: effect, keywordSpan: keyword.span, actions: actions,
            principals: principals, clauses: clauses, span: first.span.through(previous.span))
    }

    private mutating func parseAnnotation() throws(Failure) -> Annotation {
        let at = take()
        let name = try expectName("an annotation name after `@`")
        var argument: StringLiteral?
        if case .symbol(.leftParen) = current.kind {
            index += 1
            argument = try expectString("a string in the annotation")
            try expectSymbol(.rightParen, "`)` after the annotation's string")
        }
        return Annotation(name: name, argument: argument, span: at.span)
    }

    private mutating func parseActions() throws(Failure) -> Rule.Actions {
        if case .symbol(.star) = current.kind { return .all(take().span) }
        return .named(try parseNameList("an action name or `*`"))
    }

    private mutating func parseNameList(_ what: String) throws(Failure) -> [Name] {
        var names = [try expectName(what)]
        while acceptSymbol(.comma) { names.append(try expectName(what)) }
        return names
    }

    private mutating func parseClause() throws(Failure) -> Clause? {
        let keyword = current
        switch keyword.kind {
        case .keyword(.when):
            index += 1
            return .when(try parseExpr(), keyword: keyword.span)
        case .keyword(.unless):
            index += 1
            return .unless(try parseExpr(), keyword: keyword.span)
        case .keyword(.require):
            index += 1
            let name = try expectName("an obligation name after `require`")
            var condition: RequireCondition?
            if accept(.when) {
                condition = RequireCondition(isWhen: true, expr: try parseExpr())
            } else if accept(.unless) {
                condition = RequireCondition(isWhen: false, expr: try parseExpr())
            }
            return .require(name, condition: condition, keyword: keyword.span)
        case .keyword(.because):
            index += 1
            return .because(try expectString("the reason after `because`"), keyword: keyword.span)
        default:
            return nil
        }
    }

    // MARK: Tests

    private mutating func parseTest() throws(Failure) -> TestBlock {
        let start = take()
        let name = try expectString("the test name")
        try expectSymbol(.leftBrace, "`{` to open the test")
        var fixtures: [Fixture] = []
        var expectations: [Expectation] = []
        while true {
            switch current.kind {
            case .keyword(.actor), .keyword(.route), .keyword(.context):
                fixtures.append(try parseFixture())
            case .keyword(.expect):
                expectations.append(try parseExpectation())
            case .symbol(.rightBrace):
                if expectations.isEmpty { throw failure("a test needs at least one `expect` line") }
                index += 1
                return TestBlock(
                    name: name.value, span: start.span.through(previous.span), fixtures: fixtures,
                    expectations: expectations)
            default:
                throw failure(
                    "expected `actor`, `route`, `context`, `expect` or `}` in the test, found \(current.display)")
            }
        }
    }

    private mutating func parseFixture() throws(Failure) -> Fixture {
        let rootToken = take()
        let root = PathRoot(rawValue: rootToken.word ?? "") ?? .actor
        guard case .symbol(.leftBrace) = current.kind else {
            throw failure("expected `{` after `\(root.rawValue)`, found \(current.display)")
        }
        let object = try parseFixtureValue()
        guard case .object(let members) = object.kind else { throw failure("expected an object") }
        return Fixture(root: root, span: rootToken.span, members: members)
    }

    private mutating func parseFixtureValue() throws(Failure) -> FixtureValue {
        let token = current
        switch token.kind {
        case .string(let value):
            index += 1
            return FixtureValue(kind: .string(value), span: token.span)
        case .integer(let value):
            index += 1
            return FixtureValue(kind: .integer(value), span: token.span)
        case .duration(let value):
            index += 1
            return FixtureValue(kind: .duration(value), span: token.span)
        case .keyword(.true), .keyword(.false):
            index += 1
            return FixtureValue(kind: .bool(token.kind == .keyword(.true)), span: token.span)
        case .symbol(.leftBracket):
            try open()
            index += 1
            var items: [FixtureValue] = []
            if !acceptSymbol(.rightBracket) {
                repeat { items.append(try parseFixtureValue()) } while acceptSymbol(.comma)
                try expectSymbol(.rightBracket, "`,` or `]` in the list")
            }
            depth -= 1
            return FixtureValue(kind: .list(items), span: token.span.through(previous.span))
        case .symbol(.leftBrace):
            try open()
            index += 1
            var members: [FixtureMember] = []
            if !acceptSymbol(.rightBrace) {
                repeat {
                    let key = try expectKey()
                    try expectSymbol(.colon, "`:` after the key")
                    members.append(FixtureMember(key: key, value: try parseFixtureValue()))
                } while acceptSymbol(.comma)
                try expectSymbol(.rightBrace, "`,` or `}` in the object")
            }
            depth -= 1
            return FixtureValue(kind: .object(members), span: token.span.through(previous.span))
        case .invalid(let message):
            throw failure(message)
        default:
            throw failure(
                "expected a value (a string, integer, duration, `true`, `false`, list or object), found \(token.display)"
            )
        }
    }

    private mutating func expectKey() throws(Failure) -> Name {
        let token = current
        if case .string(let value) = token.kind {
            index += 1
            return Name(text: value, span: token.span)
        }
        if let word = token.word {
            index += 1
            return Name(text: word, span: token.span)
        }
        throw failure("expected a key (a name or a string), found \(token.display)")
    }

    private mutating func parseExpectation() throws(Failure) -> Expectation {
        let start = take()
        let action = try expectName("an action name after `expect`")
        let allow: Bool
        if accept(.allow) {
            allow = true
        } else if accept(.deny) {
            allow = false
        } else {
            throw failure("expected `allow` or `deny`, found \(current.display)")
        }
        var requireSpan: SourceSpan?
        var obligations: [Name] = []
        if case .keyword(.require) = current.kind {
            requireSpan = take().span
            obligations = try parseNameList("an obligation name")
        }
        var determining: [StringLiteral] = []
        if accept(.by) {
            determining.append(try expectString("a rule id after `by`"))
            while acceptSymbol(.comma) { determining.append(try expectString("a rule id")) }
        }
        return Expectation(
            action: action, allow: allow, requireSpan: requireSpan, obligations: obligations,
            determining: determining, span: start.span.through(previous.span))
    }

    // MARK: Expressions

    private mutating func parseExpr() throws(Failure) -> Expr {
        try parseChain(.or)
    }

    /// `a or b or …` of `and` chains, and `a and b and …` of unary expressions, each kept as one flat list.
    private mutating func parseChain(_ keyword: Keyword) throws(Failure) -> Expr {
        let first = keyword == .or ? try parseChain(.and) : try parseUnary()
        var operands = [first]
        var operatorSpan = first.span
        while current.kind == .keyword(keyword) {
            operatorSpan = take().span
            operands.append(keyword == .or ? try parseChain(.and) : try parseUnary())
        }
        guard operands.count > 1 else { return first }
        let kind: Expr.Kind = keyword == .or ? .or(operands) : .and(operands)
        return Expr(kind: kind, span: first.span.through(operands.last!.span), operatorSpan: operatorSpan)
    }

    private mutating func parseUnary() throws(Failure) -> Expr {
        if case .keyword(.not) = current.kind {
            try open()
            let op = take()
            let operand = try parseUnary()
            depth -= 1
            return Expr(kind: .not(operand), span: op.span.through(operand.span), operatorSpan: op.span)
        }
        return try parseCompare()
    }

    private mutating func parseCompare() throws(Failure) -> Expr {
        let left = try parseValue()
        let opToken = current
        let op: BinaryOperator
        switch opToken.kind {
        case .symbol(.equalEqual): op = .equal
        case .symbol(.notEqual): op = .notEqual
        case .symbol(.less): op = .less
        case .symbol(.lessEqual): op = .lessEqual
        case .symbol(.greater): op = .greater
        case .symbol(.greaterEqual): op = .greaterEqual
        case .keyword(.in): op = .in
        case .keyword(.contains): op = .contains
        case .keyword(.matches): op = .matches
        case .keyword(.not) where tokens[index + 1].kind == .keyword(.in):
            index += 1
            op = .notIn
        case .keyword(.has):
            index += 1
            let key = try expectString("a claim name string after `has`")
            return Expr(kind: .has(left, key.value), span: left.span.through(key.span), operatorSpan: opToken.span)
        default:
            return left
        }
        let operatorSpan = opToken.span.through(current.span)
        index += 1
        let right = try parseValue()
        return Expr(kind: .binary(op, left, right), span: left.span.through(right.span), operatorSpan: operatorSpan)
    }

    private mutating func parseValue() throws(Failure) -> Expr {
        let token = current
        switch token.kind {
        case .string(let value):
            index += 1
            return leaf(.string(value), token)
        case .integer(let value):
            index += 1
            return leaf(.integer(value), token)
        case .duration(let value):
            index += 1
            return leaf(.duration(value), token)
        case .keyword(.true), .keyword(.false):
            index += 1
            return leaf(.bool(token.kind == .keyword(.true)), token)
        case .keyword(.actor), .keyword(.route), .keyword(.context):
            return try parsePath()
        case .name(let name):
            index += 1
            return leaf(.name(name), token)
        case .symbol(.leftParen):
            try open()
            index += 1
            let inner = try parseExpr()
            try expectSymbol(.rightParen, "`)` to close the parenthesis")
            depth -= 1
            let span = token.span.through(previous.span)
            return Expr(kind: .parenthesized(inner), span: span, operatorSpan: span)
        case .symbol(.leftBracket):
            try open()
            index += 1
            var items: [Expr] = []
            if !acceptSymbol(.rightBracket) {
                repeat { items.append(try parseExpr()) } while acceptSymbol(.comma)
                try expectSymbol(.rightBracket, "`,` or `]` in the list")
            }
            depth -= 1
            let span = token.span.through(previous.span)
            return Expr(kind: .list(items), span: span, operatorSpan: span)
        case .invalid(let message):
            throw failure(message)
        default:
            throw failure(
                "expected a value (a string, number, duration, `true`, `false`, attribute, name, `(` or `[`), found \(token.display)"
            )
        }
    }

    private mutating func parsePath() throws(Failure) -> Expr {
        let rootToken = take()
        let root = PathRoot(rawValue: rootToken.word ?? "") ?? .actor
        var segments: [Path.Segment] = []
        while true {
            if acceptSymbol(.dot) {
                let token = current
                guard let word = token.word else {
                    throw failure("expected an attribute name after `.`, found \(token.display)")
                }
                index += 1
                segments.append(Path.Segment(name: word, bracketed: false, span: token.span))
            } else if case .symbol(.leftBracket) = current.kind, case .string = tokens[index + 1].kind {
                let open = take()
                let key = try expectString("a string key")
                try expectSymbol(.rightBracket, "`]` after the key")
                segments.append(Path.Segment(name: key.value, bracketed: true, span: open.span.through(previous.span)))
            } else {
                break
            }
        }
        if segments.isEmpty {
            throw failure("expected `.` and an attribute name after `\(root.rawValue)`, found \(current.display)")
        }
        let span = rootToken.span.through(previous.span)
        return Expr(kind: .path(Path(root: root, segments: segments)), span: span, operatorSpan: span)
    }

    // MARK: Token helpers

    private var current: Token { tokens[index] }
    private var previous: Token { tokens[max(index - 1, 0)] }

    private func leaf(_ kind: Expr.Kind, _ token: Token) -> Expr {
        Expr(kind: kind, span: token.span, operatorSpan: token.span)
    }

    private mutating func take() -> Token {
        let token = tokens[index]
        if token.kind != .endOfFile { index += 1 }
        return token
    }

    private mutating func open() throws(Failure) {
        depth += 1
        if depth > Self.maxNesting {
            throw Failure(
                diagnostic: Diagnostic(
                    "CAV002", at: current.span, "nesting deeper than \(Self.maxNesting) levels",
                    help: "split the expression with `let` or roles"))
        }
    }

    private mutating func accept(_ keyword: Keyword) -> Bool {
        guard current.kind == .keyword(keyword) else { return false }
        index += 1
        return true
    }

    private mutating func acceptSymbol(_ symbol: Symbol) -> Bool {
        guard current.kind == .symbol(symbol) else { return false }
        index += 1
        return true
    }

    private mutating func expectSymbol(_ symbol: Symbol, _ what: String) throws(Failure) {
        guard acceptSymbol(symbol) else { throw failure("expected \(what), found \(current.display)") }
    }

    private mutating func expectString(_ what: String) throws(Failure) -> StringLiteral {
        let token = current
        if case .string(let value) = token.kind {
            index += 1
            return StringLiteral(value: value, span: token.span)
        }
        if case .invalid(let message) = token.kind { throw failure(message) }
        throw failure("expected \(what) (a string), found \(token.display)")
    }

    private mutating func expectName(_ what: String) throws(Failure) -> Name {
        let token = current
        if case .name(let name) = token.kind {
            index += 1
            return Name(text: name, span: token.span)
        }
        if case .invalid(let message) = token.kind { throw failure(message) }
        if case .keyword(let keyword) = token.kind {
            throw failure(
                "expected \(what), found \(token.display)",
                help: "`\(keyword.rawValue)` is a keyword and cannot be used as a name here")
        }
        throw failure("expected \(what), found \(token.display)")
    }

    private func failure(_ message: String, help: String? = nil) -> Failure {
        Failure(diagnostic: Diagnostic("CAV001", at: current.span, message, help: help))
    }
}
