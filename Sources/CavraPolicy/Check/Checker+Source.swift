// Positions and source text for diagnostics and the trace.

extension Checker {
    /// A span of `length` characters from the start of `span` (a keyword inside a longer statement).
    func keywordSpan(_ span: SourceSpan, length: Int) -> SourceSpan {
        SourceSpan(
            start: span.start, startOffset: span.startOffset, endOffset: span.startOffset + length,
            endLine: span.line, endColumn: span.column + length)
    }

    /// A one-character span at a byte offset of a file (for whole-file findings).
    func spanAt(file: Int, byteOffset: Int) -> SourceSpan {
        guard file < source.files.count else {
            let start = SourceLocation(file: file, line: 1, column: 1)
            return SourceSpan(start: start, startOffset: 0, endOffset: 0, endLine: 1, endColumn: 1)
        }
        let prefix = String(decoding: source.files[file].bytes.prefix(byteOffset), as: UTF8.self).unicodeScalars
        var line = 1
        var column = 1
        for scalar in prefix {
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        let start = SourceLocation(file: file, line: line, column: column)
        return SourceSpan(
            start: start, startOffset: prefix.count, endOffset: prefix.count + 1, endLine: line, endColumn: column + 1)
    }

    /// `path:line:column` of a span, for help lines that point elsewhere.
    func describe(_ span: SourceSpan) -> String {
        "\(source.files[span.file].displayPath):\(span.line):\(span.column)"
    }

    /// The expression's text with comments removed and each run of whitespace outside strings collapsed (§6).
    func sourceText(_ span: SourceSpan) -> String {
        let scalars = source.files[span.file].scalars[span.startOffset..<span.endOffset]
        var text = String.UnicodeScalarView()
        var inString = false
        var escaped = false
        var inComment = false
        var pendingSpace = false
        for scalar in scalars {
            if inComment {
                if scalar == "\n" { inComment = false }
                continue
            }
            if inString {
                text.append(scalar)
                if escaped {
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "\"" {
                    inString = false
                }
                continue
            }
            if scalar == "#" {
                inComment = true
                pendingSpace = true
                continue
            }
            if scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
                pendingSpace = true
                continue
            }
            if pendingSpace && !text.isEmpty { text.append(" ") }
            pendingSpace = false
            text.append(scalar)
            if scalar == "\"" { inString = true }
        }
        return String(text)
    }

    /// The byte offset of the first invalid UTF-8 sequence, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
