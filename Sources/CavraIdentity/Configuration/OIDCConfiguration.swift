// How tokens are verified and turned into actors: the file `CAVRA_APPROVAL_OIDC_CONFIG` names (architecture §6).

import CavraJSON
import Foundation

public struct OIDCConfiguration: Sendable {
    /// The environment variable that names the configuration file.
    public static let environmentVariable = "CAVRA_APPROVAL_OIDC_CONFIG"
    /// The largest `leeway_seconds`: a clock further off than that is broken, and a longer leeway would keep
    /// expired tokens alive.
    public static let maxLeewaySeconds: Int64 = 300

    /// `iss` of every accepted token.
    public var issuer: String
    /// What `aud` of every accepted token must contain.
    public var audience: String
    /// The keys, for `jwks` and `jwks_path`. Empty for `jwks_uri`: those keys are fetched while the server runs,
    /// by the `RemoteKeySet` of each `TokenVerifier`.
    public var keys: JWKSet
    /// Where the keys come from.
    public var keySource: KeySource
    public var leewaySeconds: Int64
    public var algorithms: [SigningAlgorithm]
    /// The claim that names the actor for people (`Actor.id`).
    public var actorClaim: String
    /// The claim that lists the actor's groups.
    public var groupsClaim: String

    public init(
        issuer: String, audience: String, keys: JWKSet, leewaySeconds: Int64 = 60,
        algorithms: [SigningAlgorithm] = SigningAlgorithm.defaults, actorClaim: String = "email",
        groupsClaim: String = "groups"
    ) {
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.keySource = .inline
        self.leewaySeconds = leewaySeconds
        self.algorithms = algorithms
        self.actorClaim = actorClaim
        self.groupsClaim = groupsClaim
    }

    /// A configuration whose keys are fetched from `jwksURI`, which must be https (http only for a loopback host).
    public init(
        issuer: String, audience: String, jwksURI: URL, leewaySeconds: Int64 = 60,
        algorithms: [SigningAlgorithm] = SigningAlgorithm.defaults, actorClaim: String = "email",
        groupsClaim: String = "groups"
    ) throws(IdentityError) {
        try Self.checkJWKSURI(jwksURI.absoluteString)
        self.init(
            issuer: issuer, audience: audience, keys: .empty, leewaySeconds: leewaySeconds, algorithms: algorithms,
            actorClaim: actorClaim, groupsClaim: groupsClaim)
        keySource = .remote(jwksURI)
    }

    /// The `jwks_uri`, when the keys come from one.
    public var jwksURI: URL? {
        if case .remote(let uri) = keySource { return uri }
        return nil
    }

    /// Where the keys come from, for people (`/console/security-boundary`): `jwks`, `jwks_path: <path>` or the
    /// `jwks_uri` itself.
    public var keySourceDescription: String { keySource.description }

    /// The configuration the environment names, or nil when `CAVRA_APPROVAL_OIDC_CONFIG` is unset or empty.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(IdentityError) -> OIDCConfiguration? {
        guard let path = environment[environmentVariable], !path.isEmpty else { return nil }
        return try load(path: path)
    }

    /// Reads a configuration file; a relative `jwks_path` is read from the file's directory.
    public static func load(path: String) throws(IdentityError) -> OIDCConfiguration {
        let origin = "OIDC configuration `\(path)`"
        let json: JSON
        do {
            json = try JSON.parse(bytes: try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch let error as JSONParseError {
            throw IdentityError("\(origin) is not valid JSON: \(error)")
        } catch {
            throw IdentityError("cannot read \(origin): \(error.localizedDescription)")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try OIDCConfiguration(json: json, baseDirectory: directory, origin: origin)
    }

    /// A configuration from its JSON form; a relative `jwks_path` is read from `baseDirectory`.
    public init(json: JSON, baseDirectory: String) throws(IdentityError) {
        try self.init(json: json, baseDirectory: baseDirectory, origin: "OIDC configuration")
    }

    private init(json: JSON, baseDirectory: String, origin: String) throws(IdentityError) {
        do {
            try self.init(reading: ConfigurationReader(json: json), baseDirectory: baseDirectory)
        } catch {
            throw IdentityError("\(origin): \(error.description)")
        }
    }

    private init(reading reader: ConfigurationReader, baseDirectory: String) throws(IdentityError) {
        try reader.refuseUnknownFields()
        issuer = try reader.nonEmptyString("issuer")
        audience = try reader.nonEmptyString("audience")
        (keys, keySource) = try reader.keys(baseDirectory: baseDirectory)
        leewaySeconds = try reader.leeway()
        algorithms = try reader.algorithms()
        actorClaim = try reader.nonEmptyString("actor_claim", default: "email")
        groupsClaim = try reader.nonEmptyString("groups_claim", default: "groups")
    }
}

/// Reads the fields of a configuration object; every error names its field.
private struct ConfigurationReader {
    static let fields = [
        "issuer", "audience", "jwks", "jwks_path", "jwks_uri", "leeway_seconds", "algorithms", "actor_claim",
        "groups_claim",
    ]

    let object: JSONObject

    init(json: JSON) throws(IdentityError) {
        guard let object = json.objectValue else {
            throw IdentityError("the configuration must be a JSON object, found \(json.typeName)")
        }
        self.object = object
    }

    func refuseUnknownFields() throws(IdentityError) {
        if let unknown = object.keys.first(where: { !Self.fields.contains($0) }) {
            let known = Self.fields.map { "`\($0)`" }.joined(separator: ", ")
            throw IdentityError("unknown field `\(unknown)` (the fields are \(known))")
        }
    }

    func nonEmptyString(_ field: String, default defaultValue: String? = nil) throws(IdentityError) -> String {
        guard let value = object[field] else {
            if let defaultValue { return defaultValue }
            throw IdentityError("`\(field)` is missing")
        }
        guard let string = value.stringValue, !string.isEmpty else {
            throw IdentityError("`\(field)` must be a non-empty string, found \(describe(value))")
        }
        return string
    }

    func keys(baseDirectory: String) throws(IdentityError) -> (JWKSet, OIDCConfiguration.KeySource) {
        let sources = ["jwks", "jwks_path", "jwks_uri"].filter { object[$0] != nil }
        guard sources.count <= 1 else {
            throw IdentityError(
                "\(sources.map { "`\($0)`" }.joined(separator: " and ")) are set together; give exactly one")
        }
        switch sources.first {
        case "jwks":
            do {
                return (try JWKSet(json: object["jwks"]!), .inline)
            } catch {
                throw IdentityError("`jwks`: \(error.description)")
            }
        case "jwks_path":
            return try keysFromFile(baseDirectory: baseDirectory)
        case "jwks_uri":
            let uri = try OIDCConfiguration.checkJWKSURI(try nonEmptyString("jwks_uri"))
            return (.empty, .remote(uri))
        default:
            throw IdentityError("the keys are missing: give one of `jwks`, `jwks_path` or `jwks_uri`")
        }
    }

    private func keysFromFile(baseDirectory: String) throws(IdentityError) -> (JWKSet, OIDCConfiguration.KeySource) {
        let path = try nonEmptyString("jwks_path")
        let url =
            path.hasPrefix("/")
            ? URL(fileURLWithPath: path) : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path)
        let json: JSON
        do {
            json = try JSON.parse(bytes: try Data(contentsOf: url))
        } catch let error as JSONParseError {
            throw IdentityError("`jwks_path`: `\(url.path)` is not valid JSON: \(error)")
        } catch {
            throw IdentityError("`jwks_path`: cannot read `\(url.path)`: \(error.localizedDescription)")
        }
        do {
            return (try JWKSet(json: json), .file(path: url.path))
        } catch {
            throw IdentityError("`jwks_path`: `\(url.path)`: \(error.description)")
        }
    }

    func leeway() throws(IdentityError) -> Int64 {
        guard let value = object["leeway_seconds"] else { return 60 }
        guard let seconds = value.intValue, (0...OIDCConfiguration.maxLeewaySeconds).contains(seconds) else {
            throw IdentityError(
                "`leeway_seconds` must be a whole number of seconds from 0 to \(OIDCConfiguration.maxLeewaySeconds), "
                    + "found \(describe(value))")
        }
        return seconds
    }

    func algorithms() throws(IdentityError) -> [SigningAlgorithm] {
        guard let value = object["algorithms"] else { return SigningAlgorithm.defaults }
        let supported = SigningAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
        guard let list = value.arrayValue, !list.isEmpty else {
            throw IdentityError("`algorithms` must be a non-empty list of algorithm names (\(supported))")
        }
        var algorithms: [SigningAlgorithm] = []
        for element in list {
            guard let name = element.stringValue else {
                throw IdentityError("`algorithms` must list names, found \(describe(element))")
            }
            if let reason = SigningAlgorithm.refusalReason(name) {
                throw IdentityError("`algorithms` lists \(name): \(reason)")
            }
            guard let algorithm = SigningAlgorithm(rawValue: name) else {
                throw IdentityError("`algorithms` lists \(name), which is not supported (supported: \(supported))")
            }
            if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
        }
        return algorithms
    }

    /// The value as a message shows it: scalars as JSON, containers by their type.
    private func describe(_ value: JSON) -> String {
        switch value {
        case .array, .object: value.typeName
        default: "`\(value.serialized())`"
        }
    }
}

extension OIDCConfiguration {
    /// Where the verification keys come from.
    public enum KeySource: Sendable, Equatable, CustomStringConvertible {
        /// `jwks`: in the configuration itself.
        case inline
        /// `jwks_path`: read once, from this file.
        case file(path: String)
        /// `jwks_uri`: fetched at start, cached, and fetched again for an unknown `kid`.
        case remote(URL)

        /// `jwks`, `jwks_path: <path>`, or the `jwks_uri`.
        public var description: String {
            switch self {
            case .inline: "jwks"
            case .file(let path): "jwks_path: \(path)"
            case .remote(let uri): uri.absoluteString
            }
        }
    }

    /// The hosts `jwks_uri` may name over plain http: the keys can only be tampered with on this machine.
    static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    /// `text` as a `jwks_uri`: https, or http to a loopback host, because keys fetched over plain http from
    /// elsewhere could be replaced on the way and would then let anyone sign tokens. Redirects are checked by the
    /// same rule.
    @discardableResult
    static func checkJWKSURI(_ text: String) throws(IdentityError) -> URL {
        let found = "found `\(JSON.string(text).serialized())`"
        guard let uri = URL(string: text), let scheme = uri.scheme?.lowercased(), ["https", "http"].contains(scheme),
            let host = uri.host, !host.isEmpty
        else {
            throw IdentityError(
                "`jwks_uri` must be an https:// URL (http:// only for 127.0.0.1, localhost or ::1), \(found)")
        }
        // Credentials in the URL would be shown wherever the key source is (the console, logs).
        if uri.user != nil || uri.password != nil {
            throw IdentityError("`jwks_uri` must not hold a user name or password, \(found)")
        }
        let bareHost = host.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if scheme == "http", !loopbackHosts.contains(bareHost) {
            throw IdentityError(
                "`jwks_uri` must use https:// for host \(host); http:// is allowed only for 127.0.0.1, localhost "
                    + "or ::1, because keys fetched in the clear could be replaced on the way, \(found)")
        }
        return uri
    }
}
