import CavraDrills
import CavraIdentity
import CavraJSON
import Testing

@Suite struct ActorClaimsTests {
    let base: JSONObject = ["iss": "https://id.example.com", "sub": "u-1"]

    func actor(_ extra: JSONObject, actorClaim: String = "email", groupsClaim: String = "groups") throws -> Actor {
        var claims = base
        for (name, value) in extra { claims[name] = value }
        return try Actor(claims: claims, actorClaim: actorClaim, groupsClaim: groupsClaim, verified: true)
    }

    @Test func theIdIsTheActorClaimThenPreferredUsernameThenSub() throws {
        #expect(try actor(["email": "ana@example.com", "preferred_username": "ana"]).id == "ana@example.com")
        #expect(try actor(["preferred_username": "ana"]).id == "ana")
        #expect(try actor([:]).id == "u-1")
        #expect(try actor(["email": "ana@example.com"], actorClaim: "sub").id == "u-1")
        #expect(try actor(["upn": "ana@corp", "email": "ana@example.com"], actorClaim: "upn").id == "ana@corp")
        #expect(try actor(["email": "ana@example.com", "preferred_username": "ana"], actorClaim: "upn").id == "ana")
    }

    @Test func anActorClaimOfTheWrongTypeIsRefused() {
        #expect(throws: IdentityError("claim `email` must be a non-empty string to name the actor, found a number")) {
            try actor(["email": 7])
        }
        #expect(throws: IdentityError("claim `email` must be a non-empty string to name the actor, found a string")) {
            try actor(["email": ""])
        }
    }

    @Test func claimsNamingNoActorAreRefused() {
        #expect(throws: IdentityError("claims name no actor: they need `email`, `preferred_username` or `sub`")) {
            try Actor(claims: ["groups": ["a"]], verified: false)
        }
    }

    @Test func groupsComeFromTheGroupsClaimThenRoles() throws {
        #expect(try actor(["groups": ["sre"], "roles": ["admin"]]).groups == ["sre"])
        #expect(try actor(["roles": ["admin", "auditor"]]).groups == ["admin", "auditor"])
        #expect(try actor([:]).groups == [])
        #expect(try actor(["cavra_groups": ["ops"], "groups": ["sre"]], groupsClaim: "cavra_groups").groups == ["ops"])
        #expect(try actor(["groups": ["sre"]], groupsClaim: "cavra_groups").groups == [])
    }

    @Test func theIssuerAndSubjectAreTheStableIdentity() throws {
        let verified = try actor(["email": "ana@example.com"])
        #expect(verified.issuer == "https://id.example.com")
        #expect(verified.subject == "u-1")
        #expect(verified.verified)
        let unverified = try Actor(claims: base, verified: false)
        #expect(unverified.issuer == "")
        #expect(unverified.subject == "")
        #expect(!unverified.verified)
    }

    @Test func numbersInClaimsAreNormalised() throws {
        let claims = try JSON.parse(
            #"{"sub":"u-1","ratio":1.50,"big":1e2,"huge":9007199254740993,"exp":1796043600,"nested":{"n":[0.1]}}"#)
        let actor = try Actor(claims: claims.objectValue!, verified: true)
        #expect(actor.claims["ratio"] == "1.5")
        #expect(actor.claims["big"] == "100")
        #expect(actor.claims["huge"] == "9007199254740992")
        #expect(actor.claims["exp"] == 1_796_043_600)
        #expect(actor.claims["nested"] == ["n": ["0.1"]])
    }

    @Test func aVerifiedTokensClaimsAreNormalised() async throws {
        let key = TestKey.ec()
        let payload = String(JSON.object(validClaims()).serialized().dropLast()) + #","ratio":1.50}"#
        let signed = try await rawToken(header: #"{"alg":"ES256","kid":"ec-1"}"#, payload: payload, key: key)
        let actor = try await verifier([key]).verify(signed, now: now)
        #expect(actor.claims["ratio"] == "1.5")
    }

    @Test func theVerifierUsesTheConfiguredClaims() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["roles"] = ["admin"]
        claims["preferred_username"] = "ana"
        let actor = try await verifier([key], actorClaim: "sub", groupsClaim: "cavra_groups")
            .verify(try await token(claims, key: key), now: now)
        #expect(actor.id == "u-1")
        #expect(actor.groups == ["admin"])
    }
}
