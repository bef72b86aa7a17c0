// Which store a location names, and what the commands do with one: open, migrate, back up, describe, close.
// `postgres://` and `postgresql://` URLs are PostgreSQL (several replicas); anything else is a SQLite file path.

import CavraDrills
import Foundation
import GRDB

public enum DrillStores {
    /// Whether `location` names a PostgreSQL store.
    public static func isPostgres(_ location: String) -> Bool { PostgresSettings.isURL(location) }

    /// Opens the store at `location`, migrating it. A SQLite file is created only when `create`; a PostgreSQL
    /// database must exist already (its tables are created on first use).
    public static func open(location: String, create: Bool) async throws -> any DrillStore {
        if isPostgres(location) {
            return try await PostgresDrillStore.open(settings: PostgresSettings(url: location))
        }
        if !create && !FileManager.default.fileExists(atPath: location) {
            throw StoreError("no store at `\(location)`")
        }
        return try SQLiteDrillStore(path: location)
    }

    /// Releases what a store holds open (PostgreSQL's connection pool); SQLite needs nothing.
    public static func close(_ store: any DrillStore) async {
        if let postgres = store as? PostgresDrillStore { await postgres.shutdown() }
    }

    /// `location` fit for logs and `/readyz`: a URL's password is masked.
    public static func describe(_ location: String) -> String { PostgresSettings.redact(location) }

    /// `sqlite` or `postgresql`.
    public static func kind(of store: any DrillStore) -> String {
        store is PostgresDrillStore ? "postgresql" : "sqlite"
    }

    /// What start-up found worth telling the operator (a PostgreSQL without `synchronous_commit = on`).
    public static func warnings(of store: any DrillStore) -> [String] {
        (store as? PostgresDrillStore)?.warnings ?? []
    }

    /// The schema versions before (nil: a new store) and after migrating.
    public struct Migration: Sendable, Equatable {
        public var from: Int?
        public var to: Int
    }

    /// Brings the store at `location` to this cavra's schema. A SQLite file must exist; a PostgreSQL migration
    /// runs under an advisory lock, so replicas starting together do not race.
    public static func migrate(location: String) async throws -> Migration {
        if isPostgres(location) {
            let (from, to) = try await PostgresDrillStore.migrate(settings: PostgresSettings(url: location))
            return Migration(from: from, to: to)
        }
        guard FileManager.default.fileExists(atPath: location) else { throw StoreError("no store at `\(location)`") }
        let before = try sqliteVersion(path: location)
        _ = try SQLiteDrillStore(path: location)
        return Migration(from: before, to: try sqliteVersion(path: location))
    }

    /// SQLite's schema version: how many of its migrations the file has.
    static func sqliteVersion(path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            return try queue.read { db in try SQLiteDrillStore.migrator.appliedIdentifiers(db).count }
        } catch {
            throw StoreError("cannot read the store `\(path)`: \(error)")
        }
    }

    /// Copies a SQLite store to `output` with SQLite's online backup, consistent even while a server writes.
    /// The copy is written beside `output` and renamed into place, so a failed backup leaves no partial file.
    public static func backupSQLite(path: String, to output: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError("no store at `\(path)`") }
        let partial = output + ".partial"
        try? FileManager.default.removeItem(atPath: partial)
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            let source = try DatabasePool(path: path, configuration: configuration)
            let destination = try DatabaseQueue(path: partial)
            try source.backup(to: destination)
            let check = try destination.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
            try destination.close()
            try source.close()
            guard check == "ok" else { throw StoreError("the copy does not pass SQLite's quick_check: \(check ?? "")") }
            if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
            try FileManager.default.moveItem(atPath: partial, toPath: output)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            if let error = error as? StoreError { throw error }
            throw StoreError("cannot back up `\(path)` to `\(output)`: \(error)")
        }
    }
}
