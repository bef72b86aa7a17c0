// The `cavra` command line: a thin shell over the library modules. Usage errors exit 2 (architecture.md §11).

import ArgumentParser
import Foundation

@main
struct Cavra: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cavra",
        abstract: "The runtime authority for rollback-drill notification routes.",
        subcommands: [
            PolicyCommand.self, DrillsCommand.self, AuditCommand.self, IdentityCommand.self, TokenCommand.self,
            ApiCommand.self, SandboxCommand.self, StoreCommand.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            // ArgumentParser's usage failures (64) are ours to report as 2.
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Exit codes of architecture.md §11 that commands raise themselves.
enum CavraExit {
    static let negative = ExitCode(1)
    static let badInput = ExitCode(2)
    static let actorRefused = ExitCode(6)
}
