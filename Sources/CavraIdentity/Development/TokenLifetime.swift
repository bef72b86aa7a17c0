// How long a minted token lives: `30m`, `1h`, `2d`, `3600s`, or plain seconds.

public struct TokenLifetime: Sendable, Equatable {
    /// Ten years: past that, `exp` of a development token means nothing.
    public static let maxSeconds: Int64 = 3650 * 86_400

    public let seconds: Int64

    public init(seconds: Int64) {
        self.seconds = seconds
    }

    public init(parsing text: String) throws(IdentityError) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var digits = Substring(text)
        var unit: Int64 = 1
        if let last = digits.last, let multiplier = units[last] {
            unit = multiplier
            digits = digits.dropLast()
        }
        let wrong = IdentityError(
            "ttl `\(text)` is not a duration: write a positive whole number with s, m, h or d (`30m`, `1h`, `2d`)")
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { throw wrong }
        let tooLong = IdentityError("ttl `\(text)` is too long (at most 3650d)")
        // More digits than an Int64 holds is still a number, only too large.
        guard let count = Int64(digits) else { throw tooLong }
        guard count > 0 else { throw wrong }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds <= Self.maxSeconds else { throw tooLong }
        self.seconds = seconds
    }
}
