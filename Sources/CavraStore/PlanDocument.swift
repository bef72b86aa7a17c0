// How a plan is kept in a store: one JSON document per plan, every field of `Plan` (including `forced`).

import CavraDrills
import CavraJSON
import CavraPolicy
import Synchronization

enum PlanDocument {
    /// Plans decoded before, by plan id, with the SHA-256 of the text they were decoded from. Every action reads
    /// its route's plan several times (to resolve the route, inside the write transaction, for the answer), and
    /// reading and parsing a 1,000-route plan takes milliseconds; a store keeps each plan's digest beside its text
    /// and reads the text only when the digest is not the one cached. Revising or superseding a plan changes its
    /// text, so its digest.
    private static let decoded = Mutex<[String: (sha256: String, plan: Plan)]>([:])
    /// Enough for every current plan of a large deployment; past it the cache starts over.
    static let cacheCapacity = 512

    /// What a store writes for `plan`: its document's text and the text's SHA-256.
    static func stored(_ plan: Plan) -> (text: String, sha256: String) {
        let text = encode(plan).serialized()
        return (text, CavraHash.sha256Hex(text))
    }

    /// The plan stored under `planId` with the digest `sha256`, if it was decoded before.
    static func cached(planId: String, sha256: String) -> Plan? {
        guard let hit = decoded.withLock({ $0[planId] }), hit.sha256 == sha256 else { return nil }
        return hit.plan
    }

    /// Decodes the plan stored as `text`, checking it against its digest, and remembers it.
    static func decode(planId: String, text: String, sha256: String) throws -> Plan {
        guard CavraHash.sha256Hex(text) == sha256 else {
            throw StoreError("stored plan `\(planId)` does not match its SHA-256: the store was changed outside cavra")
        }
        let plan = try decode(try JSON.parse(text))
        guard plan.planId == planId else { throw StoreError("stored plan `\(planId)` holds plan `\(plan.planId)`") }
        decoded.withLock { entries in
            if entries.count >= cacheCapacity { entries.removeAll(keepingCapacity: true) }
            entries[planId] = (sha256, plan)
        }
        return plan
    }

    static func encode(_ plan: Plan) -> JSON {
        [
            "plan_id": .string(plan.planId), "schedule_id": .string(plan.scheduleId), "cycle": .string(plan.cycle),
            "revision": .int(Int64(plan.revision)), "created_at": .int(plan.createdAt.milliseconds),
            "revised_at": .int(plan.revisedAt.milliseconds), "alert_level": .string(plan.alertLevel.rawValue),
            "next_due": plan.nextDue.map { .int($0.milliseconds) } ?? .null, "superseded": .bool(plan.superseded),
            "forced": .bool(plan.forced), "routes": .array(plan.routes.map(encode)),
        ]
    }

    private static func encode(_ route: Route) -> JSON {
        [
            "route_id": .string(route.routeId), "plan_id": .string(route.planId),
            "schedule_id": .string(route.scheduleId), "owner": .string(route.owner),
            "provider": .string(route.provider), "escalation_owner": .string(route.escalationOwner),
            "category": .string(route.category.rawValue), "reason": .string(route.reason),
            "environment": .string(route.environment), "service": .string(route.service),
            "tags": .array(route.tags.map(JSON.string)), "severity": .string(route.severity.rawValue),
            "slo_seconds": .int(route.sloSeconds),
            "delivered_at": route.deliveredAt.map { .int($0.milliseconds) } ?? .null,
            "removed": .bool(route.removed),
        ]
    }

    static func decode(_ json: JSON) throws -> Plan {
        func string(_ object: JSON, _ key: String) throws -> String {
            guard let value = object[key]?.stringValue else { throw StoreError("stored plan lacks `\(key)`") }
            return value
        }
        func int(_ object: JSON, _ key: String) throws -> Int64 {
            guard let value = object[key]?.intValue else { throw StoreError("stored plan lacks `\(key)`") }
            return value
        }
        func timestamp(_ object: JSON, _ key: String) -> Timestamp? {
            object[key]?.intValue.map { Timestamp(milliseconds: $0) }
        }
        var routes: [Route] = []
        for item in json["routes"]?.arrayValue ?? [] {
            guard let category = RouteCategory(rawValue: try string(item, "category")),
                let severity = Severity(rawValue: try string(item, "severity"))
            else { throw StoreError("stored route has an unknown category or severity") }
            routes.append(
                Route(
                    routeId: try string(item, "route_id"), planId: try string(item, "plan_id"),
                    scheduleId: try string(item, "schedule_id"), owner: try string(item, "owner"),
                    provider: try string(item, "provider"), escalationOwner: try string(item, "escalation_owner"),
                    category: category, reason: try string(item, "reason"),
                    environment: try string(item, "environment"), service: try string(item, "service"),
                    tags: (item["tags"]?.arrayValue ?? []).compactMap(\.stringValue), severity: severity,
                    sloSeconds: try int(item, "slo_seconds"), deliveredAt: timestamp(item, "delivered_at"),
                    removed: item["removed"]?.boolValue ?? false))
        }
        guard let alertLevel = Severity(rawValue: try string(json, "alert_level")) else {
            throw StoreError("stored plan has an unknown alert level")
        }
        return Plan(
            planId: try string(json, "plan_id"), scheduleId: try string(json, "schedule_id"),
            cycle: try string(json, "cycle"), revision: Int(try int(json, "revision")),
            createdAt: Timestamp(milliseconds: try int(json, "created_at")),
            revisedAt: Timestamp(milliseconds: try int(json, "revised_at")), alertLevel: alertLevel,
            nextDue: timestamp(json, "next_due"), superseded: json["superseded"]?.boolValue ?? false,
            forced: json["forced"]?.boolValue ?? false, routes: routes)
    }
}

/// A failure of the store itself (architecture.md §11: exit 10, HTTP 503).
public struct StoreError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
