// `cavra sandbox`: sample mode (architecture.md §8) — the real server, evaluator and store, with sample data and
// a built-in identity provider, in one command.

import ArgumentParser
import CavraDrills
import CavraPolicy
import CavraServer
import CavraStore
import Foundation

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Try CAVRA in one command: the real server on 127.0.0.1 with sample data and sample identities.",
        discussion: """
            The store is a fresh SQLite file in a temporary directory, deleted on exit. The policy is ./policy/ when \
            it exists, else the default policy built into cavra. Sample personas (release manager, incident \
            commander, auditor with signed tokens; a visitor with claims only) are listed at \
            /console/sample-personas and in the console's persona switcher.
            """)

    @Option(help: "The port to listen on on 127.0.0.1 (0: any free port, printed at start).") var port = 8080

    func run() async throws {
        let clock: @Sendable () -> Timestamp = { Timestamp(Date()) }
        let holder: PolicyHolder
        let policyDescription: String
        do {
            if FileManager.default.fileExists(atPath: "policy") {
                holder = try PolicyHolder(path: "policy", shadowPath: nil, now: clock())
                policyDescription = "policy ./policy/"
            } else {
                holder = PolicyHolder(
                    policies: PolicySet(enforced: try SampleMode.builtInPolicy()), name: "built-in", now: clock())
                policyDescription = "the built-in default policy"
            }
        } catch {
            printError("error: the policy cannot be used:\n\(error.description)")
            throw CavraExit.negative
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cavra-sandbox-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample: SampleMode
        let service: DrillService
        do {
            sample = try SampleMode(now: clock())
            let store = try SQLiteDrillStore(path: directory.appendingPathComponent("sandbox.sqlite").path)
            service = DrillService(store: store, policies: { holder.policies }, clock: clock)
            _ = try await DrillService.seedSampleData(
                store: store, policies: { holder.policies }, now: clock(), actor: sample.seeder)
        } catch {
            printError("error: the sandbox cannot start: \(error)")
            throw ExitCode(10)
        }
        let environment = APIEnvironment(
            service: service, policies: holder, mode: .sample, verifier: sample.verifier,
            oidc: sample.configuration, keyring: AuditKeyring(current: AuditSigningKey()), corsOrigins: [],
            storeDescription: "a temporary SQLite file (deleted on exit)", personas: sample.personas,
            metrics: ServerMetrics(), clock: clock)
        try await serve(
            environment, host: "127.0.0.1", port: port, label: "cavra sandbox",
            describe: "sample mode: sample data and identities; \(policyDescription)")
    }
}
