// `cavra store migrate|backup`, `cavra drills` on a PostgreSQL URL and `cavra api` on one, run as the built binary.

import CavraDrills
import CavraJSON
import CavraStore
import CavraTesting
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite struct StoreCommandTests {
    static let staging = ServiceFixture.repositoryRoot.appendingPathComponent(
        "Sources/CavraDrills/Resources/sample/schedule-search-staging.json")
    static let planner = ["--as", "planner", "--groups", "drill-planners"]
    static let commander = ["--as", "ic", "--groups", "incident-commanders"]

    /// A scratch directory holding the repository's policy.
    private func workDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-cli-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: ServiceFixture.repositoryRoot.appendingPathComponent("policy"),
            to: directory.appendingPathComponent("policy"))
        return directory
    }

    @Test func sqliteMigrateAndBackup() throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = try AuditCLI.cavra(["store", "migrate"], cwd: directory)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no store at `.cavra/cavra.sqlite`"))
        let plan = try AuditCLI.cavra(
            ["drills", "plan", "--schedule", Self.staging.path] + Self.planner, cwd: directory)
        #expect(plan.status == 0, "\(plan.stderr)")
        let migrate = try AuditCLI.cavra(["store", "migrate"], cwd: directory)
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.hasPrefix("store .cavra/cavra.sqlite: schema version "))
        #expect(migrate.stdout.hasSuffix("(already current)\n"))

        let backup = try AuditCLI.cavra(["store", "backup", "-o", "copy.sqlite"], cwd: directory)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout == "store .cavra/cavra.sqlite backed up to copy.sqlite\n")
        let routes = try AuditCLI.cavra(
            ["drills", "routes", "--store", "copy.sqlite", "--json"] + Self.commander, cwd: directory)
        #expect(routes.status == 0, "\(routes.stderr)")
        #expect(try JSON.parse(routes.stdout)["total"] == 4)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("copy.sqlite.partial").path))
    }

    @Test(.enabled(if: !StoreEngine.skipPostgres, "CAVRA_SKIP_POSTGRES=1"))
    func drillsAndStoreCommandsOnPostgreSQL() async throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestPostgres.withSchema { schema in
            try runDrillsAndStoreCommands(directory, url: try TestPostgres.url(schema: schema))
        }
    }

    private func runDrillsAndStoreCommands(_ directory: URL, url: String) throws {
        let environment = ["CAVRA_DATABASE_URL": url]

        let created = try AuditCLI.cavra(["store", "migrate"], cwd: directory, environment: environment)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.hasSuffix(": schema version \(PostgresDrillStore.schemaVersion) (created)\n"))
        let again = try AuditCLI.cavra(["store", "migrate", "--store", url], cwd: directory)
        #expect(again.stdout.hasSuffix("(already current)\n"), "\(again.stderr)")

        let steps: [([String], Int32)] = [
            (["drills", "plan", "--schedule", Self.staging.path] + Self.planner, 0),
            (["drills", "acknowledge", "search_fallback_biweekly", "--provider", "email"] + Self.commander, 0),
            (["drills", "acknowledge", "search_fallback_biweekly", "--provider", "email"] + Self.commander, 4),
        ]
        for (args, status) in steps {
            let run = try AuditCLI.cavra(args, cwd: directory, environment: environment)
            #expect(run.status == status, "\(args): \(run.stderr)")
        }
        let routes = try AuditCLI.cavra(
            ["drills", "routes", "--state", "acknowledged", "--json"] + Self.commander, cwd: directory,
            environment: environment)
        #expect(try JSON.parse(routes.stdout)["total"] == 1, "\(routes.stderr)")
        // Nothing was written to a SQLite file on the side.
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent(".cavra").path))

        let backup = try AuditCLI.cavra(["store", "backup", "-o", "x.dump"], cwd: directory, environment: environment)
        #expect(backup.status == 2)
        #expect(backup.stderr.contains("pg_dump"))

        let unreachable = try AuditCLI.cavra(
            ["drills", "routes", "--store", "postgres://cavra:hunter2@127.0.0.1:1/cavra?connect_timeout=1"]
                + Self.commander, cwd: directory)
        #expect(unreachable.status == 10)
        #expect(unreachable.stderr.contains("cannot open the store"))
        #expect(!unreachable.stderr.contains("hunter2"))
    }

    /// `/readyz` names the engine and the store without its password.
    @Test(.enabled(if: !StoreEngine.skipPostgres, "CAVRA_SKIP_POSTGRES=1"))
    func theAPIServesFromPostgreSQLAndNeverShowsThePassword() async throws {
        let directory = try workDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await TestPostgres.withSchema { schema in
            try await serveFromPostgreSQL(directory, url: try TestPostgres.url(schema: schema))
        }
    }

    private func serveFromPostgreSQL(_ directory: URL, url: String) async throws {
        var components = try #require(URLComponents(string: url))
        // A test server that trusts loopback never asks for the password, so one it never sees is harmless.
        let secret = components.password ?? "never-shown-\(UUID().uuidString.prefix(8))"
        components.password = secret
        let url = try #require(components.string)
        var environment = ProcessInfo.processInfo.environment
        environment["CAVRA_DATABASE_URL"] = url
        environment["CAVRA_APPROVAL_OIDC_CONFIG"] = nil
        let server = try ServerProcess(
            AuditCLI.executable, ["api", "--port", "0"], cwd: directory, environment: environment)
        defer { server.stop() }
        let (data, response) = try await URLSession.shared.data(
            from: URL(string: "http://127.0.0.1:\(server.port)/readyz")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let body = try JSON.parse(String(decoding: data, as: UTF8.self))
        #expect(body["store"]?["kind"] == "postgresql")
        #expect(body["store"]?["status"] == "ok")
        let location = try #require(body["store"]?["location"]?.stringValue)
        if secret.count >= 6 {
            #expect(!location.contains(secret))
            #expect(!server.log.contains(secret))
        }
        #expect(location.hasPrefix("postgres://"))
    }
}
