import CavraJSON
import Testing

@Suite struct JSONCanonicalTests {
    /// RFC 8785 §3.2.2: the input, and (§3.2.3, §3.2.4) its canonical form as text and as UTF-8 hex.
    static let rfcInput = #"""
        {
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }
        """#
    static let rfcCanonical =
        #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"#
        + #""string":"€$\u000f\nA'B\"\\\\\"/"}"#
    static let rfcCanonicalHex =
        "7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333"
        + "332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c"
        + "75303030665c6e4127425c225c5c5c5c5c222f227d"

    @Test func matchesTheRFCExample() throws {
        let value = try JSON.parse(Self.rfcInput)
        #expect(value.canonicalString == Self.rfcCanonical)
        #expect(value.canonicalBytes == bytes(fromHex: Self.rfcCanonicalHex))
    }

    @Test func sortsKeysByUTF16CodeUnitsAsInTheRFC() throws {
        // RFC 8785 §3.2.3: U+1F600 is the surrogate pair D83D DE00, so it sorts before U+FB33.
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let expected =
            #"{"\r":"Carriage Return","1":"One","\#u{80}":"Control","ö":"Latin Small Letter O With Diaeresis","#
            + #""€":"Euro Sign","😀":"Emoji: Grinning Face","\#u{FB33}":"Hebrew Letter Dalet With Dagesh"}"#
        #expect(try JSON.parse(input).canonicalString == expected)
    }

    /// Keys mixing ASCII, Latin, U+E000–U+FFFF and characters beyond U+FFFF sort as their UTF-16 code units do,
    /// however they are compared inside.
    @Test func sortsAnyKeysByUTF16CodeUnits() throws {
        let pool: [String] = [
            "a", "b", "Z", "é", "\u{E000}", "\u{FB33}", "\u{FFFD}", "\u{1F600}", "\u{10000}", "ß", "\u{7F}",
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var keys = Set<String>()
            for _ in 0..<6 {
                keys.insert(
                    (0..<Int.random(in: 1...3, using: &generator)).map { _ in pool.randomElement(using: &generator)! }
                        .joined())
            }
            let object = JSON.object(JSONObject(keys.map { ($0, JSON.int(1)) }))
            let order = keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            let expected = "{" + order.map { JSON.string($0).canonicalString + ":1" }.joined(separator: ",") + "}"
            #expect(object.canonicalString == expected)
        }
    }

    @Test func sortsNestedObjectsAndKeepsArrayOrder() {
        let value: JSON = ["b": [["z": 1, "y": 2], 3, "c"], "a": ["ab": true, "a": false, "": nil]]
        #expect(value.canonicalString == #"{"a":{"":null,"a":false,"ab":true},"b":[{"y":2,"z":1},3,"c"]}"#)
    }

    @Test func escapesOnlyWhatJCSRequires() {
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let expected =
            #""\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\b\t\n\u000b\f\r\u000e\u000f"#
            + #"\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f"#
            + #" \"\\/\#u{7F}é""#
        #expect(JSON.string(controls + " \"\\/\u{7F}é").canonicalString == expected)
    }

    @Test func writesNumbersAsECMAScriptDoes() {
        let value: JSON = [.int(-7), .int(.max), .double(-0.0), .double(100), .double(1e21), .double(.nan)]
        #expect(value.canonicalString == "[-7,9223372036854775807,0,100,1e+21,null]")
    }

    @Test func hashesTheCanonicalBytes() throws {
        let value = try JSON.parse(Self.rfcInput)
        // Computed apart from this code, over the RFC's published canonical bytes.
        #expect(value.canonicalSHA256 == "2d5e01a318d0f0879ab568c4be289c8b1f64ef8921a53c6277d5e069978baacb")
        #expect(value.canonicalSHA256 == CavraHash.sha256Hex(Self.rfcCanonical))
        #expect(value.canonicalSHA256 == CavraHash.sha256Hex(bytes(fromHex: Self.rfcCanonicalHex)))
    }

    @Test func hashesAsSHA256() {
        // FIPS 180-2 vectors.
        #expect(CavraHash.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(CavraHash.sha256Hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    private func bytes(fromHex hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map {
            UInt8(String(decoding: digits[$0...$0 + 1], as: UTF8.self), radix: 16)!
        }
    }
}
