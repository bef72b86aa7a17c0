// The sample data set shipped with the binary (Resources/sample): three schedules for sample mode and the labs.

import CavraJSON
import Foundation

public struct SampleSchedule: Sendable {
    public var schedule: JSON
    public var history: JSON?
}

public enum SampleData {
    /// The instant the sample files are written as of; `load(now:)` moves them to any other.
    public static let referenceTime = Timestamp(milliseconds: 1_795_953_600_000)

    static let files: [(schedule: String, history: String?)] = [
        ("schedule-checkout-production", "history-checkout-production"),
        ("schedule-search-staging", nil),
        ("schedule-ledger-production", "history-ledger-production"),
    ]

    /// Every sample schedule with its history, each timestamp shifted by `now − referenceTime`.
    public static func load(now: Timestamp = referenceTime) throws -> [SampleSchedule] {
        let shift = now.milliseconds - referenceTime.milliseconds
        return try files.map { entry in
            SampleSchedule(
                schedule: shifted(try resource(entry.schedule), by: shift),
                history: try entry.history.map { shifted(try resource($0), by: shift) })
        }
    }

    private static func resource(_ name: String) throws -> JSON {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "sample") else {
            throw InputError(field: name, message: "the sample file is missing from this build")
        }
        return try JSON.parse(bytes: [UInt8](try Data(contentsOf: url)))
    }

    private static let timestampKeys: Set<String> = [
        "executed_at", "next_due_at", "start_at", "starts_at", "end_at", "ends_at",
    ]

    /// `json` with every timestamp field moved by `milliseconds`.
    static func shifted(_ json: JSON, by milliseconds: Int64) -> JSON {
        switch json {
        case .object(let object):
            var result = JSONObject()
            for (key, value) in object {
                if timestampKeys.contains(key), let text = value.stringValue,
                    let instant = try? Timestamp(parsing: text)
                {
                    result[key] = .string(Timestamp(milliseconds: instant.milliseconds + milliseconds).description)
                } else {
                    result[key] = shifted(value, by: milliseconds)
                }
            }
            return .object(result)
        case .array(let items):
            return .array(items.map { shifted($0, by: milliseconds) })
        default:
            return json
        }
    }
}
