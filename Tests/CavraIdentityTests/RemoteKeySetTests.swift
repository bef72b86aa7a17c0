// `jwks_uri`: keys fetched from a real HTTP server on a loopback port, cached, and fetched again for an unknown
// `kid` at most once per interval.

import CavraIdentity
import CavraJSON
import Foundation
import Hummingbird
import Testing

@Suite struct RemoteKeySetTests {
    @Test func aTokenVerifiesAgainstTheKeysFetchedFromTheURI() async throws {
        let key = TestKey.ec()
        try await withKeyServer(serving: [key]) { server, uri in
            let configuration = try OIDCConfiguration(
                json: ["issuer": .string(testIssuer), "audience": .string(testAudience), "jwks_uri": .string(uri)],
                baseDirectory: ".")
            #expect(configuration.jwksURI?.absoluteString == uri)
            #expect(configuration.keySourceDescription == uri)
            let verifier = TokenVerifier(configuration: configuration)
            try await verifier.start()
            #expect(await verifier.remoteKeys?.keyCount == 1)
            let actor = try await verifier.verify(try await token(key: key), now: now)
            #expect(actor.id == "ana@example.com")
            #expect(actor.verified)
            _ = try await verifier.verify(try await token(key: key), now: now)
            #expect(server.requests == 1)
            #expect(await verifier.remoteKeys?.refreshCount == 1)
            #expect(await verifier.remoteKeys?.failureCount == 0)
        }
    }

    @Test func aVerifierThatWasNotStartedFetchesOnFirstUse() async throws {
        let key = TestKey.rsa()
        try await withKeyServer(serving: [key]) { server, uri in
            let verifier = try remoteVerifier(uri)
            #expect(server.requests == 0)
            #expect(try await verifier.verify(try await token(key: key), now: now).verified)
            #expect(try await verifier.verify(try await token(key: key), now: now).verified)
            #expect(server.requests == 1)
        }
    }

    @Test func aRotatedKeyVerifiesOnceTheSetIsFetchedAgain() async throws {
        let old = TestKey.ec(kid: "old")
        let new = TestKey.ec(kid: "new")
        let outcomes = Outcomes()
        try await withKeyServer(serving: [old]) { server, uri in
            // An interval long enough that a loaded machine still makes the last check within it.
            let verifier = try remoteVerifier(uri, interval: .seconds(10), onRefresh: outcomes.record)
            try await verifier.start()
            // The same token text throughout: once verified it is kept, and must not outlive its key set.
            let oldToken = try await token(key: old)
            #expect(try await verifier.verify(oldToken, now: now).verified)
            #expect(try await verifier.verify(oldToken, now: now).verified)
            server.serve([new])
            try await Task.sleep(for: .milliseconds(10200))
            #expect(try await verifier.verify(try await token(key: new), now: now).verified)
            #expect(server.requests == 2)
            #expect(await verifier.remoteKeys?.refreshCount == 2)
            #expect(outcomes.all == [true, true])
            // The set in use is now the new one: the old key is unknown, and the interval holds the next fetch back.
            await expectRefusal(oldToken, by: verifier, "token signed with unknown key id \"old\"")
            #expect(server.requests == 2)
        }
    }

    @Test func unknownKeyIDsFetchTheSetAtMostOncePerInterval() async throws {
        let key = TestKey.ec()
        let stranger = TestKey.ec(kid: "k9")
        try await withKeyServer(serving: [key]) { server, uri in
            let verifier = try remoteVerifier(uri)
            try await verifier.start()
            for _ in 0..<5 {
                await expectRefusal(
                    try await token(key: stranger), by: verifier, "token signed with unknown key id \"k9\"")
            }
            #expect(server.requests == 1)
        }
    }

    @Test func concurrentUnknownKeyIDsShareOneFetch() async throws {
        let key = TestKey.ec()
        let stranger = TestKey.ec(kid: "k9")
        try await withKeyServer(serving: [key]) { server, uri in
            // An interval long enough that a loaded machine finishes the eight checks and the last one within it.
            let verifier = try remoteVerifier(uri, interval: .seconds(10))
            try await verifier.start()
            try await Task.sleep(for: .milliseconds(10200))
            let strangerToken = try await token(key: stranger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        await expectRefusal(strangerToken, by: verifier, "token signed with unknown key id \"k9\"")
                    }
                }
                try await group.waitForAll()
            }
            #expect(server.requests == 2)
            await expectRefusal(strangerToken, by: verifier, "token signed with unknown key id \"k9\"")
            #expect(server.requests == 2)
        }
    }

    @Test func anUnreachableURIFailsTheStartWithAClearError() async throws {
        // Port 1 on the loopback interface: nothing listens there.
        let uri = "http://127.0.0.1:1/jwks"
        let keys = RemoteKeySet(uri: URL(string: uri)!, timeout: .seconds(1))
        let error = await #expect(throws: IdentityError.self) { try await keys.start() }
        #expect(error?.description.hasPrefix("cannot fetch the key set at `jwks_uri` \(uri): ") == true)
        #expect(await keys.failureCount == 1)
        #expect(await keys.keyCount == nil)
    }

    @Test func aServerThatDoesNotAnswerInTimeFailsTheStart() async throws {
        try await withKeyServer(serving: [TestKey.ec()]) { server, uri in
            server.delay = .seconds(3)
            let keys = RemoteKeySet(uri: URL(string: uri)!, timeout: .milliseconds(500))
            await #expect(
                throws: IdentityError("cannot fetch the key set at `jwks_uri` \(uri): no complete answer within 0.5 s")
            ) { try await keys.start() }
        }
    }

    @Test func aVerifierThatWasNotStartedReportsAFailedFetchForTheToken() async throws {
        let key = TestKey.ec()
        try await withKeyServer(serving: []) { server, uri in
            server.answer(status: .serviceUnavailable, body: "later")
            let verifier = try remoteVerifier(uri)
            let refusal = "cannot fetch the key set at `jwks_uri` \(uri): the server answered HTTP 503"
            await expectRefusal(try await token(key: key), by: verifier, refusal)
            // Within the interval the failure is reported again without another fetch.
            server.serve([key])
            await expectRefusal(try await token(key: key), by: verifier, refusal)
            #expect(server.requests == 1)
        }
    }

    @Test func aFailingFirstFetchNamesWhatTheServerAnswered() async throws {
        try await withKeyServer(serving: []) { server, uri in
            server.answer(status: .notFound, body: "no such page")
            await #expect(
                throws: IdentityError("cannot fetch the key set at `jwks_uri` \(uri): the server answered HTTP 404")
            ) {
                try await remoteVerifier(uri).start()
            }
            server.answer(body: "{\"keys\": []}")
            await #expect(
                throws: IdentityError("the key set at `jwks_uri` \(uri): `keys` is empty: the key set holds no key")
            ) {
                try await remoteVerifier(uri).start()
            }
            server.answer(body: "{\"keys\": [" + String(repeating: " ", count: RemoteKeySet.maximumSize) + "]}")
            await #expect(throws: IdentityError("the key set at `jwks_uri` \(uri) is larger than 1 MiB")) {
                try await remoteVerifier(uri).start()
            }
        }
    }

    @Test func aFailingRefreshKeepsTheLastGoodSet() async throws {
        let key = TestKey.ec()
        let stranger = TestKey.ec(kid: "k9")
        let outcomes = Outcomes()
        try await withKeyServer(serving: [key]) { server, uri in
            let verifier = try remoteVerifier(uri, interval: .milliseconds(300), onRefresh: outcomes.record)
            try await verifier.start()
            server.answer(status: .internalServerError, body: "down")
            try await Task.sleep(for: .milliseconds(400))
            await expectRefusal(try await token(key: stranger), by: verifier, "token signed with unknown key id \"k9\"")
            #expect(try await verifier.verify(try await token(key: key), now: now).verified)
            #expect(await verifier.remoteKeys?.lastFailure?.description.hasSuffix("HTTP 500") == true)

            server.answer(body: "{\"keys\": ")
            try await Task.sleep(for: .milliseconds(400))
            await expectRefusal(try await token(key: stranger), by: verifier, "token signed with unknown key id \"k9\"")
            #expect(try await verifier.verify(try await token(key: key), now: now).verified)
            #expect(await verifier.remoteKeys?.lastFailure?.description.contains("is not valid JSON") == true)

            #expect(server.requests == 3)
            #expect(await verifier.remoteKeys?.refreshCount == 1)
            #expect(await verifier.remoteKeys?.failureCount == 2)
            #expect(outcomes.all == [true, false, false])
        }
    }

    #if os(Linux)
        // Linux answers on all of 127.0.0.0/8, so a second server can stand in for another host over plain http.
        @Test func aRedirectToPlainHTTPElsewhereIsRefused() async throws {
            try await withKeyServer(host: "127.0.0.2", serving: [TestKey.ec()]) { _, elsewhere in
                try await withKeyServer(serving: []) { server, uri in
                    server.answer(status: .found, body: "", location: elsewhere)
                    let error = await #expect(throws: IdentityError.self) { try await remoteVerifier(uri).start() }
                    #expect(
                        error?.description.hasPrefix(
                            "cannot fetch the key set at `jwks_uri` \(uri): it redirects to \(elsewhere): `jwks_uri` "
                                + "must use https:// for host 127.0.0.2") == true)
                }
            }
        }
    #endif
}

@Suite struct JWKSURIConfigurationTests {
    func configuration(jwksURI: String) throws(IdentityError) -> OIDCConfiguration {
        try OIDCConfiguration(
            json: ["issuer": .string(testIssuer), "audience": "cavra", "jwks_uri": .string(jwksURI)],
            baseDirectory: ".")
    }

    @Test(arguments: [
        "https://id.example.com/.well-known/jwks.json", "http://127.0.0.1:8080/jwks", "http://localhost/jwks",
        "http://LOCALHOST:9/jwks", "http://[::1]:8080/jwks", "HTTPS://id.example.com/certs",
    ])
    func acceptsHTTPSAndLoopbackHTTP(_ uri: String) throws {
        let configuration = try configuration(jwksURI: uri)
        #expect(configuration.keySource == .remote(URL(string: uri)!))
        #expect(configuration.keySourceDescription == uri)
        #expect(configuration.keys.count == 0)
    }

    @Test(arguments: ["http://id.example.com/jwks", "http://10.0.0.1/jwks", "http://127.0.0.2/jwks"])
    func refusesPlainHTTPToAnyOtherHost(_ uri: String) throws {
        let host = URL(string: uri)!.host!
        #expect(
            throws: IdentityError(
                "OIDC configuration: `jwks_uri` must use https:// for host \(host); http:// is allowed only for "
                    + "127.0.0.1, localhost or ::1, because keys fetched in the clear could be replaced on the way, "
                    + "found `\"\(uri)\"`")
        ) { try configuration(jwksURI: uri) }
    }

    @Test(arguments: ["ftp://id.example.com/jwks", "id.example.com/jwks", "https://", "file:///etc/jwks.json"])
    func refusesWhatIsNotAnHTTPURL(_ uri: String) throws {
        #expect(
            throws: IdentityError(
                "OIDC configuration: `jwks_uri` must be an https:// URL (http:// only for 127.0.0.1, localhost or "
                    + "::1), found `\"\(uri)\"`")
        ) { try configuration(jwksURI: uri) }
    }

    @Test func refusesCredentialsInTheURI() throws {
        #expect(
            throws: IdentityError(
                "OIDC configuration: `jwks_uri` must not hold a user name or password, "
                    + "found `\"https://u:p@id.example.com/jwks\"`")
        ) { try configuration(jwksURI: "https://u:p@id.example.com/jwks") }
    }

    @Test func theOtherKeySourcesDescribeThemselves() throws {
        let inline = try OIDCConfiguration(
            json: ["issuer": .string(testIssuer), "audience": "cavra", "jwks": ["keys": [TestKey.ec().jwk]]],
            baseDirectory: ".")
        #expect(inline.keySourceDescription == "jwks")
        #expect(inline.jwksURI == nil)
        #expect(TokenVerifier(configuration: inline).remoteKeys == nil)

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("jwks.json").path
        try JSON.object(["keys": [TestKey.ec().jwk]]).serialized().write(
            toFile: path, atomically: true, encoding: .utf8)
        let file = try OIDCConfiguration(
            json: ["issuer": .string(testIssuer), "audience": "cavra", "jwks_path": "jwks.json"],
            baseDirectory: directory.path)
        #expect(file.keySource == .file(path: path))
        #expect(file.keySourceDescription == "jwks_path: \(path)")
    }
}

/// A verifier whose keys come from `uri`.
private func remoteVerifier(
    _ uri: String, interval: Duration = RemoteKeySet.defaultMinimumRefreshInterval,
    onRefresh: (@Sendable (Bool) -> Void)? = nil
) throws -> TokenVerifier {
    let configuration = try OIDCConfiguration(issuer: testIssuer, audience: testAudience, jwksURI: URL(string: uri)!)
    return TokenVerifier(configuration: configuration, minimumRefreshInterval: interval, onRefresh: onRefresh)
}

/// The outcomes `onRefresh` reported, in order.
private final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [Bool] = []

    var all: [Bool] { lock.withLock { outcomes } }

    @Sendable func record(_ succeeded: Bool) {
        lock.withLock { outcomes.append(succeeded) }
    }
}

/// The test identity provider's `/jwks`: what it answers, and how many requests it has had.
private final class KeyServer: @unchecked Sendable {
    struct Answer {
        var status: HTTPResponse.Status
        var body: String
        var location: String?
    }

    private let lock = NSLock()
    private var current = Answer(status: .ok, body: "")
    private var count = 0
    private var pause: Duration?

    var requests: Int { lock.withLock { count } }
    /// How long the server waits before it answers.
    var delay: Duration? {
        get { lock.withLock { pause } }
        set { lock.withLock { pause = newValue } }
    }

    func serve(_ keys: [TestKey]) {
        answer(body: JSON.object(["keys": .array(keys.map(\.jwk))]).serialized())
    }

    func answer(status: HTTPResponse.Status = .ok, body: String, location: String? = nil) {
        lock.withLock { current = Answer(status: status, body: body, location: location) }
    }

    func respond() async throws -> Response {
        if let delay { try await Task.sleep(for: delay) }
        let answer = lock.withLock {
            count += 1
            return current
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let location = answer.location { headers[.location] = location }
        return Response(
            status: answer.status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
    }
}

/// Runs `body` while a Hummingbird server on `host` and a free port serves `keys` at `/jwks`.
private func withKeyServer(
    host: String = "127.0.0.1", serving keys: [TestKey], _ body: (KeyServer, String) async throws -> Void
) async throws {
    let server = KeyServer()
    server.serve(keys)
    let router = Router()
    router.get("jwks") { _, _ in try await server.respond() }
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    var app = Application(
        router: router, configuration: .init(address: .hostname(host, port: 0)),
        onServerRunning: { channel in
            portContinuation.yield(channel.localAddress?.port ?? 0)
            portContinuation.finish()
        })
    // Stopping by cancellation logs an error; the tests' output is clearer without the server's lines.
    app.logger.logLevel = .critical
    let running = app
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await running.run() }
        var iterator = ports.makeAsyncIterator()
        let next = await iterator.next()
        let port = try #require(next)
        defer { group.cancelAll() }
        try await body(server, "http://\(host):\(port)/jwks")
    }
}
