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
