// Liveness, readiness, metrics and what the console asks first: the session and the security boundary.

import CavraDrills
import CavraIdentity
import CavraJSON
import CavraPolicy
import CavraStore

extension API {
    func healthz() -> APIResponse { .json(200, ["status": "ok"]) }

    /// 200 while a valid policy decides and the store answers; 503 otherwise. A refused policy edit shows as
    /// `policy_error` while the last good policy stays.
    func readyz() async -> APIResponse {
        let holder = environment.policies
        let policy = holder.policies.enforced
        var body: JSONObject = [
            "status": "ready",
            "policy": [
                "id": .string(policy.id), "version": policy.version.map(JSON.string) ?? .null,
                "sha256": .string(policy.sha256), "loaded_at": .string(holder.loadedAt.description),
            ],
        ]
        if let shadow = holder.policies.shadow {
            body["shadow_policy"] = [
                "id": .string(shadow.id), "version": shadow.version.map(JSON.string) ?? .null,
                "sha256": .string(shadow.sha256),
            ]
        }
        if let error = holder.error { body["policy_error"] = .string(error) }
        var store: JSONObject = [
            "kind": .string(DrillStores.kind(of: service.store)), "location": .string(environment.storeDescription),
        ]
        do {
            _ = try await service.store.isOIDCStore()
            store["status"] = "ok"
        } catch {
            store["status"] = "unavailable"
            store["error"] = .string("\(error)")
            body["status"] = "unavailable"
            body["store"] = .object(store)
            body["code"] = "store_unavailable"
            body["detail"] = .string("the store cannot be reached: \(error)")
            return .json(503, .object(body))
        }
        body["store"] = .object(store)
        return .json(200, .object(body))
    }

    func metrics() async -> APIResponse {
        if let views = try? await service.currentRoutes() {
            environment.metrics.observe(routes: views)
        }
        return APIResponse(
            status: 200, body: environment.metrics.render(), contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    /// `cavra.console.session.v2`: who the console is acting as, and what they may do somewhere.
    func session(_ request: APIRequest) async throws(APIError) -> APIResponse {
        let actor = try await resolver.readActor(request, optional: true)
        let mode: String
        switch environment.mode {
        case .oidc: mode = actor == nil ? "auth_required" : "authenticated"
        case .local: mode = "local"
        case .sample: mode = "sample"
        }
        let channel = channel(request)
        let permissions = try await call { () async throws(ServiceError) in
            try await service.sessionPermissions(actor: actor, channel: channel)
        }
        let policy = environment.policies.policies.enforced
        var body: JSONObject = [
            "schema_version": "cavra.console.session.v2", "mode": .string(mode),
            "authenticated": .bool(actor?.verified ?? false), "auth_required": .bool(environment.mode == .oidc),
            "actor": actor?.apiJSON ?? .null, "permissions": .object(permissions),
            "policy": [
                "id": .string(policy.id), "version": policy.version.map(JSON.string) ?? .null,
                "sha256": .string(policy.sha256),
            ],
        ]
        if let expiry = actor?.claims["exp"] { body["expires_at"] = Self.expiry(expiry) }
        return .json(200, .object(body))
    }

    /// A token's `exp` in the timestamp form of architecture.md §7, for the console's "expires in".
    static func expiry(_ value: JSON) -> JSON {
        let seconds: Double? =
            switch value {
            case .int(let whole): Double(whole)
            case .double(let fraction): fraction
            case .string(let text): Double(text)
            default: nil
            }
        guard let seconds else { return .null }
        return .string(Timestamp(milliseconds: Int64((seconds * 1000).rounded(.down))).description)
    }

    /// What this server enforces: the identity provider, the policies and the browser origins it answers.
    func securityBoundary(_ request: APIRequest) async throws(APIError) -> APIResponse {
        _ = try await resolver.readActor(request)
        let policies = environment.policies.policies
        var identity: JSONObject = ["mode": .string(environment.mode.rawValue)]
        if let oidc = environment.oidc {
            identity["issuer"] = .string(oidc.issuer)
            identity["audience"] = .string(oidc.audience)
            identity["algorithms"] = .array(oidc.algorithms.map { .string($0.rawValue) })
            identity["actor_claim"] = .string(oidc.actorClaim)
            identity["groups_claim"] = .string(oidc.groupsClaim)
            identity["leeway_seconds"] = .int(oidc.leewaySeconds)
            identity["keys"] = .string(oidc.keySourceDescription)
        }
        func describe(_ policy: CompiledPolicy?) -> JSON {
            guard let policy else { return .null }
            return [
                "id": .string(policy.id), "version": policy.version.map(JSON.string) ?? .null,
                "sha256": .string(policy.sha256), "path": .string(policy.source.path),
            ]
        }
        return .json(
            200,
            [
                "identity": .object(identity), "policy": describe(policies.enforced),
                "shadow_policy": describe(policies.shadow),
                "cors_origins": .array(environment.corsOrigins.map(JSON.string)),
                "audit_signing": environment.keyring.current.map { .string($0.publicKey.keyId) } ?? .null,
                "enforced": [
                    "every mutation is decided by the policy inside its write transaction",
                    "the actor comes from a verified token (OIDC) or is recorded as unverified",
                    "records and refused attempts are hash-chained per route",
                ],
            ])
    }

    func samplePersonas() throws(APIError) -> APIResponse {
        guard environment.mode == .sample, let personas = environment.personas else {
            throw APIError(
                status: 404, code: "not_found", detail: "sample personas exist only in sample mode (`cavra sandbox`)")
        }
        return .json(200, personas)
    }
}
