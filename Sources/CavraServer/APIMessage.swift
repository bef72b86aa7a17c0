// The API's requests and answers, apart from the HTTP framework: what the handlers read and write.

import CavraDrills
import CavraJSON

/// A request as the handlers see it: the body already read (within its limit), header names lowercased.
public struct APIRequest: Sendable {
    public var method: String
    public var path: String
    /// Query parameters, percent-decoded; a repeated parameter keeps its last value.
    public var query: [String: String]
    public var headers: [String: String]
    public var body: [UInt8]
    public var requestId: String

    public init(
        method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
        body: [UInt8] = [], requestId: String = ""
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.requestId = requestId
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// An answer: a status, a body and its headers.
public struct APIResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    public var contentType: String
    public var headers: [(String, String)]

    public init(status: Int, body: [UInt8], contentType: String, headers: [(String, String)] = []) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.headers = headers
    }

    /// A JSON answer, written by `CavraJSON`.
    public static func json(_ status: Int, _ json: JSON, headers: [(String, String)] = []) -> APIResponse {
        APIResponse(
            status: status, body: Array((json.serialized() + "\n").utf8), contentType: "application/json",
            headers: headers)
    }

    /// A JSON object answer whose members are already compact JSON text (see `JSON.serializedObject`).
    public static func json(_ status: Int, members: [(key: String, text: String)]) -> APIResponse {
        APIResponse(
            status: status, body: Array((JSON.serializedObject(members) + "\n").utf8), contentType: "application/json")
    }
}

/// An answer that is not a success: `{detail, code, …}` (architecture.md §5) with its status and headers.
struct APIError: Error, Sendable {
    var status: Int
    var body: JSON
    var headers: [(String, String)] = []

    init(status: Int, code: String, detail: String, fields: JSONObject = [:], headers: [(String, String)] = []) {
        var object: JSONObject = ["detail": .string(detail), "code": .string(code)]
        for (key, value) in fields { object[key] = value }
        self.status = status
        self.body = .object(object)
        self.headers = headers
    }

    init(_ error: ServiceError) {
        status = error.httpStatus
        body = error.json
    }

    /// 400: a field missing, of the wrong type, out of its value set or over its length.
    static func field(_ field: String, _ detail: String) -> APIError {
        APIError(
            status: 400, code: "invalid_field", detail: "`\(field)` \(detail)", fields: ["field": .string(field)])
    }

    static func malformed(_ detail: String) -> APIError {
        APIError(status: 400, code: "malformed_json", detail: detail)
    }

    var response: APIResponse { .json(status, body, headers: headers) }
}
