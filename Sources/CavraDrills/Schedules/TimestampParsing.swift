// Reading the timestamps of schedule and history files: ISO 8601 / RFC 3339, strict about dates and times.

extension Timestamp {
    /// Reads `2026-11-28T22:00:00Z`, `2026-11-28T22:00:00.250+02:00`, `2026-11-28T22:00` or a date alone,
    /// `2026-12-01` (midnight UTC). A date-time without an offset is UTC. `T`, `t` or a space separates the
    /// date from the time; seconds are optional; a fraction (`.` or `,`, any number of digits) is cut to
    /// milliseconds; the offset is `Z`, `z` or `±HH:MM`. Dates that do not exist (February 30), hours past
    /// 23 and leap seconds are refused. `field` names the value in the error.
    public init(parsing text: String, field: String = "timestamp") throws(InputError) {
        var scanner = TimestampScanner(bytes: Array(text.utf8))
        switch scanner.scan() {
        case .instant(let milliseconds):
            self.init(milliseconds: milliseconds)
        case .malformed:
            throw InputError(
                field: field,
                message: "`\(text)` is not a timestamp; write ISO 8601 such as `2026-11-28T22:00:00Z` or `2026-12-01`")
        case .invalidDate:
            throw InputError(field: field, message: "`\(text)` is not a valid date")
        case .invalidTime:
            throw InputError(field: field, message: "`\(text)` is not a valid time of day or offset")
        }
    }
}

private struct TimestampScanner {
    enum Outcome {
        case instant(Int64)
        case malformed, invalidDate, invalidTime
    }

    let bytes: [UInt8]
    var index = 0

    mutating func scan() -> Outcome {
        guard let year = digits(4), take("-"), let month = digits(2), take("-"), let day = digits(2) else {
            return .malformed
        }
        guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else {
            return .invalidDate
        }
        let midnight = Timestamp.days(year: year, month: month, day: day) * 86_400_000
        if atEnd { return .instant(midnight) }
        guard take("T") || take("t") || take(" "), let hour = digits(2), take(":"), let minute = digits(2) else {
            return .malformed
        }
        var second = 0
        if take(":") {
            guard let value = digits(2) else { return .malformed }
            second = value
        }
        var millisecond = 0
        if take(".") || take(",") {
            guard let value = fractionMilliseconds() else { return .malformed }
            millisecond = value
        }
        guard let zone = offset(), atEnd else { return .malformed }
        guard hour <= 23, minute <= 59, second <= 59, zone.hours <= 23, zone.minutes <= 59 else { return .invalidTime }
        let secondOfDay = hour * 3600 + minute * 60 + second - zone.sign * (zone.hours * 3600 + zone.minutes * 60)
        return .instant(midnight + Int64(secondOfDay) * 1000 + Int64(millisecond))
    }

    var atEnd: Bool { index == bytes.count }

    /// Exactly `count` ASCII digits.
    mutating func digits(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<index + count] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        index += count
        return value
    }

    mutating func take(_ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }

    /// One or more digits after the decimal mark; those past the third are dropped (the time is truncated).
    mutating func fractionMilliseconds() -> Int? {
        var value = 0
        var count = 0
        while let digit = digits(1) {
            if count < 3 { value = value * 10 + digit }
            count += 1
        }
        guard count > 0 else { return nil }
        for _ in count..<max(count, 3) { value *= 10 }
        return value
    }

    /// The offset east of UTC as sign, hours and minutes: `Z`, `z`, `±HH:MM`, or nothing (UTC). Nil when
    /// malformed; the ranges are the caller's to check.
    mutating func offset() -> (sign: Int, hours: Int, minutes: Int)? {
        if atEnd || take("Z") || take("z") { return (1, 0, 0) }
        let sign: Int
        if take("+") {
            sign = 1
        } else if take("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = digits(2), take(":"), let minutes = digits(2) else { return nil }
        return (sign, hours, minutes)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
