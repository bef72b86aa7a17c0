// Where a PostgreSQL store is and how to talk to it, read from a libpq-style URL
// (`postgres://user:password@host:port/database?sslmode=require`), and the same URL with the password masked.

import Foundation
import PostgresNIO

public struct PostgresSettings: Sendable, Equatable {
    /// libpq's `sslmode` values.
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    /// `sslrootcert`: a PEM file of the certificates trusted for `verify-ca` and `verify-full`.
    public var rootCertificatePath: String?
    /// The schema holding cavra's tables (`search_path`); nil: the server's default.
    public var schema: String?
    public var applicationName: String
    public var connectTimeout: Duration
    /// How long a write waits for a row lock before it gives up (503) rather than queueing without bound.
    public var lockTimeout: Duration
    /// The longest one call may take, waiting for a connection included: no call hangs forever.
    public var callTimeout: Duration
    public var maximumConnections: Int

    public init(
        host: String, port: Int = 5432, username: String, password: String? = nil, database: String,
        tls: TLSMode = .prefer, schema: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.tls = tls
        self.schema = schema
        rootCertificatePath = nil
        applicationName = "cavra"
        connectTimeout = .seconds(5)
        lockTimeout = .seconds(5)
        callTimeout = .seconds(30)
        maximumConnections = 20
    }

    /// Whether `location` names a PostgreSQL store rather than a SQLite file.
    public static func isURL(_ location: String) -> Bool {
        let lowered = location.lowercased()
        return lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://")
    }

    /// Reads a `postgres://` or `postgresql://` URL. Query parameters: `sslmode`, `sslrootcert`,
    /// `connect_timeout` (seconds), `application_name`, and cavra's own `schema`, `lock_timeout` (milliseconds)
    /// and `pool_size`. An unknown parameter is an error, so a typo never silently weakens TLS.
    public init(url: String) throws {
        guard Self.isURL(url), let components = URLComponents(string: url) else {
            throw StoreError("`\(Self.maskPassword(url))` is not a postgres:// URL")
        }
        guard let user = components.user, !user.isEmpty else {
            throw StoreError(
                "the store URL `\(Self.maskPassword(url))` names no user (postgres://USER@HOST/DATABASE)")
        }
        var host = components.host ?? ""
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let database = path.removingPercentEncoding ?? path
        self.init(
            host: host.isEmpty ? "localhost" : host, port: components.port ?? 5432, username: user,
            password: components.password, database: database.isEmpty ? user : database)
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw StoreError(
                        "sslmode `\(value)` is not one of "
                            + TLSMode.allCases.map(\.rawValue).joined(separator: ", "))
                }
                tls = mode
            case "sslrootcert":
                rootCertificatePath = value
            case "connect_timeout":
                guard let seconds = Int(value), seconds > 0 else {
                    throw StoreError("connect_timeout `\(value)` is not a positive number of seconds")
                }
                connectTimeout = .seconds(seconds)
            case "lock_timeout":
                guard let milliseconds = Int(value), milliseconds > 0 else {
                    throw StoreError("lock_timeout `\(value)` is not a positive number of milliseconds")
                }
                lockTimeout = .milliseconds(milliseconds)
            case "pool_size":
                guard let size = Int(value), size > 0 else {
                    throw StoreError("pool_size `\(value)` is not a positive number")
                }
                maximumConnections = size
            case "application_name":
                applicationName = value
            case "schema":
                schema = value
            default:
                throw StoreError("the store URL has an unknown parameter `\(item.name)`")
            }
        }
        if let schema, !Self.isPlainIdentifier(schema) {
            throw StoreError("schema `\(schema)` must be letters, digits and underscores, not starting with a digit")
        }
    }

    /// The URL without its password: what logs, `/readyz` and error messages show.
    public var redactedURL: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        if password != nil { components.password = "***" }
        components.host = host.contains(":") ? "[\(host)]" : host
        components.port = port
        components.path = "/" + database
        var items = [URLQueryItem(name: "sslmode", value: tls.rawValue)]
        if let schema { items.append(URLQueryItem(name: "schema", value: schema)) }
        components.queryItems = items
        return components.string ?? "postgres://\(username)@\(host):\(port)/\(database)"
    }

    /// `location` with any password masked, whether or not it parses.
    public static func redact(_ location: String) -> String {
        guard isURL(location) else { return location }
        return (try? PostgresSettings(url: location))?.redactedURL ?? maskPassword(location)
    }

    /// Masks everything between `://` and the last `@`, where a password would be, without parsing.
    static func maskPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url.range(of: "@", options: .backwards),
            scheme.upperBound <= at.lowerBound
        else { return url }
        return url[..<scheme.upperBound] + "***" + url[at.lowerBound...]
    }

    static func isPlainIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first), text.count <= 63 else {
            return false
        }
        return text.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
        }
    }

    // MARK: postgres-nio configurations

    private func tlsConfiguration() -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tls {
        // libpq's `prefer` and `require` encrypt without checking the certificate.
        case .disable, .prefer, .require: configuration.certificateVerification = .none
        case .verifyCA: configuration.certificateVerification = .noHostnameVerification
        case .verifyFull: configuration.certificateVerification = .fullVerification
        }
        if let rootCertificatePath { configuration.trustRoots = .file(rootCertificatePath) }
        return configuration
    }

    var startupParameters: [(String, String)] {
        [("application_name", applicationName)] + (schema.map { [("search_path", $0)] } ?? [])
    }

    var clientConfiguration: PostgresClient.Configuration {
        let mode: PostgresClient.Configuration.TLS =
            switch tls {
            case .disable: .disable
            case .prefer: .prefer(tlsConfiguration())
            case .require, .verifyCA, .verifyFull: .require(tlsConfiguration())
            }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = maximumConnections
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// One connection's configuration: for start-up and migrations, and for tools that need a direct line.
    public func connectionConfiguration() throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable: mode = .disable
        case .prefer: mode = .prefer(try NIOSSLContext(configuration: tlsConfiguration()))
        case .require, .verifyCA, .verifyFull: mode = .require(try NIOSSLContext(configuration: tlsConfiguration()))
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: mode)
        configuration.options.connectTimeout = .milliseconds(connectTimeout.milliseconds)
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }
}

extension Duration {
    /// Whole milliseconds, for `SET lock_timeout` and friends.
    var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
