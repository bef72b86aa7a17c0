// The bulk endpoint (architecture.md §5).

import CavraDrills
import CavraJSON

extension API {
    func bulk(_ request: APIRequest) async throws(APIError) -> APIResponse {
        _ = try await mutation(request)
        throw APIError(status: 501, code: "not_implemented", detail: "bulk arrives with the bulk service")
    }
}
