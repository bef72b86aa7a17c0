import Crypto

/// The one hash of CAVRA: SHA-256, written as lowercase hex.
public enum CavraHash {
    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        let hex = digest.flatMap { [lowercaseHexDigit($0 >> 4), lowercaseHexDigit($0 & 0xF)] }
        return String(decoding: hex, as: UTF8.self)
    }

    /// The hash of the string's UTF-8 bytes.
    public static func sha256Hex(_ string: String) -> String {
        sha256Hex(string.utf8)
    }
}

/// The ASCII character of a value below 16, as lowercase hex.
func lowercaseHexDigit(_ nibble: UInt8) -> UInt8 {
    nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
}
