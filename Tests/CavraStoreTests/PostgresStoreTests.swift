// What only the PostgreSQL store has: URLs and their masked form, a bounded wait on an unreachable database or a
// held lock (the service's 503), and recovery, without a restart, once the database is back.

import CavraDrills
import CavraPolicy
import CavraStore
import CavraTesting
import Foundation
import PostgresNIO
import Testing

@Suite struct PostgresSettingsTests {
    @Test func aURLNamesHostPortUserPasswordDatabaseAndTLS() throws {
        let settings = try PostgresSettings(
            url: "postgresql://cavra:p%40ss@db.example.com:6543/drills?sslmode=require&connect_timeout=3")
        #expect(settings.host == "db.example.com")
        #expect(settings.port == 6543)
        #expect(settings.username == "cavra")
        #expect(settings.password == "p@ss")
        #expect(settings.database == "drills")
        #expect(settings.tls == .require)
        #expect(settings.connectTimeout == .seconds(3))
        let defaults = try PostgresSettings(url: "postgres://cavra@localhost")
        #expect(defaults.port == 5432)
        #expect(defaults.database == "cavra")
        #expect(defaults.tls == .prefer)
        #expect(defaults.password == nil)
        #expect(try PostgresSettings(url: "postgres://u@h/d?sslmode=disable").tls == .disable)
        #expect(try PostgresSettings(url: "postgres://u@[::1]:5433/d").host == "::1")
    }

    @Test func aBadURLIsRefusedWithoutShowingItsPassword() {
        for url in [
            "postgres://u:secret@h/d?sslmode=sometimes", "postgres://u:secret@h/d?sslmod=require",
            "postgres://:secret@h/d", "postgres://u:secret@h/d?schema=bad-name",
        ] {
            do {
                _ = try PostgresSettings(url: url)
                Issue.record("`\(url)` was accepted")
            } catch {
                #expect(!"\(error)".contains("secret"), "\(error)")
            }
        }
    }

    @Test func theDescriptionNeverHoldsThePassword() {
        let url = "postgres://cavra:hunter2@db:5432/cavra?sslmode=require"
        #expect(DrillStores.describe(url) == "postgres://cavra:***@db:5432/cavra?sslmode=require")
        #expect(!DrillStores.describe("postgres://cavra:hunter2@db/cavra?sslmode=bogus").contains("hunter2"))
        #expect(DrillStores.describe("postgres://cavra@db/cavra") == "postgres://cavra@db:5432/cavra?sslmode=prefer")
        #expect(DrillStores.describe(".cavra/cavra.sqlite") == ".cavra/cavra.sqlite")
        #expect(DrillStores.isPostgres("POSTGRESQL://x@y/z") && !DrillStores.isPostgres("postgres.sqlite"))
    }
}

@Suite(.enabled(if: !StoreEngine.skipPostgres, "CAVRA_SKIP_POSTGRES=1"))
struct PostgresStoreTests {
    private let productionId = "go_backend_checkout_fallback_monthly"
    @Test func anUnreachableDatabaseIsAnErrorNotAHang() async throws {
        var settings = PostgresSettings(
            host: "127.0.0.1", port: 1, username: "cavra", password: "hunter2", database: "x")
        settings.connectTimeout = .seconds(1)
        do {
            let store = try await PostgresDrillStore.open(settings: settings)
            await store.shutdown()
            Issue.record("a store opened on a closed port")
        } catch let error as StoreError {
            #expect(error.description.contains("cannot open the store"))
            #expect(!error.description.contains("hunter2"))
        }
    }

    /// A writer that cannot get a route's row lock within `lock_timeout` gives up: a store error (503), never
    /// a request waiting without bound; once the lock is free the same call succeeds.
    @Test func aHeldRouteLockTimesOutAsAStoreError() async throws {
        try await ServiceFixture.with(.postgresql, urlParameters: "&lock_timeout=300") { fixture in
            let plan = try await fixture.planProduction().plan
            let teams = try #require(plan.routes.first { $0.provider == "teams" })
            let settings = try PostgresSettings(url: fixture.location)
            let holder = try await PostgresConnection.connect(
                configuration: settings.connectionConfiguration(), id: 7, logger: Logger(label: "cavra.tests"))
            let logger = Logger(label: "cavra.tests")
            // The route's lock row exists once someone locked it; here the test is first.
            try await holder.query(
                "INSERT INTO route_locks (route_id) VALUES (\(teams.routeId)) ON CONFLICT DO NOTHING", logger: logger)
            try await holder.query("BEGIN", logger: logger)
            let locked = try await holder.query(
                "SELECT route_id FROM route_locks WHERE route_id = \(teams.routeId) FOR UPDATE", logger: logger
            ).collect()
            #expect(locked.count == 1)
            let target = RouteTarget(scheduleId: productionId, provider: "teams")
            do {
                _ = try await fixture.service.act(
                    .acknowledge, on: target, context: ServiceFixture.context(ServiceFixture.commander))
                Issue.record("a write went through a held lock")
            } catch let error as ServiceError {
                #expect(error.code == "store_unavailable")
                #expect(error.httpStatus == 503)
                #expect(error.detail.contains("lock"), "\(error.detail)")
            }
            try await holder.query("ROLLBACK", logger: logger)
            try await holder.close()
            let record = try await fixture.service.act(
                .acknowledge, on: target, context: ServiceFixture.context(ServiceFixture.commander))
            #expect(record.sequence == 1)
        }
    }

    /// The database goes away (a proxy in front of it is killed): calls fail promptly; it comes back: the same
    /// store serves again, no restart, nothing lost.
    @Test func theStoreRecoversByItselfWhenTheDatabaseComesBack() async throws {
        let python = try #require(AuditCLI.python, "python3 runs the proxy that stands in for a network outage")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-proxy-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = ServiceFixture.repositoryRoot.appendingPathComponent("Tests/postgres/proxy.py")
        let schema = TestPostgres.freshSchemaName()
        var settings = try PostgresSettings(url: TestPostgres.url(schema: schema))
        let database = [settings.host, "\(settings.port)"]
        var proxy = try ServerProcess(python, [script.path, "0"] + database, cwd: directory, timeout: 20)
        defer { proxy.stop(signal: SIGKILL) }
        let port = proxy.port
        settings.host = "127.0.0.1"
        settings.port = port
        settings.connectTimeout = .seconds(1)
        let store = try await PostgresDrillStore.open(settings: settings)
        do {
            let service = DrillService(
                store: store, policies: { PolicySet(enforced: try! Self.policy) },
                clock: { ServiceFixture.exampleNow })
            _ = try await service.plan(
                schedule: try ServiceFixture.example("schedule-checkout-production.json"),
                history: try ServiceFixture.example("history-checkout-production.json"), force: false,
                context: ServiceFixture.context(ServiceFixture.planner))

            proxy.stop(signal: SIGKILL)
            for _ in 0..<3 {
                await #expect(throws: StoreError.self) { try await store.plans(scheduleId: nil) }
            }
            let teams = RouteTarget(scheduleId: productionId, provider: "teams")
            do {
                _ = try await service.act(
                    .acknowledge, on: teams, context: ServiceFixture.context(ServiceFixture.commander))
                Issue.record("a write succeeded with the database away")
            } catch {
                #expect(error.code == "store_unavailable")
            }

            proxy = try ServerProcess(python, [script.path, "\(port)"] + database, cwd: directory, timeout: 20)
            // The pool reconnects in the background (with a growing back-off); no call may hang meanwhile.
            let deadline = ContinuousClock.now + .seconds(30)
            var plans: [CavraDrills.Plan] = []
            while plans.isEmpty {
                do {
                    plans = try await store.plans(scheduleId: nil)
                } catch {
                    if ContinuousClock.now > deadline { throw error }
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(plans.count == 1)
            let record = try await service.act(
                .acknowledge, on: teams, context: ServiceFixture.context(ServiceFixture.commander))
            #expect(record.sequence == 1)
            let routeId = try #require(record.json["route_id"]?.stringValue)
            #expect(try await store.records(routeId: routeId).count == 1)
        } catch {
            await store.shutdown()
            await TestPostgres.dropSchema(schema)
            throw error
        }
        await store.shutdown()
        await TestPostgres.dropSchema(schema)
    }

    static var policy: CompiledPolicy {
        get throws {
            try #require(
                PolicyCompiler.compile(
                    PolicySource.load(path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
                ).policy)
        }
    }
}
