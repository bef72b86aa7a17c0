// The public keys tokens are verified with: a JSON Web Key Set (RFC 7517), read through CavraJSON.

import CavraJSON
import Crypto
import JWTKit

/// A key CAVRA can verify tokens with.
struct VerificationKey: Sendable {
    enum Material: Sendable {
        case rsa(JWTKit.Insecure.RSA.PublicKey)
        case ecP256(P256.Signing.PublicKey)
    }

    var id: String?
    /// The JWK's `alg`: when present, the only algorithm the key verifies.
    var algorithm: String?
    var material: Material

    var kind: KeyKind {
        switch material {
        case .rsa: .rsa
        case .ecP256: .ecP256
        }
    }

    /// `key "k1"`, or `the RSA key` for a key without an id: for sentences.
    var name: String {
        if let id { return "key \(quoted(id))" }
        return "the \(kind.noun)"
    }
}

/// A set of public keys, as the `jwks` or `jwks_path` of an OIDC configuration gives it: `{"keys": [JWK, …]}`.
public struct JWKSet: Sendable {
    /// The keys CAVRA can verify with.
    var keys: [VerificationKey]
    /// Why each key CAVRA cannot verify with (another curve or key type, an encryption key) is unusable, by kid:
    /// a token naming one is refused for that reason rather than as signed by an unknown key. Such keys are kept
    /// rather than refused because identity providers publish them beside the keys that matter.
    var unusableKeys: [String: String]
    /// How many keys the set holds, usable or not.
    public let count: Int

    /// Reads a JWKS; errors name the key (by position, 1-based) and the member at fault.
    public init(json: JSON) throws(IdentityError) {
        guard let object = json.objectValue else {
            throw IdentityError("a key set must be an object {\"keys\": [...]}")
        }
        guard let members = object["keys"] else { throw IdentityError("the key set has no `keys`") }
        guard let list = members.arrayValue else { throw IdentityError("`keys` must be a list of keys") }
        guard !list.isEmpty else { throw IdentityError("`keys` is empty: the key set holds no key") }
        keys = []
        unusableKeys = [:]
        var ids: Set<String> = []
        for (index, member) in list.enumerated() {
            let (id, key) = try Self.key(member, position: index + 1)
            if let id, !ids.insert(id).inserted {
                throw IdentityError("key \(index + 1): another key has the same kid \(quoted(id))")
            }
            switch key {
            case .usable(let key): keys.append(key)
            case .unusable(let reason): if let id { unusableKeys[id] = reason }
            }
        }
        count = list.count
    }

    private enum ReadKey {
        case usable(VerificationKey)
        case unusable(reason: String)
    }

    /// The key's id, and the key or why CAVRA cannot verify with it.
    private static func key(_ json: JSON, position: Int) throws(IdentityError) -> (String?, ReadKey) {
        guard let jwk = json.objectValue else { throw IdentityError("key \(position) must be an object") }
        let reader = JWKReader(jwk: jwk, position: position)
        if jwk["d"] != nil {
            throw IdentityError("key \(position) holds private key material (`d`): give only the public key")
        }
        if jwk["kty"] == "oct" {
            throw IdentityError(
                "key \(position) is a shared secret (`kty` \"oct\"): shared-secret keys are never accepted, "
                    + "give only public keys")
        }
        let id = try reader.optionalString("kid")
        let algorithm = try reader.optionalString("alg")
        let use = try reader.optionalString("use")
        let type = try reader.string("kty")
        if let use, use != "sig" {
            return (id, .unusable(reason: "its `use` is \(quoted(use)), not \"sig\""))
        }
        let material: VerificationKey.Material
        switch type {
        case "RSA":
            material = .rsa(try reader.rsaKey())
        case "EC":
            let curve = try reader.string("crv")
            guard curve == "P-256" else {
                return (id, .unusable(reason: "its curve \(quoted(curve)) is not supported"))
            }
            material = .ecP256(try reader.ecP256Key())
        default:
            return (id, .unusable(reason: "its key type \(quoted(type)) is not supported"))
        }
        return (id, .usable(VerificationKey(id: id, algorithm: algorithm, material: material)))
    }
}

/// Reads the members of one JWK, naming it in every error.
private struct JWKReader {
    let jwk: JSONObject
    let position: Int

    func optionalString(_ member: String) throws(IdentityError) -> String? {
        guard let value = jwk[member] else { return nil }
        guard let string = value.stringValue else {
            throw IdentityError("key \(position): `\(member)` must be a string, found \(value.typeName)")
        }
        return string
    }

    func string(_ member: String) throws(IdentityError) -> String {
        guard let string = try optionalString(member) else {
            throw IdentityError("key \(position): `\(member)` is missing")
        }
        return string
    }

    func bytes(_ member: String) throws(IdentityError) -> [UInt8] {
        guard let bytes = Base64URL.decode(try string(member)), !bytes.isEmpty else {
            throw IdentityError("key \(position): `\(member)` is not base64url")
        }
        return bytes
    }

    func rsaKey() throws(IdentityError) -> JWTKit.Insecure.RSA.PublicKey {
        let modulus = try bytes("n").drop { $0 == 0 }
        _ = try bytes("e")
        let bits = modulus.count * 8 - (modulus.first.map { $0.leadingZeroBitCount } ?? 0)
        guard bits >= 2048 else {
            throw IdentityError("key \(position): the RSA key has \(bits) bits; at least 2048 are required")
        }
        do {
            return try JWTKit.Insecure.RSA.PublicKey(modulus: try string("n"), exponent: try string("e"))
        } catch {
            throw IdentityError("key \(position): `n` and `e` are not an RSA public key")
        }
    }

    func ecP256Key() throws(IdentityError) -> P256.Signing.PublicKey {
        let x = try bytes("x")
        let y = try bytes("y")
        guard x.count == 32, y.count == 32 else {
            throw IdentityError("key \(position): `x` and `y` of a P-256 key must be 32 bytes each")
        }
        do {
            return try P256.Signing.PublicKey(rawRepresentation: x + y)
        } catch {
            throw IdentityError("key \(position): `x` and `y` are not a point of P-256")
        }
    }
}

/// A value as a JSON string literal, the way messages quote user input: `"k1"`.
func quoted(_ string: String) -> String {
    JSON.string(string).serialized()
}
