import CavraPolicy
import Testing

@Suite struct LexerTests {
    private func kinds(_ text: String) -> [TokenKind] {
        Lexer.tokenize(Array(text.unicodeScalars), file: 0).map(\.kind)
    }

    @Test func namesMayHoldDashesAndKeywordsAreRecognised() {
        #expect(
            kinds("role release-manager = x_1") == [
                .keyword(.role), .name("release-manager"), .symbol(.equals), .name("x_1"), .endOfFile,
            ])
    }

    @Test func stringsDecodeEveryEscape() {
        #expect(kinds(#""a\"b\\c\n\t\u{1F600}""#) == [.string("a\"b\\c\n\t\u{1F600}"), .endOfFile])
    }

    @Test func stringsEndOnTheirLine() {
        guard case .invalid(let message) = kinds("\"abc\nx\"").first else {
            Issue.record("an unterminated string must be invalid")
            return
        }
        #expect(message.contains("unterminated"))
    }

    @Test func unknownEscapeIsInvalid() {
        guard case .invalid(let message) = kinds(#""\q""#).first else {
            Issue.record("`\\q` must be invalid")
            return
        }
        #expect(message.contains("\\q"))
    }

    @Test func integersCoverTheSigned64BitRange() {
        #expect(
            kinds("-9223372036854775808 9223372036854775807")
                == [.integer(Int64.min), .integer(Int64.max), .endOfFile])
        guard case .invalid = kinds("9223372036854775808").first else {
            Issue.record("2^63 does not fit")
            return
        }
    }

    @Test func durationsAreSeconds() {
        #expect(
            kinds("30s 15m 8h 2d 0s") == [
                .duration(30), .duration(900), .duration(28_800), .duration(172_800), .duration(0), .endOfFile,
            ])
    }

    @Test(arguments: ["5x", "-5m", "9223372036854775807d", "10 m"])
    func badDurations(_ text: String) {
        let tokens = kinds(text)
        let invalid = tokens.contains { if case .invalid = $0 { true } else { false } }
        // "10 m" is an integer then a name: a unit must follow its number without a space.
        #expect(invalid == (text != "10 m"))
    }

    @Test func operatorsAndComments() {
        #expect(
            kinds("== != <= >= < > # a comment\n ( ) [ ] { } , . : @ *") == [
                .symbol(.equalEqual), .symbol(.notEqual), .symbol(.lessEqual), .symbol(.greaterEqual), .symbol(.less),
                .symbol(.greater), .symbol(.leftParen), .symbol(.rightParen), .symbol(.leftBracket),
                .symbol(.rightBracket), .symbol(.leftBrace), .symbol(.rightBrace), .symbol(.comma), .symbol(.dot),
                .symbol(.colon), .symbol(.at), .symbol(.star), .endOfFile,
            ])
    }

    @Test func columnsCountCodePointsAndTabsAsOne() {
        let tokens = Lexer.tokenize(Array("\"é😀\"\tx\n  y".unicodeScalars), file: 0)
        #expect(tokens[1].span.line == 1)
        #expect(tokens[1].span.column == 6)
        #expect(tokens[2].span.line == 2)
        #expect(tokens[2].span.column == 3)
    }
}
