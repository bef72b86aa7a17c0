// The `cavra` command line: a thin shell over the library modules.

import ArgumentParser

@main
struct Cavra: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cavra",
        abstract: "The runtime authority for rollback-drill notification routes.",
        subcommands: [])
}
