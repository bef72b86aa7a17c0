// `cavra api` and `cavra sandbox`: the Hummingbird application around `API`, the policy poll, and a clean stop on
// SIGINT or SIGTERM (requests in flight finish; a success answer was already durable).

import CavraDrills
import Foundation
import Hummingbird
import Logging

public struct APIServer: Sendable {
    public var environment: APIEnvironment
    public var host: String
    public var port: Int
    /// How often the policy files are looked at.
    public var pollInterval: Duration
    public var logger: Logger
    /// The console's files, by path.
    public var assets: (@Sendable (String) -> APIResponse?)?

    public init(
        environment: APIEnvironment, host: String, port: Int, pollInterval: Duration = .seconds(2), logger: Logger,
        assets: (@Sendable (String) -> APIResponse?)? = nil
    ) {
        self.environment = environment
        self.host = host
        self.port = port
        self.pollInterval = pollInterval
        self.logger = logger
        self.assets = assets
    }

    /// Serves until SIGINT or SIGTERM; `onListening` gets the bound port once the server accepts requests.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        let responder = CavraResponder(api: API(environment: environment), logger: logger, assets: assets)
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let poll = Task { await pollPolicies() }
        defer { poll.cancel() }
        try await application.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Looks at the policy files every `pollInterval`; a change is swapped in or refused, and logged.
    func pollPolicies() async {
        let holder = environment.policies
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            if Task.isCancelled { return }
            let outcome = holder.poll(now: environment.clock())
            environment.metrics.policyPolled(outcome)
            environment.metrics.policyError(holder.error != nil)
            switch outcome {
            case .unchanged:
                break
            case .reloaded(let policy):
                logger.info(
                    "policy reloaded",
                    metadata: [
                        "policy_id": .string(policy.id), "policy_sha256": .string(policy.sha256),
                        "path": .string(holder.path),
                    ])
            case .refused(let reason):
                logger.error(
                    "policy edit refused; the last good policy keeps deciding",
                    metadata: ["path": .string(holder.path), "reason": .string(reason)])
            }
        }
    }
}
