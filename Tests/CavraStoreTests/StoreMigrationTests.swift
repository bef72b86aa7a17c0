// Migrations on each engine: a second run changes nothing, and stores opening a new database together do not race.

import CavraDrills
import CavraJSON
import CavraStore
import Foundation
import PostgresNIO
import Testing

@Suite struct StoreMigrationTests {
    @Test(arguments: StoreEngine.tested)
    func migratingTwiceChangesNothing(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let first = try await DrillStores.migrate(location: fixture.location)
            let second = try await DrillStores.migrate(location: fixture.location)
            #expect(first.from == first.to)
            #expect(second == first)
            #expect(first.to > 0)
            if engine == .postgresql {
                #expect(first.to == PostgresDrillStore.schemaVersion)
                let rows = try await TestPostgres.execute(
                    ["SELECT count(*), max(version) FROM schema_migrations"], schema: fixture.schema)
                let (count, latest) = try #require(rows.first).decode((Int, Int).self)
                #expect(count == PostgresDrillStore.schemaVersion)
                #expect(latest == PostgresDrillStore.schemaVersion)
            }
            #expect(try await fixture.store.plans(scheduleId: nil).count == 1)
        }
    }

    /// A store from before plan digests (SQLite v5, PostgreSQL 2): the migration computes the digest of every stored
    /// plan, and the plans read back as they were.
    @Test(arguments: StoreEngine.tested)
    func anOlderStoreGetsItsPlanDigests(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let before = try await fixture.store.plans(scheduleId: nil)
            switch engine {
            case .sqlite:
                try SQLiteTestAccess.execute(
                    """
                    DROP INDEX route_plans_by_plan; ALTER TABLE plans DROP COLUMN document_sha256;
                    DELETE FROM grdb_migrations WHERE identifier = 'v5-plan-digests'
                    """, path: fixture.location)
            case .postgresql:
                _ = try await TestPostgres.execute(
                    [
                        "ALTER TABLE plans DROP COLUMN document_sha256",
                        "DELETE FROM schema_migrations WHERE version = 2",
                    ],
                    schema: fixture.schema)
            }
            let migrated = try await DrillStores.migrate(location: fixture.location)
            #expect(migrated.from != migrated.to)
            let rows: [(String, String)]
            switch engine {
            case .sqlite:
                rows = try SQLiteTestAccess.strings(
                    "SELECT document, document_sha256 FROM plans", path: fixture.location
                )
                .map { ($0[0], $0[1]) }
            case .postgresql:
                rows = try await TestPostgres.execute(
                    ["SELECT document, document_sha256 FROM plans"], schema: fixture.schema
                ).map { try $0.decode((String, String).self) }
            }
            #expect(rows.count == before.count)
            for (document, digest) in rows { #expect(digest == CavraHash.sha256Hex(document)) }
            let reopened = try await fixture.reopen()
            #expect(try await reopened.plans(scheduleId: nil) == before)
            await DrillStores.close(reopened)
        }
    }

    /// A plan's text is the last column of its SQLite row, so reading its digest does not read the text's overflow
    /// pages; a store from before (v5) is rebuilt that way and reads back the same plans.
    @Test func sqlitePlansKeepTheirTextLast() async throws {
        try await ServiceFixture.with(.sqlite) { fixture in
            _ = try await fixture.planProduction()
            let before = try await fixture.store.plans(scheduleId: nil)
            let columns = { () throws -> [String] in
                try SQLiteTestAccess.strings(
                    "SELECT name FROM pragma_table_info('plans') ORDER BY cid", path: fixture.location
                )
                .map { $0[0] }
            }
            #expect(try columns().last == "document")
            try SQLiteTestAccess.execute(
                """
                CREATE TABLE plans_v5 (
                    plan_id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL, cycle TEXT NOT NULL,
                    superseded INTEGER NOT NULL, document TEXT NOT NULL, document_sha256 TEXT NOT NULL DEFAULT '');
                INSERT INTO plans_v5 SELECT plan_id, schedule_id, cycle, superseded, document, document_sha256 FROM plans;
                DROP TABLE plans; ALTER TABLE plans_v5 RENAME TO plans;
                CREATE INDEX plans_by_schedule ON plans (schedule_id);
                DELETE FROM grdb_migrations WHERE identifier = 'v6-plan-text-last'
                """, path: fixture.location)
            #expect(try columns().last == "document_sha256")
            let migrated = try await DrillStores.migrate(location: fixture.location)
            #expect(migrated.from != migrated.to)
            #expect(try columns() == ["plan_id", "schedule_id", "cycle", "superseded", "document_sha256", "document"])
            #expect(
                try SQLiteTestAccess.strings(
                    "SELECT name FROM pragma_index_list('plans') ORDER BY name", path: fixture.location
                )
                .map { $0[0] }.contains("plans_by_schedule"))
            let reopened = try await fixture.reopen()
            #expect(try await reopened.plans(scheduleId: nil) == before)
            await DrillStores.close(reopened)
        }
    }

    /// Replicas starting together on an empty database: every one opens the store, the schema is created once.
    @Test(arguments: StoreEngine.tested)
    func storesMigratingConcurrentlyDoNotRace(_ engine: StoreEngine) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-migrate-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let schema = TestPostgres.freshSchemaName()
        defer { try? FileManager.default.removeItem(at: directory) }
        let location =
            engine == .sqlite
            ? directory.appendingPathComponent("cavra.sqlite").path : try TestPostgres.url(schema: schema)
        do {
            let stores = try await withThrowingTaskGroup(of: (any DrillStore).self) { group in
                for _ in 0..<6 { group.addTask { try await DrillStores.open(location: location, create: true) } }
                var stores: [any DrillStore] = []
                for try await store in group { stores.append(store) }
                return stores
            }
            #expect(stores.count == 6)
            let migration = try await DrillStores.migrate(location: location)
            #expect(migration.from == migration.to)
            if engine == .postgresql {
                let rows = try await TestPostgres.execute(
                    ["SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version"],
                    schema: schema)
                let counts = try rows.map { try $0.decode((Int, Int).self) }
                #expect(counts.map(\.0) == Array(1...PostgresDrillStore.schemaVersion))
                #expect(counts.allSatisfy { $0.1 == 1 })
            }
            for store in stores {
                #expect(try await store.plans(scheduleId: nil).isEmpty)
                await DrillStores.close(store)
            }
        } catch {
            if engine == .postgresql { await TestPostgres.dropSchema(schema) }
            throw error
        }
        if engine == .postgresql { await TestPostgres.dropSchema(schema) }
    }
}
