// The HTTP API of architecture.md §5, apart from the framework: a request in, an answer out. Routing, the check
// order every mutation shares (413 → 400 malformed → 401 → 400 fields → idempotency → the service's
// 404 → 409 → 403 → 422), and the answers' bodies.

import CavraDrills
import CavraIdentity
import CavraJSON
import CavraPolicy
import Foundation

/// Everything the handlers use; built once at start.
public struct APIEnvironment: Sendable {
    public var service: DrillService
    public var policies: PolicyHolder
    public var mode: IdentityMode
    public var verifier: TokenVerifier?
    public var oidc: OIDCConfiguration?
    public var keyring: AuditKeyring
    public var corsOrigins: [String]
    /// For `/readyz`: which store, without credentials.
    public var storeDescription: String
    /// Sample mode's personas (`GET /console/sample-personas`).
    public var personas: JSON?
    public var metrics: ServerMetrics
    public var clock: @Sendable () -> Timestamp

    public init(
        service: DrillService, policies: PolicyHolder, mode: IdentityMode, verifier: TokenVerifier?,
        oidc: OIDCConfiguration?, keyring: AuditKeyring, corsOrigins: [String], storeDescription: String,
        personas: JSON? = nil, metrics: ServerMetrics, clock: @escaping @Sendable () -> Timestamp
    ) {
        self.service = service
        self.policies = policies
        self.mode = mode
        self.verifier = verifier
        self.oidc = oidc
        self.keyring = keyring
        self.corsOrigins = corsOrigins
        self.storeDescription = storeDescription
        self.personas = personas
        self.metrics = metrics
        self.clock = clock
    }
}

public struct API: Sendable {
    let environment: APIEnvironment
    let resolver: ActorResolver

    public init(environment: APIEnvironment) {
        self.environment = environment
        resolver = ActorResolver(mode: environment.mode, verifier: environment.verifier, clock: environment.clock)
    }

    var service: DrillService { environment.service }

    static let base = ["runtime", "go-pilot", "rollback-drill-notifications"]

    /// One endpoint: its path template (for logs and metrics) and its handler.
    struct Endpoint: Sendable {
        var method: String
        var template: String
        var handle: @Sendable (API, APIRequest, [String]) async throws(APIError) -> APIResponse
    }

    /// The endpoint a path and method name, or why there is none.
    func route(_ request: APIRequest) -> (template: String, result: Result<Endpoint, APIError>) {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let candidates = Self.endpoints.compactMap { endpoint -> (Endpoint, [String])? in
            guard let parameters = Self.match(endpoint.template, parts) else { return nil }
            return (endpoint, parameters)
        }
        guard !candidates.isEmpty else {
            return (
                "unknown",
                .failure(
                    APIError(status: 404, code: "not_found", detail: "no endpoint at `\(request.path)`"))
            )
        }
        // A literal segment wins over a parameter (`acknowledgements/bulk` over `{schedule_id}/acknowledgements`).
        let sorted = candidates.sorted { $0.1.count < $1.1.count }
        if let (endpoint, parameters) = sorted.first(where: { $0.0.method == request.method }) {
            var bound = endpoint
            let handler = endpoint.handle
            bound.handle = { api, request, _ throws(APIError) in try await handler(api, request, parameters) }
            return (endpoint.template, .success(bound))
        }
        let allowed = Array(Set(candidates.map(\.0.method))).sorted().joined(separator: ", ")
        return (
            sorted[0].0.template,
            .failure(
                APIError(
                    status: 405, code: "method_not_allowed",
                    detail: "`\(request.path)` answers \(allowed), not \(request.method)",
                    headers: [("Allow", allowed)]))
        )
    }

    /// The parameters a template binds in `parts`, or nil when it does not match.
    static func match(_ template: String, _ parts: [String]) -> [String]? {
        let pattern = template.split(separator: "/").map(String.init)
        guard pattern.count == parts.count else { return nil }
        var parameters: [String] = []
        for (expected, actual) in zip(pattern, parts) {
            if expected.hasPrefix("{") {
                parameters.append(actual.removingPercentEncodingOrSelf)
            } else if expected != actual {
                return nil
            }
        }
        return parameters
    }

    static let endpoints: [Endpoint] = {
        let drills = "/" + base.joined(separator: "/")
        return [
            Endpoint(method: "GET", template: "/healthz") { api, _, _ throws(APIError) in api.healthz() },
            Endpoint(method: "GET", template: "/readyz") { api, _, _ throws(APIError) in await api.readyz() },
            Endpoint(method: "GET", template: "/metrics") { api, _, _ throws(APIError) in await api.metrics() },
            Endpoint(method: "GET", template: "/openapi.json") { _, _, _ throws(APIError) in
                APIResponse(status: 200, body: Array(embeddedOpenAPIDocument.utf8), contentType: "application/json")
            },
            Endpoint(method: "GET", template: "/console/session") { api, request, _ throws(APIError) in
                try await api.session(request)
            },
            Endpoint(method: "GET", template: "/console/security-boundary") { api, request, _ throws(APIError) in
                try await api.securityBoundary(request)
            },
            Endpoint(method: "GET", template: "/console/sample-personas") { api, _, _ throws(APIError) in
                try api.samplePersonas()
            },
            Endpoint(method: "GET", template: "/runtime/go-pilot/audit-signing-keys") {
                api, request, _ throws(APIError) in
                try await api.auditSigningKeys(request)
            },
            Endpoint(method: "POST", template: drills + "/plans") { api, request, _ throws(APIError) in
                try await api.plan(request)
            },
            Endpoint(method: "GET", template: drills + "/routes") { api, request, _ throws(APIError) in
                try await api.routes(request)
            },
            Endpoint(method: "POST", template: drills + "/{schedule_id}/acknowledgements") {
                api, request, parameters throws(APIError) in
                try await api.acknowledge(request, scheduleId: parameters[0])
            },
            Endpoint(method: "POST", template: drills + "/acknowledgements/bulk") { api, request, _ throws(APIError) in
                try await api.bulk(request)
            },
            Endpoint(method: "POST", template: drills + "/acknowledgements/audit-package") {
                api, request, _ throws(APIError) in
                try await api.exportAuditPackage(request)
            },
            Endpoint(method: "GET", template: drills + "/acknowledgements/audit-packages/{audit_id}") {
                api, request, parameters throws(APIError) in
                try await api.auditPackage(request, auditId: parameters[0])
            },
            Endpoint(method: "GET", template: drills) { api, request, _ throws(APIError) in
                try await api.history(request)
            },
            Endpoint(method: "GET", template: drills + "/dashboard") { api, request, _ throws(APIError) in
                try await api.dashboard(request)
            },
            Endpoint(method: "GET", template: drills + "/escalation-plan") { api, request, _ throws(APIError) in
                try await api.escalationPlan(request)
            },
        ]
    }()

    /// Answers a request; never throws: every failure is an answer.
    public func respond(to request: APIRequest) async -> (template: String, response: APIResponse) {
        let (template, routed) = route(request)
        switch routed {
        case .failure(let error):
            return (template, error.response)
        case .success(let endpoint):
            do {
                return (template, try await endpoint.handle(self, request, []))
            } catch {
                return (template, error.response)
            }
        }
    }

    // MARK: Shared steps

    /// The channel a request records: `sample` in the sandbox, `console` when the console says so, else `api`.
    func channel(_ request: APIRequest) -> Channel {
        if environment.mode == .sample { return .sample }
        return request.header("X-Cavra-Channel")?.lowercased() == "console" ? .console : .api
    }

    /// The first steps of every mutation, in §5's order: the body parsed (400 `malformed_json`), the actor
    /// resolved (401), every string within its limit (400). The handler then reads its fields.
    func mutation(_ request: APIRequest) async throws(APIError) -> (fields: BodyFields, who: ResolvedActor) {
        let object = try BodyFields.parse(request.body)
        let who = try await resolver.mutationActor(request, body: object)
        try BodyFields.checkLengths(object)
        return (BodyFields(object), who)
    }

    /// Runs a mutation once per `Idempotency-Key` (architecture.md §5): scoped to the actor and the path, kept 24
    /// hours; a retry with the same body replays the first final answer, the same key with another body is 409.
    func idempotent(
        _ request: APIRequest, who: ResolvedActor, fields: BodyFields,
        _ run: () async throws(APIError) -> APIResponse
    ) async throws(APIError) -> APIResponse {
        guard let key = request.header("Idempotency-Key") else { return try await run() }
        guard (1...255).contains(key.utf8.count), key.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        else {
            throw .field("Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        let actor = who.actor
        let scope: JSON = [
            "actor": actor.verified
                ? ["issuer": .string(actor.issuer), "subject": .string(actor.subject)] : .string(actor.id),
            "path": .string(request.path), "key": .string(key),
        ]
        var body = fields.object
        body["actor_token"] = nil
        let storeKey = scope.canonicalSHA256
        let requestSHA256 = JSON.object(body).canonicalSHA256
        let kept = try await call { () async throws(ServiceError) in try await service.keptAnswer(key: storeKey) }
        if let kept { return try replay(kept, requestSHA256: requestSHA256, key: key) }
        let response: APIResponse
        do {
            response = try await run()
        } catch {
            response = error.response
        }
        guard [200, 201, 403, 409, 422].contains(response.status), let json = try? JSON.parse(bytes: response.body)
        else { return response }
        let first = try await call { () async throws(ServiceError) in
            try await service.keep(
                answer: StoredAnswer(requestSHA256: requestSHA256, status: response.status, body: json), key: storeKey)
        }
        // A racing call with the same key kept its answer first: that one is the answer.
        if first.body != json || first.status != response.status {
            return try replay(first, requestSHA256: requestSHA256, key: key)
        }
        return response
    }

    private func replay(_ kept: StoredAnswer, requestSHA256: String, key: String) throws(APIError) -> APIResponse {
        guard kept.requestSHA256 == requestSHA256 else {
            throw APIError(
                status: 409, code: "idempotency_key_reused",
                detail: "the Idempotency-Key `\(key)` was used for a different request in the last 24 hours")
        }
        return .json(kept.status, kept.body, headers: [("Idempotency-Replayed", "true")])
    }

    /// A service call whose refusal becomes its answer.
    func call<T>(_ body: () async throws(ServiceError) -> T) async throws(APIError) -> T {
        do {
            return try await body()
        } catch {
            throw APIError(error)
        }
    }
}

extension String {
    var removingPercentEncodingOrSelf: String { removingPercentEncoding ?? self }
}
