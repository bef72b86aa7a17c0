// Owners, providers and schedule ids match case-insensitively (architecture.md §5); a route lookup compares the name
// given with every route of a plan, so the common case, ASCII on both sides, compares bytes instead of allocating two
// lowercased copies per route.

extension String {
    /// Whether `self.lowercased() == other.lowercased()`.
    func equalsIgnoringCase(_ other: String) -> Bool {
        let left = utf8
        let right = other.utf8
        guard left.allSatisfy({ $0 < 0x80 }), right.allSatisfy({ $0 < 0x80 }) else {
            return lowercased() == other.lowercased()
        }
        guard left.count == right.count else { return false }
        return zip(left, right).allSatisfy { Self.asciiLowercase($0) == Self.asciiLowercase($1) }
    }

    private static func asciiLowercase(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
