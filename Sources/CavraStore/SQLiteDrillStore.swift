// The embedded store (architecture.md §9): one SQLite file in WAL mode with `synchronous=FULL`, a busy
// timeout, and every write a `BEGIN IMMEDIATE` transaction, so the CLI and a server can share the file and a
// success answer means the record survives power loss.

import CavraDrills
import CavraJSON
import CavraPolicy
import Foundation
import GRDB

public final class SQLiteDrillStore: DrillStore {
    public let path: String
    private let pool: DatabasePool
    private let batches: WriteBatches
    private let checkpointer: WALCheckpointer

    /// Opens (creating when absent) the store at `path`, migrating it; a store with a newer schema is refused.
    public init(path: String) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // After the pool is open: opening it puts its writer in WAL mode with `synchronous = NORMAL`, which
            // can lose the last commits on power loss. With FULL, a commit returns once the WAL is synced.
            try pool.barrierWriteWithoutTransaction { db in
                try db.execute(
                    sql: """
                        PRAGMA synchronous = FULL;
                        PRAGMA wal_autocheckpoint = \(WALCheckpointer.writerThreshold)
                        """)
            }
            // Read first: a reader must not wait behind a running writer just to learn the schema is current.
            let (superseded, complete) = try pool.read { db in
                (try Self.migrator.hasBeenSuperseded(db), try Self.migrator.hasCompletedMigrations(db))
            }
            if superseded {
                throw StoreError("the store `\(path)` has a newer schema than this cavra understands; upgrade cavra")
            }
            if !complete { try Self.migrate(pool) }
            batches = WriteBatches(pool: pool)
            checkpointer = try WALCheckpointer(path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot open the store `\(path)`: \(error)")
        }
    }

    /// Migrates `pool`, also while another process migrates the same file: GRDB reads which migrations are applied
    /// before running them, each in a transaction of its own, so of two processes starting together the later one
    /// fails on what the other just created. It then starts again from what is applied now, for as long as the
    /// other process makes progress; a failure with no progress elsewhere is a real one.
    private static func migrate(_ pool: DatabasePool) throws {
        var applied = try pool.read { try migrator.appliedIdentifiers($0) }
        while true {
            do {
                try migrator.migrate(pool)
                return
            } catch {
                let (now, complete) = try pool.read {
                    (try migrator.appliedIdentifiers($0), try migrator.hasCompletedMigrations($0))
                }
                if complete { return }
                guard now != applied else { throw error }
                applied = now
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE schedules (
                        schedule_id TEXT PRIMARY KEY, document TEXT NOT NULL, history TEXT);
                    CREATE TABLE plans (
                        plan_id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL, cycle TEXT NOT NULL,
                        superseded INTEGER NOT NULL, document TEXT NOT NULL);
                    CREATE INDEX plans_by_schedule ON plans (schedule_id);
                    CREATE TABLE route_plans (route_id TEXT PRIMARY KEY, plan_id TEXT NOT NULL);
                    CREATE TABLE records (
                        route_id TEXT NOT NULL, sequence INTEGER NOT NULL, acknowledgement_id TEXT NOT NULL UNIQUE,
                        state TEXT NOT NULL, hash TEXT NOT NULL, document TEXT NOT NULL,
                        PRIMARY KEY (route_id, sequence));
                    CREATE TABLE refusals (
                        chain TEXT NOT NULL, sequence INTEGER NOT NULL, entry_id TEXT NOT NULL UNIQUE,
                        hash TEXT NOT NULL, document TEXT NOT NULL, PRIMARY KEY (chain, sequence));
                    CREATE TABLE history (
                        id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, schedule_id TEXT NOT NULL,
                        provider TEXT, at INTEGER NOT NULL, document TEXT NOT NULL);
                    CREATE INDEX history_by_schedule ON history (schedule_id);
                    CREATE TABLE idempotency (
                        key TEXT PRIMARY KEY, request_sha256 TEXT NOT NULL, response TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v3-audit-packages") { db in
            try db.execute(
                sql: """
                    CREATE TABLE audit_packages (audit_id TEXT PRIMARY KEY, document TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v2-policies") { db in
            try db.execute(
                sql: """
                    CREATE TABLE policies (sha256 TEXT PRIMARY KEY, document TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v4-answers") { db in
            try db.execute(
                sql: """
                    CREATE TABLE answers (
                        key TEXT PRIMARY KEY, request_sha256 TEXT NOT NULL, status INTEGER NOT NULL,
                        body TEXT NOT NULL, created_at INTEGER NOT NULL);
                    DROP TABLE idempotency;
                    """)
        }
        // Reads compare a plan's digest with the decoded plans they keep, and read its text only when it differs
        // (PlanDocument); the route list reads the newest record of every route of the current plans, by plan.
        migrator.registerMigration("v5-plan-digests") { db in
            try db.execute(sql: "ALTER TABLE plans ADD COLUMN document_sha256 TEXT NOT NULL DEFAULT ''")
            for row in try Row.fetchAll(db, sql: "SELECT plan_id, document FROM plans") {
                try db.execute(
                    sql: "UPDATE plans SET document_sha256 = ? WHERE plan_id = ?",
                    arguments: [CavraHash.sha256Hex(row["document"] as String), row["plan_id"] as String])
            }
            try db.execute(sql: "CREATE INDEX route_plans_by_plan ON route_plans (plan_id)")
        }
        // SQLite reads a row's columns in order, and a plan's text (hundreds of kilobytes for a large plan) fills
        // overflow pages: with the digest after the text, reading the digest read the whole text from disk. The
        // text is now the last column.
        migrator.registerMigration("v6-plan-text-last") { db in
            try db.execute(
                sql: """
                    CREATE TABLE plans_v6 (
                        plan_id TEXT PRIMARY KEY, schedule_id TEXT NOT NULL, cycle TEXT NOT NULL,
                        superseded INTEGER NOT NULL, document_sha256 TEXT NOT NULL, document TEXT NOT NULL);
                    INSERT INTO plans_v6 (plan_id, schedule_id, cycle, superseded, document_sha256, document)
                        SELECT plan_id, schedule_id, cycle, superseded, document_sha256, document FROM plans;
                    DROP TABLE plans;
                    ALTER TABLE plans_v6 RENAME TO plans;
                    CREATE INDEX plans_by_schedule ON plans (schedule_id);
                    """)
        }
        return migrator
    }

    /// The writer's `PRAGMA synchronous`: 2 (FULL) once the store is open, so that an answer means a synced commit.
    public func writerSynchronousMode() async throws -> Int {
        try await pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    // MARK: Writes

    /// Loads, decides and saves in a savepoint of the next batch's `BEGIN IMMEDIATE` transaction (WriteBatches): the
    /// write lock is taken before anything is read, so the rows read are the rows changed, and the writes before
    /// it in the batch are already visible. Returns once the batch has committed.
    public func write<Result: Sendable>(
        _ scope: LockScope, _ body: @Sendable (inout WorkingSet) throws -> Result
    ) async throws -> Result {
        try await withoutActuallyEscaping(body) { body in
            let box = BodyBox(body)
            defer { box.clear() }
            return try await batches.perform { db in
                var working = try Self.load(scope, db)
                let result = try box.run(&working)
                try Self.save(working, db)
                return result
            }
        }
    }

    /// Transactions the writes were committed in, and how many writes they held.
    public var committedWrites: (transactions: Int, writes: Int) { batches.committed }
    /// Writes waiting for the writer.
    public var waitingWrites: Int { batches.waiting }

    private static func load(_ scope: LockScope, _ db: Database) throws -> WorkingSet {
        var working = WorkingSet()
        for id in scope.scheduleIds {
            for plan in try plans(db, "SELECT plan_id, document_sha256 FROM plans WHERE schedule_id = ?", [id]) {
                working.plans[plan.planId] = plan
            }
        }
        for id in scope.routeIds {
            let query = """
                SELECT p.plan_id, p.document_sha256 FROM route_plans r JOIN plans p ON p.plan_id = r.plan_id
                WHERE r.route_id = ?
                """
            for plan in try plans(db, query, [id]) {
                working.plans[plan.planId] = plan
            }
            if let head = try routeHead(id, db) { working.routeHeads[id] = head }
        }
        for chain in scope.chains {
            if let row = try Row.fetchOne(
                try db.cachedStatement(
                    sql: "SELECT sequence, hash FROM refusals WHERE chain = ? ORDER BY sequence DESC LIMIT 1"),
                arguments: [chain])
            {
                working.chainHeads[chain] = ChainHead(sequence: row["sequence"], hash: row["hash"])
            }
        }
        return working
    }

    private static func save(_ working: WorkingSet, _ db: Database) throws {
        // Every write runs the same few statements: prepared once per connection, not once per call.
        func run(_ sql: String, _ arguments: StatementArguments) throws {
            try db.cachedStatement(sql: sql).execute(arguments: arguments)
        }
        for schedule in working.savedSchedules {
            try run(
                "INSERT OR REPLACE INTO schedules (schedule_id, document, history) VALUES (?, ?, ?)",
                [schedule.scheduleId, schedule.document.serialized(), schedule.history?.serialized()])
        }
        for plan in working.savedPlans {
            let stored = PlanDocument.stored(plan)
            try run(
                """
                INSERT OR REPLACE INTO plans (plan_id, schedule_id, cycle, superseded, document, document_sha256)
                VALUES (?, ?, ?, ?, ?, ?)
                """, [plan.planId, plan.scheduleId, plan.cycle, plan.superseded, stored.text, stored.sha256])
            for route in plan.routes {
                try run(
                    "INSERT OR IGNORE INTO route_plans (route_id, plan_id) VALUES (?, ?)", [route.routeId, plan.planId])
            }
        }
        for record in working.records {
            let json = record.json
            try run(
                """
                INSERT INTO records (route_id, sequence, acknowledgement_id, state, hash, document)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                [
                    json["route_id"]?.stringValue, record.sequence, json["acknowledgement_id"]?.stringValue,
                    json["acknowledgement_state"]?.stringValue, record.hash, record.text,
                ])
        }
        for (chain, entry) in working.refusals {
            try run(
                "INSERT INTO refusals (chain, sequence, entry_id, hash, document) VALUES (?, ?, ?, ?, ?)",
                [
                    chain, entry.sequence, entry.json["entry_id"]?.stringValue, entry.hash, entry.text,
                ])
        }
        for event in working.events {
            try run(
                "INSERT INTO history (kind, schedule_id, provider, at, document) VALUES (?, ?, ?, ?, ?)",
                [
                    event.kind, event.scheduleId, event.provider, event.at.milliseconds, event.payloadText,
                ])
        }
        for snapshot in working.policySnapshots {
            let known = try Bool.fetchOne(
                try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM policies WHERE sha256 = ?)"),
                arguments: [snapshot.sha256])
            if known == true { continue }
            try run(
                "INSERT OR IGNORE INTO policies (sha256, document) VALUES (?, ?)",
                [snapshot.sha256, snapshot.storedText])
        }
        for (auditId, package) in working.auditPackages {
            try run(
                "INSERT OR IGNORE INTO audit_packages (audit_id, document) VALUES (?, ?)",
                [auditId, package.serialized()])
        }
    }

    /// The plans `query` names by `plan_id` and `document_sha256`, each decoded once per text (PlanDocument).
    private static func plans(_ db: Database, _ query: String, _ arguments: StatementArguments) throws -> [Plan] {
        try Row.fetchAll(try db.cachedStatement(sql: query), arguments: arguments).map { row in
            let planId: String = row["plan_id"]
            let sha256: String = row["document_sha256"]
            if let plan = PlanDocument.cached(planId: planId, sha256: sha256) { return plan }
            guard
                let text = try String.fetchOne(
                    try db.cachedStatement(sql: "SELECT document FROM plans WHERE plan_id = ?"), arguments: [planId])
            else { throw StoreError("stored plan `\(planId)` vanished while it was read") }
            return try PlanDocument.decode(planId: planId, text: text, sha256: sha256)
        }
    }

    private static func schedule(_ row: Row) throws -> StoredSchedule {
        let history: String? = row["history"]
        return StoredSchedule(
            scheduleId: row["schedule_id"], document: try JSON.parse(row["document"] as String),
            history: try history.map { try JSON.parse($0) })
    }

    // MARK: Reads

    public func plans(scheduleId: String?) async throws -> [Plan] {
        try await pool.read { db in
            let plans =
                if let scheduleId {
                    try Self.plans(db, "SELECT plan_id, document_sha256 FROM plans WHERE schedule_id = ?", [scheduleId])
                } else {
                    try Self.plans(db, "SELECT plan_id, document_sha256 FROM plans", [])
                }
            return
                plans
                .sorted { ($0.scheduleId, $0.createdAt.milliseconds) < ($1.scheduleId, $1.createdAt.milliseconds) }
        }
    }

    public func routeHeads(planIds: [String]) async throws -> [String: ChainHead] {
        try await pool.read { db in
            var heads: [String: ChainHead] = [:]
            for planId in planIds {
                // SQLite takes the bare columns of a MAX() aggregate from the row holding the maximum.
                let rows = try Row.fetchAll(
                    try db.cachedStatement(
                        sql: """
                            SELECT r.route_id, MAX(r.sequence) AS sequence, r.hash, r.state
                            FROM route_plans p JOIN records r ON r.route_id = p.route_id
                            WHERE p.plan_id = ? GROUP BY r.route_id
                            """),
                    arguments: [planId])
                for row in rows {
                    heads[row["route_id"]] = ChainHead(
                        sequence: row["sequence"], hash: row["hash"], state: RouteState(rawValue: row["state"]))
                }
            }
            return heads
        }
    }

    public func routeHead(routeId: String) async throws -> ChainHead? {
        try await pool.read { db in try Self.routeHead(routeId, db) }
    }

    private static func routeHead(_ routeId: String, _ db: Database) throws -> ChainHead? {
        try Row.fetchOne(
            try db.cachedStatement(
                sql: "SELECT sequence, hash, state FROM records WHERE route_id = ? ORDER BY sequence DESC LIMIT 1"),
            arguments: [routeId]
        ).map { ChainHead(sequence: $0["sequence"], hash: $0["hash"], state: RouteState(rawValue: $0["state"])) }
    }

    public func records(routeId: String) async throws -> [ChainedEvidence] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT document FROM records WHERE route_id = ? ORDER BY sequence", arguments: [routeId]
            ).map { ChainedEvidence(stored: try JSON.parse($0["document"] as String)) }
        }
    }

    public func latestRecords(routeIds: [String]) async throws -> [String: ChainedEvidence] {
        try await pool.read { db in
            let statement = try db.cachedStatement(
                sql: "SELECT document FROM records WHERE route_id = ? ORDER BY sequence DESC LIMIT 1")
            var latest: [String: ChainedEvidence] = [:]
            for routeId in routeIds {
                if let text = try String.fetchOne(statement, arguments: [routeId]) {
                    latest[routeId] = ChainedEvidence(stored: try JSON.parse(text))
                }
            }
            return latest
        }
    }

    public func refusals(chain: String) async throws -> [ChainedEvidence] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT document FROM refusals WHERE chain = ? ORDER BY sequence", arguments: [chain]
            ).map { ChainedEvidence(stored: try JSON.parse($0["document"] as String)) }
        }
    }

    public func history(scheduleId: String?, provider: String?, kind: String?, limit: Int, offset: Int) async throws
        -> [HistoryEvent]
    {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [any DatabaseValueConvertible] = []
            if let scheduleId {
                conditions.append("schedule_id = ? COLLATE NOCASE")
                arguments.append(scheduleId)
            }
            if let provider {
                conditions.append("provider = ? COLLATE NOCASE")
                arguments.append(provider)
            }
            if let kind {
                conditions.append("kind = ?")
                arguments.append(kind)
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            arguments += [limit, offset]
            return try Row.fetchAll(
                db, sql: "SELECT * FROM history \(whereClause) ORDER BY id DESC LIMIT ? OFFSET ?",
                arguments: StatementArguments(arguments)
            ).map { row in
                HistoryEvent(
                    kind: row["kind"], scheduleId: row["schedule_id"], provider: row["provider"],
                    at: Timestamp(milliseconds: row["at"]), payload: try JSON.parse(row["document"] as String))
            }
        }
    }

    public func schedules() async throws -> [StoredSchedule] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM schedules ORDER BY schedule_id").map(Self.schedule)
        }
    }

    public func policy(sha256: String) async throws -> PolicySnapshot? {
        try await pool.read { db in
            guard
                let text = try String.fetchOne(
                    db, sql: "SELECT document FROM policies WHERE sha256 = ?", arguments: [sha256])
            else { return nil }
            let json = try JSON.parse(text)
            return PolicySnapshot(
                sha256: sha256, id: json["id"]?.stringValue ?? "", version: json["version"]?.stringValue,
                kind: json["kind"]?.stringValue ?? "file",
                files: (json["files"]?.arrayValue ?? []).map {
                    ($0["path"]?.stringValue ?? "", $0["text"]?.stringValue ?? "")
                })
        }
    }

    public func auditPackage(auditId: String) async throws -> JSON? {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT document FROM audit_packages WHERE audit_id = ?", arguments: [auditId])
                .map { try JSON.parse($0) }
        }
    }

    public func isOIDCStore() async throws -> Bool {
        try await pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'oidc'") == "true"
        }
    }

    public func markOIDCStore() async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('oidc', 'true')")
        }
    }

    // MARK: Idempotent answers

    public func answer(key: String, notBefore: Timestamp) async throws -> StoredAnswer? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM answers WHERE key = ? AND created_at >= ?",
                arguments: [key, notBefore.milliseconds]
            ).map(Self.answer)
        }
    }

    public func keepAnswer(_ answer: StoredAnswer, key: String, at: Timestamp, notBefore: Timestamp) async throws
        -> StoredAnswer
    {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM answers WHERE created_at < ?", arguments: [notBefore.milliseconds])
            if let kept = try Row.fetchOne(db, sql: "SELECT * FROM answers WHERE key = ?", arguments: [key]) {
                return try Self.answer(kept)
            }
            try db.execute(
                sql: "INSERT INTO answers (key, request_sha256, status, body, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [key, answer.requestSHA256, answer.status, answer.body.serialized(), at.milliseconds])
            return answer
        }
    }

    private static func answer(_ row: Row) throws -> StoredAnswer {
        StoredAnswer(
            requestSHA256: row["request_sha256"], status: row["status"], body: try JSON.parse(row["body"] as String))
    }
}
