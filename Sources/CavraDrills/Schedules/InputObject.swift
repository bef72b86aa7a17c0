// Reading one object of a schedule or history file: typed members, aliases, and errors that name the field.

import CavraJSON

/// An object of an input file and its path (`""` for the file's root object). A member may have several names
/// (`acknowledgement_minutes` and its alias `ack_minutes`): the first name present wins, and errors use the name
/// the file wrote. A `null` member counts as absent; members nobody asks for are ignored.
struct InputObject {
    let members: JSONObject
    let path: String

    init(_ value: JSON, path: String) throws(InputError) {
        guard let members = value.objectValue else {
            throw InputError(
                field: path.isEmpty ? "(file)" : path, message: "must be an object, found \(value.typeName)")
        }
        self.members = members
        self.path = path
    }

    func path(of name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// The first of `names` present and not null.
    func member(_ names: [String]) -> (name: String, value: JSON)? {
        for name in names {
            if let value = members[name], value != .null { return (name, value) }
        }
        return nil
    }

    func missing(_ names: [String]) -> InputError {
        InputError(field: path(of: names[0]), message: "required")
    }

    func wrongType(_ member: (name: String, value: JSON), expected: String) -> InputError {
        InputError(field: path(of: member.name), message: "must be \(expected), found \(member.value.typeName)")
    }

    func string(_ names: String...) throws(InputError) -> String? {
        guard let member = member(names) else { return nil }
        guard let text = member.value.stringValue else { throw wrongType(member, expected: "a string") }
        return text
    }

    /// A string that is present and not empty.
    func requiredString(_ names: String...) throws(InputError) -> String {
        guard let member = member(names) else { throw missing(names) }
        guard let text = member.value.stringValue else { throw wrongType(member, expected: "a string") }
        guard !text.isEmpty else { throw InputError(field: path(of: member.name), message: "must not be empty") }
        return text
    }

    /// A string that must be exactly `expected`.
    func requireValue(_ name: String, _ expected: String) throws(InputError) {
        let text = try requiredString(name)
        guard text == expected else {
            throw InputError(field: path(of: name), message: "must be `\(expected)`, found `\(text)`")
        }
    }

    /// A list of strings; with `singleAllowed`, a string is a one-item list. With `distinct`, the list must have
    /// an item and no item may be empty or repeated.
    func stringList(_ names: String..., singleAllowed: Bool = false, distinct: Bool = false) throws(InputError)
        -> [String]?
    {
        guard let member = member(names) else { return nil }
        let expected = singleAllowed ? "a list of strings or a string" : "a list of strings"
        let items: [JSON]
        if singleAllowed, member.value.stringValue != nil {
            items = [member.value]
        } else if let array = member.value.arrayValue {
            items = array
        } else {
            throw wrongType(member, expected: expected)
        }
        var strings: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = item.stringValue else {
                throw InputError(
                    field: "\(path(of: member.name))[\(index)]", message: "must be a string, found \(item.typeName)")
            }
            if distinct, text.isEmpty {
                throw InputError(field: "\(path(of: member.name))[\(index)]", message: "must not be empty")
            }
            if distinct, strings.contains(text) {
                throw InputError(field: "\(path(of: member.name))[\(index)]", message: "repeats `\(text)`")
            }
            strings.append(text)
        }
        if distinct, strings.isEmpty { throw InputError(field: path(of: member.name), message: "must not be empty") }
        return strings
    }

    /// A whole number in `range`.
    func integer(_ names: String..., in range: ClosedRange<Int64>) throws(InputError) -> Int64? {
        guard let member = member(names) else { return nil }
        guard let number = member.value.intValue else { throw wrongType(member, expected: "an integer") }
        guard range.contains(number) else {
            throw InputError(
                field: path(of: member.name),
                message: "must be between \(range.lowerBound) and \(range.upperBound), found \(number)")
        }
        return number
    }

    /// Any number, whole or not.
    func number(_ names: String...) throws(InputError) -> Double? {
        guard let member = member(names) else { return nil }
        switch member.value {
        case .int(let number): return Double(number)
        case .double(let number): return number
        default: throw wrongType(member, expected: "a number")
        }
    }

    func bool(_ names: String...) throws(InputError) -> Bool? {
        guard let member = member(names) else { return nil }
        guard let flag = member.value.boolValue else { throw wrongType(member, expected: "a boolean") }
        return flag
    }

    func timestamp(_ names: String...) throws(InputError) -> Timestamp? {
        guard let member = member(names) else { return nil }
        guard let text = member.value.stringValue else { throw wrongType(member, expected: "a timestamp string") }
        return try Timestamp(parsing: text, field: path(of: member.name))
    }

    func requiredTimestamp(_ names: String...) throws(InputError) -> Timestamp {
        guard let member = member(names) else { throw missing(names) }
        guard let text = member.value.stringValue else { throw wrongType(member, expected: "a timestamp string") }
        return try Timestamp(parsing: text, field: path(of: member.name))
    }

    /// The members of an object member, each with its path.
    func objectMembers(_ names: String...) throws(InputError) -> [(key: String, object: InputObject)]? {
        guard let member = member(names) else { return nil }
        guard let object = member.value.objectValue else { throw wrongType(member, expected: "an object") }
        var result: [(key: String, object: InputObject)] = []
        for (key, value) in object {
            result.append((key, try InputObject(value, path: "\(path(of: member.name)).\(key)")))
        }
        return result
    }

    /// The items of a list of objects, each with its path.
    func objectList(_ names: String...) throws(InputError) -> [InputObject]? {
        guard let member = member(names) else { return nil }
        guard let array = member.value.arrayValue else { throw wrongType(member, expected: "a list of objects") }
        var result: [InputObject] = []
        for (index, item) in array.enumerated() {
            result.append(try InputObject(item, path: "\(path(of: member.name))[\(index)]"))
        }
        return result
    }

    /// Whether the member is present as a list (`owner_routes` may be an object or a list).
    func isList(_ names: String...) -> Bool { member(names)?.value.arrayValue != nil }
}
