// Requests to and from JSON (`cavra policy eval --input`, and the `request` kept with every recorded decision).

import CavraJSON

public struct RequestError: Error, Equatable, CustomStringConvertible {
    public var description: String
}

extension PolicyRequest {
    /// Reads `{action, actor, route, context}`; absent fields take the test defaults (policy-language.md §8–§9).
    public init(json: JSON) throws(RequestError) {
        try self.init(reading: json)
    }

    /// Reads a request as `init(json:)` does, with the same checks and errors, straight from a parsed tree.
    public init(node: JSONNode) throws(RequestError) {
        try self.init(reading: node)
    }

    private init<Value: JSONValueView>(reading value: Value) throws(RequestError) {
        guard let object = value.objectValue else {
            throw RequestError(description: "a request must be a JSON object")
        }
        // Every key is checked before any value.
        var actionValue: Value?
        var actor: Value?
        var route: Value?
        var context: Value?
        for (key, member) in object {
            switch key {
            case "action": actionValue = member
            case "actor": actor = member
            case "route": route = member
            case "context": context = member
            default: throw Self.unknownField(key, allowed: Self.topLevelFields, prefix: "")
            }
        }
        guard let actionValue else { throw RequestError(description: "missing field `action`") }
        guard let actionName = actionValue.stringValue, let action = PolicyAction(rawValue: actionName) else {
            throw RequestError(
                description: "`action` must be one of \(PolicyAction.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(action: action)
        try read(.actor, from: actor)
        try read(.route, from: route)
        try read(.context, from: context)
    }

    private mutating func read(_ root: PathRoot, from part: (some JSONValueView)?) throws(RequestError) {
        guard let part else { return }
        guard let members = part.objectValue else {
            throw RequestError(description: "`\(root.rawValue)` must be an object, found \(part.typeName)")
        }
        // An unknown field of the part is reported before a wrongly typed one, wherever each stands.
        var wrongValue: RequestError?
        for (key, member) in members {
            guard let attribute = Attribute.find(root: root, name: key) else {
                throw Self.unknownField(key, allowed: Attribute.names(of: root), prefix: root.rawValue + ".")
            }
            guard wrongValue == nil else { continue }
            do throws(RequestError) {
                try set(attribute, from: member)
            } catch {
                wrongValue = error
            }
        }
        if let wrongValue { throw wrongValue }
    }

    private static let topLevelFields = ["action", "actor", "route", "context"]

    private static func unknownField(_ key: String, allowed: [String], prefix: String) -> RequestError {
        let suggestion = closest(to: key, in: allowed).map { " (did you mean `\(prefix)\($0)`?)" } ?? ""
        return RequestError(description: "unknown field `\(prefix)\(key)`\(suggestion)")
    }

    private mutating func set(_ attribute: Attribute, from value: some JSONValueView) throws(RequestError) {
        let name = attribute.rawValue
        func wrong(_ expected: String) -> RequestError {
            RequestError(description: "`\(name)` must be \(expected), found \(value.typeName)")
        }
        switch attribute {
        case .actorRoles:
            throw RequestError(description: "`actor.roles` is computed from the policy's roles and cannot be supplied")
        case .actorClaims:
            guard value.objectValue != nil, let claims = value.json.normalizingNumbers().objectValue else {
                throw wrong("an object")
            }
            actor.claims = claims
        case .routeAge, .routeSlo:
            set(attribute, int: try Self.duration(value, name: name))
        default:
            switch attribute.type {
            case .string:
                guard let text = value.stringValue else { throw wrong("a string") }
                if let values = attribute.valueSet, !values.contains(text) {
                    throw RequestError(
                        description: "`\(name)` must be one of \(values.joined(separator: ", ")), found \"\(text)\"")
                }
                set(attribute, string: text)
            case .bool:
                guard let flag = value.boolValue else { throw wrong("a boolean") }
                set(attribute, bool: flag)
            case .int:
                guard let number = value.intValue else { throw wrong("an integer") }
                set(attribute, int: number)
            default:
                guard let items = value.arrayValue else { throw wrong("a list of strings") }
                var strings: [String] = []
                strings.reserveCapacity(items.count)
                for item in items {
                    guard let text = item.stringValue else { throw wrong("a list of strings") }
                    strings.append(text)
                }
                set(attribute, strings: strings)
            }
        }
    }

    /// A non-negative number of seconds, or a string with one unit: `"90m"`.
    private static func duration(_ value: some JSONValueView, name: String) throws(RequestError) -> Int64 {
        var problem: RequestError {
            RequestError(
                description:
                    "`\(name)` must be a duration: a non-negative integer of seconds or a string such as \"90m\"")
        }
        if let seconds = value.intValue {
            guard seconds >= 0 else { throw problem }
            return seconds
        }
        guard let text = value.stringValue, let unit = text.last, let count = Int64(text.dropLast()), count >= 0,
            text.dropLast().allSatisfy(\.isASCII), text.first?.isNumber == true
        else { throw problem }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        default: throw problem
        }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: scale)
        guard !overflow else { throw problem }
        return seconds
    }

    /// The request as JSON, every field present, durations in seconds.
    public var json: JSON {
        .object([
            "action": .string(action.rawValue),
            "actor": .object([
                "id": .string(actor.id), "verified": .bool(actor.verified), "issuer": .string(actor.issuer),
                "subject": .string(actor.subject), "groups": .array(actor.groups.map(JSON.string)),
                "claims": .object(actor.claims),
            ]),
            "route": .object([
                "id": .string(route.id), "schedule_id": .string(route.scheduleId), "plan_id": .string(route.planId),
                "provider": .string(route.provider), "owner": .string(route.owner),
                "escalation_owner": .string(route.escalationOwner), "environment": .string(route.environment),
                "service": .string(route.service), "severity": .string(route.severity.rawValue),
                "state": .string(route.state.rawValue), "category": .string(route.category.rawValue),
                "age": .int(route.age), "slo": .int(route.slo), "breached": .bool(route.breached),
                "tags": .array(route.tags.map(JSON.string)),
            ]),
            "context": .object([
                "now": .int(context.now), "channel": .string(context.channel.rawValue), "bulk": .bool(context.bulk),
                "bulk_size": .int(context.bulkSize),
            ]),
        ])
    }
}
