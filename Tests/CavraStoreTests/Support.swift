// Shared set-up of the store and service tests: a real SQLite file, the repository's policy, a pinned clock.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import Synchronization
import Testing

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let current: Mutex<Timestamp>

    init(_ start: Timestamp) { current = Mutex(start) }

    var now: Timestamp { current.withLock { $0 } }

    func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }
}

struct ServiceFixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let examples = repositoryRoot.appendingPathComponent("Tests/CavraDrillsTests/Fixtures")
    /// The examples' "now".
    static let exampleNow = Timestamp(milliseconds: 1_795_953_600_000)

    let directory: URL
    let store: SQLiteDrillStore
    let clock: TestClock
    let service: DrillService

    init(policyText: String? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try SQLiteDrillStore(path: directory.appendingPathComponent("cavra.sqlite").path)
        let source =
            try policyText.map { PolicySource(text: $0) }
            ?? PolicySource.load(path: Self.repositoryRoot.appendingPathComponent("policy").path)
        let policy = try #require(PolicyCompiler.compile(source).policy)
        let clock = TestClock(Self.exampleNow)
        self.clock = clock
        service = DrillService(store: store, policies: { PolicySet(enforced: policy) }, clock: { clock.now })
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

    func remove() { try? FileManager.default.removeItem(at: directory) }
}
