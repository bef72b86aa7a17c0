// The tokens of the policy language (policy-language.md §2).

public enum Keyword: String, Sendable, CaseIterable {
    case policy, version, description, mode, enforce, shadow, role, `let`, permit, forbid, by, anyone
    case when, unless, require, because, test, expect, allow, deny, and, or, not, `in`, has, contains
    case matches, `true`, `false`, actor, route, context
}

public enum TokenKind: Sendable, Equatable {
    case keyword(Keyword)
    case name(String)
    case string(String)
    case integer(Int64)
    /// A duration literal, in seconds.
    case duration(Int64)
    case symbol(Symbol)
    /// Text the lexer could not read; the message says why.
    case invalid(String)
    case endOfFile
}

public enum Symbol: String, Sendable {
    case equals = "=", equalEqual = "==", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">"
    case greaterEqual = ">=", leftParen = "(", rightParen = ")", leftBracket = "[", rightBracket = "]"
    case leftBrace = "{", rightBrace = "}", comma = ",", dot = ".", colon = ":", at = "@", star = "*"
}

public struct Token: Sendable, Equatable {
    public var kind: TokenKind
    public var span: SourceSpan

    /// The token as a person would name it in "expected …, found …".
    public var display: String {
        switch kind {
        case .keyword(let keyword): "`\(keyword.rawValue)`"
        case .name(let name): "name `\(name)`"
        case .string: "a string"
        case .integer: "an integer"
        case .duration: "a duration"
        case .symbol(let symbol): "`\(symbol.rawValue)`"
        case .invalid: "invalid text"
        case .endOfFile: "end of file"
        }
    }

    /// The word, when the token is a name or a keyword (keywords are names after `.` and as object keys).
    public var word: String? {
        switch kind {
        case .name(let name): name
        case .keyword(let keyword): keyword.rawValue
        default: nil
        }
    }
}
