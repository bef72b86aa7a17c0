import CavraIdentity
import CavraJSON
import Foundation
import Testing

@Suite struct OIDCConfigurationTests {
    static let jwks: JSON = ["keys": [TestKey.ec().jwk]]

    func configuration(_ edit: (inout JSONObject) -> Void) throws -> OIDCConfiguration {
        var object: JSONObject = ["issuer": .string(testIssuer), "audience": "cavra", "jwks": Self.jwks]
        edit(&object)
        return try OIDCConfiguration(json: .object(object), baseDirectory: ".")
    }

    @Test func unsetFieldsTakeTheirDefaults() throws {
        let configuration = try configuration { _ in }
        #expect(configuration.issuer == testIssuer)
        #expect(configuration.audience == "cavra")
        #expect(configuration.keys.count == 1)
        #expect(configuration.leewaySeconds == 60)
        #expect(configuration.algorithms == [.rs256, .es256])
        #expect(configuration.actorClaim == "email")
        #expect(configuration.groupsClaim == "groups")
    }

    @Test func everyFieldIsRead() throws {
        let configuration = try configuration {
            $0["leeway_seconds"] = 0
            $0["algorithms"] = ["ES256", "RS512", "ES256"]
            $0["actor_claim"] = "sub"
            $0["groups_claim"] = "cavra_groups"
        }
        #expect(configuration.leewaySeconds == 0)
        #expect(configuration.algorithms == [.es256, .rs512])
        #expect(configuration.actorClaim == "sub")
        #expect(configuration.groupsClaim == "cavra_groups")
    }

    @Test func aRelativeJWKSPathIsReadFromTheConfigurationsDirectory() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let configDirectory = directory.appendingPathComponent("etc")
        try FileManager.default.createDirectory(
            at: configDirectory.appendingPathComponent("keys"), withIntermediateDirectories: true)
        try Self.jwks.serialized().write(
            to: configDirectory.appendingPathComponent("keys/jwks.json"), atomically: true, encoding: .utf8)
        let config: JSON = ["issuer": .string(testIssuer), "audience": "cavra", "jwks_path": "keys/jwks.json"]
        let path = configDirectory.appendingPathComponent("oidc.json").path
        try config.serialized().write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try OIDCConfiguration.load(path: path).keys.count == 1)
        #expect(try OIDCConfiguration.fromEnvironment(["CAVRA_APPROVAL_OIDC_CONFIG": path])?.issuer == testIssuer)
    }

    @Test func anAbsoluteJWKSPathIsReadAsIs() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let jwksPath = directory.appendingPathComponent("jwks.json").path
        try Self.jwks.serialized().write(toFile: jwksPath, atomically: true, encoding: .utf8)
        let configuration = try configuration {
            $0["jwks"] = nil
            $0["jwks_path"] = .string(jwksPath)
        }
        #expect(configuration.keys.count == 1)
    }

    @Test func noVariableMeansNoConfiguration() throws {
        #expect(try OIDCConfiguration.fromEnvironment([:]) == nil)
        #expect(try OIDCConfiguration.fromEnvironment(["CAVRA_APPROVAL_OIDC_CONFIG": ""]) == nil)
    }

    static let fieldErrors: [(String, @Sendable (inout JSONObject) -> Void)] = [
        ("`issuer` is missing", { $0["issuer"] = nil }),
        ("`issuer` must be a non-empty string, found `\"\"`", { $0["issuer"] = "" }),
        ("`audience` is missing", { $0["audience"] = nil }),
        ("`audience` must be a non-empty string, found an array", { $0["audience"] = ["cavra"] }),
        ("the keys are missing: give one of `jwks`, `jwks_path` or `jwks_uri`", { $0["jwks"] = nil }),
        ("`jwks` and `jwks_path` are set together; give exactly one", { $0["jwks_path"] = "jwks.json" }),
        (
            "`jwks_uri` must use https:// for host id.example.com; http:// is allowed only for 127.0.0.1, localhost "
                + "or ::1, because keys fetched in the clear could be replaced on the way, found "
                + "`\"http://id.example.com/jwks\"`",
            {
                $0["jwks"] = nil
                $0["jwks_uri"] = "http://id.example.com/jwks"
            }
        ),
        ("`jwks`: a key set must be an object {\"keys\": [...]}", { $0["jwks"] = [] }),
        ("`jwks`: `keys` is empty: the key set holds no key", { $0["jwks"] = ["keys": []] }),
        (
            "`jwks_path` must be a non-empty string, found `7`",
            {
                $0["jwks"] = nil
                $0["jwks_path"] = 7
            }
        ),
        (
            "`leeway_seconds` must be a whole number of seconds from 0 to 300, found `-1`",
            { $0["leeway_seconds"] = -1 }
        ),
        (
            "`leeway_seconds` must be a whole number of seconds from 0 to 300, found `301`",
            { $0["leeway_seconds"] = 301 }
        ),
        (
            "`leeway_seconds` must be a whole number of seconds from 0 to 300, found `1.5`",
            { $0["leeway_seconds"] = .double(1.5) }
        ),
        (
            "`leeway_seconds` must be a whole number of seconds from 0 to 300, found `\"60\"`",
            { $0["leeway_seconds"] = "60" }
        ),
        (
            "`algorithms` must be a non-empty list of algorithm names (RS256, RS384, RS512, ES256)",
            { $0["algorithms"] = [] }
        ),
        (
            "`algorithms` must be a non-empty list of algorithm names (RS256, RS384, RS512, ES256)",
            { $0["algorithms"] = "RS256" }
        ),
        ("`algorithms` must list names, found `256`", { $0["algorithms"] = [256] }),
        (
            "`algorithms` lists HS256: shared-secret (HMAC) algorithms are never accepted",
            { $0["algorithms"] = ["RS256", "HS256"] }
        ),
        ("`algorithms` lists none: unsigned tokens are never accepted", { $0["algorithms"] = ["none"] }),
        (
            "`algorithms` lists PS256, which is not supported (supported: RS256, RS384, RS512, ES256)",
            { $0["algorithms"] = ["PS256"] }
        ),
        ("`actor_claim` must be a non-empty string, found `\"\"`", { $0["actor_claim"] = "" }),
        ("`groups_claim` must be a non-empty string, found `null`", { $0["groups_claim"] = JSON.null }),
        (
            "unknown field `leeway` (the fields are `issuer`, `audience`, `jwks`, `jwks_path`, `jwks_uri`, "
                + "`leeway_seconds`, `algorithms`, `actor_claim`, `groups_claim`)",
            { $0["leeway"] = 30 }
        ),
    ]

    @Test(arguments: fieldErrors)
    func everyConfigurationErrorNamesItsField(
        _ message: String, _ edit: @Sendable (inout JSONObject) -> Void
    ) {
        #expect(throws: IdentityError("OIDC configuration: \(message)")) { try configuration(edit) }
    }

    static let keyErrors: [(String, JSON)] = [
        ("the key set has no `keys`", ["jwk": []]),
        ("`keys` must be a list of keys", ["keys": ["kty": "EC"]]),
        ("key 1 must be an object", ["keys": ["EC"]]),
        ("key 1: `kty` is missing", ["keys": [["kid": "a"]]]),
        ("key 1: `kid` must be a string, found a number", ["keys": [["kty": "EC", "kid": 1]]]),
        ("key 1: `crv` is missing", ["keys": [["kty": "EC"]]]),
        ("key 1: `x` is not base64url", ["keys": [["kty": "EC", "crv": "P-256", "x": "a+b", "y": "AA"]]]),
        (
            "key 1: `x` and `y` of a P-256 key must be 32 bytes each",
            ["keys": [["kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"]]]
        ),
        (
            "key 1: `x` and `y` are not a point of P-256",
            [
                "keys": [
                    [
                        "kty": "EC", "crv": "P-256", "x": .string(base64URL([UInt8](repeating: 1, count: 32))),
                        "y": .string(base64URL([UInt8](repeating: 1, count: 32))),
                    ]
                ]
            ]
        ),
        (
            "key 1: the RSA key has 1024 bits; at least 2048 are required",
            ["keys": [["kty": "RSA", "n": .string(base64URL([UInt8](repeating: 0xC1, count: 128))), "e": "AQAB"]]]
        ),
        ("key 1: `e` is missing", ["keys": [["kty": "RSA", "n": "AQAB"]]]),
        (
            "key 1 holds private key material (`d`): give only the public key",
            ["keys": [["kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"]]]
        ),
        (
            "key 2: another key has the same kid \"a\"",
            ["keys": [["kty": "OKP", "kid": "a"], ["kty": "OKP", "kid": "a"]]]
        ),
        (
            "key 1 is a shared secret (`kty` \"oct\"): shared-secret keys are never accepted, give only public keys",
            ["keys": [["kty": "oct", "k": "c2VjcmV0"]]]
        ),
    ]

    @Test(arguments: keyErrors)
    func keySetErrorsNameTheKey(_ message: String, _ jwks: JSON) {
        #expect(throws: IdentityError(message)) { try JWKSet(json: jwks) }
    }

    @Test func fileErrorsNameTheFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(throws: IdentityError.self) { try OIDCConfiguration.load(path: missing) }
        do {
            _ = try OIDCConfiguration.load(path: missing)
        } catch {
            #expect(error.description.hasPrefix("cannot read OIDC configuration `\(missing)`: "))
        }

        let broken = directory.appendingPathComponent("broken.json").path
        try "{\"issuer\": ".write(toFile: broken, atomically: true, encoding: .utf8)
        #expect(
            throws: IdentityError(
                "OIDC configuration `\(broken)` is not valid JSON: line 1, column 12: unexpected token near end of file"
            )
        ) {
            try OIDCConfiguration.load(path: broken)
        }

        let config = directory.appendingPathComponent("oidc.json").path
        try #"{"issuer":"i","audience":"a","jwks_path":"nowhere.json"}"#.write(
            toFile: config, atomically: true, encoding: .utf8)
        do {
            _ = try OIDCConfiguration.load(path: config)
            Issue.record("a missing jwks_path file was accepted")
        } catch {
            let jwksPath = directory.appendingPathComponent("nowhere.json").path
            #expect(
                error.description.hasPrefix("OIDC configuration `\(config)`: `jwks_path`: cannot read `\(jwksPath)`"))
        }

        try #"{"keys": []}"#.write(
            toFile: directory.appendingPathComponent("nowhere.json").path, atomically: true, encoding: .utf8)
        let jwksPath = directory.appendingPathComponent("nowhere.json").path
        #expect(
            throws: IdentityError(
                "OIDC configuration `\(config)`: `jwks_path`: `\(jwksPath)`: `keys` is empty: the key set holds no key")
        ) {
            try OIDCConfiguration.load(path: config)
        }
    }

    @Test func aConfigurationMustBeAnObject() {
        #expect(throws: IdentityError("OIDC configuration: the configuration must be a JSON object, found an array")) {
            try OIDCConfiguration(json: [], baseDirectory: ".")
        }
    }
}
