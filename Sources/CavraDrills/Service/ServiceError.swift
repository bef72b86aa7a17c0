// Why a call to `DrillService` did not change anything, classified as the API answers it (architecture.md §5)
// and the CLI exits (§11).

import CavraJSON
import CavraPolicy

public enum ServiceError: Error, Sendable, Equatable {
    /// 400; CLI exit 2. `field` names what was wrong.
    case badInput(field: String, detail: String)
    /// 404 (`unknown_schedule`, `no_current_plan`, `no_matching_route`); CLI exit 2.
    case notFound(code: String, detail: String)
    /// 409 (`ambiguous_route`, `route_superseded`, `route_suppressed`, `route_removed`, `invalid_transition`,
    /// `state_changed`); CLI exit 4.
    case conflict(code: String, detail: String, currentState: RouteState?, candidates: [JSON])
    /// 403 `forbidden`; CLI exit 3. The refusal is in the decision log.
    case forbidden(detail: String, decision: JSON)
    /// 422 `missing_obligation`; CLI exit 5. The refusal is in the decision log.
    case missingObligation(missing: [Obligation], decision: JSON)
    /// 503 `store_unavailable`; CLI exit 10.
    case store(detail: String)

    public var code: String {
        switch self {
        case .badInput: "invalid_field"
        case .notFound(let code, _), .conflict(let code, _, _, _): code
        case .forbidden: "forbidden"
        case .missingObligation: "missing_obligation"
        case .store: "store_unavailable"
        }
    }

    public var httpStatus: Int {
        switch self {
        case .badInput: 400
        case .notFound: 404
        case .conflict: 409
        case .forbidden: 403
        case .missingObligation: 422
        case .store: 503
        }
    }

    /// The CLI's exit code (architecture.md §11).
    public var exitCode: Int32 {
        switch self {
        case .badInput, .notFound: 2
        case .conflict: 4
        case .forbidden: 3
        case .missingObligation: 5
        case .store: 10
        }
    }

    public var detail: String {
        switch self {
        case .badInput(let field, let detail): "\(field): \(detail)"
        case .notFound(_, let detail), .conflict(_, let detail, _, _), .forbidden(let detail, _), .store(let detail):
            detail
        case .missingObligation(let missing, _):
            "the policy allows this only with " + missing.map { "`\($0.rawValue)`" }.joined(separator: " and ")
                + "; submit "
                + missing.map { $0 == .note ? "a note" : "an external reference" }.joined(separator: " and ")
        }
    }

    /// The API's error body: `{detail, code, …}` with the fields of architecture.md §5.
    public var json: JSON {
        var object: JSONObject = ["detail": .string(detail), "code": .string(code)]
        switch self {
        case .badInput(let field, _):
            object["field"] = .string(field)
        case .conflict(_, _, let state, let candidates):
            if let state {
                object["current_state"] = .string(state.rawValue)
                object["allowed_transitions"] = .array(state.allowedTransitions.map { .string($0.rawValue) })
            }
            if !candidates.isEmpty { object["candidates"] = .array(candidates) }
        case .forbidden(_, let decision):
            object["decision"] = decision
        case .missingObligation(let missing, let decision):
            object["missing"] = .array(missing.map { .string($0.rawValue) })
            object["decision"] = decision
        case .notFound, .store:
            break
        }
        return .object(object)
    }
}
