// `cavra api`: the HTTP API (architecture.md §5, §9) on the same `DrillService` as the CLI.

import ArgumentParser
import CavraDrills
import CavraIdentity
import CavraServer
import CavraStore
import Foundation
import Logging

struct ApiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Serve the HTTP API: every change decided by the policy, the actor proven by an OIDC token.",
        discussion: """
            The store is --store, else CAVRA_DATABASE_URL, else .cavra/cavra.sqlite; a postgres:// URL lets several \
            replicas share one PostgreSQL (docs/operations.md). OIDC is configured by the file \
            CAVRA_APPROVAL_OIDC_CONFIG names; without it the server runs in local mode (actors asserted, never \
            verified). CAVRA_CORS_ORIGINS (comma list) enables CORS for those origins; CAVRA_AUDIT_SIGNING_KEY signs \
            audit packages. The policy is polled every 2 seconds; an invalid edit is refused and the last good \
            policy keeps deciding. SIGINT or SIGTERM stops the server cleanly.
            """)

    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(help: "The store: a SQLite file path or a postgres:// URL.") var store: String?
    @Option(help: "The policy: a .cavra file or a directory.") var policy = "policy/"
    @Option(
        name: .customLong("shadow-policy"),
        help: "A candidate policy (header `mode shadow`) recorded beside each decision, never enforced.")
    var shadowPolicy: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let clock: @Sendable () -> Timestamp = { Timestamp(Date()) }

        let holder: PolicyHolder
        do {
            holder = try PolicyHolder(path: policy, shadowPath: shadowPolicy, now: clock())
        } catch {
            printError("error: the policy cannot be used:\n\(error.description)")
            throw CavraExit.negative
        }
        let oidc: OIDCConfiguration?
        do {
            oidc = try OIDCConfiguration.fromEnvironment(environment)
        } catch {
            printError("error: \(error.description)")
            throw CavraExit.badInput
        }
        let keyring: AuditKeyring
        do {
            keyring = try AuditKeyring.load(environment: environment)
        } catch {
            printError("error: \(error)")
            throw CavraExit.badInput
        }
        let location = store ?? environment["CAVRA_DATABASE_URL"] ?? ".cavra/cavra.sqlite"
        let drillStore = try await openDrillStore(location: location, create: true)
        if oidc != nil {
            do {
                try await drillStore.markOIDCStore()
            } catch {
                printError("error: \(error)")
                await DrillStores.close(drillStore)
                throw ExitCode(10)
            }
        }
        let metrics = ServerMetrics()
        let verifier = oidc.map {
            TokenVerifier(configuration: $0, onRefresh: { ok in metrics.jwksRefreshed(ok: ok) })
        }
        do {
            try await verifier?.start()
        } catch {
            printError("error: the OIDC keys cannot be fetched: \(error)")
            throw CavraExit.badInput
        }
        let service = DrillService(store: drillStore, policies: { holder.policies }, clock: clock)
        let corsOrigins = (environment["CAVRA_CORS_ORIGINS"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let api = APIEnvironment(
            service: service, policies: holder, mode: oidc == nil ? .local : .oidc, verifier: verifier, oidc: oidc,
            keyring: keyring, corsOrigins: corsOrigins, storeDescription: DrillStores.describe(location),
            metrics: metrics, clock: clock)
        let mode = oidc == nil ? "local mode: actors are asserted, never verified" : "OIDC issuer \(oidc!.issuer)"
        do {
            try await serve(
                api, host: host, port: port, label: "cavra api",
                describe: "\(mode); store \(DrillStores.describe(location))")
        } catch {
            await DrillStores.close(drillStore)
            throw error
        }
        await DrillStores.close(drillStore)
    }
}

/// Runs the server until SIGINT or SIGTERM, printing `LABEL listening on http://HOST:PORT (…)` once it accepts
/// requests; log lines (JSON) go to stderr.
func serve(_ environment: APIEnvironment, host: String, port: Int, label: String, describe: String) async throws {
    let variables = ProcessInfo.processInfo.environment
    LoggingSystem.bootstrap { name in
        var handler = JSONLogHandler(label: name)
        handler.logLevel = variables["CAVRA_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        return handler
    }
    let console = ConsoleAssets()
    let server = APIServer(
        environment: environment, host: host, port: port,
        logger: Logger(label: label.replacingOccurrences(of: " ", with: ".")),
        assets: { console.response(for: $0) })
    let policy = environment.policies.policies.enforced
    let policyLine = "policy \(policy.id) \(policy.sha256.prefix(12))"
    try await server.run { port in
        let line = "\(label) listening on http://\(host):\(port) (\(describe); \(policyLine))\n"
        FileHandle.standardOutput.write(Data(line.utf8))
    }
}
