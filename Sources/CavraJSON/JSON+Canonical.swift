// The canonical form every CAVRA hash is taken over: RFC 8785, the JSON Canonicalization Scheme (JCS).
// Our own serialiser, not jansson's, because the form must not change with a library's version or flags.

extension JSON {
    /// The RFC 8785 form as UTF-8: members sorted by the UTF-16 code units of their keys, no whitespace,
    /// the minimal string escapes, numbers as ECMAScript writes them.
    public var canonicalBytes: [UInt8] {
        var output: [UInt8] = []
        appendCanonical(to: &output)
        return output
    }

    public var canonicalString: String { String(decoding: canonicalBytes, as: UTF8.self) }

    /// The lowercase hex SHA-256 of `canonicalBytes`.
    public var canonicalSHA256: String { CavraHash.sha256Hex(canonicalBytes) }

    private func appendCanonical(to output: inout [UInt8]) {
        switch self {
        case .null:
            output += "null".utf8
        case .bool(let bool):
            output += (bool ? "true" : "false").utf8
        case .int(let int):
            // Exact, even beyond 2^53 where JCS (reading every number as a double) has no exact form;
            // evidence never holds such integers, see `normalizingNumbers()`.
            output += String(int).utf8
        case .double(let double):
            // JCS forbids NaN and infinities and parsing never produces them; `null` is what
            // `JSON.stringify` writes for them, so a value built in code still hashes.
            output += (double.isFinite ? ECMAScriptNumber.string(double) : "null").utf8
        case .string(let string):
            Self.appendCanonical(string, to: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.appendCanonical(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (index, key) in object.keys.sorted(by: Self.precedesInUTF16).enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.appendCanonical(key, to: &output)
                output.append(UInt8(ascii: ":"))
                object[key]!.appendCanonical(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// JCS orders members by the UTF-16 code units of their keys. UTF-8 bytes sort as code points do, which is the
    /// UTF-16 order unless a character beyond U+FFFF (lead byte F0–F4) meets one from U+E000 to U+FFFF (lead byte EE
    /// or EF): keys without such bytes, which is nearly all of them, are compared as UTF-8 without transcoding.
    static func precedesInUTF16(_ lhs: String, _ rhs: String) -> Bool {
        if lhs.utf8.contains(where: { $0 >= 0xEE }) || rhs.utf8.contains(where: { $0 >= 0xEE }) {
            return lhs.utf16.lexicographicallyPrecedes(rhs.utf16)
        }
        return lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
    }

    /// A JSON string with only the escapes JCS requires; everything else, `/` and U+007F included, is
    /// literal UTF-8.
    private static func appendCanonical(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), byte]
            case 0x08: output += #"\b"#.utf8
            case 0x09: output += #"\t"#.utf8
            case 0x0A: output += #"\n"#.utf8
            case 0x0C: output += #"\f"#.utf8
            case 0x0D: output += #"\r"#.utf8
            case ..<0x20: output += #"\u00"#.utf8 + [lowercaseHexDigit(byte >> 4), lowercaseHexDigit(byte & 0xF)]
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}
