// Migrations on each engine: a second run changes nothing, and stores opening a new database together do not race.

import CavraDrills
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
