// Shared set-up of the store and service tests: a real store (a SQLite file, or a PostgreSQL schema of its own),
// the repository's policy, a pinned clock.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import PostgresNIO
import Synchronization
import Testing

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Timestamp>

    init(_ start: Timestamp) { current = Mutex(start) }

    var now: Timestamp { current.withLock { $0 } }

    func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}

/// The store engines the store-level and service-level tests run on, the same test for each.
enum StoreEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgresql

    var testDescription: String { rawValue }

    /// Both engines. PostgreSQL is left out only on request (`CAVRA_SKIP_POSTGRES=1`, for quick local runs);
    /// without `CAVRA_TEST_DATABASE_URL` its cases fail, saying how to provide one.
    static var tested: [StoreEngine] { skipPostgres ? [.sqlite] : allCases }

    static var skipPostgres: Bool { ProcessInfo.processInfo.environment["CAVRA_SKIP_POSTGRES"] == "1" }
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

/// The PostgreSQL the tests use (`CAVRA_TEST_DATABASE_URL`), and what they do on it directly.
enum TestPostgres {
    static var url: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["CAVRA_TEST_DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError(
                    description:
                        "CAVRA_TEST_DATABASE_URL is not set, so the PostgreSQL cases cannot run: start one with "
                        + "`export CAVRA_TEST_DATABASE_URL=\"$(bash Tests/postgres/ensure.sh)\"` (make test does), "
                        + "or set CAVRA_SKIP_POSTGRES=1 to leave them out of a quick local run")
            }
            return url
        }
    }

    /// The test database's URL, its tables in `schema` and a pool small enough for many fixtures at once.
    static func url(schema: String, extra: String = "") throws -> String {
        let base = try url
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)&pool_size=8" + extra
    }

    static func freshSchemaName() -> String {
        "cavra_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    }

    /// Runs `sql` statements on a connection of their own (in `schema` when given) and returns the last one's rows.
    @discardableResult
    static func execute(_ statements: [String], schema: String? = nil) async throws -> [PostgresRow] {
        var settings = try PostgresSettings(url: url)
        settings.schema = schema
        settings.applicationName = "cavra-tests"
        return try await execute(statements, settings: settings)
    }

    static func execute(_ statements: [String], settings: PostgresSettings) async throws -> [PostgresRow] {
        let connection = try await PostgresConnection.connect(
            configuration: settings.connectionConfiguration(), id: 1, logger: Logger(label: "cavra.tests"))
        do {
            var rows: [PostgresRow] = []
            for statement in statements {
                rows = try await connection.query(
                    PostgresQuery(unsafeSQL: statement), logger: Logger(label: "cavra.tests")
                )
                .collect()
            }
            try await connection.close()
            return rows
        } catch {
            try? await connection.close()
            throw error
        }
    }

    /// Runs `body` with the name of a fresh schema, dropped afterwards.
    static func withSchema(_ body: (String) async throws -> Void) async throws {
        let schema = freshSchemaName()
        do {
            try await body(schema)
        } catch {
            await dropSchema(schema)
            throw error
        }
        await dropSchema(schema)
    }

    static func dropSchema(_ schema: String) async {
        _ = try? await execute(["DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE"])
    }

    /// At most this many PostgreSQL fixtures at once: each holds a pool of its own, and the server's
    /// `max_connections` is finite.
    static let gate = Gate(permits: 8)
}

/// A counting semaphore for async code.
actor Gate {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(permits: Int) { free = permits }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

struct ServiceFixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repositoryRoot.appendingPathComponent("Tests/CavraDrillsTests/Fixtures")
    /// The examples' "now".
    static let exampleNow = Timestamp(milliseconds: 1_795_953_600_000)

    let engine: StoreEngine
    /// A scratch directory (and, on SQLite, the store's).
    let directory: URL
    /// The SQLite file's path, or the PostgreSQL URL of the fixture's own schema.
    let location: String
    let store: any DrillStore
    let clock: TestClock
    let service: DrillService
    /// PostgreSQL only: the schema that holds this fixture's tables.
    let schema: String?

    /// A SQLite store, for the tests that are not about storage.
    init(policyText: String? = nil) throws {
        let directory = try Self.scratchDirectory()
        let path = directory.appendingPathComponent("cavra.sqlite").path
        try self.init(
            engine: .sqlite, directory: directory, location: path, store: SQLiteDrillStore(path: path), schema: nil,
            policyText: policyText)
    }

    private init(
        engine: StoreEngine, directory: URL, location: String, store: any DrillStore, schema: String?,
        policyText: String?
    ) throws {
        self.engine = engine
        self.directory = directory
        self.location = location
        self.store = store
        self.schema = schema
        let source =
            try policyText.map { PolicySource(text: $0) }
            ?? PolicySource.load(path: Self.repositoryRoot.appendingPathComponent("policy").path)
        let policy = try #require(PolicyCompiler.compile(source).policy)
        let clock = TestClock(Self.exampleNow)
        self.clock = clock
        service = DrillService(store: store, policies: { PolicySet(enforced: policy) }, clock: { clock.now })
    }

    private static func scratchDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cavra-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// A fixture on `engine`; on PostgreSQL a schema of its own, so tests never see each other's rows. Close it.
    /// `urlParameters` (`&name=value…`) tune the PostgreSQL store, such as a short `lock_timeout`.
    static func make(_ engine: StoreEngine, policyText: String? = nil, urlParameters: String = "") async throws
        -> ServiceFixture
    {
        switch engine {
        case .sqlite:
            return try ServiceFixture(policyText: policyText)
        case .postgresql:
            let schema = TestPostgres.freshSchemaName()
            let location = try TestPostgres.url(schema: schema, extra: urlParameters)
            await TestPostgres.gate.acquire()
            do {
                let store = try await DrillStores.open(location: location, create: true)
                return try ServiceFixture(
                    engine: .postgresql, directory: try scratchDirectory(), location: location, store: store,
                    schema: schema, policyText: policyText)
            } catch {
                await TestPostgres.gate.release()
                await TestPostgres.dropSchema(schema)
                throw error
            }
        }
    }

    /// Runs `body` on a fresh fixture on `engine`, then closes it, whatever `body` did.
    static func with(
        _ engine: StoreEngine, policyText: String? = nil, urlParameters: String = "",
        _ body: (ServiceFixture) async throws -> Void
    ) async throws {
        let fixture = try await make(engine, policyText: policyText, urlParameters: urlParameters)
        do {
            try await body(fixture)
        } catch {
            await fixture.close()
            throw error
        }
        await fixture.close()
    }

    /// Another store on the same data, as a second process would open it; the caller closes it.
    func reopen() async throws -> any DrillStore {
        try await DrillStores.open(location: location, create: false)
    }

    /// Makes the store look as if a newer cavra had migrated it.
    func pretendNewerSchema() async throws {
        switch engine {
        case .sqlite:
            try SQLiteTestAccess.execute("INSERT INTO grdb_migrations (identifier) VALUES ('v99')", path: location)
        case .postgresql:
            try await TestPostgres.execute(
                ["INSERT INTO schema_migrations (version, name) VALUES (99, 'from the future')"], schema: schema)
        }
    }

    /// Closes the store and throws its data away.
    func close() async {
        await DrillStores.close(store)
        if let schema {
            await TestPostgres.dropSchema(schema)
            await TestPostgres.gate.release()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    static func example(_ name: String) throws -> JSON {
        try JSON.parse(String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8))
    }

    static let planner = Actor(
        id: "planner@example.com", verified: true, issuer: "https://id", subject: "p1", groups: ["drill-planners"])
    static let commander = Actor(
        id: "ic@example.com", verified: true, issuer: "https://id", subject: "ic1", groups: ["incident-commanders"])
    static let releaseManager = Actor.unverified("rm", groups: ["release-managers"])

    static func context(_ actor: Actor, note: String = "", ref: String = "") -> CallContext {
        CallContext(actor: actor, channel: .cli, input: OperatorInput(notes: note, externalRef: ref))
    }

    /// Plans the production example: critical, two delivered routes and four suppressed ones.
    func planProduction() async throws -> PlanResult {
        try await service.plan(
            schedule: try Self.example("schedule-checkout-production.json"),
            history: try Self.example("history-checkout-production.json"), force: false,
            context: Self.context(Self.planner))
    }

    /// Removes a SQLite fixture's files (the tests that use `init(policyText:)`).
    func remove() { try? FileManager.default.removeItem(at: directory) }
}
