// Run-time values of expressions, and their conversion from claim JSON.

import CavraJSON

enum Value: Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case duration(Int64)
    case string(String)
    case list([Value])
    case map(JSONObject)
    /// A claim that is `null`, or a list whose elements are not all of one type: only `has` may look at it.
    case unusable(String)

    var typeName: String {
        switch self {
        case .bool: "a bool"
        case .int: "an int"
        case .duration: "a duration"
        case .string: "a string"
        case .list: "a list"
        case .map: "a map"
        case .unusable(let what): what
        }
    }

    init(claim: JSON) {
        switch claim {
        case .null: self = .unusable("null")
        case .bool(let value): self = .bool(value)
        case .int(let value): self = .int(value)
        // Claims are normalised before evaluation, so a double cannot arrive; keep it unusable if one does.
        case .double: self = .unusable("a fractional number")
        case .string(let value): self = .string(value)
        case .object(let object): self = .map(object)
        case .array(let items):
            let values = items.map(Value.init(claim:))
            self = Value.isHomogeneous(values) ? .list(values) : .unusable("a list of mixed types")
        }
    }

    private static func isHomogeneous(_ values: [Value]) -> Bool {
        guard let first = values.first else { return true }
        return values.allSatisfy { $0.sameKind(as: first) }
    }

    func sameKind(as other: Value) -> Bool {
        switch (self, other) {
        case (.bool, .bool), (.int, .int), (.duration, .duration), (.string, .string), (.list, .list), (.map, .map):
            true
        default:
            false
        }
    }
}
