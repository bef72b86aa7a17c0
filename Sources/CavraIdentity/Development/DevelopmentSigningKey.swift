// The ES256 key of the development identity provider: it signs tokens for labs, tests and the sandbox.

import CavraJSON
import Crypto
import Foundation

public struct DevelopmentSigningKey: Sendable {
    public let privateKey: P256.Signing.PrivateKey

    /// A new random key, or the one given.
    public init(_ privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) {
        self.privateKey = privateKey
    }

    /// A key from its PEM form: PKCS#8 (`BEGIN PRIVATE KEY`), as `cavra identity init` writes it, or SEC 1.
    public init(pem: String) throws(IdentityError) {
        do {
            privateKey = try P256.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw IdentityError("not a PEM EC P-256 private key (PKCS#8 `BEGIN PRIVATE KEY` is expected)")
        }
    }

    /// Reads a PEM key file.
    public static func load(path: String) throws(IdentityError) -> DevelopmentSigningKey {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw IdentityError("cannot read signing key `\(path)`: \(error.localizedDescription)")
        }
        do {
            return try DevelopmentSigningKey(pem: text)
        } catch {
            throw IdentityError("signing key `\(path)` is \(error.description)")
        }
    }

    /// PKCS#8 PEM.
    public var pemRepresentation: String { privateKey.pemRepresentation }

    /// hex16 of the SHA-256 of the raw public key (the 64 bytes `x ‖ y`): the `kid` of the JWK and of every token.
    public var keyID: String {
        String(CavraHash.sha256Hex(privateKey.publicKey.rawRepresentation).prefix(16))
    }

    /// The public key as a JWK.
    public var publicJWK: JSON {
        let raw = Array(privateKey.publicKey.rawRepresentation)
        return [
            "kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(raw[0..<32])),
            "y": .string(Base64URL.encode(raw[32..<64])), "kid": .string(keyID), "alg": "ES256", "use": "sig",
        ]
    }

    /// `{"keys": [publicJWK]}`: what a verifier is configured with.
    public var jwks: JSON { ["keys": [publicJWK]] }

    /// A compact ES256 JWS of `payload` with `header`, both written as CavraJSON serialises them.
    func sign(header: JSONObject, payload: JSONObject) throws(IdentityError) -> String {
        let signingInput =
            Base64URL.encode(JSON.object(header).serialized().utf8) + "."
            + Base64URL.encode(JSON.object(payload).serialized().utf8)
        do {
            let signature = try privateKey.signature(for: Array(signingInput.utf8))
            return signingInput + "." + Base64URL.encode(signature.rawRepresentation)
        } catch {
            throw IdentityError("signing the token failed: \(error)")
        }
    }
}
