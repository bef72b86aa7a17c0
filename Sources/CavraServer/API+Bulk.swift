// The bulk endpoint (architecture.md §5): one state change over 1–100 routes, all or nothing, with every
// route's outcome in the answer.

import CavraDrills
import CavraJSON
import CavraPolicy

extension API {
    func bulk(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let (fields, who) = try await mutation(request)
        guard let listed = fields.object["routes"], listed != .null else {
            throw .field("routes", "is required (a list of 1 to \(DrillService.bulkLimit) routes)")
        }
        guard let items = listed.arrayValue else { throw .field("routes", "must be a list, not \(listed.typeName)") }
        var entries: [BulkEntry] = []
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue else {
                throw .field("routes[\(index)]", "must be an object, not \(item.typeName)")
            }
            let entry = BodyFields(object, prefix: "routes[\(index)]")
            entries.append(
                BulkEntry(
                    scheduleId: try entry.requiredString("schedule_id"), provider: try entry.string("provider"),
                    owner: try entry.string("owner"), routeId: try entry.string("route_id"),
                    notes: try entry.string("notes"), externalRef: try entry.string("external_ref")))
        }
        guard let state = try fields.enumValue("acknowledgement_state", RouteState.self, allowed: Self.targetStates)
        else {
            throw .field("acknowledgement_state", "is required (acknowledged, escalated, resolved or dismissed)")
        }
        let context = CallContext(
            actor: who.actor, channel: channel(request), input: try fields.operatorInput(), claimedBy: who.claimedBy)
        let action = RouteAction(targetState: state)!.rawValue
        return try await idempotent(request, who: who, fields: fields) { () async throws(APIError) in
            do throws(BulkRefusal) {
                let outcome = try await service.bulk(to: state, entries: entries, context: context)
                environment.metrics.decision(action: action, outcome: "allow", count: outcome.results.count)
                return .json(200, outcome.json)
            } catch {
                for result in error.results {
                    switch result.outcome {
                    case .denied: environment.metrics.decision(action: action, outcome: "deny")
                    case .missingObligation: environment.metrics.decision(action: action, outcome: "missing_obligation")
                    default: break
                    }
                }
                return .json(error.httpStatus, error.json)
            }
        }
    }
}
