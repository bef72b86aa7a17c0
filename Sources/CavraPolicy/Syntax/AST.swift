// The syntax tree of a policy file, every node with its source span.

public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        case string(String)
        case integer(Int64)
        case duration(Int64)
        case bool(Bool)
        case list([Expr])
        case path(Path)
        /// A role or a let, by name.
        case name(String)
        case not(Expr)
        /// A chain `a and b and …`, kept flat: `and` and `or` are associative, and a long chain must not recurse.
        case and([Expr])
        case or([Expr])
        case binary(BinaryOperator, Expr, Expr)
        case has(Expr, String)
        case parenthesized(Expr)
    }

    public var kind: Kind
    public var span: SourceSpan
    /// The span of the operator token for binary, `has` and `not` expressions; the whole span otherwise.
    public var operatorSpan: SourceSpan
}

public enum BinaryOperator: String, Sendable {
    case equal = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case `in` = "in", notIn = "not in", contains, matches
}

public enum PathRoot: String, Sendable {
    case actor, route, context
}

public struct Path: Sendable {
    public struct Segment: Sendable {
        public var name: String
        /// Written `["name"]` rather than `.name`.
        public var bracketed: Bool
        public var span: SourceSpan
    }

    public var root: PathRoot
    public var segments: [Segment]

    /// The path as written in the canonical dotted form, for messages: `actor.claims["a b"]`.
    public var display: String {
        segments.reduce(root.rawValue) { text, segment in
            segment.bracketed ? text + "[\"\(segment.name)\"]" : text + "." + segment.name
        }
    }
}

public struct Header: Sendable {
    public var id: String
    public var version: String?
    public var description: String?
    public var shadow: Bool
    public var span: SourceSpan
}

public struct Binding: Sendable {
    public enum Kind: String, Sendable { case role, `let` }
    public var kind: Kind
    public var name: String
    public var nameSpan: SourceSpan
    public var expr: Expr
    public var span: SourceSpan
}

public struct Name: Sendable {
    public var text: String
    public var span: SourceSpan
}

public struct StringLiteral: Sendable {
    public var value: String
    public var span: SourceSpan
}

public enum Effect: String, Sendable { case permit, forbid }

public struct Annotation: Sendable {
    public var name: Name
    public var argument: StringLiteral?
    /// The span of the `@`.
    public var span: SourceSpan
}

public enum Clause: Sendable {
    case when(Expr, keyword: SourceSpan)
    case unless(Expr, keyword: SourceSpan)
    case require(Name, condition: RequireCondition?, keyword: SourceSpan)
    case because(StringLiteral, keyword: SourceSpan)
}

public struct RequireCondition: Sendable {
    /// True for `when`, false for `unless`.
    public var isWhen: Bool
    public var expr: Expr
}

public struct Rule: Sendable {
    public enum Actions: Sendable {
        case all(SourceSpan)
        case named([Name])
    }

    public enum Principals: Sendable {
        case anyone
        case roles([Name])
    }

    public var annotations: [Annotation]
    public var effect: Effect
    /// The span of the `permit` or `forbid` keyword.
    public var keywordSpan: SourceSpan
    public var actions: Actions
    public var principals: Principals
    public var clauses: [Clause]
    public var span: SourceSpan
}

/// A value in a test fixture.
public struct FixtureValue: Sendable {
    public indirect enum Kind: Sendable {
        case string(String)
        case integer(Int64)
        case duration(Int64)
        case bool(Bool)
        case list([FixtureValue])
        case object([FixtureMember])
    }

    public var kind: Kind
    public var span: SourceSpan
}

public struct FixtureMember: Sendable {
    public var key: Name
    public var value: FixtureValue
}

public struct Fixture: Sendable {
    public var root: PathRoot
    public var span: SourceSpan
    public var members: [FixtureMember]
}

public struct Expectation: Sendable {
    public var action: Name
    public var allow: Bool
    /// The `require` keyword, when present.
    public var requireSpan: SourceSpan?
    public var obligations: [Name]
    public var determining: [StringLiteral]
    public var span: SourceSpan
}

public struct TestBlock: Sendable {
    public var name: String
    public var span: SourceSpan
    public var fixtures: [Fixture]
    public var expectations: [Expectation]
}

public enum Statement: Sendable {
    case header(Header)
    case binding(Binding)
    case rule(Rule)
    case test(TestBlock)
}

/// One parsed file: its statements in source order.
public struct SyntaxFile: Sendable {
    public var file: Int
    public var statements: [Statement]
}
