// `cavra drills routes | acknowledge | escalate | resolve | dismiss | bulk`.

import ArgumentParser
import CavraDrills
import CavraJSON
import CavraPolicy
import Foundation

extension DrillsCommand {
    struct Routes: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The route table of current plans: state, age/SLO, breached.")

        @OptionGroup var options: DrillsOptions
        @OptionGroup var filters: RouteFilterOptions
        @Option(help: "At most this many routes (1–500).") var limit = 50
        @Option(help: "Skip this many routes.") var offset = 0

        func run() async throws {
            let store = try await options.openStore()
            let policy = try options.loadPolicy()
            let actor = try await options.actor(store: store)
            let service = options.service(store: store, policy: policy)
            let list = try await serviceCall { () async throws(ServiceError) in
                try await service.routes(
                    filter: filters.filter, limit: limit, offset: offset, actor: actor, channel: .cli)
            }
            if options.json {
                print(list.json.serialized(pretty: true))
            } else {
                print(RouteListText.table(list), terminator: "")
            }
        }
    }

    /// What the four route actions take.
    struct ActOptions: ParsableArguments {
        @Argument(help: "The schedule whose current plan holds the route.") var scheduleId: String
        @Option(help: "The route's provider (case-insensitive).") var provider: String
        @Option(help: "The route's owner, when the provider alone is ambiguous.") var owner: String?
        @Option(name: .customLong("route-id"), help: "The route id, to name one route exactly.") var routeId: String?
        @Option(name: .customLong("expected-state"), help: "Refuse (exit 4) unless the route is in this state.")
        var expectedState: RouteState?
        @Option(help: "An operator note.") var note = ""
        @Option(name: .customLong("external-ref"), help: "A change or incident reference.") var externalRef = ""
        @OptionGroup var options: DrillsOptions

        func run(_ action: RouteAction) async throws {
            let store = try await options.openStore()
            let policy = try options.loadPolicy()
            let actor = try await options.actor(store: store)
            let service = options.service(store: store, policy: policy)
            let target = RouteTarget(scheduleId: scheduleId, provider: provider, owner: owner, routeId: routeId)
            let context = CallContext(
                actor: actor, channel: .cli, input: OperatorInput(notes: note, externalRef: externalRef))
            let record = try await serviceCall { () async throws(ServiceError) in
                try await service.act(action, on: target, expectedState: expectedState, context: context)
            }
            if options.json {
                print(record.json.serialized(pretty: true))
            } else {
                print(RouteListText.describe(record))
            }
        }
    }

    struct Acknowledge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge a delivered route.")
        @OptionGroup var act: ActOptions
        func run() async throws { try await act.run(.acknowledge) }
    }

    struct Escalate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Escalate a delivered route.")
        @OptionGroup var act: ActOptions
        func run() async throws { try await act.run(.escalate) }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve a delivered route (final).")
        @OptionGroup var act: ActOptions
        func run() async throws { try await act.run(.resolve) }
    }

    struct Dismiss: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dismiss an outstanding route (final).")
        @OptionGroup var act: ActOptions
        func run() async throws { try await act.run(.dismiss) }
    }

    struct Bulk: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move 1–100 routes to one state at once: all or nothing.")

        @Option(help: "The state every route moves to.") var to: RouteState
        @OptionGroup var filters: RouteFilterOptions
        @Option(help: "A file of route ids, one per line (instead of the filters).") var routes: String?
        @Option(help: "An operator note.") var note = ""
        @Option(name: .customLong("external-ref"), help: "A change or incident reference.") var externalRef = ""
        @OptionGroup var options: DrillsOptions

        func validate() throws {
            let filtered =
                [filters.scheduleId, filters.provider, filters.owner].contains { $0 != nil }
                || filters.state != nil || filters.category != nil || filters.breached != nil
            if routes != nil && filtered {
                throw ValidationError("give either --routes FILE or route filters, not both")
            }
        }

        func run() async throws {
            let store = try await options.openStore()
            let policy = try options.loadPolicy()
            let actor = try await options.actor(store: store)
            let service = options.service(store: store, policy: policy)
            let entries: [BulkEntry]
            if let routes {
                guard let data = FileManager.default.contents(atPath: routes) else {
                    printError("error: cannot read `\(routes)`")
                    throw CavraExit.badInput
                }
                let ids = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                    .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                entries = try await serviceCall { () async throws(ServiceError) in
                    try await service.bulkEntries(routeIds: ids)
                }
            } else {
                let list = try await serviceCall { () async throws(ServiceError) in
                    try await service.routes(filter: filters.filter, limit: 500, offset: 0, actor: actor, channel: .cli)
                }
                entries = list.items.map { BulkEntry(scheduleId: $0.route.scheduleId, routeId: $0.route.routeId) }
            }
            let context = CallContext(
                actor: actor, channel: .cli, input: OperatorInput(notes: note, externalRef: externalRef))
            let outcome: BulkOutcome
            do {
                outcome = try await service.bulk(to: to, entries: entries, context: context)
            } catch {
                if options.json { print(error.json.serialized(pretty: true)) }
                printError("error: \(error.error.detail) (\(error.code))")
                for result in error.results {
                    let route = result.routeId.map { " \($0)" } ?? ""
                    printError("  #\(result.index)\(route): \(result.outcome.rawValue): \(result.detail)")
                }
                throw ExitCode(error.exitCode)
            }
            if options.json {
                print(outcome.json.serialized(pretty: true))
            } else {
                for record in outcome.records { print(RouteListText.describe(record)) }
                print("\(count(outcome.records.count, "route")) \(to.rawValue), bulk \(outcome.bulkId)")
            }
        }
    }
}

/// The route list and records as tables and lines for people (the JSON is the API's: `RouteList.json`).
enum RouteListText {
    static func table(_ list: RouteList) -> String {
        var rows = [["SCHEDULE", "OWNER", "PROVIDER", "CATEGORY", "STATE", "AGE/SLO", "BREACHED", "ROUTE"]]
        for view in list.items {
            let route = view.route
            rows.append([
                route.scheduleId, route.owner, route.provider, route.category.rawValue,
                view.state.rawValue + (route.removed ? " (removed)" : ""),
                "\(minutes(view.ageSeconds))/\(minutes(route.sloSeconds))", view.breached ? "yes" : "no",
                route.routeId,
            ])
        }
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        var text = rows.map { row in
            zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n")
        text += "\n\(list.items.count) of \(count(list.total, "route")) (offset \(list.offset))\n"
        return text
    }

    private static func minutes(_ seconds: Int64) -> String { "\(seconds / 60)m" }

    static func describe(_ record: ChainedEvidence) -> String {
        let json = record.json
        func field(_ key: String) -> String { json[key]?.stringValue ?? "" }
        return "\(field("acknowledgement_state")) \(field("route_id")) (\(field("owner")) → \(field("provider"))): "
            + "\(field("previous_state")) → \(field("acknowledgement_state")), record \(record.sequence), "
            + "by \(field("acknowledged_by")), hash \(record.hash.prefix(12))…"
    }
}
