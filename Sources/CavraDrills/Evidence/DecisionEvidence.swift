// The decision as evidence keeps it: the decision object of policy-language.md §6 plus the request it was made on.

import CavraJSON
import CavraPolicy

extension Decision {
    /// `{…the decision…, "request": {…}}`, as records and decision-log entries store it.
    public func evidenceJSON(request: PolicyRequest) -> JSON {
        guard case .object(var object) = json(trace: true) else { return json(trace: true) }
        object["request"] = request.json
        return .object(object)
    }
}

/// Why a recorded `request` cannot be decided again.
public struct RecordedRequestError: Error, Equatable, CustomStringConvertible {
    public var description: String
}

extension PolicyRequest {
    /// The request a recorded decision was made on, read back from its `request` member. Only the complete form
    /// evidence keeps is accepted: a replay must decide exactly the request that was decided, so defaults may not
    /// fill in what the record left out.
    public init(recorded json: JSON) throws(RecordedRequestError) {
        do {
            try self.init(json: json)
        } catch {
            throw RecordedRequestError(description: "not a request the policy can evaluate: \(error.description)")
        }
        guard self.json == json else {
            throw RecordedRequestError(description: "not in the complete form a recorded request has")
        }
    }
}
