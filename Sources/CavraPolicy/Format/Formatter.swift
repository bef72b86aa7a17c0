// `cavra policy fmt`: the canonical layout of policy-language.md §9. Tokens are printed exactly as written;
// only the whitespace between them changes, and every comment is kept where it stands.

public struct FormatResult: Sendable {
    /// The formatted text; nil when the file does not parse.
    public var text: String?
    /// Syntax errors that stopped formatting.
    public var diagnostics: [Diagnostic]
    /// Rules without `@id` whose keyword moved: their default id changes.
    public var movedRules: [(from: Int, to: Int)]
}

public enum Formatter {
    public static func format(_ file: PolicyFile, index: Int = 0) -> FormatResult {
        let (tokens, comments) = Lexer.tokenizeKeepingComments(file.scalars, file: index)
        var parser = Parser(tokens: tokens, file: index)
        let syntax = parser.parseFile()
        var diagnostics = parser.diagnostics
        if let invalid = Checker.firstInvalidUTF8(file.bytes) {
            let start = SourceLocation(file: index, line: 1, column: 1)
            diagnostics.append(
                Diagnostic(
                    "CAV001", at: SourceSpan(start: start, startOffset: 0, endOffset: 1, endLine: 1, endColumn: 2),
                    "the file is not valid UTF-8 (byte \(invalid))"))
        }
        guard diagnostics.isEmpty else { return FormatResult(text: nil, diagnostics: diagnostics, movedRules: []) }
        var printer = LayoutPrinter(file: file, tokens: tokens)
        printer.layOut(syntax.statements)
        printer.attach(comments)
        let (text, lineOfOffset) = printer.render()
        var moved: [(from: Int, to: Int)] = []
        for case .rule(let rule) in syntax.statements
        where !rule.annotations.contains(where: { $0.name.text == "id" }) {
            let newLine = lineOfOffset[rule.keywordSpan.startOffset] ?? rule.keywordSpan.line
            if newLine != rule.keywordSpan.line { moved.append((rule.keywordSpan.line, newLine)) }
        }
        return FormatResult(text: text, diagnostics: [], movedRules: moved)
    }
}

/// Builds the output lines of one file from its statements, then places the comments.
struct LayoutPrinter {
    private struct Line {
        var indent: Int
        var text: String
        /// Offsets of the tokens printed on this line.
        var tokenOffsets: [Int]
        var comments: [String] = []
        var trailing: [String] = []
        /// A blank line stood in the source between this line's leading comments and the line itself.
        var blankAfterComments = false
    }

    private let file: PolicyFile
    private let tokens: [Token]
    private var lines: [Line] = []
    /// The output line of each token, by the token's offset; filled when comments are placed.
    private var lineOfToken: [Int: Int] = [:]

    init(file: PolicyFile, tokens: [Token]) {
        self.file = file
        self.tokens = tokens.filter { $0.kind != .endOfFile }
    }

    // MARK: Statements

    mutating func layOut(_ statements: [Statement]) {
        var previous: Statement?
        for statement in statements {
            if let previous {
                if Self.isBinding(previous) && Self.isBinding(statement) {
                    if blankLineBetween(Self.span(previous).endLine, Self.span(statement).line) { blank() }
                } else {
                    blank()
                }
            }
            switch statement {
            case .header(let header): layOutHeader(header)
            case .binding(let binding): emit(0, tokens(in: binding.span))
            case .rule(let rule): layOutRule(rule)
            case .test(let test): layOutTest(test)
            }
            previous = statement
        }
    }

    private static func isBinding(_ statement: Statement) -> Bool {
        if case .binding = statement { return true }
        return false
    }

    private static func span(_ statement: Statement) -> SourceSpan {
        switch statement {
        case .header(let header): header.span
        case .binding(let binding): binding.span
        case .rule(let rule): rule.span
        case .test(let test): test.span
        }
    }

    private mutating func layOutHeader(_ header: Header) {
        var current: [Token] = []
        for token in tokens(in: header.span) {
            if token.kind == .keyword(.description) || token.kind == .keyword(.mode) {
                emit(0, current)
                current = []
            }
            current.append(token)
        }
        emit(0, current)
    }

    private mutating func layOutRule(_ rule: Rule) {
        let all = tokens(in: rule.span)
        var position = 0
        for annotation in rule.annotations {
            let end =
                (annotation.argument.map { _ in closingParen(after: annotation.span.startOffset) })
                ?? annotation.name.span.endOffset
            let annotationTokens = all.filter {
                $0.span.startOffset >= annotation.span.startOffset && $0.span.startOffset < end
            }
            emit(0, annotationTokens)
            position += annotationTokens.count
        }
        let clauseStarts = rule.clauses.map(Self.keywordOffset)
        let headEnd = clauseStarts.first ?? rule.span.endOffset
        emit(0, all[position...].filter { $0.span.startOffset < headEnd })
        for (index, start) in clauseStarts.enumerated() {
            let end = index + 1 < clauseStarts.count ? clauseStarts[index + 1] : rule.span.endOffset
            emit(2, all.filter { $0.span.startOffset >= start && $0.span.startOffset < end })
        }
    }

    private func closingParen(after offset: Int) -> Int {
        for token in tokens where token.span.startOffset > offset && token.kind == .symbol(.rightParen) {
            return token.span.endOffset
        }
        return offset + 1
    }

    private static func keywordOffset(_ clause: Clause) -> Int {
        switch clause {
        case .when(_, let keyword), .unless(_, let keyword), .require(_, _, let keyword), .because(_, let keyword):
            keyword.startOffset
        }
    }

    private mutating func layOutTest(_ test: TestBlock) {
        let all = tokens(in: test.span)
        guard let brace = all.firstIndex(where: { $0.kind == .symbol(.leftBrace) }) else { return }
        emit(0, Array(all[...brace]))
        // Each fixture and each `expect` is one line, from its first token to the next part's.
        let starts = (test.fixtures.map(\.span.startOffset) + test.expectations.map(\.span.startOffset)).sorted()
        let closing = all.last!
        for (index, start) in starts.enumerated() {
            let end = index + 1 < starts.count ? starts[index + 1] : closing.span.startOffset
            emit(2, all.filter { $0.span.startOffset >= start && $0.span.startOffset < end })
        }
        emit(0, [closing])
    }

    // MARK: Lines

    private func tokens(in span: SourceSpan) -> [Token] {
        Array(tokens[firstToken(atOrAfter: span.startOffset)..<firstToken(atOrAfter: span.endOffset)])
    }

    /// The index of the first token starting at or after `offset` (tokens are in source order).
    private func firstToken(atOrAfter offset: Int) -> Int {
        var low = 0
        var high = tokens.count
        while low < high {
            let middle = (low + high) / 2
            if tokens[middle].span.startOffset < offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    private mutating func blank() {
        lines.append(Line(indent: 0, text: "", tokenOffsets: []))
    }

    private mutating func emit(_ indent: Int, _ lineTokens: [Token]) {
        guard !lineTokens.isEmpty else { return }
        var text = ""
        for (index, token) in lineTokens.enumerated() {
            if index > 0 && Self.spaceBetween(lineTokens, index) { text += " " }
            text += String(String.UnicodeScalarView(file.scalars[token.span.startOffset..<token.span.endOffset]))
        }
        lines.append(Line(indent: indent, text: text, tokenOffsets: lineTokens.map(\.span.startOffset)))
    }

    /// One space between tokens, except inside `( )`, list `[ ]` and after `.`, `@`; `{ k: v }` keeps inner spaces.
    private static func spaceBetween(_ tokens: [Token], _ index: Int) -> Bool {
        let previous = tokens[index - 1].kind
        let next = tokens[index].kind
        switch next {
        case .symbol(.rightParen), .symbol(.rightBracket), .symbol(.comma), .symbol(.dot), .symbol(.colon):
            return false
        case .symbol(.rightBrace):
            return previous != .symbol(.leftBrace)
        case .symbol(.leftParen):
            if case .name = previous, index >= 2, tokens[index - 2].kind == .symbol(.at) { return false }
        case .symbol(.leftBracket):
            if isBracketAccess(tokens, index) { return false }
        default:
            break
        }
        switch previous {
        case .symbol(.leftParen), .symbol(.leftBracket), .symbol(.dot), .symbol(.at): return false
        default: return true
        }
    }

    /// `[` right after a path segment (`actor.claims["k"]`) rather than a list.
    private static func isBracketAccess(_ tokens: [Token], _ index: Int) -> Bool {
        let previous = tokens[index - 1].kind
        switch previous {
        case .name, .symbol(.rightBracket), .keyword(.actor), .keyword(.route), .keyword(.context): return true
        case .keyword: return index >= 2 && tokens[index - 2].kind == .symbol(.dot)
        default: return false
        }
    }

    private func blankLineBetween(_ firstLine: Int, _ secondLine: Int) -> Bool {
        guard secondLine - firstLine > 1 else { return false }
        return ((firstLine + 1)..<secondLine).contains { file.line($0).allSatisfy(\.isWhitespace) }
    }

    // MARK: Comments

    /// A trailing comment ends the line of the token before it; a comment on its own line goes above the line of
    /// the token after it (or at the end of the file).
    mutating func attach(_ comments: [Comment]) {
        for (index, line) in lines.enumerated() {
            for offset in line.tokenOffsets { lineOfToken[offset] = index }
        }
        var atEnd: [String] = []
        for (position, comment) in comments.enumerated() {
            if !comment.ownLine, let index = lineIndex(containingLast: comment.offset) {
                // A joined line keeps one trailing comment; the next ones go above it, so none swallows another.
                if lines[index].trailing.isEmpty {
                    lines[index].trailing.append(comment.text)
                } else {
                    lines[index].comments.append(comment.text)
                }
                continue
            }
            guard let index = lineIndex(containingFirstAfter: comment.offset) else {
                atEnd.append(comment.text)
                continue
            }
            lines[index].comments.append(comment.text)
            let next = firstToken(atOrAfter: comment.offset)
            let nextLine = next < tokens.count ? tokens[next].span.line : comment.line
            let nextComment = comments[(position + 1)...].first { $0.ownLine }
            let followedBy = min(nextLine, nextComment.map(\.line) ?? Int.max)
            lines[index].blankAfterComments = blankLineBetween(comment.line, followedBy) && followedBy == nextLine
        }
        if !atEnd.isEmpty {
            if !lines.isEmpty { blank() }
            for text in atEnd { lines.append(Line(indent: 0, text: text, tokenOffsets: [])) }
        }
    }

    private func lineIndex(containingLast offset: Int) -> Int? {
        let index = firstToken(atOrAfter: offset) - 1
        return index >= 0 ? lineOfToken[tokens[index].span.startOffset] : nil
    }

    private func lineIndex(containingFirstAfter offset: Int) -> Int? {
        let index = firstToken(atOrAfter: offset)
        return index < tokens.count ? lineOfToken[tokens[index].span.startOffset] : nil
    }

    /// The text, and the output line of each token offset.
    func render() -> (String, [Int: Int]) {
        var output: [String] = []
        var lineOfOffset: [Int: Int] = [:]
        for line in lines {
            let indent = String(repeating: " ", count: line.indent)
            // Comments above a test's closing brace belong to the test body.
            let commentIndent = line.text == "}" ? indent + "  " : indent
            for comment in line.comments { output.append(commentIndent + comment) }
            if line.blankAfterComments { output.append("") }
            for offset in line.tokenOffsets { lineOfOffset[offset] = output.count + 1 }
            let trailing = line.trailing.isEmpty ? "" : " " + line.trailing.joined(separator: " ")
            output.append(
                line.text.isEmpty && line.tokenOffsets.isEmpty ? line.text + trailing : indent + line.text + trailing)
        }
        while output.last == "" { output.removeLast() }
        return (output.isEmpty ? "" : output.joined(separator: "\n") + "\n", lineOfOffset)
    }
}
