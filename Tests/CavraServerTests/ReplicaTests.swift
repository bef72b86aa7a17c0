// Several `cavra api` replicas on one PostgreSQL (architecture.md §9): distinct routes acknowledged through both,
// racers on one route split across both, and a database outage in the middle of a stream.

import CavraJSON
import CavraTesting
import Foundation
import Testing

/// The PostgreSQL the tests use (`make test` starts a private one: Tests/postgres/ensure.sh), in a schema of
/// their own.
enum TestDatabase {
    static let skip = ProcessInfo.processInfo.environment["CAVRA_SKIP_POSTGRES"] == "1"

    static func url(schema: String) throws -> String {
        guard let base = ProcessInfo.processInfo.environment["CAVRA_TEST_DATABASE_URL"], !base.isEmpty else {
            throw ProcessLaunchError(
                description: "CAVRA_TEST_DATABASE_URL is not set: start a database with "
                    + "`bash Tests/postgres/ensure.sh` and export its URL (or set CAVRA_SKIP_POSTGRES=1)")
        }
        return base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
    }

    static func freshSchema() -> String { "replica_" + UUID().uuidString.prefix(8).lowercased() }

    static let python: URL = URL(fileURLWithPath: "/usr/bin/env")
}

@Suite("replicas on PostgreSQL", .serialized, .enabled(if: !TestDatabase.skip, "CAVRA_SKIP_POSTGRES=1"))
struct ReplicaTests {
    static let commander: JSON = ["sub": "ic", "groups": ["incident-commanders", "auditors"]]
    static let planner: JSON = ["sub": "planner", "groups": ["drill-planners"]]
    static let providers = ["slack", "email", "teams", "webhook", "pagerduty"]

    @Test("two replicas, one database: 1,000 routes through both, 40 racers on one route, nothing lost or doubled")
    func twoReplicas() async throws {
        let store = try TestDatabase.url(schema: TestDatabase.freshSchema())
        let first = try LiveServer(oidc: false, arguments: ["--store", store])
        defer { first.removeDirectory() }
        let second = try LiveServer(oidc: false, arguments: ["--store", store])
        defer { second.removeDirectory() }
        let ready = try await second.get("/readyz")
        #expect(ready["store"]?["kind"] == "postgresql")

        let planned = try await first.post(
            LiveServer.drills + "/plans",
            [
                "schedule": wideSchedule(id: "replica_drill", owners: 200, providers: Self.providers),
                "actor_claims": Self.planner,
            ])
        #expect(planned.status == 201, "\(planned.text)")
        let routes = (planned["plan"]?["routes"]?.arrayValue ?? []).map {
            ($0["owner"]?.stringValue ?? "", $0["provider"]?.stringValue ?? "")
        }
        #expect(routes.count == 1000)

        // Sixteen clients, alternating replicas, each acknowledging its share of distinct routes.
        let path = LiveServer.drills + "/replica_drill/acknowledgements"
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in 0..<16 {
                group.addTask {
                    var seen: [Int] = []
                    for (index, route) in routes.enumerated() where index % 16 == client {
                        let server = index % 2 == 0 ? first : second
                        let answer = try await server.post(
                            path,
                            ["provider": .string(route.1), "owner": .string(route.0), "actor_claims": Self.commander])
                        seen.append(answer.status)
                    }
                    return seen
                }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(statuses.count == 1000)
        #expect(statuses.allSatisfy { $0 == 200 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")

        // Forty racers escalate one route, twenty through each replica: exactly one wins.
        let raced = routes[0]
        let race = try await withThrowingTaskGroup(of: Int.self) { group in
            for racer in 0..<40 {
                group.addTask {
                    try await (racer % 2 == 0 ? first : second).post(
                        path,
                        [
                            "provider": .string(raced.1), "owner": .string(raced.0),
                            "acknowledgement_state": "escalated", "actor_claims": Self.commander,
                            "notes": .string("racer \(racer): nobody answered"),
                        ]
                    ).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(race.filter { $0 == 200 }.count == 1)
        #expect(race.filter { $0 == 409 }.count == 39)

        // Counts match on both replicas, and an export of everything verifies offline.
        for server in [first, second] {
            let acknowledged = try await server.get(
                LiveServer.drills + "/routes?schedule_id=replica_drill&state=acknowledged&limit=1",
                headers: [("X-Cavra-Actor", "ic")])
            #expect(acknowledged["total"] == 999)
            let escalated = try await server.get(
                LiveServer.drills + "/routes?schedule_id=replica_drill&state=escalated&limit=1",
                headers: [("X-Cavra-Actor", "ic")])
            #expect(escalated["total"] == 1)
        }
        let export = try await second.post(
            LiveServer.drills + "/acknowledgements/audit-package",
            ["schedule_id": "replica_drill", "actor_claims": Self.commander])
        #expect(export.status == 200)
        #expect(export["audit_package"]?["acknowledgement_count"] == 1001)
        let file = first.directory.appendingPathComponent("package.json")
        try Data((export["audit_package"] ?? .null).serialized().utf8).write(to: file)
        let verify = try runProcess(cavraExecutable, ["audit", "verify", file.path], cwd: first.directory)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        #expect(first.stop() == 0)
        #expect(second.stop() == 0)
    }

    @Test("the database goes away mid-stream: 503 meanwhile, recovery by itself, nothing answered 200 lost")
    func outage() async throws {
        let store = try TestDatabase.url(schema: TestDatabase.freshSchema())
        guard let parsed = URLComponents(string: store), let host = parsed.host, let port = parsed.port else {
            Issue.record("cannot read the host and port of \(store)")
            return
        }
        let proxyScript = repositoryRoot.appendingPathComponent("Tests/postgres/proxy.py").path
        var proxy = try ServerProcess(
            TestDatabase.python, ["python3", proxyScript, "0", host, String(port)], cwd: repositoryRoot)
        let proxyPort = proxy.port
        var through = parsed
        through.port = proxyPort
        through.host = "127.0.0.1"
        let proxied = through.string! + "&connect_timeout=1"
        let live = try LiveServer(oidc: false, arguments: ["--store", proxied])
        defer {
            live.removeDirectory()
            proxy.stop(signal: SIGKILL)
        }
        let planned = try await live.post(
            LiveServer.drills + "/plans",
            [
                "schedule": wideSchedule(id: "outage_drill", owners: 40, providers: Self.providers),
                "actor_claims": Self.planner,
            ])
        #expect(planned.status == 201, "\(planned.text)")
        let routes = (planned["plan"]?["routes"]?.arrayValue ?? []).map {
            ($0["owner"]?.stringValue ?? "", $0["provider"]?.stringValue ?? "")
        }
        let path = LiveServer.drills + "/outage_drill/acknowledgements"
        func acknowledge(_ route: (String, String)) async throws -> Answer {
            try await live.post(
                path, ["provider": .string(route.1), "owner": .string(route.0), "actor_claims": Self.commander])
        }
        var answered: [String] = []
        for route in routes[0..<50] {
            let answer = try await acknowledge(route)
            #expect(answer.status == 200)
            if let id = answer["acknowledgement"]?["route_id"]?.stringValue { answered.append(id) }
        }

        // The outage: writes and readiness answer 503; the server stays up.
        proxy.stop(signal: SIGKILL)
        var during: [Int] = []
        for route in routes[50..<60] { during.append(try await acknowledge(route).status) }
        #expect(during.allSatisfy { $0 == 503 }, "\(during)")
        let unready = try await live.get("/readyz")
        #expect(unready.status == 503)
        #expect(unready.code == "store_unavailable")
        #expect(try await live.get("/healthz").status == 200)

        // The database comes back on the same address: the server recovers without a restart.
        proxy = try ServerProcess(
            TestDatabase.python, ["python3", proxyScript, String(proxyPort), host, String(port)], cwd: repositoryRoot)
        var recovered = false
        for _ in 0..<150 where !recovered {
            recovered = try await live.get("/readyz").status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(recovered)
        for route in routes[60..<100] {
            let answer = try await acknowledge(route)
            #expect(answer.status == 200)
            if let id = answer["acknowledgement"]?["route_id"]?.stringValue { answered.append(id) }
        }
        let list = try await live.get(
            LiveServer.drills + "/routes?schedule_id=outage_drill&state=acknowledged&limit=500",
            headers: [("X-Cavra-Actor", "ic")])
        let stored = Set((list["items"]?.arrayValue ?? []).compactMap { $0["route_id"]?.stringValue })
        #expect(Set(answered).isSubset(of: stored))
        // The routes refused with 503 were not half-written: nothing of them is stored.
        #expect(stored.count == answered.count)
        #expect(live.stop() == 0)
    }
}
