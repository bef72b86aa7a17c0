// Shared fixtures of the identity tests: real keys, real signatures, and tokens built from raw header and payload
// text so a test can say exactly what a token holds.

import CavraDrills
import CavraIdentity
import CavraJSON
import Crypto
import CryptoExtras
import Foundation
import JWTKit
import Testing

/// The pinned clock of every test: 2026-11-30T12:00:00.000Z.
let now = Timestamp(milliseconds: 1_796_040_000_000)
let nowSeconds = now.unixSeconds
let testIssuer = "https://id.example.com"
let testAudience = "cavra"

/// A signing key of a test identity provider and the JWK a verifier is configured with.
struct TestKey: Sendable {
    enum Secret: Sendable {
        case ec(P256.Signing.PrivateKey)
        case rsa(JWTKit.Insecure.RSA.PrivateKey)
    }

    var secret: Secret
    var kid: String?
    /// The JWK's `alg`, when it pins one.
    var pinnedAlgorithm: String? = nil

    static func ec(kid: String? = "ec-1") -> TestKey {
        TestKey(secret: .ec(P256.Signing.PrivateKey()), kid: kid)
    }

    static func rsa(kid: String? = "rsa-1", _ index: Int = 0) -> TestKey {
        TestKey(secret: .rsa(rsaKeys[index]), kid: kid)
    }

    /// The same private key under another kid (or none).
    func named(_ kid: String?) -> TestKey {
        var copy = self
        copy.kid = kid
        return copy
    }

    /// The algorithm a token signed by this key uses unless a test says otherwise.
    var defaultAlgorithm: String {
        switch secret {
        case .ec: "ES256"
        case .rsa: "RS256"
        }
    }

    var jwk: JSON {
        var jwk: JSONObject
        switch secret {
        case .ec(let key):
            let raw = Array(key.publicKey.rawRepresentation)
            jwk = [
                "kty": "EC", "crv": "P-256", "x": .string(base64URL(raw[0..<32])), "y": .string(base64URL(raw[32...])),
            ]
        case .rsa(let key):
            let (modulus, exponent) = try! key.publicKey.getKeyPrimitives()
            jwk = ["kty": "RSA", "n": .string(base64URL(modulus)), "e": .string(base64URL(exponent))]
        }
        if let kid { jwk["kid"] = .string(kid) }
        if let pinnedAlgorithm { jwk["alg"] = .string(pinnedAlgorithm) }
        return .object(jwk)
    }

    func sign(_ input: [UInt8], algorithm: String) async throws -> [UInt8] {
        switch secret {
        case .ec(let key):
            return Array(try key.signature(for: input).rawRepresentation)
        case .rsa(let key):
            let digest: DigestAlgorithm =
                switch algorithm {
                case "RS384": .sha384
                case "RS512": .sha512
                default: .sha256
                }
            let collection = JWTKeyCollection()
            await collection.add(rsa: key, digestAlgorithm: digest)
            return try await collection.getKey().sign(input)
        }
    }
}

/// RSA keys are slow to generate, so the tests share two.
let rsaKeys: [JWTKit.Insecure.RSA.PrivateKey] = (0..<2).map { _ in
    try! JWTKit.Insecure.RSA.PrivateKey(backing: _RSA.Signing.PrivateKey(keySize: .bits2048))
}

func base64URL(_ bytes: some Sequence<UInt8>) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
}

func base64URL(_ text: String) -> String { base64URL(Array(text.utf8)) }

/// The claims of a token that passes every check at `now`.
func validClaims() -> JSONObject {
    [
        "iss": .string(testIssuer), "sub": "u-1", "aud": .string(testAudience), "iat": .int(nowSeconds),
        "exp": .int(nowSeconds + 3600), "email": "ana@example.com",
    ]
}

/// A token of raw header and payload text, signed by `key` (with `algorithm`, else the key's own), or with the
/// given signature bytes when `key` is nil.
func rawToken(
    header: String, payload: String, key: TestKey?, algorithm: String? = nil, signature: [UInt8] = []
) async throws -> String {
    let input = base64URL(header) + "." + base64URL(payload)
    guard let key else { return input + "." + base64URL(signature) }
    let bytes = try await key.sign(Array(input.utf8), algorithm: algorithm ?? key.defaultAlgorithm)
    return input + "." + base64URL(bytes)
}

/// A token of `claims` signed by `key`, whose header carries `alg` and the key's `kid` unless `header` is given.
func token(
    _ claims: JSONObject = validClaims(), key: TestKey, algorithm: String? = nil, header: JSONObject? = nil
) async throws -> String {
    let alg = algorithm ?? key.defaultAlgorithm
    var defaultHeader: JSONObject = ["alg": .string(alg), "typ": "JWT"]
    if let kid = key.kid { defaultHeader["kid"] = .string(kid) }
    return try await rawToken(
        header: JSON.object(header ?? defaultHeader).serialized(), payload: JSON.object(claims).serialized(), key: key,
        algorithm: alg)
}

/// A verifier trusting `keys`, otherwise configured with the defaults.
func verifier(
    _ keys: [TestKey], algorithms: [SigningAlgorithm] = SigningAlgorithm.defaults, leeway: Int64 = 60,
    actorClaim: String = "email", groupsClaim: String = "groups"
) throws -> TokenVerifier {
    let set = try JWKSet(json: ["keys": .array(keys.map(\.jwk))])
    return TokenVerifier(
        configuration: OIDCConfiguration(
            issuer: testIssuer, audience: testAudience, keys: set, leewaySeconds: leeway, algorithms: algorithms,
            actorClaim: actorClaim, groupsClaim: groupsClaim))
}

/// Expects `verifier` to refuse `token` with exactly `message`.
func expectRefusal(
    _ token: String, by verifier: TokenVerifier, _ message: String, sourceLocation: SourceLocation = #_sourceLocation
) async {
    await #expect(throws: IdentityError(message), sourceLocation: sourceLocation) {
        try await verifier.verify(token, now: now)
    }
}

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-identity-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
