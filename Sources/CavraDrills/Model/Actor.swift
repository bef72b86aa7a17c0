// Who is acting: resolved once, by the identity layer or the sample mode, before anything is decided.

import CavraJSON
import CavraPolicy

public struct Actor: Sendable, Equatable {
    /// For people: the configured actor claim (email by default), else `preferred_username`, else `sub`.
    public var id: String
    /// True only when the identity came from a verified token.
    public var verified: Bool
    /// `iss` and `sub`: the stable identity; `""` when unverified.
    public var issuer: String
    public var subject: String
    public var groups: [String]
    /// Every claim, numbers normalised (architecture.md §7); for an unverified actor, what it asserted.
    public var claims: JSONObject

    public init(
        id: String, verified: Bool, issuer: String = "", subject: String = "", groups: [String] = [],
        claims: JSONObject = [:]
    ) {
        self.id = id
        self.verified = verified
        self.issuer = issuer
        self.subject = subject
        self.groups = groups
        self.claims = claims
    }

    /// An unverified actor named by `--as` or a local-mode body: groups as asserted, nothing proven.
    public static func unverified(_ id: String, groups: [String] = [], claims: JSONObject = [:]) -> Actor {
        Actor(id: id, verified: false, groups: groups, claims: claims)
    }

    /// The actor as the policy sees it.
    public var policyAttributes: PolicyRequest.ActorAttributes {
        var attributes = PolicyRequest.ActorAttributes()
        attributes.id = id
        attributes.verified = verified
        attributes.issuer = issuer
        attributes.subject = subject
        attributes.groups = groups
        attributes.claims = claims
        return attributes
    }

    /// `{id, verified, issuer, subject}`: the actor as a record keeps it.
    public var recordJSON: JSON {
        ["id": .string(id), "verified": .bool(verified), "issuer": .string(issuer), "subject": .string(subject)]
    }
}
