// docs/cli-reference.md is the help of every command, walked from `cavra --help`: this test regenerates it and
// fails when the file is out of date. `CAVRA_UPDATE_CLI_REFERENCE=1` rewrites the file instead.

import CavraTesting
import Foundation
import Testing

private let referenceFile = repositoryRoot.appendingPathComponent("docs/cli-reference.md")
private let regenerate = "CAVRA_UPDATE_CLI_REFERENCE=1 swift test --filter CLIReferenceTests"

/// The help of `cavra` followed by `path`, at a fixed width: the help wraps at `COLUMNS`, or else at the terminal's.
private func help(_ path: [String]) throws -> String {
    var environment = ProcessInfo.processInfo.environment
    environment["COLUMNS"] = "100"
    let run = try runProcess(cavraExecutable, path + ["--help"], cwd: repositoryRoot, environment: environment)
    try #require(run.status == 0, "cavra \((path + ["--help"]).joined(separator: " ")): \(run.stderr)")
    return run.stdout
}

/// The names listed under `SUBCOMMANDS:`: a name starts a line after two spaces; descriptions that wrap are
/// indented further. A default subcommand is marked `(default)`.
private func subcommands(inHelp help: String) -> [String] {
    var names: [String] = []
    var inSection = false
    for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
        if line == "SUBCOMMANDS:" {
            inSection = true
        } else if inSection {
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else {
                if line.isEmpty { break }
                continue
            }
            if let name = line.split(separator: " ").first { names.append(String(name)) }
        }
    }
    return names
}

/// The command paths below `cavra` in the order the help lists them, each before its own subcommands, and each
/// one's help.
private func commandTree(_ path: [String] = []) throws -> [(path: [String], help: String)] {
    let text = try help(path)
    var tree = [(path, text)]
    for name in subcommands(inHelp: text) {
        tree += try commandTree(path + [name])
    }
    return tree
}

/// The Markdown of docs/cli-reference.md: a contents list, then a section per command with its help verbatim.
private func reference(_ tree: [(path: [String], help: String)]) -> String {
    var lines = [
        "# `cavra` command reference",
        "",
        "Generated from the help of every command (`cavra --help`, `cavra COMMAND --help`); do not edit by",
        "hand. Regenerate with `\(regenerate)`.",
        "[cli.md](cli.md) describes what the commands print and how they exit.",
        "",
    ]
    for (path, _) in tree {
        let name = (["cavra"] + path).joined(separator: " ")
        let anchor = (["cavra"] + path).joined(separator: "-")
        lines.append(String(repeating: "  ", count: path.count) + "- [`\(name)`](#\(anchor))")
    }
    for (path, help) in tree {
        var helpLines = help.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var trimmed = String(line)
            while trimmed.hasSuffix(" ") { trimmed.removeLast() }
            return trimmed
        }
        while helpLines.last == "" { helpLines.removeLast() }
        lines += ["", "## " + (["cavra"] + path).joined(separator: " "), "", "```text"] + helpLines + ["```"]
    }
    return lines.joined(separator: "\n") + "\n"
}

@Suite("docs/cli-reference.md")
struct CLIReferenceTests {
    @Test("the SUBCOMMANDS section's names are found, wrapped descriptions and defaults too")
    func parsesSubcommands() {
        let help = """
            OVERVIEW: Something.

            SUBCOMMANDS:
              validate                Load and validate a policy.
              a-very-long-command-name
                                      Described on the next line, which is long enough that it
                                      wraps.
              plan (default)          Plan.

              See 'cavra help policy <subcommand>' for detailed help.
            """
        #expect(subcommands(inHelp: help) == ["validate", "a-very-long-command-name", "plan"])
        #expect(subcommands(inHelp: "OVERVIEW: No subcommands.\n\nOPTIONS:\n  -h, --help  Show help.\n").isEmpty)
    }

    @Test("docs/cli-reference.md is the help of every command")
    func referenceIsCurrent() throws {
        let tree = try commandTree()
        #expect(tree.contains { $0.path == ["policy", "validate"] })
        let generated = reference(tree)
        if ProcessInfo.processInfo.environment["CAVRA_UPDATE_CLI_REFERENCE"] == "1" {
            try Data(generated.utf8).write(to: referenceFile)
            return
        }
        let current = (try? text(of: referenceFile)) ?? ""
        guard current != generated else { return }
        let currentLines = current.split(separator: "\n", omittingEmptySubsequences: false)
        let generatedLines = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let common = min(currentLines.count, generatedLines.count)
        let firstDifference = (0..<common).first { currentLines[$0] != generatedLines[$0] } ?? common
        Issue.record(
            """
            docs/cli-reference.md is out of date (first difference at line \(firstDifference + 1)); \
            run `\(regenerate)` and commit the result
            """)
    }
}
