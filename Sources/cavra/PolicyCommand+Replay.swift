// `cavra policy replay`: decide every stored decision again with a candidate policy (docs/policy-replay.md).

import ArgumentParser
import CavraDrills
import CavraStore

extension PolicyCommand {
    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide every stored decision again with a candidate policy and report what would change.",
            discussion: """
                Every acknowledgement record, refused attempt and plan decision in the store is decided again \
                with CANDIDATE, on the request it was made on, and compared with what was recorded: the decision, \
                its obligations and its determining rules. Shadow decisions are not replayed. Text prints a \
                summary, the rules whose part changes and the changed decisions; json prints every decision. \
                Exit 0, or 1 with --fail-on-change when anything would change or could not be replayed; an \
                invalid candidate exits 1, an unreadable one 2, a store that cannot be read 10.
                """)

        @Argument(help: "The candidate policy: a .cavra file or a directory of them (searched recursively).")
        var candidate: String = "policy/"
        @OptionGroup var location: StoreCommand.Location
        @Option(help: "Output format: text (a summary, then the changes) or json (every decision).")
        var format = ReplayFormat.text
        @Option(help: "With text output, list at most N changed decisions.") var limit = 50
        @Flag(help: "Exit 1 when any decision would change, or could not be replayed.") var failOnChange = false

        func validate() throws {
            if limit < 0 { throw ValidationError("--limit takes a number of 0 or more") }
        }

        func run() async throws {
            let policy = try validPolicy(at: candidate)
            let store = try await openDrillStore(location: location.location, create: false)
            let decisions: [StoredDecision]
            do {
                decisions = try await PolicyReplay.storedDecisions(in: store)
            } catch {
                await DrillStores.close(store)
                printError("error: the store cannot be read: \(error)")
                throw ExitCode(10)
            }
            await DrillStores.close(store)
            let report = PolicyReplay.replay(decisions, with: policy)
            switch format {
            case .text: print(report.text(limit: limit), terminator: "")
            case .json: print(report.json.serialized(pretty: true))
            }
            if failOnChange && report.hasChanges { throw CavraExit.negative }
        }
    }

    enum ReplayFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }
}
