/// ECMAScript's Number::toString (ECMA-262, radix 10), the number form of RFC 8785.
public enum ECMAScriptNumber {
    /// The shortest decimal that reads back as `value`, laid out as JavaScript's `String(value)` does:
    /// `1` for 1.0, `1e+21`, `1e-7`, `0.000001`, `0` for -0.
    public static func string(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value == 0 { return "0" }
        let sign = value < 0 ? "-" : ""
        if value.isInfinite { return sign + "Infinity" }
        let (digits, exponent) = shortestDigits(of: value.magnitude)
        return sign + layout(digits: digits, exponent: exponent)
    }

    /// The digits d1…dk and the exponent n with `value` = 0.d1…dk × 10^n, k as small as possible.
    /// Swift's `description` already finds the shortest round-tripping digits (closest to `value` when
    /// several are shortest, as ECMAScript requires); only its layout differs, e.g. `1e-05`, `100.0`.
    private static func shortestDigits(of value: Double) -> (digits: [UInt8], exponent: Int) {
        let text = value.description.utf8
        let mantissa = text.prefix { $0 != UInt8(ascii: "e") }
        let powerOfTen = mantissa.count < text.count ? Int(Substring(text.dropFirst(mantissa.count + 1)))! : 0
        let integerPart = mantissa.prefix { $0 != UInt8(ascii: ".") }
        let allDigits = mantissa.filter { $0 != UInt8(ascii: ".") }
        let leadingZeros = allDigits.prefix { $0 == UInt8(ascii: "0") }.count
        var digits = Array(allDigits.dropFirst(leadingZeros))
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        return (digits, integerPart.count + powerOfTen - leadingZeros)
    }

    /// Number::toString's choice among plain, fractional and exponent forms, for k = `digits.count`
    /// and n = `exponent`.
    private static func layout(digits: [UInt8], exponent n: Int) -> String {
        let k = digits.count
        let zeros = { (count: Int) in [UInt8](repeating: UInt8(ascii: "0"), count: count) }
        let point = [UInt8(ascii: ".")]
        let bytes: [UInt8]
        if k <= n && n <= 21 {
            bytes = digits + zeros(n - k)
        } else if 0 < n && n <= 21 {
            bytes = digits[..<n] + point + digits[n...]
        } else if -6 < n && n <= 0 {
            bytes = [UInt8(ascii: "0")] + point + zeros(-n) + digits
        } else {
            let fraction = k == 1 ? [] : point + digits.dropFirst()
            let power = n - 1 > 0 ? "e+\(n - 1)" : "e-\(1 - n)"
            bytes = [digits[0]] + fraction + Array(power.utf8)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
