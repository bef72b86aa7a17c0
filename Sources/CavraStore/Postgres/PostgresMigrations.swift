// The PostgreSQL schema and its migrations. The tables mean what SQLite's mean (SQLiteDrillStore.swift); JSON
// documents are text written by CavraJSON, so a stored record reads back byte for byte. `schedule_locks` and
// `route_locks` hold one row per schedule or route ever locked, so even a schedule planned for the first time
// has a row two concurrent plan calls queue on.

import PostgresNIO

enum PostgresMigrations {
    struct Migration {
        var version: Int
        var name: String
        var statements: [String]
    }

    /// The advisory lock migrations run under, so replicas starting together migrate one after the other
    /// (the ASCII bytes of "cavramig").
    static let advisoryLock: Int64 = 7_161_135_116_128_708_967

    static let all: [Migration] = [
        Migration(
            version: 1, name: "tables",
            statements: [
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
                "CREATE TABLE schedules (schedule_id TEXT PRIMARY KEY, document TEXT NOT NULL, history TEXT)",
                """
                CREATE TABLE plans (
                    plan_id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL, cycle TEXT NOT NULL,
                    superseded BOOLEAN NOT NULL, document TEXT NOT NULL)
                """,
                "CREATE INDEX plans_by_schedule ON plans (schedule_id)",
                "CREATE TABLE route_plans (route_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL)",
                "CREATE INDEX route_plans_by_plan ON route_plans (plan_id)",
                """
                CREATE TABLE records (
                    route_id TEXT NOT NULL, sequence BIGINT NOT NULL, acknowledgement_id TEXT NOT NULL UNIQUE,
                    state TEXT NOT NULL, hash TEXT NOT NULL, document TEXT NOT NULL,
                    PRIMARY KEY (route_id, sequence))
                """,
                """
                CREATE TABLE refusals (
                    chain TEXT NOT NULL, sequence BIGINT NOT NULL, entry_id TEXT NOT NULL UNIQUE,
                    hash TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (chain, sequence))
                """,
                """
                CREATE TABLE history (
                    id BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, schedule_id TEXT NOT NULL, provider TEXT,
                    at BIGINT NOT NULL, document TEXT NOT NULL)
                """,
                "CREATE INDEX history_by_schedule ON history (lower(schedule_id))",
                "CREATE TABLE policies (sha256 TEXT PRIMARY KEY, document TEXT NOT NULL)",
                "CREATE TABLE audit_packages (audit_id TEXT PRIMARY KEY, document TEXT NOT NULL)",
                """
                CREATE TABLE answers (
                    key TEXT PRIMARY KEY, request_sha256 TEXT NOT NULL, status INTEGER NOT NULL,
                    body TEXT NOT NULL, created_at BIGINT NOT NULL)
                """,
                "CREATE INDEX answers_by_age ON answers (created_at)",
                "CREATE TABLE schedule_locks (schedule_id TEXT PRIMARY KEY)",
                "CREATE TABLE route_locks (route_id TEXT PRIMARY KEY)",
            ]),
        // Reads compare a plan's digest with the decoded plans they keep, and read its text only when it differs.
        Migration(
            version: 2, name: "plan digests",
            statements: [
                "ALTER TABLE plans ADD COLUMN document_sha256 TEXT NOT NULL DEFAULT ''",
                "UPDATE plans SET document_sha256 = encode(sha256(convert_to(document, 'UTF8')), 'hex')",
            ]),
    ]

    static var latest: Int { all.map(\.version).max() ?? 0 }

    static func newerSchema(_ version: Int, _ where: String) -> StoreError {
        StoreError(
            "the store \(`where`) has a newer schema than this cavra understands; upgrade cavra "
                + "(its schema version is \(version), this cavra knows up to \(latest))")
    }

    /// The applied version: nil when the store has no schema yet.
    static func version(_ connection: PostgresConnection) async throws -> Int? {
        let rows = try await PostgresCalls.run(
            "SELECT to_regclass('schema_migrations') IS NOT NULL", on: connection
        )
        guard try rows.first?.decode(Bool.self) == true else { return nil }
        let version = try await PostgresCalls.run(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", on: connection
        )
        return try version.first?.decode(Int.self) ?? 0
    }

    /// Brings the schema to `latest` under the advisory lock; returns the versions before and after. A store
    /// already current is not locked at all.
    static func migrate(_ connection: PostgresConnection, schema: String?, describedAs location: String)
        async throws -> (from: Int?, to: Int)
    {
        let seen = try await version(connection)
        if let seen, seen > latest { throw newerSchema(seen, location) }
        if seen == latest { return (seen, latest) }
        return try await PostgresCalls.transaction(connection) { connection in
            // Migrations may wait behind another replica's; the row-lock timeout of calls is far too short here.
            try await PostgresCalls.run("SET LOCAL lock_timeout = '120s'", on: connection)
            try await PostgresCalls.run(
                "SELECT pg_advisory_xact_lock(\(advisoryLock))", on: connection)
            if let schema {
                // `schema` is a plain identifier (PostgresSettings checks it), so quoting it is enough.
                try await PostgresCalls.run(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \"\(schema)\""), on: connection)
            }
            try await PostgresCalls.run(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
                """, on: connection)
            // Read again under the lock: another replica may have migrated meanwhile.
            let current = try await version(connection) ?? 0
            if current > latest { throw newerSchema(current, location) }
            for migration in all where migration.version > current {
                for statement in migration.statements {
                    try await PostgresCalls.run(PostgresQuery(unsafeSQL: statement), on: connection)
                }
                try await PostgresCalls.run(
                    "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                    on: connection)
            }
            return (seen, latest)
        }
    }
}
