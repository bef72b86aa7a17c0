// The JWS algorithms CAVRA verifies. HMAC and `none` are left out on purpose: a shared secret lets every
// verifier mint tokens, and an unsigned token proves nothing.

public enum SigningAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case es256 = "ES256"

    /// `algorithms` of an OIDC configuration that does not say.
    public static let defaults: [SigningAlgorithm] = [.rs256, .es256]

    /// The kind of key a token of this algorithm must be verified with.
    var keyKind: KeyKind {
        switch self {
        case .rs256, .rs384, .rs512: .rsa
        case .es256: .ecP256
        }
    }

    /// Why an algorithm is refused whatever a configuration says, or nil when a configuration may accept it.
    static func refusalReason(_ name: String) -> String? {
        if name.lowercased() == "none" { return "unsigned tokens are never accepted" }
        if name.uppercased().hasPrefix("HS") { return "shared-secret (HMAC) algorithms are never accepted" }
        return nil
    }
}

/// The kinds of public key a token can be verified with.
enum KeyKind: Sendable, Equatable {
    case rsa
    case ecP256

    /// "RSA key", "EC P-256 key": for sentences.
    var noun: String {
        switch self {
        case .rsa: "RSA key"
        case .ecP256: "EC P-256 key"
        }
    }

    /// "an RSA key", "an EC P-256 key".
    var phrase: String { "an \(noun)" }
}
