// Reading a request body's fields (architecture.md §5): each wrong field is a 400 that names it; strings are at
// most 4 KiB of UTF-8 and tokens at most 16 KiB.

import CavraDrills
import CavraJSON

struct BodyFields: Sendable {
    static let maxStringBytes = 4096
    static let maxTokenBytes = 16 * 1024
    /// Fields that name the actor, read by identity resolution and not by the handlers.
    static let identityFields: Set<String> = ["actor_token", "actor_claims", "acknowledged_by"]

    let object: JSONObject
    /// Where these fields sit in the body, for `field` in errors (`routes[2].provider`).
    let prefix: String

    init(_ object: JSONObject, prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    /// Parses a body: empty is `{}`; not JSON, or JSON that is not an object, is 400 `malformed_json`.
    static func parse(_ bytes: [UInt8]) throws(APIError) -> JSONObject {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        let json: JSON
        do {
            json = try JSON.parse(bytes: bytes)
        } catch {
            throw .malformed("the body is not valid JSON: \(error)")
        }
        guard let object = json.objectValue else {
            throw .malformed("the body must be a JSON object, found \(json.typeName)")
        }
        return object
    }

    func name(_ field: String) -> String { prefix.isEmpty ? field : "\(prefix).\(field)" }

    func string(_ field: String) throws(APIError) -> String? {
        guard let value = object[field], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw .field(name(field), "must be a string, not \(value.typeName)")
        }
        return string
    }

    func requiredString(_ field: String) throws(APIError) -> String {
        guard let string = try self.string(field), !string.isEmpty else {
            throw .field(name(field), "is required (a non-empty string)")
        }
        return string
    }

    func bool(_ field: String) throws(APIError) -> Bool? {
        guard let value = object[field], value != .null else { return nil }
        guard case .bool(let flag) = value else {
            throw .field(name(field), "must be true or false, not \(value.typeName)")
        }
        return flag
    }

    func enumValue<T: RawRepresentable>(_ field: String, _ type: T.Type, allowed: [T]) throws(APIError) -> T?
    where T.RawValue == String {
        guard let text = try string(field) else { return nil }
        guard let value = T(rawValue: text), allowed.contains(where: { $0.rawValue == value.rawValue }) else {
            throw .field(
                name(field), "must be one of \(allowed.map(\.rawValue).joined(separator: ", ")), not `\(text)`")
        }
        return value
    }

    func object(_ field: String) throws(APIError) -> JSON? {
        guard let value = object[field], value != .null else { return nil }
        guard value.objectValue != nil else { throw .field(name(field), "must be an object, not \(value.typeName)") }
        return value
    }

    /// The operator's `notes` and `external_ref`.
    func operatorInput() throws(APIError) -> OperatorInput {
        OperatorInput(notes: try string("notes") ?? "", externalRef: try string("external_ref") ?? "")
    }

    /// Every string of the body within its limit (`actor_token` within the token limit); the first one over it
    /// is a 400 naming it.
    static func checkLengths(_ object: JSONObject) throws(APIError) {
        for (key, value) in object {
            try checkLengths(value, at: key, limit: key == "actor_token" ? maxTokenBytes : maxStringBytes)
        }
    }

    private static func checkLengths(_ value: JSON, at path: String, limit: Int) throws(APIError) {
        switch value {
        case .string(let string):
            if string.utf8.count > limit {
                throw .field(path, "is longer than \(limit / 1024) KiB of UTF-8 (\(string.utf8.count) bytes)")
            }
        case .array(let items):
            for (index, item) in items.enumerated() { try checkLengths(item, at: "\(path)[\(index)]", limit: limit) }
        case .object(let object):
            for (key, item) in object {
                if key.utf8.count > limit { throw .field(path, "has a key longer than \(limit / 1024) KiB") }
                try checkLengths(item, at: "\(path).\(key)", limit: limit)
            }
        default:
            break
        }
    }
}
