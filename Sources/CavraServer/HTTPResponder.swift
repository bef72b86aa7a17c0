// The HTTP side of every request: a request id, the 1 MiB body limit (413 first), CORS for the configured
// origins only, `Cache-Control: no-store`, one structured log line, and the request metrics.

import CavraJSON
import Foundation
import HTTPTypes
import Hummingbird
import Logging

struct CavraResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    static let bodyLimit = 1 << 20
    static let allowedHeaders =
        "Authorization, Content-Type, Idempotency-Key, X-Cavra-Channel, X-Cavra-Actor, X-Cavra-Actor-Groups, X-Request-Id"

    let api: API
    let logger: Logger
    /// Answers what the API does not: the console's static files (nil: none).
    let assets: (@Sendable (String) -> APIResponse?)?

    func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let requestId = Self.requestId(request.headers[Self.field("X-Request-Id")])
        let origin = request.headers[Self.field("Origin")]
        let corsAllowed = origin.map { api.environment.corsOrigins.contains($0) } ?? false
        var template = "unknown"
        var response: APIResponse
        if request.method == .options {
            response =
                corsAllowed
                ? APIResponse(
                    status: 204, body: [], contentType: "text/plain",
                    headers: [
                        ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                        ("Access-Control-Allow-Headers", Self.allowedHeaders), ("Access-Control-Max-Age", "600"),
                    ])
                : APIError(
                    status: 403, code: "cors_origin_refused",
                    detail: "origin `\(origin ?? "")` is not in CAVRA_CORS_ORIGINS"
                ).response
        } else if let body = try await Self.body(of: request) {
            let apiRequest = APIRequest(
                method: request.method.rawValue, path: request.uri.path, query: Self.query(request.uri.query),
                headers: Self.headers(request.headers), body: body, requestId: requestId)
            if request.method == .get || request.method == .head, let asset = assets?(apiRequest.path) {
                template = "console"
                response = asset
            } else {
                (template, response) = await api.respond(to: apiRequest)
            }
        } else {
            response =
                APIError(
                    status: 413, code: "body_too_large", detail: "the body is over 1 MiB; send a smaller request"
                ).response
        }
        var fields = HTTPFields()
        fields[.contentType] = response.contentType
        fields[Self.field("Cache-Control")] = "no-store"
        fields[Self.field("X-Content-Type-Options")] = "nosniff"
        fields[Self.field("X-Request-Id")] = requestId
        if corsAllowed, let origin {
            fields[Self.field("Access-Control-Allow-Origin")] = origin
            fields[Self.field("Access-Control-Expose-Headers")] = "X-Request-Id, WWW-Authenticate, Idempotency-Replayed"
            fields[Self.field("Vary")] = "Origin"
        }
        for (name, value) in response.headers { fields[Self.field(name)] = value }
        let duration = ContinuousClock.now - started
        api.environment.metrics.request(
            route: template, method: request.method.rawValue, status: response.status, duration: duration)
        log(request, template: template, status: response.status, requestId: requestId, duration: duration)
        return Response(
            status: HTTPResponse.Status(code: response.status), headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: response.body)))
    }

    /// The body, or nil when it is over the limit (declared or sent).
    static func body(of request: Request) async throws -> [UInt8]? {
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > bodyLimit { return nil }
        do {
            let buffer = try await request.body.collect(upTo: bodyLimit)
            return Array(buffer: buffer)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            // NIO's "too many bytes" (a chunked body past the limit) and Hummingbird's own 413 both land here.
            return nil
        }
    }

    /// The caller's request id when it is a sane token, else a new one.
    static func requestId(_ given: String?) -> String {
        if let given, (1...128).contains(given.utf8.count),
            given.unicodeScalars.allSatisfy({
                $0.properties.isAlphabetic || "0123456789-_.:".unicodeScalars.contains($0)
            })
        {
            return given
        }
        // 64 bits from the system's generator, as 16 hex digits.
        let bits = UInt64.random(in: .min ... .max)
        let hex = String(bits, radix: 16)
        return String(repeating: "0", count: 16 - hex.utf8.count) + hex
    }

    static func query(_ text: String?) -> [String: String] {
        var result: [String: String] = [:]
        for pair in (text ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncodingOrSelf
            }
            guard let name = parts.first, !name.isEmpty else { continue }
            result[name] = parts.count > 1 ? parts[1] : ""
        }
        return result
    }

    static func headers(_ fields: HTTPFields) -> [String: String] {
        var result: [String: String] = [:]
        for field in fields {
            let name = field.name.canonicalName
            result[name] = result[name].map { $0 + ", " + field.value } ?? field.value
        }
        return result
    }

    static func field(_ name: String) -> HTTPField.Name { HTTPField.Name(name)! }

    /// One line per request: JSON, so log tools read it without a pattern.
    func log(_ request: Request, template: String, status: Int, requestId: String, duration: Duration) {
        // Milliseconds with three decimals, from whole microseconds.
        let microseconds = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fraction = String(microseconds % 1000)
        let milliseconds = "\(microseconds / 1000).\(String(repeating: "0", count: 3 - fraction.utf8.count))\(fraction)"
        logger.info(
            "request",
            metadata: [
                "request_id": .string(requestId), "method": .string(request.method.rawValue),
                "path": .string(request.uri.path), "route": .string(template), "status": .stringConvertible(status),
                "duration_ms": .string(milliseconds),
            ])
    }
}
