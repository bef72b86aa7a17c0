// `JSON.withParsed`: the same values and the same refusals as `JSON.parse`, read in place.

import CavraJSON
import Testing

@Suite struct JSONNodeTests {
    @Test(arguments: [
        #"{"n": null, "t": true, "f": false, "i": -42, "d": 2.5, "s": "h\u00e9\u0000!", "a": [1, []], "o": {}}"#,
        "null", " 7 ", #""x""#, "false", "9223372036854775807", "-9223372036854775808", "1.0", "-0.5E-3",
        #"[{"a": [{"b": {"c": [1, "2", 3.5, null]}}]}, [], {}]"#,
        // Keys equal as Swift strings but not as bytes: both reach the node, `json` keeps one as `parse` does.
        #"{"caf\u00e9": 1, "cafe\u0301": 2, "\u212a": 3, "K": 4}"#,
        #"{"a": "\u0000b", "": ""}"#,
    ])
    func givesTheValuesOfParse(text: String) throws {
        let expected = try JSON.parse(text)
        let converted = try JSON.withParsed(bytes: text.utf8) { $0.json }
        #expect(converted == expected)
        #expect(converted.objectValue?.keys == expected.objectValue?.keys)
        #expect(try JSON.withParsed(bytes: text.utf8) { Self.rebuilt($0) } == expected)
    }

    @Test func readsEachKindInPlace() throws {
        let text = #"{"s": "h\u00e9\u0000", "i": -3, "d": 0.5, "t": true, "f": false, "n": null, "a": ["x", 1]}"#
        let summary = try JSON.withParsed(bytes: Array(text.utf8)) { node -> [String] in
            guard let members = node.objectValue else { return [] }
            return members.map { key, value in
                "\(key) \(value.kind) \(value.typeName) \(value.stringValue.map { Array($0.utf8) } ?? []) "
                    + "\(value.intValue.map(String.init) ?? "-") \(value.doubleValue.map { "\($0)" } ?? "-") "
                    + "\(value.boolValue.map(String.init) ?? "-") \(value.arrayValue?.count ?? -1)"
            }
        }
        #expect(
            summary == [
                "s string a string [104, 195, 169, 0] - - - -1", "i int a number [] -3 - - -1",
                "d double a number [] - 0.5 - -1", "t bool a boolean [] - - true -1",
                "f bool a boolean [] - - false -1", "n null null [] - - - -1", "a array an array [] - - - 2",
            ])
        let elements = try JSON.withParsed(bytes: #"["x", 1, [2]]"#.utf8) { node in
            node.arrayValue.map { $0.map(\.json) }
        }
        #expect(elements == ["x", 1, [2]])
        #expect(try JSON.withParsed(bytes: "{}".utf8) { $0.objectValue.map { Array($0).count } } == 0)
        #expect(try JSON.withParsed(bytes: "[]".utf8) { $0.arrayValue?.isEmpty } == true)
    }

    @Test func readsBytesFromAnyCollection() throws {
        // A lazy view has no contiguous storage, so this goes through the copying path.
        #expect(try JSON.withParsed(bytes: "[1,2]".utf8.lazy.map { $0 }) { $0.json } == [1, 2])
    }

    /// Every refusal of `parse` (malformed text, duplicate keys, big integers, invalid Unicode, depth) is
    /// refused the same way, at the same place, before the body runs.
    @Test(arguments: [
        "[1,\n  2,\n  x]", "[1,]", #"{"a" 1}"#, "[1] x", #"["éé", x]"#, "  tru", "", "[1,\n", "\"a\nb\"",
        "{\"a\": 1,\n \"a\": 2}", #"{"x": {"k": 1, "k": 2}}"#,
        "{\"\(String(repeating: "k", count: 30))\": 1,\n  \"\(String(repeating: "k", count: 30))\": 2}",
        "18446744073709551616", "[-9223372036854775809]", "[123456789012345678901234567890]", #""\ud800""#,
        String(repeating: "[", count: 129) + String(repeating: "]", count: 129),
        String(repeating: "[", count: 2100) + String(repeating: "]", count: 2100), #"{"a\u0000b": 1}"#,
        #"{"a": [{"b": [[[{"c": 1}]]]}]}"#,
    ])
    func refusesWhatParseRefuses(text: String) {
        for maxDepth in [128, 3] {
            let expected = Self.error { () throws(JSONParseError) in _ = try JSON.parse(text, maxDepth: maxDepth) }
            var called = false
            let error = Self.error { () throws(JSONParseError) in
                try JSON.withParsed(bytes: text.utf8, maxDepth: maxDepth) { _ in called = true }
            }
            #expect(error == expected)
            #expect(error == nil || !called)
        }
    }

    @Test func refusesInvalidUTF8AsParseDoes() {
        let bytes: [UInt8] = [UInt8(ascii: "\""), UInt8(ascii: "a"), 0xFF, UInt8(ascii: "\"")]
        let expected = Self.error { () throws(JSONParseError) in _ = try JSON.parse(bytes: bytes) }
        #expect(expected != nil)
        #expect(Self.error { () throws(JSONParseError) in try JSON.withParsed(bytes: bytes) { _ in } } == expected)
    }

    @Test func boundsNestingAtTheSameDepth() throws {
        let allowed = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(try JSON.withParsed(bytes: allowed.utf8) { $0.json } == JSON.parse(allowed))
        let text = "{\n  \"a\": [\n    \"[{\",\n    {\"b\": 1}\n  ]\n}"
        let error = Self.error { () throws(JSONParseError) in
            try JSON.withParsed(bytes: text.utf8, maxDepth: 2) { _ in }
        }
        #expect(error == JSONParseError(message: "arrays and objects nested more than 2 deep", line: 4, column: 5))
        #expect(try JSON.withParsed(bytes: text.utf8, maxDepth: 3) { $0.json } == JSON.parse(text, maxDepth: 3))
    }

    /// The value rebuilt through the view's accessors alone, as readers of a node do.
    private static func rebuilt(_ node: JSONNode) -> JSON {
        switch node.kind {
        case .null: .null
        case .bool: .bool(node.boolValue!)
        case .int: .int(node.intValue!)
        case .double: .double(node.doubleValue!)
        case .string: .string(node.stringValue!)
        case .array: .array(node.arrayValue!.map(rebuilt))
        case .object:
            // As `JSONObject` does: keys equal as strings are one member, the last value wins.
            .object(JSONObject(node.objectValue!.map { ($0.key, rebuilt($0.value)) }))
        }
    }

    private static func error(_ body: () throws(JSONParseError) -> Void) -> JSONParseError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }
}
