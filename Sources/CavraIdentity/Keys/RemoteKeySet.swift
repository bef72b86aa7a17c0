// The key set of a `jwks_uri`: fetched at start, cached, and fetched again when a token names an unknown `kid`, at
// most once per interval (architecture §6).

import AsyncHTTPClient
import CavraJSON
import Foundation

/// The keys an identity provider publishes at its `jwks_uri`. One instance serves every token of a process: the
/// cache and the refresh limit live here, so keep it (or the `TokenVerifier` that holds it) for the process's life.
public actor RemoteKeySet {
    /// How long a fetch may take, from connecting to the last byte of the body.
    public static let defaultTimeout: Duration = .seconds(5)
    /// The shortest time between two fetches: a token naming an unknown `kid` cannot make CAVRA hammer the
    /// identity provider.
    public static let defaultMinimumRefreshInterval: Duration = .seconds(60)
    /// The largest key set accepted; real ones are a few KiB.
    public static let maximumSize = 1 << 20

    public nonisolated let uri: URL
    public nonisolated let minimumRefreshInterval: Duration
    public nonisolated let timeout: Duration
    private let onRefresh: (@Sendable (Bool) -> Void)?

    private var current: JWKSet?
    private var lastAttempt: ContinuousClock.Instant?
    private var inFlight: Task<Result<JWKSet, IdentityError>, Never>?
    /// Fetches that succeeded, the first one included.
    public private(set) var refreshCount = 0
    /// Fetches that failed; after each one the last good set (if any) stays in use.
    public private(set) var failureCount = 0
    /// Why the last fetch failed, until one succeeds.
    public private(set) var lastFailure: IdentityError?

    /// - Parameter onRefresh: called after every fetch with whether it succeeded, e.g. for a metric.
    public init(
        uri: URL, minimumRefreshInterval: Duration = defaultMinimumRefreshInterval, timeout: Duration = defaultTimeout,
        onRefresh: (@Sendable (Bool) -> Void)? = nil
    ) {
        self.uri = uri
        self.minimumRefreshInterval = minimumRefreshInterval
        self.timeout = timeout
        self.onRefresh = onRefresh
    }

    /// Fetches the key set unless one is cached; a server calls this at start and refuses to start when it throws.
    public func start() async throws(IdentityError) {
        if current != nil { return }
        _ = try await fetch().get()
    }

    /// How many keys the cached set holds, usable or not; nil before the first successful fetch.
    public var keyCount: Int? { current?.count }

    /// The cached set; fetched first when there is none yet (so a verifier works without `start()`), but not more
    /// often than the interval allows after a failure.
    func keys() async throws(IdentityError) -> JWKSet {
        if let current { return current }
        if let lastFailure, !refreshAllowed { throw lastFailure }
        return try await fetch().get()
    }

    /// The set to look an unknown `kid` up in again: fetched anew when the interval since the last fetch has passed,
    /// else (or when that fetch fails) the cached one.
    func keysAfterUnknownKeyID() async throws(IdentityError) -> JWKSet {
        guard let current else { return try await keys() }
        guard inFlight != nil || refreshAllowed else { return current }
        return (try? await fetch().get()) ?? current
    }

    private var refreshAllowed: Bool {
        guard let lastAttempt else { return true }
        return ContinuousClock.now - lastAttempt >= minimumRefreshInterval
    }

    /// One fetch at a time: callers arriving while one runs share its result.
    private func fetch() async -> Result<JWKSet, IdentityError> {
        if let inFlight { return await inFlight.value }
        lastAttempt = .now
        let (uri, timeout) = (self.uri, self.timeout)
        // A task of its own, so a cancelled request does not cancel the fetch the others are waiting for.
        let task = Task { await Self.download(uri, timeout: timeout) }
        inFlight = task
        let result = await task.value
        inFlight = nil
        switch result {
        case .success(let set):
            current = set
            lastFailure = nil
            refreshCount += 1
        case .failure(let error):
            lastFailure = error
            failureCount += 1
        }
        onRefresh?(result.isSuccess)
        return result
    }

    private struct Timeout: Error {}

    private static func download(_ uri: URL, timeout: Duration) async -> Result<JWKSet, IdentityError> {
        let origin = "the key set at `jwks_uri` \(uri.absoluteString)"
        let body: [UInt8]
        do {
            body = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                group.addTask { try await getBody(uri, timeout: timeout, origin: origin) }
                // AsyncHTTPClient's deadline ends with the response head; this one also covers the body. It comes a
                // little later so that when connecting fails, AsyncHTTPClient's error (which says why) wins.
                group.addTask {
                    try await Task.sleep(for: timeout + .milliseconds(250))
                    throw Timeout()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        } catch let error as IdentityError {
            return .failure(error)
        } catch is Timeout {
            return .failure(IdentityError("cannot fetch \(origin): no complete answer within \(seconds(timeout))"))
        } catch let error as HTTPClientError where [.deadlineExceeded, .connectTimeout, .readTimeout].contains(error) {
            return .failure(IdentityError("cannot fetch \(origin): no complete answer within \(seconds(timeout))"))
        } catch {
            return .failure(IdentityError("cannot fetch \(origin): \(error)"))
        }
        let json: JSON
        do {
            json = try JSON.parse(bytes: body)
        } catch {
            return .failure(IdentityError("\(origin) is not valid JSON: \(error)"))
        }
        do {
            return .success(try JWKSet(json: json))
        } catch {
            return .failure(IdentityError("\(origin): \(error.description)"))
        }
    }

    private static func getBody(_ uri: URL, timeout: Duration, origin: String) async throws -> [UInt8] {
        try OIDCConfiguration.checkJWKSURI(uri.absoluteString)
        var request = HTTPClientRequest(url: uri.absoluteString)
        request.headers.add(name: "Accept", value: "application/jwk-set+json, application/json")
        let response = try await HTTPClient.shared.execute(
            request, timeout: .nanoseconds(Int64(timeout / .nanoseconds(1))))
        // HTTPClient.shared follows redirects; each hop must pass the rule `jwks_uri` itself passes.
        for hop in response.history.dropFirst() {
            do {
                try OIDCConfiguration.checkJWKSURI(hop.request.url)
            } catch {
                throw IdentityError("cannot fetch \(origin): it redirects to \(hop.request.url): \(error.description)")
            }
        }
        guard response.status == .ok else {
            throw IdentityError("cannot fetch \(origin): the server answered HTTP \(response.status.code)")
        }
        let tooLarge = IdentityError("\(origin) is larger than \(maximumSize / 1024 / 1024) MiB")
        if let length = response.headers.first(name: "Content-Length").flatMap(Int.init), length > maximumSize {
            throw tooLarge
        }
        var body: [UInt8] = []
        for try await chunk in response.body {
            guard body.count + chunk.readableBytes <= maximumSize else { throw tooLarge }
            body.append(contentsOf: chunk.readableBytesView)
        }
        return body
    }

    private static func seconds(_ duration: Duration) -> String {
        let (whole, attoseconds) = duration.components
        return attoseconds == 0 ? "\(whole) s" : "\(Double(whole) + Double(attoseconds) / 1e18) s"
    }
}

extension Result {
    fileprivate var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}

extension JWKSet {
    /// No keys: `OIDCConfiguration.keys` when the keys come from `jwks_uri`.
    static let empty = JWKSet()

    private init() {
        keys = []
        unusableKeys = [:]
        count = 0
    }
}
