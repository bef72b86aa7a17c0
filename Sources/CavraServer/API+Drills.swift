// The drill endpoints of architecture.md §5: plans, the route list, route actions, audit packages, history,
// dashboard and escalation plan. Each reads its fields, then calls `DrillService`, the only writer.

import CavraDrills
import CavraJSON
import CavraPolicy

extension API {
    // MARK: Mutations

    func plan(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let (fields, who) = try await mutation(request)
        guard let schedule = try fields.object("schedule") else {
            throw .field("schedule", "is required (the drill schedule document)")
        }
        let history = try fields.object("history")
        let force = try fields.bool("force") ?? false
        let context = CallContext(
            actor: who.actor, channel: channel(request), input: try fields.operatorInput(), claimedBy: who.claimedBy)
        return try await idempotent(request, who: who, fields: fields) { () async throws(APIError) in
            let result = try await decided("plan") { () async throws(ServiceError) in
                try await service.plan(schedule: schedule, history: history, force: force, context: context)
            }
            return .json(
                result.created ? 201 : 200,
                ["plan": result.plan.json, "changes": .array(result.changes.map(\.json))])
        }
    }

    func acknowledge(_ request: APIRequest, scheduleId: String) async throws(APIError) -> APIResponse {
        let (fields, who) = try await mutation(request)
        let provider = try fields.requiredString("provider")
        let state =
            try fields.enumValue("acknowledgement_state", RouteState.self, allowed: Self.targetStates) ?? .acknowledged
        let target = RouteTarget(
            scheduleId: scheduleId, provider: provider, owner: try fields.string("owner"),
            routeId: try fields.string("route_id"), planId: try fields.string("plan_id"))
        let expected = try fields.enumValue("expected_state", RouteState.self, allowed: RouteState.allCases)
        let context = CallContext(
            actor: who.actor, channel: channel(request), input: try fields.operatorInput(), claimedBy: who.claimedBy)
        let action = RouteAction(targetState: state)!
        return try await idempotent(request, who: who, fields: fields) { () async throws(APIError) in
            let (record, route) = try await decided(action.rawValue) { () async throws(ServiceError) in
                try await service.actShowingRoute(action, on: target, expectedState: expected, context: context)
            }
            // The record's text was made when it was sealed.
            return .json(
                200,
                members: [
                    ("acknowledgement", record.text), ("route", route.json(listFields: false).serialized()),
                    ("actor", who.actor.apiJSON.serialized()),
                ])
        }
    }

    func exportAuditPackage(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let (fields, who) = try await mutation(request)
        var filter = try Self.routeFilter { (name: String) throws(APIError) in
            guard let value = fields.object[name], value != .null else { return nil }
            if name == "breached", case .bool(let flag) = value { return String(flag) }
            return try fields.string(name)
        }
        filter.includeSuperseded = try fields.bool("include_superseded") ?? false
        let context = CallContext(
            actor: who.actor, channel: channel(request), input: try fields.operatorInput(), claimedBy: who.claimedBy)
        let signingKey = environment.keyring.current
        return try await idempotent(request, who: who, fields: fields) { () async throws(APIError) in
            let package = try await decided("export") { () async throws(ServiceError) in
                try await service.exportAuditPackage(filter: filter, context: context, signingKey: signingKey)
            }
            return .json(200, ["audit_package": package])
        }
    }

    static let targetStates: [RouteState] = [.acknowledged, .escalated, .resolved, .dismissed]

    /// A service call that a policy decides, counted in the decision metrics by its outcome.
    func decided<T>(_ action: String, _ body: () async throws(ServiceError) -> T) async throws(APIError) -> T {
        do {
            let result = try await body()
            environment.metrics.decision(action: action, outcome: "allow")
            return result
        } catch {
            switch error {
            case .forbidden: environment.metrics.decision(action: action, outcome: "deny")
            case .missingObligation: environment.metrics.decision(action: action, outcome: "missing_obligation")
            default: break
            }
            throw APIError(error)
        }
    }

    // MARK: Reads

    func routes(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let actor = try await resolver.readActor(request)
        let filter = try Self.routeFilter { (name: String) throws(APIError) in request.query[name] }
        let (limit, offset) = try Self.paging(request.query)
        let channel = channel(request)
        var list = try await call { () async throws(ServiceError) in
            try await service.routes(
                filter: filter, limit: limit, offset: offset, actor: actor ?? .unverified("anonymous"), channel: channel
            )
        }
        if actor == nil {
            // An anonymous reader sees the routes but may do nothing to them.
            for index in list.items.indices {
                for action in list.items[index].permissions.keys {
                    list.items[index].permissions[action] = [
                        "allowed": false, "obligations": [], "determining": [],
                        "reasons": ["no actor: name one with the X-Cavra-Actor header"],
                    ]
                }
            }
        }
        return .json(200, list.json)
    }

    func history(_ request: APIRequest) async throws(APIError) -> APIResponse {
        _ = try await resolver.readActor(request)
        let (limit, offset) = try Self.paging(request.query)
        let query = request.query
        let events = try await call { () async throws(ServiceError) in
            try await service.history(
                scheduleId: query["schedule_id"], provider: query["provider"], kind: query["kind"], limit: limit,
                offset: offset)
        }
        return .json(
            200,
            [
                "items": .array(events.map(DrillService.eventJSON)), "limit": .int(Int64(limit)),
                "offset": .int(Int64(offset)),
            ])
    }

    func dashboard(_ request: APIRequest) async throws(APIError) -> APIResponse {
        _ = try await resolver.readActor(request)
        return .json(200, try await call { () async throws(ServiceError) in try await service.dashboard() })
    }

    func escalationPlan(_ request: APIRequest) async throws(APIError) -> APIResponse {
        _ = try await resolver.readActor(request)
        let scheduleId = request.query["schedule_id"]
        return .json(
            200,
            try await call { () async throws(ServiceError) in try await service.escalationPlan(scheduleId: scheduleId) }
        )
    }

    func auditPackage(_ request: APIRequest, auditId: String) async throws(APIError) -> APIResponse {
        let actor = try await resolver.readActor(request)
        guard let actor else {
            throw APIError(
                status: 401, code: "missing_actor", detail: "name the actor with the X-Cavra-Actor header",
                headers: [ActorResolver.realmChallenge])
        }
        let channel = channel(request)
        let package = try await call { () async throws(ServiceError) in
            try await service.storedAuditPackage(auditId: auditId, actor: actor, channel: channel)
        }
        guard let package else {
            throw APIError(status: 404, code: "unknown_audit_package", detail: "no audit package `\(auditId)`")
        }
        return .json(200, ["audit_package": package])
    }

    func auditSigningKeys(_ request: APIRequest) async throws(APIError) -> APIResponse {
        _ = try await resolver.readActor(request)
        return .json(200, environment.keyring.publishedKeysJSON)
    }

    // MARK: Query parameters

    /// The route-list filters (architecture.md §5), from the query or a body; a value outside its set is a 400.
    static func routeFilter(_ value: (String) throws(APIError) -> String?) throws(APIError) -> RouteFilter {
        var filter = RouteFilter()
        filter.scheduleId = try value("schedule_id")
        filter.provider = try value("provider")
        filter.owner = try value("owner")
        if let text = try value("state") {
            guard let state = RouteState(rawValue: text.lowercased()) else {
                throw .field("state", "must be one of \(RouteState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.state = state
        }
        if let text = try value("category") {
            guard let category = RouteCategory(rawValue: text.lowercased()) else {
                throw .field(
                    "category", "must be one of \(RouteCategory.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.category = category
        }
        if let text = try value("breached") {
            switch text.lowercased() {
            case "true": filter.breached = true
            case "false": filter.breached = false
            default: throw .field("breached", "must be true or false")
            }
        }
        return filter
    }

    /// `limit` (default 50, 1–500) and `offset` (default 0).
    static func paging(_ query: [String: String]) throws(APIError) -> (limit: Int, offset: Int) {
        var limit = 50
        var offset = 0
        if let text = query["limit"] {
            guard let value = Int(text), (1...500).contains(value) else {
                throw .field("limit", "must be a whole number from 1 to 500")
            }
            limit = value
        }
        if let text = query["offset"] {
            guard let value = Int(text), value >= 0 else { throw .field("offset", "must be a whole number ≥ 0") }
            offset = value
        }
        return (limit, offset)
    }
}
