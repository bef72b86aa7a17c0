// libFuzzer entry point: any bytes as a bearer token, verified by `TokenVerifier` against an inline key set (an
// ES256 development key and an RSA key) at a pinned clock. Each input is verified twice: as it is, and with its
// first two parts re-signed by the development key, so that mutated headers and claims also reach the checks that
// come after the signature. A broken property is a finding: a refusal is an `IdentityError` with a reason, and a
// token is accepted only when an independent check (swift-crypto, not the verifier) finds its signature valid and
// its registered claims satisfied, and the actor is the one its claims name.
//
// `CavraFuzzJWT --write-seeds DIR` writes the seed corpus: tokens minted by the development key and mutations of them.

import CavraDrills
import CavraIdentity
import CavraJSON
import Crypto
import Foundation
import FuzzSupport
import _CryptoExtras

@main
enum CavraFuzzJWT {
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count == 3, arguments[1] == "--write-seeds" {
            JWTSeeds.write(to: arguments[2])
            exit(0)
        }
        let harness = JWTHarness()
        Fuzzer.run(harness.check)
    }
}

struct JWTHarness: Sendable {
    static let issuer = "https://id.fuzz.cavra.example"
    static let audience = "cavra"
    static let leewaySeconds: Int64 = 60
    /// The pinned clock: 2026-11-30T12:00:00Z.
    static let now = Timestamp(milliseconds: 1_796_040_000_000)
    /// The identity provider's key: derived from a fixed phrase, so seed tokens written by one run verify in the
    /// next. It signs nothing but fuzz inputs.
    static let signingKey: DevelopmentSigningKey = {
        let scalar = Array(SHA256.hash(data: Array("cavra fuzz identity provider".utf8)))
        return DevelopmentSigningKey(try! P256.Signing.PrivateKey(rawRepresentation: scalar))
    }()
    /// An RSA public key (2048 bits, e = 65537) whose private half was discarded: RS256/384/512 tokens reach the
    /// RSA verification, and none can verify.
    static let rsaKid = "fuzz-rsa"
    static let rsaModulus =
        "8tD4snY1t4w9Fd8huTm-M5aFd7EXCbDE7NzT8xXfMzjGQtNUjWSGhbrLwl8V-BAHI5w6-ryrdaWgAi3oeFcYXSwwDtSmCAh40YBlWBM3_dfHBV"
        + "MWWgMNEHvx8KV8-gtrhcbFOH3OThclyWa_PhKtReeL02UDiwFgSya0KwdJeIH_5Z8MBsEzrYuG8wR95BiKAcPLe-mI5e3mY9v0wAV9RQQz"
        + "1haUPBeLRGzLOSDmLp2ffWcanlnXNYhKEd2pxz2iX6NTPkGrlAKHPD7tJCCEntGINrYJWw9lBEnnR0vnmlrnEx3KmfSbry8NwOoMw4mUeh_m"
        + "sn-dCHfBnJbQUWpVdQ"
    static let rsaExponent = "AQAB"

    let verifier: TokenVerifier

    init() {
        let jwks: JSON = [
            "keys": [
                Self.signingKey.publicJWK,
                ["kty": "RSA", "kid": .string(Self.rsaKid), "use": "sig", "n": .string(Self.rsaModulus), "e": "AQAB"],
            ]
        ]
        do {
            let configuration = OIDCConfiguration(
                issuer: Self.issuer, audience: Self.audience, keys: try JWKSet(json: jwks),
                leewaySeconds: Self.leewaySeconds, algorithms: SigningAlgorithm.allCases)
            verifier = TokenVerifier(configuration: configuration)
        } catch {
            fatalError("the fuzz key set is refused: \(error)")
        }
    }

    func check(_ bytes: [UInt8]) {
        let token = String(decoding: bytes, as: UTF8.self)
        check(token, input: bytes)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 3 {
            let signingInput = parts[0] + "." + parts[1]
            let signature = try! Self.signingKey.privateKey.signature(for: Array(signingInput.utf8))
            let resigned = signingInput + "." + JWTBase64URL.encode(signature.rawRepresentation)
            if resigned != token { check(resigned, input: bytes) }
        }
    }

    private func check(_ token: String, input: [UInt8]) {
        let verifier = self.verifier
        let outcome: Result<Actor, IdentityError> = Fuzzer.blocking {
            do throws(IdentityError) {
                return .success(try await verifier.verify(token, now: Self.now))
            } catch {
                return .failure(error)
            }
        }
        if Fuzzer.tracing {
            switch outcome {
            case .success(let actor): Fuzzer.trace("accepted: \(actor.id)")
            case .failure(let error): Fuzzer.trace("refused: \(error.description.prefix(200))")
            }
        }
        switch outcome {
        case .failure(let error):
            if error.description.isEmpty { Fuzzer.violated("a token was refused without a reason", input: input) }
        case .success(let actor):
            if let broken = Self.wronglyAccepted(token, actor: actor) {
                Fuzzer.violated("a token was accepted, but \(broken)", input: input)
            }
        }
    }

    /// Why an accepted token should not have been, checked without the verifier: the signature with swift-crypto,
    /// the registered claims by hand, and the actor against the claims. Nil when it rightly was.
    static func wronglyAccepted(_ token: String, actor: Actor) -> String? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = JWTBase64URL.decode(parts[0]),
            let payloadBytes = JWTBase64URL.decode(parts[1]), let signature = JWTBase64URL.decode(parts[2])
        else { return "it is not three base64url parts" }
        guard let header = try? JSON.parse(bytes: headerBytes).objectValue,
            let claims = try? JSON.parse(bytes: payloadBytes).objectValue
        else { return "its header or payload is not a JSON object" }
        let signingInput = Array((parts[0] + "." + parts[1]).utf8)
        switch header["alg"]?.stringValue {
        case "ES256":
            guard let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: signature),
                signingKey.privateKey.publicKey.isValidSignature(ecdsa, for: signingInput)
            else { return "its ES256 signature does not verify with the development key" }
        case let name? where name.hasPrefix("RS"):
            return "it is signed with \(name), and no one holds the RSA key"
        case let name:
            return "its algorithm is \(name ?? "missing")"
        }
        guard claims["iss"]?.stringValue == issuer else { return "its issuer is not \(issuer)" }
        switch claims["aud"] {
        case .string(let audience)? where audience == Self.audience: break
        case .array(let list)? where list.allSatisfy({ $0.stringValue != nil }) && list.contains(.string(audience)):
            break
        default: return "its audience does not include \(audience)"
        }
        let nowMilliseconds = Double(now.milliseconds)
        let leewayMilliseconds = Double(leewaySeconds * 1000)
        guard let expiry = seconds(claims["exp"]), expiry * 1000 > nowMilliseconds - leewayMilliseconds else {
            return "it has expired or has no valid `exp`"
        }
        if let value = claims["nbf"] {
            guard let notBefore = seconds(value), notBefore * 1000 < nowMilliseconds + leewayMilliseconds else {
                return "it is not valid yet, or its `nbf` is not a number"
            }
        }
        guard let subject = claims["sub"]?.stringValue, !subject.isEmpty else { return "it has no `sub`" }
        guard actor.verified, actor.issuer == issuer, actor.subject == subject else {
            return "the actor \(actor.id) is not the subject \(subject) of \(issuer)"
        }
        return nil
    }

    private static func seconds(_ value: JSON?) -> Double? {
        switch value {
        case .int(let seconds)?: Double(seconds)
        case .double(let seconds)?: seconds
        default: nil
        }
    }
}

/// base64url without padding, written here rather than borrowed from the verifier, so the independent check is one.
enum JWTBase64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: some DataProtocol) -> String {
        let bytes = Array(bytes)
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0...chunk.count { out.append(alphabet[(value >> (18 - 6 * position)) & 0x3F]) }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes, or nil for a letter outside the alphabet or a length no encoding has; the bits left over at the
    /// end are ignored.
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var values: [Int] = []
        for byte in text.utf8 {
            guard let value = alphabet.firstIndex(of: byte) else { return nil }
            values.append(value)
        }
        guard values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        var buffer = 0
        var bits = 0
        for value in values {
            buffer = (buffer << 6 | value) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> bits) & 0xFF))
            }
        }
        return out
    }
}
