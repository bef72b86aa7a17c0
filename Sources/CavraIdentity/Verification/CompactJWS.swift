// A token split into the three parts of a compact JWS (RFC 7515 §7.1), each decoded; nothing is trusted yet.

import CavraJSON

struct CompactJWS {
    /// Tokens are at most 16 KiB (architecture §5), checked before anything is decoded.
    static let maxBytes = 16 * 1024

    var header: JSONObject
    /// The claims, parsed by CavraJSON: duplicate names and integers beyond 64 bits are refused.
    var payload: JSONObject
    /// The ASCII bytes the signature covers: `header.payload` as the token spells them.
    var signingInput: [UInt8]
    var signature: [UInt8]

    init(_ token: String) throws(IdentityError) {
        let size = token.utf8.count
        guard size > 0 else { throw IdentityError("token is empty") }
        guard size <= Self.maxBytes else {
            throw IdentityError("token is \(size) bytes; tokens are at most \(Self.maxBytes) bytes")
        }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            if parts.count == 5 {
                throw IdentityError("token is encrypted (a JWE of 5 parts); only signed tokens (JWS) are accepted")
            }
            throw IdentityError(
                "token is not a compact JWS: it has \(parts.count) part\(parts.count == 1 ? "" : "s") "
                    + "separated by `.`, not 3")
        }
        header = try Self.object(parts[0], part: "header")
        payload = try Self.object(parts[1], part: "payload")
        signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard let signature = Base64URL.decode(parts[2]) else {
            throw IdentityError("token signature is not base64url")
        }
        self.signature = signature
    }

    private static func object(_ part: Substring, part name: String) throws(IdentityError) -> JSONObject {
        guard !part.isEmpty else { throw IdentityError("token \(name) is empty") }
        guard let bytes = Base64URL.decode(part) else { throw IdentityError("token \(name) is not base64url") }
        let json: JSON
        do {
            json = try JSON.parse(bytes: bytes)
        } catch {
            if error.message.hasPrefix("too big") {
                throw IdentityError("token \(name) holds an integer beyond 64 bits, which is refused")
            }
            throw IdentityError("token \(name) is not valid JSON: \(error.description)")
        }
        guard let object = json.objectValue else {
            throw IdentityError("token \(name) must be a JSON object, found \(json.typeName)")
        }
        return object
    }
}
