// `cavra drills …`: plan schedules and act on routes through the same `DrillService` as the API.

import ArgumentParser
import CavraDrills
import CavraIdentity
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation

struct DrillsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drills",
        abstract: "Plan rollback-drill notifications and acknowledge, escalate, resolve or dismiss routes.",
        subcommands: [
            Plan.self, Routes.self, Acknowledge.self, Escalate.self, Resolve.self, Dismiss.self, Bulk.self,
        ])
}

/// What every `drills` command takes: the store, the policy, the output form and the actor.
struct DrillsOptions: ParsableArguments {
    @Option(help: "The store: a SQLite file path or a postgres:// URL.") var store: String?
    @Option(help: "The policy: a .cavra file or a directory.") var policy = "policy/"
    @Flag(help: "Print JSON instead of text.") var json = false
    @Option(help: "Act as the identity proven by this OIDC token (verified against CAVRA_APPROVAL_OIDC_CONFIG).")
    var token: String?
    @Option(name: .customLong("as"), help: "Act as this unverified name (refused when OIDC is configured).")
    var actorName: String?
    @Option(help: "With --as: the groups the unverified actor asserts, comma-separated.") var groups: String?

    /// `--store` > `CAVRA_DATABASE_URL` > `.cavra/cavra.sqlite`.
    var storeLocation: String {
        store ?? ProcessInfo.processInfo.environment["CAVRA_DATABASE_URL"] ?? ".cavra/cavra.sqlite"
    }

    /// Opens the store; only `create` (a plan call) may bring a new SQLite file into being, so a mistyped
    /// `--store` on a read or an action is an error rather than a new empty store. A PostgreSQL database must
    /// exist already; its tables are created (migrated) on first use.
    func openStore(create: Bool = false) async throws -> any DrillStore {
        try await openDrillStore(location: storeLocation, create: create)
    }

    func loadPolicy() throws -> CompiledPolicy {
        let compiled = try validPolicy(at: policy)
        if compiled.shadow {
            printError(
                "error: `\(policy)` says `mode shadow`: a shadow policy is evaluated beside the enforced one, never enforced"
            )
            throw CavraExit.badInput
        }
        return compiled
    }

    func validate() throws {
        if token != nil && (actorName != nil || groups != nil) {
            throw ValidationError("give either --token or --as [--groups], not both")
        }
    }

    func service(store: any DrillStore, policy: CompiledPolicy) -> DrillService {
        DrillService(
            store: store, policies: { PolicySet(enforced: policy) }, clock: { Timestamp(Date()) })
    }

    /// The actor: a verified token, or `--as` where no OIDC is configured and the store never saw it.
    func actor(store: any DrillStore) async throws -> Actor {
        let environment = ProcessInfo.processInfo.environment
        if let token {
            guard let configPath = environment["CAVRA_APPROVAL_OIDC_CONFIG"] else {
                printError("error: --token needs CAVRA_APPROVAL_OIDC_CONFIG to name the OIDC configuration")
                throw CavraExit.actorRefused
            }
            let configuration: OIDCConfiguration
            do {
                configuration = try OIDCConfiguration.load(path: configPath)
            } catch {
                printError("error: the OIDC configuration `\(configPath)` is unusable: \(error.description)")
                throw CavraExit.badInput
            }
            do {
                return try await TokenVerifier(configuration: configuration).verify(token, now: Timestamp(Date()))
            } catch {
                printError("error: token refused: \(error.description)")
                throw CavraExit.actorRefused
            }
        }
        guard let actorName, !actorName.isEmpty else {
            printError("error: name the actor with --token JWT or --as NAME")
            throw CavraExit.badInput
        }
        if environment["CAVRA_APPROVAL_OIDC_CONFIG"] != nil {
            printError("error: --as is refused while CAVRA_APPROVAL_OIDC_CONFIG is set; use --token")
            throw CavraExit.actorRefused
        }
        if (try? await store.isOIDCStore()) == true {
            printError("error: --as is refused on this store: a server with OIDC has opened it; use --token")
            throw CavraExit.actorRefused
        }
        let groupList = (groups ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return Actor.unverified(actorName, groups: groupList)
    }
}

/// Opens the store at `location` for a command: an unreadable URL or a missing SQLite file (unless `create`) is
/// bad input (exit 2), any other failure a store error (exit 10). Start-up warnings go to stderr.
func openDrillStore(location: String, create: Bool) async throws -> any DrillStore {
    try checkStoreLocation(location)
    if !DrillStores.isPostgres(location) && !create && !FileManager.default.fileExists(atPath: location) {
        printError(
            "error: no store at `\(location)`; plan a schedule first (`cavra drills plan`) or name it with --store")
        throw CavraExit.badInput
    }
    do {
        let store = try await DrillStores.open(location: location, create: create)
        for warning in DrillStores.warnings(of: store) { printError(warning) }
        return store
    } catch {
        printError("error: \(error)")
        throw ExitCode(10)
    }
}

/// A `postgres://` URL that cannot be read (an unknown parameter, a bad `sslmode`) is bad input (exit 2).
func checkStoreLocation(_ location: String) throws {
    guard DrillStores.isPostgres(location) else { return }
    do {
        _ = try PostgresSettings(url: location)
    } catch {
        printError("error: \(error)")
        throw CavraExit.badInput
    }
}

/// Route-list filters, shared by `routes` and `bulk`.
struct RouteFilterOptions: ParsableArguments {
    @Option(name: .customLong("schedule-id"), help: "Only routes of this schedule.") var scheduleId: String?
    @Option(help: "Only routes to this provider.") var provider: String?
    @Option(help: "Only routes of this owner.") var owner: String?
    @Option(help: "Only routes in this state.") var state: RouteState?
    @Option(help: "Only routes of this category.") var category: RouteCategory?
    @Option(help: "Only breached (true) or not breached (false) routes.") var breached: Bool?

    var filter: RouteFilter {
        RouteFilter(
            scheduleId: scheduleId, provider: provider, owner: owner, state: state, category: category,
            breached: breached)
    }
}

extension RouteState: ExpressibleByArgument {}
extension RouteCategory: ExpressibleByArgument {}

/// Runs a service call, turning a refusal into its message and exit code (architecture.md §11).
func serviceCall<T>(_ body: () async throws(ServiceError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        printError("error: \(error.detail) (\(error.code))")
        if case .forbidden(_, let decision) = error {
            for reason in decision["reasons"]?.arrayValue ?? [] { printError("  reason: \(reason.stringValue ?? "")") }
        }
        if case .conflict(_, _, _, let candidates) = error, !candidates.isEmpty {
            for candidate in candidates {
                printError(
                    "  candidate: \(candidate["route_id"]?.stringValue ?? "") owner \(candidate["owner"]?.stringValue ?? "") provider \(candidate["provider"]?.stringValue ?? "")"
                )
            }
        }
        throw ExitCode(error.exitCode)
    }
}
