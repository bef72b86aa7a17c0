// Log lines as JSON objects on stderr, one per line: `{"time", "level", "message", …metadata}`, written by
// CavraJSON so log shippers need no pattern.

import CavraDrills
import CavraJSON
import Foundation
import Logging

public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: JSONObject = [
            "time": .string(Timestamp(Date()).description), "level": .string(event.level.rawValue),
            "logger": .string(label), "message": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            object[key] = Self.json(value)
        }
        FileHandle.standardError.write(Data((JSON.object(object).serialized() + "\n").utf8))
    }

    static func json(_ value: Logger.Metadata.Value) -> JSON {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value):
            if let number = value as? Int { .int(Int64(number)) } else { .string(value.description) }
        case .array(let items): .array(items.map(json))
        case .dictionary(let entries):
            .object(JSONObject(entries.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) }))
        }
    }
}
