// A server killed (SIGKILL) in the middle of a stream of acknowledgements: after a restart every write answered
// 200 is there, nothing half-written appears, and an audit package of everything verifies.

import CavraDrills
import CavraJSON
import CavraTesting
import Foundation
import Testing

/// A schedule with `owners` × `providers` delivered routes (its drill is overdue), for load and crash tests.
func wideSchedule(id: String, owners: Int, providers: [String]) -> JSON {
    [
        "schema_version": "cavra.go-backend-rollback-drill-schedule.v1", "schedule_id": .string(id),
        "environment": "staging", "service": "load", "status": "active", "interval_days": 14,
        "next_due_at": .string(Timestamp(Date()).adding(seconds: -86_400).description),
        "owners": .array((0..<owners).map { .string("owner-\($0)") }),
        "notification_providers": .array(providers.map(JSON.string)), "runbook_ref": "RB-LOAD",
    ]
}

@Suite("crashes")
struct CrashTests {
    static let commander: JSON = ["sub": "ic", "groups": ["incident-commanders", "auditors"]]
    static let providers = ["slack", "email", "teams", "webhook", "pagerduty"]

    /// The store a crash test's server uses: its SQLite file, or a fresh schema of the test PostgreSQL.
    enum Engine: String, CaseIterable, Sendable {
        case sqlite, postgresql

        func arguments() throws -> [String] {
            switch self {
            case .sqlite: []
            case .postgresql: ["--store", try TestDatabase.url(schema: TestDatabase.freshSchema())]
            }
        }
    }

    static var engines: [Engine] { TestDatabase.skip ? [.sqlite] : Engine.allCases }

    @Test(
        "SIGKILL mid-stream loses nothing answered 200 and leaves no half-written record",
        arguments: CrashTests.engines)
    func sigkillMidStream(engine: Engine) async throws {
        let arguments = try engine.arguments()
        let live = try LiveServer(oidc: false, arguments: arguments)
        defer { live.removeDirectory() }
        let schedule = wideSchedule(id: "crash_drill", owners: 60, providers: Self.providers)
        let planned = try await live.post(
            LiveServer.drills + "/plans",
            ["schedule": schedule, "actor_claims": ["sub": "planner", "groups": ["drill-planners"]]])
        #expect(planned.status == 201, "\(planned.text)")
        let routes = (planned["plan"]?["routes"]?.arrayValue ?? []).map {
            ($0["owner"]?.stringValue ?? "", $0["provider"]?.stringValue ?? "")
        }
        #expect(routes.count == 300)

        // Eight clients acknowledge distinct routes until the server dies under them.
        let acknowledged = Locked<[String]>([])
        let path = LiveServer.drills + "/crash_drill/acknowledgements"
        let clients = Task {
            await withTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        for (owner, provider) in routes.enumerated().filter({ $0.offset % 8 == client }).map(\.element)
                        {
                            guard
                                let answer = try? await live.post(
                                    path,
                                    [
                                        "provider": .string(provider), "owner": .string(owner),
                                        "actor_claims": Self.commander,
                                    ])
                            else { return }
                            if answer.status == 200, let id = answer["acknowledgement"]?["route_id"]?.stringValue {
                                acknowledged.update { $0.append(id) }
                            }
                        }
                    }
                }
            }
        }
        // Kill once a good part of the stream is through.
        for _ in 0..<2400 where acknowledged.read({ $0.count }) < 60 { try await Task.sleep(for: .milliseconds(25)) }
        live.server.stop(signal: SIGKILL)
        await clients.value
        let answered = Set(acknowledged.read { $0 })
        #expect(answered.count >= 60)
        #expect(answered.count < 300, "the kill came after the whole stream; nothing was tested")

        // Restart on the same store: every 200 is there.
        let again = try LiveServer(oidc: false, arguments: arguments, directory: live.directory)
        let list = try await again.get(
            LiveServer.drills + "/routes?schedule_id=crash_drill&limit=500", headers: [("X-Cavra-Actor", "ic")])
        let states = Dictionary(
            uniqueKeysWithValues: (list["items"]?.arrayValue ?? []).map {
                ($0["route_id"]?.stringValue ?? "", $0["state"]?.stringValue ?? "")
            })
        #expect(states.count == 300)
        for id in answered {
            #expect(states[id] == "acknowledged", "route \(id) was answered 200 but is \(states[id] ?? "missing")")
        }

        // Every record and chain verifies: export everything and verify the package offline.
        let export = try await again.post(
            LiveServer.drills + "/acknowledgements/audit-package",
            ["schedule_id": "crash_drill", "actor_claims": Self.commander])
        #expect(export.status == 200, "\(export.text)")
        #expect((export["audit_package"]?["acknowledgement_count"]?.intValue ?? 0) >= Int64(answered.count))
        let file = again.directory.appendingPathComponent("package.json")
        try Data((export["audit_package"] ?? .null).serialized().utf8).write(to: file)
        let verify = try runProcess(cavraExecutable, ["audit", "verify", file.path], cwd: again.directory)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(again.stop() == 0)
    }
}

/// A value shared by the test's concurrent clients.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func read<T>(_ body: (Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(value)
    }
    func update(_ body: (inout Value) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&value)
    }
}
