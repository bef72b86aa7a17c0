import CavraDrills
import CavraIdentity
import CavraJSON
import Crypto
import Foundation
import Testing

@Suite struct AcceptedTokenTests {
    @Test func acceptsAnES256Token() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["groups"] = ["release-managers", "sre"]
        let actor = try await verifier([key]).verify(try await token(claims, key: key), now: now)
        #expect(actor.id == "ana@example.com")
        #expect(actor.verified)
        #expect(actor.issuer == testIssuer)
        #expect(actor.subject == "u-1")
        #expect(actor.groups == ["release-managers", "sre"])
        #expect(actor.claims == claims)
    }

    @Test(arguments: ["RS256", "RS384", "RS512"])
    func acceptsRSATokens(_ algorithm: String) async throws {
        let key = TestKey.rsa()
        let verifier = try verifier([key], algorithms: [.rs256, .rs384, .rs512])
        let actor = try await verifier.verify(try await token(key: key, algorithm: algorithm), now: now)
        #expect(actor.id == "ana@example.com")
        #expect(actor.verified)
    }

    @Test func withoutKidTheOnlyKeyOfTheAlgorithmsTypeIsChosen() async throws {
        let ec = TestKey.ec(kid: nil)
        let rsa = TestKey.rsa(kid: nil)
        let verifier = try verifier([rsa, ec])
        #expect(try await verifier.verify(try await token(key: ec), now: now).subject == "u-1")
        #expect(try await verifier.verify(try await token(key: rsa), now: now).subject == "u-1")
    }

    @Test func aStringAudienceIsAcceptedWhenItIsTheAudience() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["aud"] = "cavra"
        #expect(try await verifier([key]).verify(try await token(claims, key: key), now: now).verified)
    }

    @Test func anAudienceListIsAcceptedWhenItContainsTheAudience() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["aud"] = ["console", "cavra"]
        #expect(try await verifier([key]).verify(try await token(claims, key: key), now: now).verified)
    }

    @Test func expiryWithinTheLeewayIsAccepted() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["exp"] = .int(nowSeconds - 59)
        #expect(try await verifier([key]).verify(try await token(claims, key: key), now: now).verified)
    }

    @Test func aFractionalExpiryCountsItsFraction() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["exp"] = .double(Double(nowSeconds - 60) + 0.5)
        #expect(try await verifier([key]).verify(try await token(claims, key: key), now: now).verified)
        claims["exp"] = .double(Double(nowSeconds - 61) + 0.5)
        await expectRefusal(
            try await token(claims, key: key), by: try verifier([key]),
            "token expired at 2026-11-30T11:58:59.500Z (leeway 60 s)")
    }

    @Test func notBeforeWithinTheLeewayIsAccepted() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["nbf"] = .int(nowSeconds + 59)
        #expect(try await verifier([key]).verify(try await token(claims, key: key), now: now).verified)
    }

    @Test func aTokenOfExactly16KiBIsAccepted() async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        claims["padding"] = ""
        let base = try await token(claims, key: key)
        // Every 3 bytes of claims add 4 characters of base64url.
        claims["padding"] = .string(String(repeating: "x", count: (16 * 1024 - base.utf8.count) / 4 * 3))
        let large = try await token(claims, key: key)
        #expect(large.utf8.count <= 16 * 1024)
        #expect(large.utf8.count > 16 * 1024 - 4)
        #expect(try await verifier([key]).verify(large, now: now).verified)
    }
}

@Suite struct AlgorithmAndKeyRefusalTests {
    @Test func anUnsignedTokenIsRefused() async throws {
        let key = TestKey.ec()
        let unsigned = try await rawToken(
            header: #"{"alg":"none","typ":"JWT"}"#, payload: JSON.object(validClaims()).serialized(), key: nil)
        await expectRefusal(
            unsigned, by: try verifier([key]),
            "token algorithm none is not accepted: unsigned tokens are never accepted (accepted: RS256, ES256)")
    }

    @Test func anHMACTokenIsRefusedEvenWhenKeyedWithThePublicKey() async throws {
        // The classic confusion: HS256 keyed with the verifier's own public key.
        let key = TestKey.rsa()
        let input =
            base64URL(#"{"alg":"HS256","kid":"rsa-1"}"#) + "." + base64URL(JSON.object(validClaims()).serialized())
        let secret = SymmetricKey(data: Array(key.jwk.serialized().utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: secret)
        await expectRefusal(
            input + "." + base64URL(Array(mac)), by: try verifier([key]),
            "token algorithm HS256 is not accepted: shared-secret (HMAC) algorithms are never accepted "
                + "(accepted: RS256, ES256)")
    }

    @Test func anAlgorithmOutsideTheConfiguredListIsRefused() async throws {
        let key = TestKey.ec()
        await expectRefusal(
            try await token(key: key), by: try verifier([key], algorithms: [.rs256]),
            "token algorithm ES256 is not accepted (accepted: RS256)")
        await expectRefusal(
            try await token(key: key, algorithm: "PS256"), by: try verifier([key]),
            "token algorithm PS256 is not accepted (accepted: RS256, ES256)")
    }

    @Test func anRS256TokenIsRefusedByAnECOnlyKeySet() async throws {
        let rsa = TestKey.rsa(kid: nil)
        await expectRefusal(
            try await token(key: rsa), by: try verifier([TestKey.ec()]),
            "token has no key id (`kid`) and the key set holds no RSA key for RS256")
        await expectRefusal(
            try await token(key: rsa.named("ec-1")), by: try verifier([TestKey.ec()]),
            "token algorithm RS256 needs an RSA key, but key \"ec-1\" is an EC P-256 key")
    }

    @Test func anES256TokenNamingAnRSAKeyIsRefused() async throws {
        let ec = TestKey.ec(kid: "rsa-1")
        await expectRefusal(
            try await token(key: ec), by: try verifier([TestKey.rsa()]),
            "token algorithm ES256 needs an EC P-256 key, but key \"rsa-1\" is an RSA key")
    }

    @Test func aTamperedSignatureIsRefused() async throws {
        let key = TestKey.ec()
        let signed = try await token(key: key)
        var signature = Array(signed.utf8.split(separator: UInt8(ascii: ".")).last!)
        signature[10] = signature[10] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let tampered =
            signed.split(separator: ".").dropLast().joined(separator: ".") + "."
            + String(decoding: signature, as: UTF8.self)
        await expectRefusal(tampered, by: try verifier([key]), "token signature does not verify with key \"ec-1\"")
    }

    @Test func aTamperedPayloadIsRefused() async throws {
        let key = TestKey.rsa()
        let signed = try await token(key: key)
        var claims = validClaims()
        claims["sub"] = "someone-else"
        var parts = signed.split(separator: ".").map(String.init)
        parts[1] = base64URL(JSON.object(claims).serialized())
        await expectRefusal(
            parts.joined(separator: "."), by: try verifier([key]), "token signature does not verify with key \"rsa-1\"")
    }

    @Test func aTokenSignedByAForeignKeyWithTheSameKidIsRefused() async throws {
        let trusted = TestKey.ec()
        let foreign = TestKey.ec()
        await expectRefusal(
            try await token(key: foreign), by: try verifier([trusted]),
            "token signature does not verify with key \"ec-1\"")
        let foreignRSA = TestKey.rsa(kid: "rsa-1", 1)
        await expectRefusal(
            try await token(key: foreignRSA), by: try verifier([TestKey.rsa()]),
            "token signature does not verify with key \"rsa-1\"")
    }

    @Test func anUnknownKidIsRefused() async throws {
        let key = TestKey.ec()
        await expectRefusal(
            try await token(key: key.named("k9")), by: try verifier([key]), "token signed with unknown key id \"k9\"")
    }

    @Test func severalKeysOfTheTypeWithoutKidAreRefused() async throws {
        let first = TestKey.ec(kid: "ec-1")
        let second = TestKey.ec(kid: "ec-2")
        await expectRefusal(
            try await token(key: first.named(nil)), by: try verifier([first, second]),
            "token has no key id (`kid`) and the key set holds 2 EC P-256 keys; the token must name its key with `kid`")
    }

    @Test func aKeyPinnedToAnotherAlgorithmIsRefused() async throws {
        var key = TestKey.rsa()
        key.pinnedAlgorithm = "RS384"
        await expectRefusal(
            try await token(key: key), by: try verifier([key], algorithms: [.rs256, .rs384]),
            "token algorithm RS256 does not match key \"rsa-1\", which is for RS384 only")
    }

    @Test func aKeyThatCannotVerifyIsRefusedWithItsReason() async throws {
        let key = TestKey.ec()
        var encryption = TestKey.ec(kid: "enc").jwk.objectValue!
        encryption["use"] = "enc"
        let jwks: [JSON] = [
            key.jwk, .object(encryption), ["kty": "EC", "crv": "P-384", "x": "AA", "y": "AA", "kid": "p384"],
            ["kty": "OKP", "crv": "Ed25519", "x": "AA", "kid": "ed"],
        ]
        let set = try JWKSet(json: ["keys": .array(jwks)])
        #expect(set.count == 4)
        let verifier = TokenVerifier(
            configuration: OIDCConfiguration(issuer: testIssuer, audience: testAudience, keys: set))
        await expectRefusal(
            try await token(key: key.named("enc")), by: verifier,
            "token names key \"enc\", which cannot verify tokens: its `use` is \"enc\", not \"sig\"")
        await expectRefusal(
            try await token(key: key.named("p384")), by: verifier,
            "token names key \"p384\", which cannot verify tokens: its curve \"P-384\" is not supported")
        await expectRefusal(
            try await token(key: key.named("ed")), by: verifier,
            "token names key \"ed\", which cannot verify tokens: its key type \"OKP\" is not supported")
        #expect(try await verifier.verify(try await token(key: key), now: now).verified)
    }

    @Test func aDEREncodedES256SignatureIsRefused() async throws {
        guard case .ec(let privateKey) = TestKey.ec().secret else { return }
        let key = TestKey(secret: .ec(privateKey), kid: "ec-1")
        let input =
            base64URL(#"{"alg":"ES256","kid":"ec-1"}"#) + "." + base64URL(JSON.object(validClaims()).serialized())
        let der = try privateKey.signature(for: Array(input.utf8)).derRepresentation
        await expectRefusal(
            input + "." + base64URL(der), by: try verifier([key]),
            "token signature is malformed: ES256 signatures are 64 bytes, this one is \(der.count)")
    }

    @Test func criticalHeaderExtensionsAreRefused() async throws {
        let key = TestKey.ec()
        await expectRefusal(
            try await token(key: key, header: ["alg": "ES256", "kid": "ec-1", "crit": ["exp"]]),
            by: try verifier([key]),
            "token header lists critical extensions (`crit`), which are not supported")
    }

    @Test func headerFieldsOfTheWrongTypeAreRefused() async throws {
        let key = TestKey.ec()
        await expectRefusal(
            try await token(key: key, header: ["alg": "ES256", "kid": 7]), by: try verifier([key]),
            "token header `kid` must be a string, found a number")
        await expectRefusal(
            try await token(key: key, header: ["typ": "JWT"]), by: try verifier([key]), "token header has no `alg`")
    }
}

@Suite struct ClaimRefusalTests {
    func refusal(_ edit: (inout JSONObject) -> Void, _ message: String, leeway: Int64 = 60) async throws {
        let key = TestKey.ec()
        var claims = validClaims()
        edit(&claims)
        await expectRefusal(try await token(claims, key: key), by: try verifier([key], leeway: leeway), message)
    }

    @Test func aMissingSubjectIsRefused() async throws {
        try await refusal({ $0["sub"] = nil }, "token has no `sub` claim")
        try await refusal({ $0["sub"] = "" }, "token claim `sub` must be a non-empty string, found a string")
    }

    @Test func aMissingExpiryIsRefused() async throws {
        try await refusal({ $0["exp"] = nil }, "token has no `exp` claim")
        try await refusal(
            { $0["exp"] = "tomorrow" }, "token claim `exp` must be a NumericDate (seconds since 1970), found a string")
    }

    @Test func anotherIssuerIsRefused() async throws {
        try await refusal(
            { $0["iss"] = "https://evil.example.com" },
            "token issuer \"https://evil.example.com\" is not the configured issuer \"https://id.example.com\"")
        try await refusal(
            { $0["iss"] = nil }, "token has no `iss` claim; the configured issuer is \"https://id.example.com\"")
        try await refusal(
            { $0["iss"] = "https://id.example.com/" },
            "token issuer \"https://id.example.com/\" is not the configured issuer \"https://id.example.com\"")
    }

    @Test func anAudienceWithoutOursIsRefused() async throws {
        try await refusal({ $0["aud"] = "x" }, "token audience [\"x\"] does not include \"cavra\"")
        try await refusal(
            { $0["aud"] = ["x", "cavra-staging"] },
            "token audience [\"x\",\"cavra-staging\"] does not include \"cavra\"")
        try await refusal({ $0["aud"] = [] }, "token audience [] does not include \"cavra\"")
        try await refusal({ $0["aud"] = nil }, "token has no `aud` claim; it must include \"cavra\"")
        try await refusal(
            { $0["aud"] = ["cavra", 1] }, "token claim `aud` must be a string or a list of strings, found an array")
    }

    @Test func expiryBeyondTheLeewayIsRefused() async throws {
        try await refusal(
            { $0["exp"] = .int(nowSeconds - 61) }, "token expired at 2026-11-30T11:58:59Z (leeway 60 s)")
        // "After now − leeway": the instant itself is refused.
        try await refusal({ $0["exp"] = .int(nowSeconds - 60) }, "token expired at 2026-11-30T11:59:00Z (leeway 60 s)")
        try await refusal(
            { $0["exp"] = .int(nowSeconds) }, "token expired at 2026-11-30T12:00:00Z (leeway 0 s)", leeway: 0)
    }

    @Test func notBeforeBeyondTheLeewayIsRefused() async throws {
        try await refusal(
            { $0["nbf"] = .int(nowSeconds + 61) }, "token is not valid before 2026-11-30T12:01:01Z (leeway 60 s)")
        try await refusal(
            { $0["nbf"] = .double(1e300) }, "token is not valid before 1e+300 (seconds since 1970) (leeway 60 s)")
        try await refusal(
            { $0["nbf"] = true }, "token claim `nbf` must be a NumericDate (seconds since 1970), found a boolean")
    }

    @Test func groupsThatAreNotAListOfStringsAreRefused() async throws {
        try await refusal({ $0["groups"] = "admins" }, "claim `groups` must be a list of strings, found a string")
        try await refusal(
            { $0["groups"] = ["admins", 7] }, "claim `groups` must be a list of strings, found one holding a number")
        try await refusal(
            { $0["roles"] = ["a", ["b"]] }, "claim `roles` must be a list of strings, found one holding an array")
    }
}

@Suite struct MalformedTokenTests {
    let claims = JSON.object(validClaims()).serialized()

    @Test(arguments: [
        ("", "token is empty"),
        ("abc", "token is not a compact JWS: it has 1 part separated by `.`, not 3"),
        ("abc.def", "token is not a compact JWS: it has 2 parts separated by `.`, not 3"),
        ("a.b.c.d", "token is not a compact JWS: it has 4 parts separated by `.`, not 3"),
        ("a.b.c.d.e", "token is encrypted (a JWE of 5 parts); only signed tokens (JWS) are accepted"),
        ("..", "token header is empty"),
        ("ey!J.e30.", "token header is not base64url"),
        ("eyJhbGciOiJFUzI1NiJ9=.e30.", "token header is not base64url"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.A", "token signature is not base64url"),
        ("eyJhbGciOiJFUzI1NiJ9.e30.AAA+", "token signature is not base64url"),
        ("eyJhbGciOiJFUzI1NiJ9..AAAA", "token payload is empty"),
        (
            "eyJhbGciOiJFUzI1NiJ9.ezF9.AAAA",
            "token payload is not valid JSON: line 1, column 2: string or '}' expected near `1`"
        ),
    ])
    func brokenStructureIsRefused(_ token: String, _ message: String) async throws {
        await expectRefusal(token, by: try verifier([TestKey.ec()]), message)
    }

    @Test func aHeaderThatIsNotAJSONObjectIsRefused() async throws {
        let key = TestKey.ec()
        await expectRefusal(
            try await rawToken(header: "not json", payload: claims, key: key), by: try verifier([key]),
            "token header is not valid JSON: line 1, column 1: invalid token near `not`")
        await expectRefusal(
            try await rawToken(header: #"["ES256"]"#, payload: claims, key: key), by: try verifier([key]),
            "token header must be a JSON object, found an array")
    }

    @Test func aPayloadThatIsNotAJSONObjectIsRefused() async throws {
        let key = TestKey.ec()
        let header = #"{"alg":"ES256","kid":"ec-1"}"#
        await expectRefusal(
            try await rawToken(header: header, payload: #""u-1""#, key: key), by: try verifier([key]),
            "token payload must be a JSON object, found a string")
        await expectRefusal(
            try await rawToken(header: header, payload: #"{"sub":"a","sub":"b"}"#, key: key), by: try verifier([key]),
            "token payload is not valid JSON: line 1, column 12: duplicate object key near `\"sub\"`")
        await expectRefusal(
            try await rawToken(header: header, payload: #"{"sub":"a""#, key: key), by: try verifier([key]),
            "token payload is not valid JSON: line 1, column 8: '}' expected near end of file")
    }

    @Test func aPayloadWithAnIntegerBeyond64BitsIsRefused() async throws {
        let key = TestKey.ec()
        let payload = String(claims.dropLast()) + #","employee":18446744073709551616}"#
        await expectRefusal(
            try await rawToken(header: #"{"alg":"ES256","kid":"ec-1"}"#, payload: payload, key: key),
            by: try verifier([key]), "token payload holds an integer beyond 64 bits, which is refused")
        let negative = String(claims.dropLast()) + #","employee":-9223372036854775809}"#
        await expectRefusal(
            try await rawToken(header: #"{"alg":"ES256","kid":"ec-1"}"#, payload: negative, key: key),
            by: try verifier([key]), "token payload holds an integer beyond 64 bits, which is refused")
    }

    @Test func aTokenOver16KiBIsRefusedBeforeItIsRead() async throws {
        let oversized = String(repeating: "a", count: 16 * 1024 + 1)
        await expectRefusal(
            oversized, by: try verifier([TestKey.ec()]), "token is 16385 bytes; tokens are at most 16384 bytes")
    }
}

/// A token is verified once; what may change between two uses (the clock) is checked at every use.
@Suite struct VerifiedTokenTests {
    @Test func aTokenIsVerifiedOnceAndKeptByItsText() async throws {
        let key = TestKey.ec()
        let verifier = try verifier([key])
        let first = try await token(key: key)
        let again = try await verifier.verify(first, now: now)
        #expect(verifier.verifiedTokenCount == 1)
        #expect(try await verifier.verify(first, now: now) == again)
        #expect(verifier.verifiedTokenCount == 1)
        // ES256 signatures are randomised: the same claims signed again are another token.
        _ = try await verifier.verify(try await token(key: key), now: now)
        #expect(verifier.verifiedTokenCount == 2)
    }

    @Test func aKeptTokenIsRefusedOnceItExpires() async throws {
        let key = TestKey.ec()
        let verifier = try verifier([key])
        var claims = validClaims()
        claims["exp"] = .int(nowSeconds + 10)
        let kept = try await token(claims, key: key)
        #expect(try await verifier.verify(kept, now: now).verified)
        let later = Timestamp(milliseconds: now.milliseconds + 71_000)
        await #expect(throws: IdentityError("token expired at 2026-11-30T12:00:10Z (leeway 60 s)")) {
            try await verifier.verify(kept, now: later)
        }
        #expect(try await verifier.verify(kept, now: now).verified)
    }

    @Test func aRefusedTokenIsNotKept() async throws {
        let key = TestKey.ec()
        let other = TestKey.ec()
        let verifier = try verifier([key])
        let forged = try await token(key: other)
        for _ in 0..<2 {
            await expectRefusal(forged, by: verifier, "token signature does not verify with key \"ec-1\"")
        }
        #expect(verifier.verifiedTokenCount == 0)
    }
}
