// The audit package (architecture.md §7): what is in it, and the values the builder writes and the verifier
// recomputes the same way: the content hash, the id, the counts and the alert level.

import CavraJSON
import CavraPolicy

public enum AuditPackage {
    public static let schemaVersion = "cavra.rollback-drill-acknowledgement-audit-package.v2"
    public static let canonicalization = "RFC8785"
    public static let signatureAlgorithm = "Ed25519"
    public static let idPrefix = "gordackaudit-"
    /// The history event a stored package is kept as; its payload is the package.
    public static let historyKind = "audit_package"

    /// SHA-256 of the JCS form of the package without `integrity` and `audit_id`.
    public static func contentSHA256(of package: JSONObject) -> String {
        var content = package
        content["integrity"] = nil
        content["audit_id"] = nil
        return JSON.object(content).canonicalSHA256
    }

    /// `gordackaudit-` and the first 16 hex characters of `content_sha256`.
    public static func auditId(contentSHA256: String) -> String { idPrefix + String(contentSHA256.prefix(16)) }

    /// `{"algorithm": "Ed25519", "key_id", "public_key", "value"}`: `value` is the base64url (no padding) Ed25519
    /// signature over the ASCII bytes of `content_sha256`.
    public static func signature(contentSHA256: String, key: AuditSigningKey) -> JSON {
        let publicKey = key.publicKey
        return [
            "algorithm": .string(signatureAlgorithm), "key_id": .string(publicKey.keyId),
            "public_key": .string(publicKey.base64URL),
            "value": .string(Base64URL.encode(key.signature(for: Array(contentSHA256.utf8)))),
        ]
    }

    /// Seals a package body (everything but `audit_id` and `integrity`): adds `audit_id` after `schema_version`,
    /// and `integrity` with the content hash and, given a key, the signature.
    public static func seal(_ body: JSONObject, signingKey: AuditSigningKey?) -> JSON {
        let content = contentSHA256(of: body)
        var package = JSONObject()
        for (key, value) in body {
            package[key] = value
            if key == "schema_version" { package["audit_id"] = .string(auditId(contentSHA256: content)) }
        }
        if package["audit_id"] == nil { package["audit_id"] = .string(auditId(contentSHA256: content)) }
        var integrity: JSONObject = [
            "canonicalization": .string(canonicalization), "content_sha256": .string(content),
        ]
        if let signingKey { integrity["signature"] = signature(contentSHA256: content, key: signingKey) }
        package["integrity"] = .object(integrity)
        return .object(package)
    }

    /// What the package-level counts are made of: one entry per included route.
    struct RouteSummary {
        var route: Route
        var current: Bool
        var state: RouteState
        var breached: Bool
    }

    /// `{outstanding, acknowledged, escalated, resolved, dismissed}`, every state present.
    static func stateCounts(_ routes: [RouteSummary]) -> JSONObject {
        JSONObject(
            RouteState.allCases.map { state in (state.rawValue, .int(Int64(routes.filter { $0.state == state }.count)))
            })
    }

    /// `critical` if any route is breached; `warning` if any current, not removed, deliver route is outstanding;
    /// else `healthy`.
    static func alertLevel(_ routes: [RouteSummary]) -> Severity {
        if routes.contains(where: \.breached) { return .critical }
        if routes.contains(where: {
            $0.current && !$0.route.removed && $0.route.category == .deliver && $0.state == .outstanding
        }) {
            return .warning
        }
        return .healthy
    }

    /// The policy action that moves a route to `state` (acknowledged → acknowledge, …).
    static func action(to state: RouteState) -> PolicyAction? { RouteAction(targetState: state)?.policyAction }
}

/// Where a package stopped verifying: an RFC 6901 JSON pointer into the package and why.
public struct AuditFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var pointer: String
    public var reason: String

    public init(pointer: String, reason: String) {
        self.pointer = pointer
        self.reason = reason
    }

    /// `<pointer>: <reason>`.
    public var description: String { "\(pointer): \(reason)" }
}

/// RFC 6901 JSON pointers.
public enum JSONPointer {
    /// `base` followed by one reference token, `~` written `~0` and `/` written `~1`.
    public static func appending(_ token: String, to base: String) -> String {
        base + "/" + token.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    public static func appending(_ index: Int, to base: String) -> String { base + "/" + String(index) }

    /// The value `pointer` names in `value`; nil when it names nothing.
    public static func resolve(_ pointer: String, in value: JSON) -> JSON? {
        guard !pointer.isEmpty else { return value }
        guard pointer.hasPrefix("/") else { return nil }
        var current = value
        for raw in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let token = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), array.indices.contains(index), token == String(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}
