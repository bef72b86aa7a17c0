// Signs development tokens (`cavra token mint`, labs, tests, the sandbox's personas) with a development key.

import CavraDrills
import CavraJSON

public enum TokenMinter {
    /// A compact ES256 JWS whose header names the key (`kid`) and whose claims are `iss`, `sub`, `aud`, `iat`,
    /// `exp` (`now` + `ttl`, whole seconds), then `email` and `groups` when given, then `extraClaims`, which may not
    /// repeat any of those.
    public static func mint(
        key: DevelopmentSigningKey, issuer: String, audience: String, subject: String, email: String? = nil,
        groups: [String]? = nil, ttl: TokenLifetime, now: Timestamp, extraClaims: JSONObject = [:]
    ) throws(IdentityError) -> String {
        guard !subject.isEmpty else { throw IdentityError("the subject (`sub`) must not be empty") }
        let issuedAt = now.unixSeconds
        var claims: JSONObject = [
            "iss": .string(issuer), "sub": .string(subject), "aud": .string(audience), "iat": .int(issuedAt),
            "exp": .int(issuedAt + ttl.seconds),
        ]
        if let email { claims["email"] = .string(email) }
        if let groups { claims["groups"] = .array(groups.map(JSON.string)) }
        for (name, value) in extraClaims {
            guard claims[name] == nil else {
                throw IdentityError("extra claim `\(name)` repeats a claim the minter sets")
            }
            claims[name] = value
        }
        let header: JSONObject = ["alg": "ES256", "typ": "JWT", "kid": .string(key.keyID)]
        return try key.sign(header: header, payload: claims)
    }
}
