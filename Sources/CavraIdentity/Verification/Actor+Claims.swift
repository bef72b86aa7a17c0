// Claims → `Actor` (architecture §6): who the claims name, their groups, and every claim with numbers normalised.

import CavraDrills
import CavraJSON

extension Actor {
    /// The actor a set of claims describes. `id` is the `actorClaim`, else `preferred_username`, else `sub`;
    /// `groups` is the `groupsClaim`, else `roles`, else `[]`; `claims` holds every claim with its numbers
    /// normalised (architecture §7). A verified actor takes `issuer` and `subject` from `iss` and `sub`; an
    /// unverified one (local mode) leaves them `""`. A claim that is present but of the wrong type is refused
    /// rather than skipped, so a misconfigured identity provider is noticed.
    public init(
        claims: JSONObject, actorClaim: String = "email", groupsClaim: String = "groups", verified: Bool
    ) throws(IdentityError) {
        var id: String?
        for name in [actorClaim, "preferred_username", "sub"] where id == nil {
            guard let value = claims[name] else { continue }
            guard let string = value.stringValue, !string.isEmpty else {
                throw IdentityError(
                    "claim `\(name)` must be a non-empty string to name the actor, found \(value.typeName)")
            }
            id = string
        }
        guard let id else {
            throw IdentityError("claims name no actor: they need `\(actorClaim)`, `preferred_username` or `sub`")
        }
        var groups: [String] = []
        if let name = [groupsClaim, "roles"].first(where: { claims[$0] != nil }), let value = claims[name] {
            guard let list = value.arrayValue else {
                throw IdentityError("claim `\(name)` must be a list of strings, found \(value.typeName)")
            }
            if let other = list.first(where: { $0.stringValue == nil }) {
                throw IdentityError("claim `\(name)` must be a list of strings, found one holding \(other.typeName)")
            }
            groups = list.compactMap(\.stringValue)
        }
        self.init(
            id: id, verified: verified, issuer: verified ? claims["iss"]?.stringValue ?? "" : "",
            subject: verified ? claims["sub"]?.stringValue ?? "" : "", groups: groups,
            claims: JSON.object(claims).normalizingNumbers().objectValue ?? [:])
    }
}
