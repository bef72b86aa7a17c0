import CavraJSON
import Testing

@Suite struct JSONSerializationTests {
    @Test func keepsInsertionOrder() {
        var object = JSONObject()
        object["zulu"] = 1
        object["alpha"] = [true, nil]
        object["mike"] = ["y": "é", "b": [:]]
        #expect(JSON.object(object).serialized() == #"{"zulu":1,"alpha":[true,null],"mike":{"y":"é","b":{}}}"#)
    }

    @Test func keepsTheOrderOfParsedText() throws {
        let text = #"{"b":1,"a":{"d":[],"c":"x"},"0":null}"#
        #expect(try JSON.parse(text).serialized() == text)
    }

    @Test func indentsByTwoSpacesWhenPretty() {
        let value: JSON = ["a": [1, 2], "b": [:], "c": "é", "d": []]
        let expected = """
            {
              "a": [
                1,
                2
              ],
              "b": {},
              "c": "é",
              "d": []
            }
            """
        #expect(value.serialized(pretty: true) == expected)
    }

    @Test func roundTripsThroughText() throws {
        let value: JSON = [
            "strings": ["", "\u{0}\u{1F}\"\\/\u{7F}", "€😀", "line\nbreak"],
            "integers": [.int(.max), .int(.min), 0],
            "doubles": [.double(0.1), .double(-2.5e-300), .double(1e300), .double(1)],
            "nested": [[[["deep": nil]]]],
            "flags": [true, false],
        ]
        for pretty in [false, true] {
            let text = value.serialized(pretty: pretty)
            let reparsed = try JSON.parse(text)
            #expect(reparsed == value)
            #expect(reparsed.serialized(pretty: pretty) == text)
        }
    }

    @Test func writesDoublesSoTheyReadBackAsDoubles() throws {
        #expect(JSON.double(1).serialized() == "1.0")
        #expect(try JSON.parse(JSON.double(1).serialized()) == .double(1))
        #expect(JSON.double(2.5).serialized() == "2.5")
    }

    @Test func writesNonFiniteDoublesAsNull() {
        #expect(JSON.array([.double(.nan), .double(.infinity)]).serialized() == "[null,null]")
    }

    @Test func escapesControlCharactersAndNul() throws {
        let text = JSON.string("a\u{0}b\tc").serialized()
        #expect(text == #""a\u0000b\tc""#)
        #expect(try JSON.parse(text) == .string("a\u{0}b\tc"))
    }

    /// Members already serialised, joined into an object: the same bytes as serialising the whole object.
    @Test func anObjectOfSerialisedMembersIsTheObjectSerialised() throws {
        let members: [(String, JSON)] = [
            ("record", ["b": 1, "a": [true, nil, .double(2.5)], "é \"q\"": "line\nbreak \u{1}"]),
            ("key with \"quotes\" and \\ and \u{7}", "x"), ("empty", [:]), ("list", []), ("", .double(0.1)),
        ]
        let whole = JSON.object(JSONObject(members)).serialized()
        #expect(JSON.serializedObject(members.map { ($0.0, $0.1.serialized()) }) == whole)
        #expect(try JSON.parse(whole) == .object(JSONObject(members)))
        #expect(JSON.serializedObject([]) == "{}")
    }
}
