// `cavra drills …` end to end: exit codes of architecture.md §11, and records that survive SIGKILL.

import CavraDrills
import CavraJSON
import CavraStore
import Foundation
import Testing

@Suite("cavra drills")
struct DrillsCommandTests {
    static let stagingSchedule = repositoryRoot.appendingPathComponent(
        "Sources/CavraDrills/Resources/sample/schedule-search-staging.json")
    static let productionSchedule = repositoryRoot.appendingPathComponent(
        "Sources/CavraDrills/Resources/sample/schedule-checkout-production.json")
    static let commander = ["--as", "ic", "--groups", "incident-commanders"]

    /// A new directory with the repository's policy and a staging plan in `.cavra/cavra.sqlite`.
    private func plannedStore() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cavra-drills-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryPolicy, to: directory.appendingPathComponent("policy"))
        let plan = try cavra(
            [
                "drills", "plan", "--schedule", Self.stagingSchedule.path, "--as", "planner", "--groups",
                "drill-planners",
            ],
            cwd: directory)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdoutLines.first?.contains("created") == true)
        return directory
    }

    @Test("every exit code of §11 for route actions")
    func exitCodes() async throws {
        let directory = try plannedStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let schedule = "search_fallback_biweekly"
            func run(_ args: [String]) throws -> CavraRun { try cavra(["drills"] + args, cwd: directory) }
            // 2: unknown schedule, unknown flag, no actor.
            #expect(try run(["acknowledge", "nope", "--provider", "slack"] + Self.commander).status == 2)
            #expect(try run(["acknowledge", schedule, "--provider", "slack", "--bogus"] + Self.commander).status == 2)
            #expect(try run(["acknowledge", schedule, "--provider", "slack"]).status == 2)
            // 4: ambiguous (email goes to two owners? no: slack is shared by both owners).
            let ambiguous = try run(["acknowledge", schedule, "--provider", "slack"] + Self.commander)
            #expect(ambiguous.status == 4)
            #expect(ambiguous.stderr.contains("ambiguous_route"))
            // 3: a release manager may not escalate.
            let denied = try run(
                ["escalate", schedule, "--provider", "email", "--as", "rm", "--groups", "release-managers"])
            #expect(denied.status == 3)
            #expect(denied.stderr.contains("forbidden"))
            // 0, then 4 for the same transition again.
            let ok = try run(["acknowledge", schedule, "--provider", "email"] + Self.commander + ["--json"])
            #expect(ok.status == 0, "\(ok.stderr)")
            let record = try JSON.parse(ok.stdout)
            #expect(record["acknowledgement_state"] == "acknowledged")
            #expect(record["channel"] == "cli")
            #expect(try run(["acknowledge", schedule, "--provider", "email"] + Self.commander).status == 4)
            // 5: resolution needs an external reference.
            #expect(try run(["resolve", schedule, "--provider", "email"] + Self.commander).status == 5)
            #expect(
                try run(["resolve", schedule, "--provider", "email", "--external-ref", "CHG-7"] + Self.commander).status
                    == 0)
            // 4: expected state no longer holds.
            let changed = try run(
                [
                    "escalate", schedule, "--provider", "slack", "--owner", "search-oncall", "--expected-state",
                    "acknowledged",
                ]
                    + Self.commander)
            #expect(changed.status == 4)
            #expect(changed.stderr.contains("state_changed"))
            // 6: --as on a store an OIDC server opened.
            let store = try SQLiteDrillStore(path: directory.appendingPathComponent(".cavra/cavra.sqlite").path)
            try await store.markOIDCStore()
            #expect(try run(["routes"] + Self.commander).status == 6)
        }
    }

    @Test("routes prints a table, and the API's list with --json")
    func routes() throws {
        let directory = try plannedStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let table = try cavra(["drills", "routes"] + Self.commander, cwd: directory)
            #expect(table.status == 0)
            #expect(table.stdoutLines.first?.hasPrefix("SCHEDULE") == true)
            #expect(table.stdoutLines.last == "4 of 4 routes (offset 0)")
            let json = try JSON.parse(
                try cavra(["drills", "routes", "--json", "--owner", "SEARCH-ONCALL"] + Self.commander, cwd: directory)
                    .stdout)
            #expect(json["total"] == 2)
            #expect(json["items"]?.arrayValue?.first?["permissions"]?["acknowledge"]?["allowed"] == true)
            #expect(try cavra(["drills", "routes", "--limit", "0"] + Self.commander, cwd: directory).status == 2)
        }
    }

    @Test("bulk moves every matching route at once, and refuses a bulk resolve")
    func bulk() throws {
        let directory = try plannedStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        let filters = ["--schedule-id", "search_fallback_biweekly", "--owner", "release-governance"]
        let resolve = try cavra(
            ["drills", "bulk", "--to", "resolved", "--external-ref", "CHG-9"] + filters + Self.commander, cwd: directory
        )
        #expect(resolve.status == 3)
        #expect(resolve.stderr.contains("one at a time"))
        #expect(resolve.stderr.contains(": denied: "))
        let run = try cavra(
            ["drills", "bulk", "--to", "acknowledged", "--json"] + filters + Self.commander, cwd: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let body = try JSON.parse(run.stdout)
        #expect(body["acknowledgement_count"] == 2)
        let records = try #require(body["results"]?.arrayValue).compactMap { $0["acknowledgement"] }
        #expect(records.count == 2)
        #expect(Set(records.compactMap { $0["bulk_id"]?.stringValue }) == [body["bulk_id"]?.stringValue])
        #expect(records.allSatisfy { $0["decision"]?["request"]?["context"]?["bulk"] == true })
        // Again: both routes are acknowledged now, so the refusal body lists each route's conflict.
        let again = try cavra(
            ["drills", "bulk", "--to", "acknowledged", "--json"] + filters + Self.commander, cwd: directory)
        #expect(again.status == 4)
        let refusal = try JSON.parse(again.stdout)
        #expect(refusal["code"] == "invalid_transition")
        #expect(refusal["results"]?.arrayValue?.map { $0["outcome"] } == ["conflict", "conflict"])
        // A --routes file: an id listed twice is a duplicate; an id no plan holds exits 2 before any check.
        let routeId = try #require(records.first?["route_id"]?.stringValue)
        let file = directory.appendingPathComponent("routes.txt")
        try "\(routeId)\n \(routeId) \n".write(to: file, atomically: true, encoding: .utf8)
        let twice = try cavra(
            ["drills", "bulk", "--to", "escalated", "--routes", file.path] + Self.commander, cwd: directory)
        #expect(twice.status == 4)
        #expect(twice.stderr.contains("(duplicate_route)"))
        #expect(twice.stderr.contains("#1 \(routeId): conflict"))
        try "gordroute-0000000000000000\n".write(to: file, atomically: true, encoding: .utf8)
        let unknown = try cavra(
            ["drills", "bulk", "--to", "escalated", "--routes", file.path] + Self.commander, cwd: directory)
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("no_matching_route"))
    }

    @Test("a store that cannot be opened: exit 10")
    func storeError() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.copyItem(at: repositoryPolicy, to: directory.appendingPathComponent("policy"))
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("not-a-file.sqlite"), withIntermediateDirectories: true)
            let run = try cavra(["drills", "routes", "--store", "not-a-file.sqlite"] + Self.commander, cwd: directory)
            #expect(run.status == 10)
            #expect(run.stderr.contains("not-a-file.sqlite"))
        }
    }

    @Test("an unverified planner cannot plan production: exit 3")
    func productionNeedsAVerifiedPlanner() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.copyItem(at: repositoryPolicy, to: directory.appendingPathComponent("policy"))
            let run = try cavra(
                [
                    "drills", "plan", "--schedule", Self.productionSchedule.path, "--as", "p", "--groups",
                    "drill-planners",
                ],
                cwd: directory)
            #expect(run.status == 3)
            #expect(run.stderr.contains("verified identity"))
        }
    }

    /// A child process writing records is killed with SIGKILL, again and again; after reopening, every record a
    /// child reported committed is present and every chain verifies.
    @Test("records survive SIGKILL")
    func recordsSurviveSigkill() async throws {
        let directory = try plannedStore()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let schedule = "search_fallback_biweekly"
            var reported: [String] = []
            var killed = 0
            for round in 0..<24 {
                let action = round % 2 == 0 ? "escalate" : "acknowledge"
                let process = Process()
                process.executableURL = cavraExecutable
                process.arguments =
                    [
                        "drills", action, schedule, "--provider", "slack", "--owner", "search-oncall", "--note", "n",
                        "--json",
                    ]
                    + Self.commander
                process.currentDirectoryURL = directory
                let output = Pipe()
                process.standardOutput = output
                process.standardError = FileHandle.nullDevice
                try process.run()
                if round % 3 == 2 {
                    usleep(UInt32.random(in: 0...40_000))
                    kill(process.processIdentifier, SIGKILL)
                    killed += 1
                }
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                if process.terminationReason == .exit, process.terminationStatus == 0 {
                    reported.append(try #require(try JSON.parse(bytes: [UInt8](data))["hash"]?.stringValue))
                }
            }
            #expect(killed == 8)
            let store = try SQLiteDrillStore(path: directory.appendingPathComponent(".cavra/cavra.sqlite").path)
            let plan = try #require(try await store.plans(scheduleId: schedule).first)
            let routeId = try #require(
                plan.routes.first { $0.owner == "search-oncall" && $0.provider == "slack" }?.routeId)
            let records = try await store.records(routeId: routeId)
            let hashes = Set(records.map(\.hash))
            for hash in reported { #expect(hashes.contains(hash), "a reported record is missing") }
            var previous = ""
            for (index, record) in records.enumerated() {
                #expect(record.sequence == index + 1)
                #expect(record.json["prev_hash"]?.stringValue == previous)
                #expect(record.hashVerifies)
                previous = record.hash
            }
            #expect(records.count >= reported.count)
        }
    }
}
