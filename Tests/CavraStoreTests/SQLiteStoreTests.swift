// The SQLite file itself (durability settings), and the sample data set planned through the service on each engine.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import GRDB
import Synchronization
import Testing

@Suite struct SQLiteStoreTests {
    @Test func theFileIsInWALModeWithFullSynchronousWrites() throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let queue = try DatabaseQueue(path: fixture.location)
        let mode = try queue.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let tables = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        }
        #expect(tables.contains("records") && tables.contains("refusals") && tables.contains("plans"))
    }

    /// `synchronous` is a setting of each connection: the store's writer must commit with FULL (2), although
    /// opening a pool in WAL mode sets NORMAL (1), which answers before the WAL is synced.
    @Test func theWriterSyncsEveryCommit() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let store = try #require(fixture.store as? SQLiteDrillStore)
        #expect(try await store.writerSynchronousMode() == 2)
        _ = try await fixture.planProduction()
        #expect(try await store.writerSynchronousMode() == 2)
    }

    /// Committed pages reach the database file within a moment, copied by the checkpointer beside the writer: the
    /// writer's own checkpoint waits for 10,000 pages, far more than these writes.
    @Test func theWriteAheadLogIsCheckpointedBesideTheWriter() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        func size(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        }
        // Let a checkpoint of the migrations pass first.
        try await Task.sleep(for: .milliseconds(600))
        let before = try size(fixture.location)
        _ = try await fixture.planProduction()
        #expect(try size(fixture.location + "-wal") > 0)
        var after = before
        for _ in 0..<100 where after == before {
            try await Task.sleep(for: .milliseconds(50))
            after = try size(fixture.location)
        }
        #expect(after > before)
    }

    /// Writes that arrive while the writer is busy are committed together, each in a savepoint: a write that fails
    /// halfway (its second record breaks the primary key) loses everything it wrote, and only that.
    @Test func writesWaitingForTheWriterCommitTogetherAndAFailingOneLosesOnlyItself() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let store = try #require(fixture.store as? SQLiteDrillStore)
        let before = store.committedWrites
        let started = Mutex(false)
        let gate = DispatchSemaphore(value: 0)
        @Sendable func record(_ routeId: String) -> ChainedEvidence {
            ChainedEvidence(sealing: [
                "route_id": .string(routeId), "sequence": 1, "acknowledgement_id": .string("\(routeId)-1"),
                "acknowledgement_state": "acknowledged",
            ])
        }
        async let first: Void = store.write(LockScope()) { working in
            started.withLock { $0 = true }
            gate.wait()
            working.append(record: record("first"), routeId: "first", state: .acknowledged)
        }
        while !started.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        try await store.write(LockScope()) { working in
                            working.append(record: record("r\(index)"), routeId: "r\(index)", state: .acknowledged)
                            if index % 2 == 1 {
                                working.append(record: record("r\(index)"), routeId: "r\(index)", state: .acknowledged)
                            }
                        }
                        return (index, true)
                    } catch let error as DatabaseError {
                        #expect(error.resultCode == .SQLITE_CONSTRAINT)
                        return (index, false)
                    }
                }
            }
            while store.waitingWrites < 40 { try await Task.sleep(for: .milliseconds(5)) }
            gate.signal()
            return try await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        try await first
        #expect(outcomes.count == 40)
        for index in 0..<40 {
            #expect(outcomes[index] == (index % 2 == 0))
            #expect(try await store.records(routeId: "r\(index)").count == (index % 2 == 0 ? 1 : 0))
        }
        #expect(try await store.records(routeId: "first").count == 1)
        let after = store.committedWrites
        // The first write alone, then the forty that waited for it in one transaction.
        #expect(after.transactions - before.transactions == 2)
        #expect(after.writes - before.writes == 21)
    }

    @Test(arguments: StoreEngine.tested)
    func theSampleDataTellsItsStoryAtAnyTime(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            // A week after the reference time, shifted by a week, the data say exactly what they say at it.
            fixture.clock.advance(seconds: 7 * 86_400)
            let samples = try SampleData.load(now: fixture.clock.now)
            #expect(samples.count == 3)
            var plans: [String: CavraDrills.Plan] = [:]
            for sample in samples {
                let result = try await fixture.service.plan(
                    schedule: sample.schedule, history: sample.history, force: false,
                    context: ServiceFixture.context(ServiceFixture.planner))
                plans[result.plan.scheduleId] = result.plan
            }
            let checkout = try #require(plans["checkout_fallback_monthly"])
            #expect(checkout.alertLevel == .critical)
            #expect(checkout.routes.filter { $0.category == .deliver }.map(\.provider).sorted() == ["slack", "teams"])
            #expect(checkout.routes.contains { $0.category == .maintenanceWindow && $0.provider == "webhook" })
            #expect(checkout.routes.filter { $0.category == .ownerCalendar }.count == 3)
            let search = try #require(plans["search_fallback_biweekly"])
            #expect(search.alertLevel == .warning)
            #expect(search.routes.first { $0.owner == "search-oncall" && $0.provider == "slack" }?.sloSeconds == 900)
            let ledger = try #require(plans["ledger_fallback_monthly"])
            #expect(ledger.alertLevel == .critical)
            #expect(ledger.routes.contains { $0.category == .maintenanceWindow && $0.owner == "finance-platform" })
        }
    }
}

@Suite struct PolicySnapshotTests {
    @Test(arguments: StoreEngine.tested)
    func everyDecidingPolicyIsKeptWithItsText(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            _ = try await fixture.planProduction()
            let record = try await fixture.service.act(
                .acknowledge, on: RouteTarget(scheduleId: "go_backend_checkout_fallback_monthly", provider: "teams"),
                context: ServiceFixture.context(ServiceFixture.commander))
            let sha = try #require(record.json["decision"]?["policy"]?["sha256"]?.stringValue)
            let snapshot = try #require(try await fixture.store.policy(sha256: sha))
            #expect(snapshot.id == "rollback-drills")
            #expect(snapshot.kind == "directory")
            // The text kept reproduces the hash the decision names (policy-language.md §6).
            let source = PolicySource(
                kind: .directory, path: "policy",
                files: snapshot.files.map {
                    PolicyFile(name: $0.path, displayPath: $0.path, bytes: Array($0.text.utf8))
                })
            #expect(source.sha256 == sha)
            #expect(try await fixture.store.policy(sha256: String(repeating: "0", count: 64)) == nil)
        }
    }
}

@Suite struct SeedTests {
    @Test(arguments: StoreEngine.tested)
    func seedingPlansTheSamplesBackDatedSoSomeRoutesAreBreached(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            let persona = Actor(
                id: "sample-ic@example.com", verified: true, issuer: "https://sample", subject: "ic",
                groups: ["incident-commanders", "drill-planners"])
            let policy = try #require(try fixtureSamplePolicy())
            let plans = try await DrillService.seedSampleData(
                store: fixture.store, policies: { PolicySet(enforced: policy) }, now: fixture.clock.now, actor: persona)
            #expect(plans.count == 3)
            let list = try await fixture.service.routes(
                filter: RouteFilter(), limit: 500, offset: 0, actor: persona, channel: .sample)
            let breached = list.items.filter(\.breached).map { "\($0.route.owner)/\($0.route.provider)" }.sorted()
            #expect(breached.contains("release-governance/slack"))
            #expect(!breached.contains("search-oncall/slack"))
            #expect(
                list.items.first { $0.route.owner == "search-oncall" && $0.route.provider == "slack" }?.state
                    == .acknowledged)
            let events = try await fixture.store.history(
                scheduleId: nil, provider: nil, kind: nil, limit: 50, offset: 0)
            #expect(events.filter { $0.kind == "plan_created" }.count == 3)
            #expect(events.allSatisfy { $0.payload["channel"] == "sample" || $0.kind != "plan_created" })
        }
    }
}

private func fixtureSamplePolicy() throws -> CompiledPolicy? {
    PolicyCompiler.compile(
        try PolicySource.load(path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
    ).policy
}

/// Direct access to a SQLite store's file, for tests that tamper with it.
enum SQLiteTestAccess {
    static func execute(_ sql: String, path: String) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql) }
        try queue.close()
    }

    /// The string columns of every row `sql` returns.
    static func strings(_ sql: String, path: String) throws -> [[String]] {
        let queue = try DatabaseQueue(path: path)
        defer { try? queue.close() }
        return try queue.read { db in
            try Row.fetchAll(db, sql: sql).map { row in row.columnNames.map { row[$0] as String } }
        }
    }
}
