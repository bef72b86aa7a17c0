import CavraDrills
import Testing

@Suite struct TimestampParsingTests {
    @Test(arguments: [
        ("2026-11-28T22:00:00Z", "2026-11-28T22:00:00.000Z"),
        ("2026-11-28T22:00:00z", "2026-11-28T22:00:00.000Z"),
        ("2026-11-28t22:00:00Z", "2026-11-28T22:00:00.000Z"),
        ("2026-11-28 22:00:00Z", "2026-11-28T22:00:00.000Z"),
        ("2026-11-28T22:00:00.5Z", "2026-11-28T22:00:00.500Z"),
        ("2026-11-28T22:00:00.123Z", "2026-11-28T22:00:00.123Z"),
        ("2026-11-28T22:00:00,25Z", "2026-11-28T22:00:00.250Z"),
        ("2026-11-28T22:00:00.123999999Z", "2026-11-28T22:00:00.123Z"),
        ("2026-10-12T10:05:00+02:00", "2026-10-12T08:05:00.000Z"),
        ("2026-11-28T22:00:00-05:30", "2026-11-29T03:30:00.000Z"),
        ("2026-01-01T01:00:00+02:00", "2025-12-31T23:00:00.000Z"),
        ("2026-11-28T22:00:00+00:00", "2026-11-28T22:00:00.000Z"),
        ("2026-11-28T22:00:00-00:00", "2026-11-28T22:00:00.000Z"),
        ("2026-11-27T00:00:00", "2026-11-27T00:00:00.000Z"),
        ("2026-11-27T00:00:00.750", "2026-11-27T00:00:00.750Z"),
        ("2026-11-28T22:00", "2026-11-28T22:00:00.000Z"),
        ("2026-11-28T22:00+01:00", "2026-11-28T21:00:00.000Z"),
        ("2026-12-01", "2026-12-01T00:00:00.000Z"),
        ("2024-02-29", "2024-02-29T00:00:00.000Z"),
        ("2000-02-29T23:59:59.999Z", "2000-02-29T23:59:59.999Z"),
        ("1969-12-31T23:59:59Z", "1969-12-31T23:59:59.000Z"),
    ])
    func reads(_ text: String, _ written: String) throws {
        #expect(try Timestamp(parsing: text).description == written)
    }

    @Test func noOffsetIsUTC() throws {
        #expect(try Timestamp(parsing: "2026-11-27T00:00:00") == Timestamp(parsing: "2026-11-27T00:00:00Z"))
        #expect(try Timestamp(parsing: "2026-12-01") == Timestamp(parsing: "2026-12-01T00:00:00Z"))
        #expect(try Timestamp(parsing: "1970-01-01T00:00:01Z").milliseconds == 1000)
    }

    @Test(arguments: [
        "2026-02-30", "2026-02-29T00:00:00Z", "2100-02-29", "2026-04-31T00:00:00Z", "2026-13-01", "2026-00-10",
        "2026-01-00",
    ])
    func refusesDatesThatDoNotExist(_ text: String) {
        #expect(throws: InputError(field: "next_due_at", message: "`\(text)` is not a valid date")) {
            try Timestamp(parsing: text, field: "next_due_at")
        }
    }

    @Test(arguments: [
        "2026-11-28T24:00:00Z", "2026-11-28T23:60:00Z", "2026-11-28T23:59:60Z",
        "2026-11-28T22:00:00+24:00", "2026-11-28T22:00:00+01:60",
    ])
    func refusesTimesThatDoNotExist(_ text: String) {
        #expect(throws: InputError(field: "timestamp", message: "`\(text)` is not a valid time of day or offset")) {
            try Timestamp(parsing: text)
        }
    }

    @Test(arguments: [
        "", "tomorrow", "2026-11-28T", "2026-11-28T22", "2026-11-28T22:00:00ZZ", "2026-11-28T22:00:00.Z",
        "2026-11-28T22:00:00+0200", "2026-11-28T22:00:00+02", "26-11-28", "2026-1-28", "2026/11/28",
        "2026-11-28T22:00:00 Z", " 2026-11-28", "2026-11-28 ", "２０２６-11-28", "+2026-11-28", "2026-11-28X22:00:00Z",
    ])
    func refusesWhatIsNotATimestamp(_ text: String) throws {
        let error = try #require(throws: InputError.self) {
            try Timestamp(parsing: text, field: "drills[0].executed_at")
        }
        #expect(error.field == "drills[0].executed_at")
        #expect(error.message.hasPrefix("`\(text)` is not a timestamp"))
        #expect(error.description == "drills[0].executed_at: \(error.message)")
    }
}
