// Who is acting (architecture.md §5, §6): a verified token in OIDC mode; asserted claims or names in local
// mode; the sample identity provider's tokens, or a visitor's asserted claims, in sample mode.

import CavraDrills
import CavraIdentity
import CavraJSON

/// How the server learns who is acting.
public enum IdentityMode: String, Sendable {
    /// `CAVRA_APPROVAL_OIDC_CONFIG` is set: every mutation and almost every read needs a valid token.
    case oidc
    /// No OIDC configured: actors are asserted, never verified.
    case local
    /// `cavra sandbox`: tokens of the built-in identity provider, or a visitor's asserted claims.
    case sample
}

/// The acting actor of one request, and the name a body claimed without it being used for identity.
struct ResolvedActor: Sendable {
    var actor: Actor
    var claimedBy: String?
}

struct ActorResolver: Sendable {
    let mode: IdentityMode
    /// Verifies tokens in OIDC and sample mode.
    let verifier: TokenVerifier?
    let clock: @Sendable () -> Timestamp

    static let realmChallenge = ("WWW-Authenticate", "Bearer realm=\"cavra\"")

    /// The actor of a mutation, from the headers and the body's `actor_token`, `actor_claims`, `acknowledged_by`.
    func mutationActor(_ request: APIRequest, body: JSONObject) async throws(APIError) -> ResolvedActor {
        let bearer = try bearerToken(request)
        let bodyToken = try bodyString(body, "actor_token")
        let acknowledgedBy = try bodyString(body, "acknowledged_by")
        if let bearer, let bodyToken, bearer != bodyToken {
            throw APIError(
                status: 400, code: "conflicting_credentials",
                detail: "the Authorization header and the body's `actor_token` carry different tokens; send one")
        }
        let token = bearer ?? bodyToken
        switch mode {
        case .oidc:
            if body["actor_claims"] != nil {
                throw APIError(
                    status: 401, code: "actor_claims_refused",
                    detail: "`actor_claims` are refused while OIDC is configured: send a token (Authorization: Bearer)",
                    headers: [Self.realmChallenge])
            }
            guard let token else {
                throw APIError(
                    status: 401, code: "missing_token",
                    detail: "this server needs a token: send `Authorization: Bearer <token>`",
                    headers: [Self.realmChallenge])
            }
            return ResolvedActor(actor: try await verify(token), claimedBy: acknowledgedBy)
        case .local, .sample:
            if let token {
                if mode == .sample { return ResolvedActor(actor: try await verify(token), claimedBy: acknowledgedBy) }
                throw APIError(
                    status: 400, code: "oidc_not_configured",
                    detail: "a token was sent but no OIDC is configured on this server "
                        + "(set CAVRA_APPROVAL_OIDC_CONFIG); name the actor with `actor_claims` or `acknowledged_by`")
            }
            if let claims = body["actor_claims"] {
                return ResolvedActor(actor: try assertedActor(claims), claimedBy: acknowledgedBy)
            }
            if let acknowledgedBy, !acknowledgedBy.isEmpty {
                return ResolvedActor(actor: .unverified(acknowledgedBy), claimedBy: nil)
            }
            throw APIError(
                status: 401, code: "missing_actor",
                detail: "name the actor: `actor_claims` (an object with `email`, `preferred_username` or `sub`) "
                    + "or `acknowledged_by`", headers: [Self.realmChallenge])
        }
    }

    /// The actor of a read: nil for an anonymous local-mode caller. In OIDC mode a missing token is a 401 unless
    /// `optional` (`/console/session`).
    func readActor(_ request: APIRequest, optional: Bool = false) async throws(APIError) -> Actor? {
        let token = try bearerToken(request)
        switch mode {
        case .oidc:
            guard let token else {
                if optional { return nil }
                throw APIError(
                    status: 401, code: "missing_token",
                    detail: "this server needs a token: send `Authorization: Bearer <token>`",
                    headers: [Self.realmChallenge])
            }
            return try await verify(token)
        case .local, .sample:
            if let token {
                if mode == .sample { return try await verify(token) }
                throw APIError(
                    status: 400, code: "oidc_not_configured",
                    detail: "a token was sent but no OIDC is configured on this server; "
                        + "name the actor with the X-Cavra-Actor header")
            }
            guard let name = request.header("X-Cavra-Actor")?.trimmed, !name.isEmpty else { return nil }
            let groups = (request.header("X-Cavra-Actor-Groups") ?? "").split(separator: ",").map { $0.trimmed }
                .filter { !$0.isEmpty }
            return .unverified(name, groups: groups)
        }
    }

    /// The token of `Authorization: Bearer …`; another scheme is refused rather than ignored.
    private func bearerToken(_ request: APIRequest) throws(APIError) -> String? {
        guard let header = request.header("Authorization") else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].trimmed.isEmpty else {
            throw invalidToken("the Authorization header must be `Bearer <token>`")
        }
        return parts[1].trimmed
    }

    private func bodyString(_ body: JSONObject, _ field: String) throws(APIError) -> String? {
        guard let value = body[field], value != .null else { return nil }
        guard let string = value.stringValue else {
            throw APIError(
                status: 401, code: "invalid_actor", detail: "`\(field)` must be a string, not \(value.typeName)",
                headers: [Self.realmChallenge])
        }
        return string
    }

    private func verify(_ token: String) async throws(APIError) -> Actor {
        guard token.utf8.count <= BodyFields.maxTokenBytes else {
            throw invalidToken("the token is longer than 16 KiB")
        }
        guard let verifier else { throw invalidToken("no identity provider is configured to verify tokens") }
        do {
            return try await verifier.verify(token, now: clock())
        } catch {
            throw invalidToken(error.description)
        }
    }

    private func invalidToken(_ reason: String) -> APIError {
        APIError(
            status: 401, code: "invalid_token", detail: "token refused: \(reason)",
            headers: [
                ("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"\(Self.quoted(reason))\"")
            ])
    }

    /// Local mode: claims as asserted, the actor named as a token's would be (architecture.md §6), never verified.
    private func assertedActor(_ claims: JSON) throws(APIError) -> Actor {
        guard let object = claims.objectValue else {
            throw APIError(
                status: 401, code: "invalid_actor", detail: "`actor_claims` must be an object, not \(claims.typeName)",
                headers: [Self.realmChallenge])
        }
        do {
            return try Actor(claims: object, verified: false)
        } catch {
            throw APIError(
                status: 401, code: "invalid_actor", detail: "`actor_claims`: \(error.description)",
                headers: [Self.realmChallenge])
        }
    }

    /// A header parameter value: no quotes or backslashes, on one line.
    static func quoted(_ text: String) -> String {
        String(text.map { $0 == "\"" || $0 == "\\" || $0.isNewline ? "'" : $0 })
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs; the bytes between are kept as they are.
    var trimmed: String {
        func isBlank(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = utf8.firstIndex(where: { !isBlank($0) }) else { return "" }
        let last = utf8.lastIndex(where: { !isBlank($0) })!
        // Spaces and tabs are single ASCII bytes, so both ends fall on character boundaries.
        return String(self[first...last])
    }
}

extension String {
    var trimmed: String { self[...].trimmed }
}

extension Actor {
    /// `{id, actor, verified, issuer, subject, groups, roles}`: the actor as the API shows it; `actor` mirrors `id`
    /// for the reference's clients.
    var apiJSON: JSON {
        var roles = groups
        if let listed = claims["roles"]?.arrayValue, listed.allSatisfy({ $0.stringValue != nil }) {
            roles = listed.compactMap(\.stringValue)
        }
        return [
            "id": .string(id), "actor": .string(id), "verified": .bool(verified), "issuer": .string(issuer),
            "subject": .string(subject), "groups": .array(groups.map(JSON.string)),
            "roles": .array(roles.map(JSON.string)),
        ]
    }
}
