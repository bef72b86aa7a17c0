// The route list's JSON (architecture.md §5), shared by the API and `cavra drills routes --json`.

import CavraJSON

extension RouteList {
    /// `{items, total, limit, offset}`.
    public var json: JSON {
        [
            "items": .array(items.map { $0.json() }), "total": .int(Int64(total)), "limit": .int(Int64(limit)),
            "offset": .int(Int64(offset)),
        ]
    }
}

extension RouteView {
    /// The route's fields with its derived `state`, `age_seconds` and `breached`; with `listFields`, also
    /// `latest_acknowledgement` and `permissions`, as the route list gives them.
    public func json(listFields: Bool = true) -> JSON {
        guard case .object(var object) = route.json(state: state, age: ageSeconds, breached: breached) else {
            return .null
        }
        if listFields {
            object["latest_acknowledgement"] = latestAcknowledgement ?? .null
            object["permissions"] = .object(permissions)
        }
        return .object(object)
    }
}
