// Turns one policy file's text into tokens; unreadable text becomes an `.invalid` token the parser reports.

/// A `#` comment, kept for the formatter.
public struct Comment: Sendable {
    /// From `#` to the end of the line, trailing whitespace removed.
    public var text: String
    public var line: Int
    public var offset: Int
    /// Nothing but whitespace stands before it on its line.
    public var ownLine: Bool
}

public struct Lexer {
    private let scalars: [Unicode.Scalar]
    private let file: Int
    private var offset = 0
    private var line = 1
    private var column = 1
    private var lineHasToken = false
    public private(set) var comments: [Comment] = []

    public init(scalars: [Unicode.Scalar], file: Int) {
        self.scalars = scalars
        self.file = file
    }

    public static func tokenize(_ scalars: [Unicode.Scalar], file: Int) -> [Token] {
        tokenizeKeepingComments(scalars, file: file).tokens
    }

    public static func tokenizeKeepingComments(_ scalars: [Unicode.Scalar], file: Int) -> (
        tokens: [Token], comments: [Comment]
    ) {
        var lexer = Lexer(scalars: scalars, file: file)
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            tokens.append(token)
            if token.kind == .endOfFile { return (tokens, lexer.comments) }
        }
    }

    private var current: Unicode.Scalar? { offset < scalars.count ? scalars[offset] : nil }

    private func peek(_ distance: Int) -> Unicode.Scalar? {
        offset + distance < scalars.count ? scalars[offset + distance] : nil
    }

    private mutating func advance() {
        if scalars[offset] == "\n" {
            line += 1
            column = 1
            lineHasToken = false
        } else {
            column += 1
        }
        offset += 1
    }

    private mutating func skipTrivia() {
        while let scalar = current {
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                advance()
            } else if scalar == "#" {
                let start = offset
                let startLine = line
                var text = String.UnicodeScalarView()
                while let inComment = current, inComment != "\n" {
                    text.append(inComment)
                    advance()
                }
                comments.append(
                    Comment(
                        text: String(String(text).reversed().drop { $0.isWhitespace }.reversed()), line: startLine,
                        offset: start, ownLine: !lineHasToken))
            } else {
                return
            }
        }
    }

    public mutating func next() -> Token {
        skipTrivia()
        let start = SourceLocation(file: file, line: line, column: column)
        let startOffset = offset
        let kind = scanToken()
        lineHasToken = true
        let span = SourceSpan(
            start: start, startOffset: startOffset, endOffset: offset, endLine: line, endColumn: column)
        return Token(kind: kind, span: span)
    }

    private mutating func scanToken() -> TokenKind {
        guard let scalar = current else { return .endOfFile }
        if Self.isNameStart(scalar) { return scanWord() }
        if Self.isDigit(scalar) || (scalar == "-" && peek(1).map(Self.isDigit) == true) { return scanNumber() }
        if scalar == "\"" { return scanString() }
        return scanSymbol(scalar)
    }

    private mutating func scanWord() -> TokenKind {
        var word = String.UnicodeScalarView()
        while let scalar = current, Self.isNameContinue(scalar) {
            word.append(scalar)
            advance()
        }
        let text = String(word)
        if let keyword = Keyword(rawValue: text) { return .keyword(keyword) }
        return .name(text)
    }

    private mutating func scanNumber() -> TokenKind {
        var negative = false
        if current == "-" {
            negative = true
            advance()
        }
        var magnitude: UInt64 = 0
        var overflow = false
        while let scalar = current, Self.isDigit(scalar) {
            let (times, o1) = magnitude.multipliedReportingOverflow(by: 10)
            let (plus, o2) = times.addingReportingOverflow(UInt64(scalar.value - 48))
            overflow = overflow || o1 || o2
            magnitude = plus
            advance()
        }
        if let unit = current, Self.isNameContinue(unit) {
            return scanDurationUnit(magnitude: magnitude, negative: negative, overflow: overflow)
        }
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        if overflow || magnitude > limit { return .invalid("integer out of the signed 64-bit range") }
        return .integer(negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude))
    }

    private mutating func scanDurationUnit(magnitude: UInt64, negative: Bool, overflow: Bool) -> TokenKind {
        var suffix = String.UnicodeScalarView()
        while let scalar = current, Self.isNameContinue(scalar) {
            suffix.append(scalar)
            advance()
        }
        let unitSeconds: UInt64
        switch String(suffix) {
        case "s": unitSeconds = 1
        case "m": unitSeconds = 60
        case "h": unitSeconds = 3600
        case "d": unitSeconds = 86400
        default: return .invalid("unknown duration unit `\(String(suffix))` (use s, m, h or d)")
        }
        if negative { return .invalid("a duration cannot be negative") }
        let (seconds, productOverflow) = magnitude.multipliedReportingOverflow(by: unitSeconds)
        if overflow || productOverflow || seconds > UInt64(Int64.max) {
            return .invalid("duration longer than 2^63-1 seconds")
        }
        return .duration(Int64(seconds))
    }

    private mutating func scanString() -> TokenKind {
        advance()
        var value = String.UnicodeScalarView()
        var problem: String?
        while true {
            guard let scalar = current, scalar != "\n" else {
                return .invalid("unterminated string (strings end on the same line with `\"`)")
            }
            advance()
            if scalar == "\"" { break }
            if scalar != "\\" {
                value.append(scalar)
                continue
            }
            guard let escaped = current, escaped != "\n" else { continue }
            advance()
            switch escaped {
            case "\"": value.append("\"")
            case "\\": value.append("\\")
            case "n": value.append("\n")
            case "t": value.append("\t")
            case "u":
                if let decoded = scanUnicodeEscape() {
                    value.append(decoded)
                } else if problem == nil {
                    problem = "invalid `\\u{…}` escape (1 to 6 hex digits naming a Unicode scalar)"
                }
            default:
                if problem == nil { problem = "unknown escape `\\\(escaped)` (use \\\" \\\\ \\n \\t or \\u{XXXX})" }
            }
        }
        if let problem { return .invalid(problem) }
        return .string(String(value))
    }

    private mutating func scanUnicodeEscape() -> Unicode.Scalar? {
        guard current == "{" else { return nil }
        advance()
        var digits = ""
        while let scalar = current, scalar != "}", scalar != "\"", scalar != "\n" {
            digits.unicodeScalars.append(scalar)
            advance()
        }
        guard current == "}" else { return nil }
        advance()
        guard (1...6).contains(digits.count), let value = UInt32(digits, radix: 16) else { return nil }
        return Unicode.Scalar(value)
    }

    private mutating func scanSymbol(_ scalar: Unicode.Scalar) -> TokenKind {
        let next = peek(1)
        advance()
        switch scalar {
        case "=" where next == "=":
            advance()
            return .symbol(.equalEqual)
        case "!" where next == "=":
            advance()
            return .symbol(.notEqual)
        case "<" where next == "=":
            advance()
            return .symbol(.lessEqual)
        case ">" where next == "=":
            advance()
            return .symbol(.greaterEqual)
        default:
            if let symbol = Symbol(rawValue: String(scalar)) { return .symbol(symbol) }
            return .invalid("unexpected character `\(String(scalar))`")
        }
    }

    static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || scalar == "_"
    }

    static func isNameContinue(_ scalar: Unicode.Scalar) -> Bool {
        isNameStart(scalar) || isDigit(scalar) || scalar == "-"
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { scalar >= "0" && scalar <= "9" }
}
