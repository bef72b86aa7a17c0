// `cavra drills plan`: plan or revise a schedule's notification plan.

import ArgumentParser
import CavraDrills
import CavraJSON
import Foundation

extension DrillsCommand {
    struct Plan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plan a schedule's due cycle, or revise its plan; prints the plan.")

        @Option(help: "The drill schedule (JSON, reference v1 format).") var schedule: String
        @Option(help: "The drill history (JSON, reference v1 format).") var history: String?
        @Flag(help: "Deliver even when the schedule is healthy; stays on for the cycle.") var force = false
        @Option(help: "An operator note.") var note = ""
        @Option(name: .customLong("external-ref"), help: "A change or incident reference.") var externalRef = ""
        @OptionGroup var options: DrillsOptions

        func run() async throws {
            let scheduleJSON = try Self.readJSON(schedule)
            let historyJSON = try history.map(Self.readJSON)
            let store = try await options.openStore(create: true)
            let policy = try options.loadPolicy()
            let actor = try await options.actor(store: store)
            let service = options.service(store: store, policy: policy)
            let context = CallContext(
                actor: actor, channel: .cli, input: OperatorInput(notes: note, externalRef: externalRef))
            let outcome = try await serviceCall { () async throws(ServiceError) in
                try await service.plan(schedule: scheduleJSON, history: historyJSON, force: force, context: context)
            }
            if options.json {
                print(
                    JSON.object(["plan": outcome.plan.json, "changes": .array(outcome.changes.map(\.json))])
                        .serialized(pretty: true))
                return
            }
            let plan = outcome.plan
            let verb = outcome.created ? "created" : outcome.changes.isEmpty ? "unchanged" : "revised"
            print(
                "plan \(plan.planId) \(verb): \(plan.scheduleId), cycle \(plan.cycle), revision \(plan.revision), "
                    + "alert \(plan.alertLevel.rawValue)")
            for change in outcome.changes {
                print(
                    "  changed \(change.routeId.map { "\($0) " } ?? "")\(change.field): \(change.from) → \(change.to)")
            }
            for route in plan.routes {
                let removed = route.removed ? " (removed)" : ""
                print(
                    "  \(route.owner) → \(route.provider): \(route.category.rawValue)\(removed), SLO \(route.sloSeconds / 60)m, "
                        + "escalation \(route.escalationOwner), \(route.routeId)")
            }
        }

        static func readJSON(_ path: String) throws -> JSON {
            guard let data = FileManager.default.contents(atPath: path) else {
                printError("error: cannot read `\(path)`")
                throw CavraExit.badInput
            }
            do {
                return try JSON.parse(bytes: [UInt8](data))
            } catch {
                printError("error: \(path): invalid JSON at \(error.description)")
                throw CavraExit.badInput
            }
        }
    }
}
