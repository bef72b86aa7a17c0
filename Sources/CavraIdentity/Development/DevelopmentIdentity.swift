// `cavra identity init DIR`: a development identity provider on disk — a key, its JWKS, and an OIDC configuration
// that trusts it.

import CavraJSON
import Foundation

public enum DevelopmentIdentity {
    public static let issuer = "https://cavra.local/dev"
    public static let audience = "cavra"
    public static let keyFile = "signing-key.pem"
    public static let jwksFile = "jwks.json"
    public static let configurationFile = "oidc.json"

    /// The OIDC configuration of a development directory: only ES256, keys from the `jwks.json` beside it.
    public static var configuration: JSON {
        [
            "issuer": .string(issuer), "audience": .string(audience), "jwks_path": .string(jwksFile),
            "leeway_seconds": 60, "algorithms": ["ES256"], "actor_claim": "email", "groups_claim": "groups",
        ]
    }

    /// Writes `signing-key.pem` (PKCS#8, readable by its owner only), `jwks.json` and `oidc.json` into `directory`,
    /// creating it when needed, and returns the paths written (`directory` joined with each name). Nothing is written
    /// when any of the three exists.
    @discardableResult
    public static func initialize(
        directory: String, key: DevelopmentSigningKey = DevelopmentSigningKey()
    ) throws(IdentityError) -> [String] {
        guard !directory.isEmpty else { throw IdentityError("the directory to write into is empty") }
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        let files: [(path: String, contents: String, permissions: Int)] = [
            (base + keyFile, key.pemRepresentation, 0o600),
            (base + jwksFile, key.jwks.serialized(pretty: true) + "\n", 0o644),
            (base + configurationFile, configuration.serialized(pretty: true) + "\n", 0o644),
        ]
        let manager = FileManager.default
        let existing = files.map(\.path).filter { manager.fileExists(atPath: $0) }
        guard existing.isEmpty else {
            throw IdentityError(
                "refusing to overwrite \(existing.map { "`\($0)`" }.joined(separator: ", ")): "
                    + "choose another directory or remove them")
        }
        do {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw IdentityError("cannot create directory `\(directory)`: \(error.localizedDescription)")
        }
        for file in files {
            let attributes: [FileAttributeKey: Any] = [.posixPermissions: file.permissions]
            guard manager.createFile(atPath: file.path, contents: Data(file.contents.utf8), attributes: attributes)
            else { throw IdentityError("cannot write `\(file.path)`") }
        }
        return files.map(\.path)
    }
}
