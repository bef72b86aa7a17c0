// A live `cavra api` on a loopback port for the tests: a fresh directory with the repository's policy, a
// development identity provider when OIDC is wanted, and an HTTP client that reads answers through CavraJSON.

import AsyncHTTPClient
import CavraDrills
import CavraIdentity
import CavraJSON
import CavraTesting
import Foundation
import NIOCore
import NIOHTTP1

let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let cavraExecutable: URL = builtCavra(repositoryRoot: repositoryRoot)
let sampleDirectory = repositoryRoot.appendingPathComponent("Sources/CavraDrills/Resources/sample")

/// An answer as the tests read it.
struct Answer: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var text: String
    var json: JSON { (try? JSON.parse(text)) ?? .null }
    subscript(_ key: String) -> JSON? { json[key] }
    var code: String? { json["code"]?.stringValue }
}

/// An HTTP client for one server, reading answers through CavraJSON.
struct TestClient: Sendable {
    let base: String

    func send(
        _ method: HTTPMethod, _ path: String, json body: JSON? = nil, raw: [UInt8]? = nil, token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let bytes = raw ?? body.map({ Array($0.serialized().utf8) }) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let buffer = try await response.body.collect(upTo: 64 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, text: String(buffer: buffer))
    }

    func get(_ path: String, token: String? = nil, headers: [(String, String)] = []) async throws -> Answer {
        try await send(.GET, path, token: token, headers: headers)
    }

    func post(_ path: String, _ body: JSON, token: String? = nil, headers: [(String, String)] = []) async throws
        -> Answer
    {
        try await send(.POST, path, json: body, token: token, headers: headers)
    }
}

final class LiveServer: @unchecked Sendable {
    let directory: URL
    let server: ServerProcess
    let signingKey: DevelopmentSigningKey?
    var base: String { "http://127.0.0.1:\(server.port)" }

    /// Starts `cavra api` in a new directory; with `oidc`, a development identity provider is configured.
    init(
        oidc: Bool, arguments: [String] = [], environment extra: [String: String] = [:], directory given: URL? = nil,
        setUp: (URL) throws -> Void = { _ in }
    ) throws {
        let directory =
            given
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("cavra-api-\(UUID().uuidString)")
        if given == nil {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                at: repositoryRoot.appendingPathComponent("policy"), to: directory.appendingPathComponent("policy"))
        }
        try setUp(directory)
        var environment = ProcessInfo.processInfo.environment
        environment["CAVRA_APPROVAL_OIDC_CONFIG"] = nil
        environment["CAVRA_DATABASE_URL"] = nil
        environment["CAVRA_AUDIT_SIGNING_KEY"] = nil
        environment["CAVRA_CORS_ORIGINS"] = nil
        var key: DevelopmentSigningKey?
        if oidc {
            let identity = directory.appendingPathComponent("identity")
            if !FileManager.default.fileExists(atPath: identity.path) {
                try DevelopmentIdentity.initialize(directory: identity.path)
            }
            key = try DevelopmentSigningKey.load(path: identity.appendingPathComponent("signing-key.pem").path)
            environment["CAVRA_APPROVAL_OIDC_CONFIG"] = identity.appendingPathComponent("oidc.json").path
        }
        for (name, value) in extra { environment[name] = value }
        self.directory = directory
        self.signingKey = key
        server = try ServerProcess(
            cavraExecutable, ["api", "--port", "0"] + arguments, cwd: directory, environment: environment)
    }

    /// Stops the server (SIGTERM) and returns its exit status; the directory stays for a restart.
    @discardableResult
    func stop() -> Int32 { server.stop() }

    func removeDirectory() { try? FileManager.default.removeItem(at: directory) }

    /// A token of the development identity provider.
    func token(
        _ subject: String, groups: [String], email: String? = nil, ttlSeconds: Int64 = 3600,
        now: Timestamp = Timestamp(Date())
    ) throws -> String {
        try TokenMinter.mint(
            key: signingKey!, issuer: DevelopmentIdentity.issuer, audience: DevelopmentIdentity.audience,
            subject: subject, email: email ?? "\(subject)@example.com", groups: groups,
            ttl: TokenLifetime(seconds: ttlSeconds), now: now)
    }

    var client: TestClient { TestClient(base: base) }

    func send(
        _ method: HTTPMethod, _ path: String, json body: JSON? = nil, raw: [UInt8]? = nil, token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Answer {
        try await client.send(method, path, json: body, raw: raw, token: token, headers: headers)
    }

    func get(_ path: String, token: String? = nil, headers: [(String, String)] = []) async throws -> Answer {
        try await client.get(path, token: token, headers: headers)
    }

    func post(_ path: String, _ body: JSON, token: String? = nil, headers: [(String, String)] = []) async throws
        -> Answer
    {
        try await client.post(path, body, token: token, headers: headers)
    }

    static let drills = "/runtime/go-pilot/rollback-drill-notifications"

    static func sample(_ name: String) throws -> JSON {
        try JSON.parse(bytes: [UInt8](try Data(contentsOf: sampleDirectory.appendingPathComponent(name))))
    }

    /// Plans a sample schedule through the API (with `token`, or as an asserted planner in local mode).
    @discardableResult
    func plan(schedule: String, history: String? = nil, token: String? = nil) async throws -> Answer {
        var body: JSONObject = ["schedule": try Self.sample(schedule)]
        if let history { body["history"] = try Self.sample(history) }
        if token == nil { body["actor_claims"] = ["sub": "planner", "groups": ["drill-planners"]] }
        return try await post(Self.drills + "/plans", .object(body), token: token)
    }
}
