import CavraJSON
import Testing

@Suite struct JSONParsingTests {
    @Test func parsesEveryTypeKeepingMemberOrder() throws {
        let text =
            #"{"n": null, "t": true, "f": false, "i": -42, "d": 2.5, "s": "h\u00e9\u0000!", "a": [1, []], "o": {}}"#
        let value = try JSON.parse(text)
        let expected: JSON = [
            "n": nil, "t": true, "f": false, "i": -42, "d": .double(2.5), "s": "hé\u{0}!", "a": [1, []], "o": [:],
        ]
        #expect(value == expected)
        #expect(value.objectValue?.keys == ["n", "t", "f", "i", "d", "s", "a", "o"])
    }

    @Test func parsesScalarsAtTheTop() throws {
        #expect(try JSON.parse("null") == .null)
        #expect(try JSON.parse(" 7 ") == .int(7))
        #expect(try JSON.parse(#""x""#) == .string("x"))
        #expect(try JSON.parse("false") == .bool(false))
    }

    @Test func keepsIntegersExactAndOtherNumbersAsDoubles() throws {
        #expect(try JSON.parse("9223372036854775807") == .int(.max))
        #expect(try JSON.parse("-9223372036854775808") == .int(.min))
        #expect(try JSON.parse("1.0") == .double(1))
        #expect(try JSON.parse("1e2") == .double(100))
        #expect(try JSON.parse("-0.5E-3") == .double(-0.0005))
    }

    @Test func readsBytesFromAnyCollection() throws {
        #expect(try JSON.parse(bytes: Array("[true]".utf8)) == [true])
        // A lazy view has no contiguous storage, so this goes through the copying path.
        #expect(try JSON.parse(bytes: "[1,2]".utf8.lazy.map { $0 }) == [1, 2])
    }

    @Test func rejectsDuplicateKeysAtTheDuplicate() {
        let error = parseError("{\"a\": 1,\n \"a\": 2}")
        #expect(error == JSONParseError(message: #"duplicate object key near `"a"`"#, line: 2, column: 2))
        #expect(error?.description == #"line 2, column 2: duplicate object key near `"a"`"#)
        #expect(parseError(#"{"x": {"k": 1, "k": 2}}"#)?.column == 16)
        // jansson quotes no token longer than 20 bytes; the position still points at the key's start.
        let key = String(repeating: "k", count: 30)
        let long = parseError("{\"\(key)\": 1,\n  \"\(key)\": 2}")
        #expect(long == JSONParseError(message: "duplicate object key", line: 2, column: 3))
    }

    @Test(arguments: [
        ("[1,\n  2,\n  x]", "invalid token near `x`", 3, 3),
        ("[1,]", "unexpected token near `]`", 1, 4),
        (#"{"a" 1}"#, "':' expected near `1`", 1, 6),
        ("[1] x", "end of file expected near `x`", 1, 5),
        (#"["éé", x]"#, "invalid token near `x`", 1, 8),
        ("  tru", "invalid token near `tru`", 1, 3),
        ("", "unexpected token near end of file", 1, 1),
        ("[1,\n", "']' expected near end of file", 2, 1),
        ("\"a\nb\"", "unexpected newline near `\"a`", 1, 3),
    ])
    func locatesMalformedText(text: String, message: String, line: Int, column: Int) {
        #expect(parseError(text) == JSONParseError(message: message, line: line, column: column))
    }

    @Test func refusesIntegersBeyondSixtyFourBits() {
        let positive = parseError("18446744073709551616")
        #expect(positive == JSONParseError(message: "too big integer near `18446744073709551616`", line: 1, column: 1))
        let negative = parseError("[-9223372036854775809]")
        #expect(negative?.message == "too big negative integer near `-9223372036854775809`")
        #expect(negative?.column == 2)
        let long = parseError("[123456789012345678901234567890]")
        #expect(long == JSONParseError(message: "too big integer", line: 1, column: 2))
    }

    @Test func refusesInvalidUnicode() {
        let error = parseError(bytes: [UInt8(ascii: "\""), UInt8(ascii: "a"), 0xFF, UInt8(ascii: "\"")])
        #expect(error?.message.hasPrefix("unable to decode byte 0xff") == true)
        #expect(error?.column == 3)
        #expect(parseError(#""\ud800""#)?.message.hasPrefix("invalid Unicode") == true)
    }

    @Test func boundsNestingAtTheDefaultDepth() throws {
        let allowed = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(try JSON.parse(allowed).arrayValue?.count == 1)

        let tooDeep = String(repeating: "[", count: 129) + String(repeating: "]", count: 129)
        let expected = JSONParseError(message: "arrays and objects nested more than 128 deep", line: 1, column: 129)
        #expect(parseError(tooDeep) == expected)
    }

    @Test func boundsNestingBelowTheParsersOwnLimit() {
        // Deeper than jansson itself allows: the error still names our bound, at its position.
        let text = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let expected = JSONParseError(message: "arrays and objects nested more than 128 deep", line: 1, column: 129)
        #expect(parseError(text) == expected)
    }

    @Test func locatesTheContainerThatIsTooDeep() {
        let text = "{\n  \"a\": [\n    \"[{\",\n    {\"b\": 1}\n  ]\n}"
        let error = parseError(text, maxDepth: 2)
        #expect(error == JSONParseError(message: "arrays and objects nested more than 2 deep", line: 4, column: 5))
        #expect(parseError(text, maxDepth: 3) == nil)
    }

    private func parseError(_ text: String, maxDepth: Int = 128) -> JSONParseError? {
        do {
            _ = try JSON.parse(text, maxDepth: maxDepth)
            return nil
        } catch {
            return error
        }
    }

    private func parseError(bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSON.parse(bytes: bytes)
            return nil
        } catch {
            return error
        }
    }
}
