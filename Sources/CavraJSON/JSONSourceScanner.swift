// Finds positions in JSON source text. libjansson reports where it stopped reading, not where the
// offending token starts, and knows nothing of our depth bound; this tokenizer answers both. It only
// splits tokens (strings, punctuation, runs of other bytes); judging validity stays with libjansson.

struct JSONSourceScanner {
    let bytes: UnsafeBufferPointer<UInt8>

    /// The 1-based line and column of the byte at `offset`; columns count characters, as libjansson does.
    func location(ofOffset offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if !Self.isContinuationByte(byte) {
                column += 1
            }
        }
        return (line, column)
    }

    /// Where the token that ends just before `end` starts, if a token ends exactly there.
    func startOfToken(endingAt end: Int) -> Int? {
        var found: Int?
        forEachToken { start, tokenEnd in
            if tokenEnd == end { found = start }
            return tokenEnd < end
        }
        return found
    }

    /// Where the first `[` or `{` opening nesting level `depth` (the outermost being level 1) is.
    func startOfNesting(atDepth depth: Int) -> Int? {
        var level = 0
        var found: Int?
        forEachToken { start, _ in
            switch bytes[start] {
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                level += 1
                if level == depth { found = start }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                level -= 1
            default:
                break
            }
            return found == nil
        }
        return found
    }

    /// Calls `body` with each token's byte range until it returns false.
    private func forEachToken(_ body: (_ start: Int, _ end: Int) -> Bool) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if Self.isWhitespace(byte) {
                index += 1
                continue
            }
            let start = index
            if byte == UInt8(ascii: "\"") {
                index = endOfString(from: index)
            } else if Self.isPunctuation(byte) {
                index += 1
            } else {
                while index < bytes.count, !Self.isDelimiter(bytes[index]) { index += 1 }
            }
            guard body(start, index) else { return }
        }
    }

    /// The offset just past the closing quote of the string opened at `start` (or the end of the text).
    private func endOfString(from start: Int) -> Int {
        var index = start + 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return bytes.count
    }

    private static func isContinuationByte(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
            || byte == UInt8(ascii: "\r")
    }

    private static func isPunctuation(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ":"),
            UInt8(ascii: ","):
            true
        default:
            false
        }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || isPunctuation(byte) || byte == UInt8(ascii: "\"")
    }
}
