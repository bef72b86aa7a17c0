// The store for several API replicas (architecture.md §9): PostgreSQL through postgres-nio's pooled client.
//
// A write is one READ COMMITTED transaction that first takes explicit row locks — its schedules `FOR SHARE`
// (a plan call: `FOR UPDATE`), then its routes `FOR UPDATE` in route-id order, always in that order so two
// writers never deadlock — under a `lock_timeout`, and only then reads what it will change. Each statement after
// the locks sees every transaction that held them before, so a second writer on a route sees the first one's
// record and (route_id, sequence) can never collide. Durability is the server's `synchronous_commit = on`.

import CavraDrills
import CavraJSON
import CavraPolicy
import Foundation
import PostgresNIO

public final class PostgresDrillStore: DrillStore {
    public let settings: PostgresSettings
    /// What start-up found worth saying, such as `synchronous_commit` being off; the caller prints it.
    public let warnings: [String]
    private let client: PostgresClient
    private let runner: Task<Void, Never>

    private init(settings: PostgresSettings, warnings: [String], client: PostgresClient, runner: Task<Void, Never>) {
        self.settings = settings
        self.warnings = warnings
        self.client = client
        self.runner = runner
    }

    deinit { runner.cancel() }

    /// Connects, brings the schema up to date (a store with a newer schema is refused) and starts the pool.
    /// The first connection is a direct one, so a wrong password or a missing database is reported as such
    /// instead of as a timeout.
    public static func open(settings: PostgresSettings) async throws -> PostgresDrillStore {
        let warnings = try await withDirectConnection(settings) { connection in
            _ = try await PostgresMigrations.migrate(
                connection, schema: settings.schema, describedAs: "`\(settings.redactedURL)`")
            return try await durabilityWarnings(connection)
        }
        let client = PostgresClient(configuration: settings.clientConfiguration)
        let runner = Task { await client.run() }
        return PostgresDrillStore(settings: settings, warnings: warnings, client: client, runner: runner)
    }

    /// Runs the migrations without opening a store: `cavra store migrate`.
    public static func migrate(settings: PostgresSettings) async throws -> (from: Int?, to: Int) {
        try await withDirectConnection(settings) { connection in
            try await PostgresMigrations.migrate(
                connection, schema: settings.schema, describedAs: "`\(settings.redactedURL)`")
        }
    }

    /// The schema version this cavra writes.
    public static var schemaVersion: Int { PostgresMigrations.latest }

    /// Closes the pool's connections; calls made afterwards fail.
    public func shutdown() async {
        runner.cancel()
        await runner.value
    }

    /// Runs `work` on a connection of its own. Bounded like every call, with room for a migration waiting
    /// behind another replica's (its advisory lock wait is capped at 120 s).
    private static func withDirectConnection<T: Sendable>(
        _ settings: PostgresSettings, _ work: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let configuration = try settings.connectionConfiguration()
        let limit = settings.connectTimeout + .seconds(150)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                let connection: PostgresConnection
                do {
                    connection = try await PostgresConnection.connect(
                        configuration: configuration, id: 0, logger: PostgresCalls.logger)
                } catch {
                    throw StoreError(
                        "cannot open the store `\(settings.redactedURL)`: \(PostgresCalls.describe(error))")
                }
                do {
                    let value = try await withTaskCancellationHandler {
                        try await work(connection)
                    } onCancel: {
                        PostgresCalls.abandon(connection)
                    }
                    try? await connection.close()
                    return value
                } catch {
                    try? await connection.close()
                    throw PostgresCalls.classify(error)
                }
            }
            group.addTask {
                try await Task.sleep(for: limit)
                throw StoreError(
                    "the store `\(settings.redactedURL)` did not answer within \(PostgresCalls.seconds(limit)) s")
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw StoreError("the store `\(settings.redactedURL)` could not be opened")
        }
    }

    /// `synchronous_commit` other than `on` (or `remote_apply`) means an answered write may be lost in a crash
    /// or a failover (docs/operations.md).
    private static func durabilityWarnings(_ connection: PostgresConnection) async throws -> [String] {
        let rows = try await PostgresCalls.run("SHOW synchronous_commit", on: connection)
        let value = try rows.first?.decode(String.self) ?? ""
        guard !["on", "remote_apply"].contains(value) else { return [] }
        return [
            "warning: the database runs with synchronous_commit = \(value): a write cavra answered may be lost in a "
                + "crash or a failover; set synchronous_commit = on (docs/operations.md)"
        ]
    }

    private func call<T: Sendable>(_ work: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T
    {
        try await PostgresCalls.withConnection(client, settings, work)
    }

    // MARK: Writes

    public func write<Result: Sendable>(
        _ scope: LockScope, _ body: @Sendable (inout WorkingSet) throws -> Result
    ) async throws -> Result {
        let lockTimeout = "\(settings.lockTimeout.milliseconds)ms"
        let statementTimeout = "\(settings.callTimeout.milliseconds)ms"
        // The body is not escaping, but the transaction runs in a child task (so it can be timed out). The box
        // lends it there and drops it before this call returns, so it never outlives the call.
        return try await withoutActuallyEscaping(body) { body in
            let box = BodyBox(body)
            defer { box.clear() }
            return try await call { connection in
                try await PostgresCalls.transaction(connection) { connection in
                    // SET LOCAL, both in one round trip: they end with the transaction.
                    try await PostgresCalls.run(
                        """
                        SELECT set_config('lock_timeout', \(lockTimeout), true),
                               set_config('statement_timeout', \(statementTimeout), true)
                        """, on: connection)
                    try await Self.lock(scope, connection)
                    var working = try await Self.load(scope, connection)
                    let result = try box.run(&working)
                    try await Self.save(working, connection)
                    return result
                }
            }
        }
    }

    /// Schedules, then routes, each in id order (byte order, like Swift's sort): one global order, no deadlock.
    /// A row that does not exist yet is inserted first; an insert racing another's waits for it to commit.
    private static func lock(_ scope: LockScope, _ connection: PostgresConnection) async throws {
        if !scope.scheduleIds.isEmpty {
            try await PostgresCalls.run(
                """
                INSERT INTO schedule_locks (schedule_id)
                SELECT id FROM unnest(\(scope.scheduleIds)::text[]) AS id ORDER BY id COLLATE "C"
                ON CONFLICT DO NOTHING
                """, on: connection)
            let strength = scope.exclusiveSchedules ? "UPDATE" : "SHARE"
            var query: PostgresQuery =
                "SELECT schedule_id FROM schedule_locks WHERE schedule_id = ANY(\(scope.scheduleIds)::text[]) "
            query.sql += "ORDER BY schedule_id COLLATE \"C\" FOR \(strength)"
            _ = try await PostgresCalls.run(query, on: connection)
        }
        if !scope.routeIds.isEmpty {
            try await PostgresCalls.run(
                """
                INSERT INTO route_locks (route_id)
                SELECT id FROM unnest(\(scope.routeIds)::text[]) AS id ORDER BY id COLLATE "C"
                ON CONFLICT DO NOTHING
                """, on: connection)
            _ = try await PostgresCalls.run(
                """
                SELECT route_id FROM route_locks WHERE route_id = ANY(\(scope.routeIds)::text[])
                ORDER BY route_id COLLATE "C" FOR UPDATE
                """, on: connection
            )
        }
        // A refusal chain is guarded by its route's lock or its schedule's exclusive lock; any other chain
        // gets a transaction-scoped advisory lock of its own.
        let covered =
            Set(scope.routeIds.map { "route:\($0)" })
            .union(scope.exclusiveSchedules ? scope.scheduleIds.map { "schedule:\($0)" } : [])
        for chain in scope.chains where !covered.contains(chain) {
            try await PostgresCalls.run("SELECT pg_advisory_xact_lock(hashtextextended(\(chain), 0))", on: connection)
        }
    }

    private static func load(_ scope: LockScope, _ connection: PostgresConnection) async throws -> WorkingSet {
        var working = WorkingSet()
        if !scope.scheduleIds.isEmpty {
            for plan in try await plans(
                "SELECT plan_id, document_sha256 FROM plans WHERE schedule_id = ANY(\(scope.scheduleIds)::text[])",
                connection)
            {
                working.plans[plan.planId] = plan
            }
        }
        if !scope.routeIds.isEmpty {
            for plan in try await plans(
                """
                SELECT p.plan_id, p.document_sha256 FROM route_plans r JOIN plans p ON p.plan_id = r.plan_id
                WHERE r.route_id = ANY(\(scope.routeIds)::text[])
                """, connection)
            {
                working.plans[plan.planId] = plan
            }
            working.routeHeads = try await routeHeads(
                """
                SELECT DISTINCT ON (route_id) route_id, sequence, hash, state FROM records
                WHERE route_id = ANY(\(scope.routeIds)::text[]) ORDER BY route_id, sequence DESC
                """, connection)
        }
        if !scope.chains.isEmpty {
            let rows = try await PostgresCalls.run(
                """
                SELECT DISTINCT ON (chain) chain, sequence, hash FROM refusals
                WHERE chain = ANY(\(scope.chains)::text[]) ORDER BY chain, sequence DESC
                """, on: connection
            )
            for row in rows {
                let (chain, sequence, hash) = try row.decode((String, Int64, String).self)
                working.chainHeads[chain] = ChainHead(sequence: Int(sequence), hash: hash)
            }
        }
        return working
    }

    private static func save(_ working: WorkingSet, _ connection: PostgresConnection) async throws {
        for schedule in working.savedSchedules {
            try await PostgresCalls.run(
                """
                INSERT INTO schedules (schedule_id, document, history)
                VALUES (\(schedule.scheduleId), \(schedule.document.serialized()), \(schedule.history?.serialized()))
                ON CONFLICT (schedule_id) DO UPDATE SET document = excluded.document, history = excluded.history
                """, on: connection)
        }
        for plan in working.savedPlans {
            let stored = PlanDocument.stored(plan)
            try await PostgresCalls.run(
                """
                INSERT INTO plans (plan_id, schedule_id, cycle, superseded, document, document_sha256)
                VALUES (\(plan.planId), \(plan.scheduleId), \(plan.cycle), \(plan.superseded), \(stored.text),
                        \(stored.sha256))
                ON CONFLICT (plan_id) DO UPDATE SET schedule_id = excluded.schedule_id, cycle = excluded.cycle,
                    superseded = excluded.superseded, document = excluded.document,
                    document_sha256 = excluded.document_sha256
                """, on: connection)
            try await PostgresCalls.run(
                """
                INSERT INTO route_plans (route_id, plan_id)
                SELECT unnest(\(plan.routes.map(\.routeId))::text[]), \(plan.planId)
                ON CONFLICT DO NOTHING
                """, on: connection)
        }
        for record in working.records {
            let json = record.json
            try await PostgresCalls.run(
                """
                INSERT INTO records (route_id, sequence, acknowledgement_id, state, hash, document)
                VALUES (\(json["route_id"]?.stringValue ?? ""), \(Int64(record.sequence)),
                        \(json["acknowledgement_id"]?.stringValue ?? ""),
                        \(json["acknowledgement_state"]?.stringValue ?? ""), \(record.hash), \(record.text))
                """, on: connection)
        }
        for (chain, entry) in working.refusals {
            try await PostgresCalls.run(
                """
                INSERT INTO refusals (chain, sequence, entry_id, hash, document)
                VALUES (\(chain), \(Int64(entry.sequence)), \(entry.json["entry_id"]?.stringValue ?? ""),
                        \(entry.hash), \(entry.text))
                """, on: connection)
        }
        for event in working.events {
            try await PostgresCalls.run(
                """
                INSERT INTO history (kind, schedule_id, provider, at, document)
                VALUES (\(event.kind), \(event.scheduleId), \(event.provider), \(event.at.milliseconds),
                        \(event.payloadText))
                """, on: connection)
        }
        for snapshot in working.policySnapshots {
            let known = try await PostgresCalls.run(
                "SELECT 1 FROM policies WHERE sha256 = \(snapshot.sha256)", on: connection)
            if !known.isEmpty { continue }
            try await PostgresCalls.run(
                """
                INSERT INTO policies (sha256, document) VALUES (\(snapshot.sha256), \(snapshot.storedText))
                ON CONFLICT DO NOTHING
                """, on: connection)
        }
        for (auditId, package) in working.auditPackages {
            try await PostgresCalls.run(
                """
                INSERT INTO audit_packages (audit_id, document) VALUES (\(auditId), \(package.serialized()))
                ON CONFLICT DO NOTHING
                """, on: connection)
        }
    }

    // MARK: Row decoding

    private static func schedule(_ row: PostgresRow) throws -> StoredSchedule {
        let (scheduleId, document, history) = try row.decode((String, String, String?).self)
        return StoredSchedule(
            scheduleId: scheduleId, document: try JSON.parse(document), history: try history.map { try JSON.parse($0) })
    }

    /// The plans `query` names by `plan_id` and `document_sha256`, each decoded once per text (PlanDocument).
    private static func plans(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [Plan] {
        var plans: [Plan] = []
        for row in try await PostgresCalls.run(query, on: connection) {
            let (planId, sha256) = try row.decode((String, String).self)
            if let plan = PlanDocument.cached(planId: planId, sha256: sha256) {
                plans.append(plan)
                continue
            }
            guard
                let text = try await PostgresCalls.run(
                    "SELECT document FROM plans WHERE plan_id = \(planId)", on: connection
                ).first?.decode(String.self)
            else { throw StoreError("stored plan `\(planId)` vanished while it was read") }
            plans.append(try PlanDocument.decode(planId: planId, text: text, sha256: sha256))
        }
        return plans
    }

    private static func routeHeads(_ query: PostgresQuery, _ connection: PostgresConnection) async throws
        -> [String: ChainHead]
    {
        var heads: [String: ChainHead] = [:]
        for row in try await PostgresCalls.run(query, on: connection) {
            let (routeId, sequence, hash, state) = try row.decode((String, Int64, String, String).self)
            heads[routeId] = ChainHead(sequence: Int(sequence), hash: hash, state: RouteState(rawValue: state))
        }
        return heads
    }

    private static func documents(_ query: PostgresQuery, _ connection: PostgresConnection) async throws -> [JSON] {
        try await PostgresCalls.run(query, on: connection).map {
            try JSON.parse(try $0.decode(String.self))
        }
    }

    // MARK: Reads

    public func plans(scheduleId: String?) async throws -> [Plan] {
        try await call { connection in
            let query: PostgresQuery =
                if let scheduleId {
                    "SELECT plan_id, document_sha256 FROM plans WHERE schedule_id = \(scheduleId)"
                } else {
                    "SELECT plan_id, document_sha256 FROM plans"
                }
            return try await Self.plans(query, connection)
                .sorted { ($0.scheduleId, $0.createdAt.milliseconds) < ($1.scheduleId, $1.createdAt.milliseconds) }
        }
    }

    public func routeHeads(planIds: [String]) async throws -> [String: ChainHead] {
        guard !planIds.isEmpty else { return [:] }
        return try await call { connection in
            try await Self.routeHeads(
                """
                SELECT DISTINCT ON (r.route_id) r.route_id, r.sequence, r.hash, r.state
                FROM records r JOIN route_plans p ON p.route_id = r.route_id
                WHERE p.plan_id = ANY(\(planIds)::text[]) ORDER BY r.route_id, r.sequence DESC
                """, connection)
        }
    }

    public func routeHead(routeId: String) async throws -> ChainHead? {
        try await call { connection in
            try await Self.routeHeads(
                """
                SELECT route_id, sequence, hash, state FROM records WHERE route_id = \(routeId)
                ORDER BY sequence DESC LIMIT 1
                """, connection)[routeId]
        }
    }

    public func records(routeId: String) async throws -> [ChainedEvidence] {
        try await call { connection in
            try await Self.documents(
                "SELECT document FROM records WHERE route_id = \(routeId) ORDER BY sequence", connection
            ).map { ChainedEvidence(stored: $0) }
        }
    }

    public func latestRecords(routeIds: [String]) async throws -> [String: ChainedEvidence] {
        guard !routeIds.isEmpty else { return [:] }
        return try await call { connection in
            var latest: [String: ChainedEvidence] = [:]
            let rows = try await PostgresCalls.run(
                """
                SELECT DISTINCT ON (route_id) route_id, document FROM records
                WHERE route_id = ANY(\(routeIds)::text[]) ORDER BY route_id, sequence DESC
                """, on: connection)
            for row in rows {
                let (routeId, text) = try row.decode((String, String).self)
                latest[routeId] = ChainedEvidence(stored: try JSON.parse(text))
            }
            return latest
        }
    }

    public func refusals(chain: String) async throws -> [ChainedEvidence] {
        try await call { connection in
            try await Self.documents(
                "SELECT document FROM refusals WHERE chain = \(chain) ORDER BY sequence", connection
            ).map { ChainedEvidence(stored: $0) }
        }
    }

    public func history(scheduleId: String?, provider: String?, kind: String?, limit: Int, offset: Int) async throws
        -> [HistoryEvent]
    {
        try await call { connection in
            // A NULL filter matches everything; schedule and provider match case-insensitively, like SQLite's NOCASE.
            let rows = try await PostgresCalls.run(
                """
                SELECT kind, schedule_id, provider, at, document FROM history
                WHERE (\(scheduleId)::text IS NULL OR lower(schedule_id) = lower(\(scheduleId)::text))
                  AND (\(provider)::text IS NULL OR lower(provider) = lower(\(provider)::text))
                  AND (\(kind)::text IS NULL OR kind = \(kind)::text)
                ORDER BY id DESC LIMIT \(Int64(limit)) OFFSET \(Int64(offset))
                """, on: connection
            )
            return try rows.map { row in
                let (kind, scheduleId, provider, at, document) = try row.decode(
                    (String, String, String?, Int64, String).self)
                return HistoryEvent(
                    kind: kind, scheduleId: scheduleId, provider: provider, at: Timestamp(milliseconds: at),
                    payload: try JSON.parse(document))
            }
        }
    }

    public func schedules() async throws -> [StoredSchedule] {
        try await call { connection in
            try await PostgresCalls.run(
                "SELECT schedule_id, document, history FROM schedules ORDER BY schedule_id COLLATE \"C\"",
                on: connection
            ).map(Self.schedule)
        }
    }

    public func policy(sha256: String) async throws -> PolicySnapshot? {
        try await call { connection in
            guard
                let json = try await Self.documents(
                    "SELECT document FROM policies WHERE sha256 = \(sha256)", connection
                ).first
            else { return nil }
            return PolicySnapshot(
                sha256: sha256, id: json["id"]?.stringValue ?? "", version: json["version"]?.stringValue,
                kind: json["kind"]?.stringValue ?? "file",
                files: (json["files"]?.arrayValue ?? []).map {
                    ($0["path"]?.stringValue ?? "", $0["text"]?.stringValue ?? "")
                })
        }
    }

    public func auditPackage(auditId: String) async throws -> JSON? {
        try await call { connection in
            try await Self.documents(
                "SELECT document FROM audit_packages WHERE audit_id = \(auditId)", connection
            ).first
        }
    }

    public func isOIDCStore() async throws -> Bool {
        try await call { connection in
            try await PostgresCalls.run("SELECT value FROM meta WHERE key = 'oidc'", on: connection).first?.decode(
                String.self) == "true"
        }
    }

    public func markOIDCStore() async throws {
        _ = try await call { connection in
            try await PostgresCalls.run(
                """
                INSERT INTO meta (key, value) VALUES ('oidc', 'true')
                ON CONFLICT (key) DO UPDATE SET value = excluded.value
                """, on: connection)
        }
    }

    // MARK: Idempotent answers

    public func answer(key: String, notBefore: Timestamp) async throws -> StoredAnswer? {
        try await call { connection in
            try await PostgresCalls.run(
                """
                SELECT request_sha256, status, body FROM answers
                WHERE key = \(key) AND created_at >= \(notBefore.milliseconds)
                """, on: connection
            ).first.map(Self.answer)
        }
    }

    public func keepAnswer(_ answer: StoredAnswer, key: String, at: Timestamp, notBefore: Timestamp) async throws
        -> StoredAnswer
    {
        try await call { connection in
            try await PostgresCalls.transaction(connection) { connection in
                try await PostgresCalls.run(
                    "DELETE FROM answers WHERE created_at < \(notBefore.milliseconds)", on: connection)
                // Of two racing calls the second waits here for the first to commit, then inserts nothing
                // and reads the first one's answer.
                let inserted = try await PostgresCalls.run(
                    """
                    INSERT INTO answers (key, request_sha256, status, body, created_at)
                    VALUES (\(key), \(answer.requestSHA256), \(answer.status), \(answer.body.serialized()),
                            \(at.milliseconds))
                    ON CONFLICT (key) DO NOTHING RETURNING key
                    """, on: connection
                )
                if !inserted.isEmpty { return answer }
                guard
                    let kept = try await PostgresCalls.run(
                        "SELECT request_sha256, status, body FROM answers WHERE key = \(key)", on: connection
                    ).first
                else { throw StoreError("the answer kept under an idempotency key vanished") }
                return try Self.answer(kept)
            }
        }
    }

    private static func answer(_ row: PostgresRow) throws -> StoredAnswer {
        let (requestSHA256, status, body) = try row.decode((String, Int, String).self)
        return StoredAnswer(requestSHA256: requestSHA256, status: status, body: try JSON.parse(body))
    }
}
