import CavraDrills
import CavraIdentity
import CavraJSON
import Crypto
import Foundation
import Testing

@Suite struct DevelopmentIdentityTests {
    @Test func initWritesAKeyItsJWKSAndAConfigurationThatTrustsIt() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let target = directory.appendingPathComponent("dev").path
        let key = DevelopmentSigningKey()
        let written = try DevelopmentIdentity.initialize(directory: target, key: key)
        #expect(written == ["signing-key.pem", "jwks.json", "oidc.json"].map { target + "/" + $0 })

        let pem = try String(contentsOfFile: target + "/signing-key.pem", encoding: .utf8)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let permissions = try FileManager.default.attributesOfItem(atPath: target + "/signing-key.pem")[
            .posixPermissions]
        #expect((permissions as? NSNumber)?.intValue == 0o600)
        #expect(try DevelopmentSigningKey(pem: pem).keyID == key.keyID)

        let jwks = try JSON.parse(String(contentsOfFile: target + "/jwks.json", encoding: .utf8))
        let jwk = jwks["keys"]?.arrayValue?.first
        let raw = key.privateKey.publicKey.rawRepresentation
        #expect(jwk?["kid"] == .string(String(CavraHash.sha256Hex(raw).prefix(16))))
        #expect(jwk?["alg"] == "ES256")
        #expect(jwk?["use"] == "sig")
        #expect(jwk?["kty"] == "EC")
        #expect(jwk?["crv"] == "P-256")
        #expect(jwk?["d"] == nil)

        let configuration = try OIDCConfiguration.load(path: target + "/oidc.json")
        #expect(configuration.issuer == "https://cavra.local/dev")
        #expect(configuration.audience == "cavra")
        #expect(configuration.algorithms == [.es256])
        #expect(configuration.keys.count == 1)
    }

    @Test func initMintVerifyRoundTrip() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try DevelopmentIdentity.initialize(directory: directory.path)
        let key = try DevelopmentSigningKey.load(path: directory.appendingPathComponent("signing-key.pem").path)
        let token = try TokenMinter.mint(
            key: key, issuer: DevelopmentIdentity.issuer, audience: DevelopmentIdentity.audience, subject: "rm-1",
            email: "rm@example.com", groups: ["release-managers"], ttl: TokenLifetime(seconds: 3600), now: now)
        let verifier = TokenVerifier(
            configuration: try OIDCConfiguration.load(path: directory.appendingPathComponent("oidc.json").path))
        let actor = try await verifier.verify(token, now: now)
        #expect(
            actor
                == Actor(
                    id: "rm@example.com", verified: true, issuer: "https://cavra.local/dev", subject: "rm-1",
                    groups: ["release-managers"],
                    claims: [
                        "iss": "https://cavra.local/dev", "sub": "rm-1", "aud": "cavra", "iat": .int(nowSeconds),
                        "exp": .int(nowSeconds + 3600), "email": "rm@example.com", "groups": ["release-managers"],
                    ]))
        let stranger = DevelopmentSigningKey()
        let foreign = try TokenMinter.mint(
            key: stranger, issuer: DevelopmentIdentity.issuer, audience: DevelopmentIdentity.audience, subject: "x",
            ttl: TokenLifetime(seconds: 3600), now: now)
        await expectRefusal(foreign, by: verifier, "token signed with unknown key id \"\(stranger.keyID)\"")
        _ = try await verifier.verify(token, now: now.adding(seconds: 3600 + 59))
        await #expect(throws: IdentityError("token expired at 2026-11-30T13:00:00Z (leeway 60 s)")) {
            try await verifier.verify(token, now: now.adding(seconds: 3600 + 60))
        }
    }

    @Test func initRefusesToOverwriteAnyFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try DevelopmentIdentity.initialize(directory: directory.path)
        let pem = try String(contentsOfFile: directory.appendingPathComponent("signing-key.pem").path, encoding: .utf8)
        #expect(throws: IdentityError.self) { try DevelopmentIdentity.initialize(directory: directory.path) }
        #expect(
            try String(contentsOfFile: directory.appendingPathComponent("signing-key.pem").path, encoding: .utf8) == pem
        )

        let partial = directory.appendingPathComponent("partial")
        try FileManager.default.createDirectory(at: partial, withIntermediateDirectories: true)
        try "{}".write(to: partial.appendingPathComponent("oidc.json"), atomically: true, encoding: .utf8)
        #expect(
            throws: IdentityError(
                "refusing to overwrite `\(partial.path)/oidc.json`: choose another directory or remove them")
        ) {
            try DevelopmentIdentity.initialize(directory: partial.path)
        }
        #expect(!FileManager.default.fileExists(atPath: partial.appendingPathComponent("signing-key.pem").path))
    }

    @Test func initNeedsADirectory() {
        #expect(throws: IdentityError("the directory to write into is empty")) {
            try DevelopmentIdentity.initialize(directory: "")
        }
    }

    @Test func mintedTokensCarryTheKidAndTheClaims() throws {
        let key = DevelopmentSigningKey()
        let token = try TokenMinter.mint(
            key: key, issuer: "i", audience: "a", subject: "s", ttl: TokenLifetime(seconds: 60), now: now,
            extraClaims: ["preferred_username": "sam"])
        let parts = token.split(separator: ".").map(String.init)
        #expect(parts.count == 3)
        let header = try JSON.parse(bytes: try #require(decodeBase64URL(parts[0])))
        let payload = try JSON.parse(bytes: try #require(decodeBase64URL(parts[1])))
        #expect(header == ["alg": "ES256", "typ": "JWT", "kid": .string(key.keyID)])
        #expect(
            payload == [
                "iss": "i", "sub": "s", "aud": "a", "iat": .int(nowSeconds), "exp": .int(nowSeconds + 60),
                "preferred_username": "sam",
            ])
        #expect(decodeBase64URL(parts[2])?.count == 64)
    }

    @Test func extraClaimsMayNotReplaceTheMintersClaims() {
        #expect(throws: IdentityError("extra claim `sub` repeats a claim the minter sets")) {
            try TokenMinter.mint(
                key: DevelopmentSigningKey(), issuer: "i", audience: "a", subject: "s", ttl: TokenLifetime(seconds: 60),
                now: now, extraClaims: ["sub": "root"])
        }
    }

    @Test func aKeyFileThatIsNotAKeyIsRefused() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("key.pem").path
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(
            throws: IdentityError(
                "signing key `\(path)` is not a PEM EC P-256 private key (PKCS#8 `BEGIN PRIVATE KEY` is expected)")
        ) {
            try DevelopmentSigningKey.load(path: path)
        }
    }

    @Test(arguments: [
        ("30m", 1800), ("1h", 3600), ("2d", 172_800), ("3600s", 3600), ("90", 90), ("3650d", 315_360_000),
    ])
    func lifetimesParse(_ text: String, _ seconds: Int64) throws {
        #expect(try TokenLifetime(parsing: text).seconds == seconds)
    }

    @Test(arguments: ["", "0", "0h", "-1", "1w", "h", "1.5h", " 1h", "1h ", "١h"])
    func malformedLifetimesAreRefused(_ text: String) {
        #expect(
            throws: IdentityError(
                "ttl `\(text)` is not a duration: write a positive whole number with s, m, h or d (`30m`, `1h`, `2d`)")
        ) {
            try TokenLifetime(parsing: text)
        }
    }

    @Test(arguments: ["3651d", "99999999999999999999", "9223372036854775807d"])
    func overlongLifetimesAreRefused(_ text: String) {
        #expect(throws: IdentityError("ttl `\(text)` is too long (at most 3650d)")) { try TokenLifetime(parsing: text) }
    }
}

func decodeBase64URL(_ text: String) -> [UInt8]? {
    var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
    return Data(base64Encoded: standard).map(Array.init)
}
