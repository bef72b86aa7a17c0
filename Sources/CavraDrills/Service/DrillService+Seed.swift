// Seeding a store with the sample data set through the single write path (architecture.md §8).

import CavraJSON
import CavraPolicy

extension DrillService {
    /// How long before `now` the sample plans are made, so that delivered routes with short SLOs are breached.
    public static let seedLead: Int64 = 2 * 3600

    /// Plans every sample schedule as of two hours before `now` and acts on a few routes, all through
    /// `DrillService` with a back-dated clock and `actor`'s identity (the sample mode's built-in persona).
    /// Returns the plans it made.
    public static func seedSampleData(
        store: any DrillStore, policies: @escaping @Sendable () -> PolicySet, now: Timestamp, actor: Actor,
        channel: Channel = .sample
    ) async throws(ServiceError) -> [Plan] {
        let start = now.adding(seconds: -seedLead)
        let samples: [SampleSchedule]
        do {
            samples = try SampleData.load(now: start)
        } catch {
            throw .store(detail: "the sample data set cannot be read: \(error)")
        }
        let planning = DrillService(store: store, policies: policies, clock: { start })
        var plans: [Plan] = []
        for sample in samples {
            let result = try await planning.plan(
                schedule: sample.schedule, history: sample.history, force: false,
                context: CallContext(actor: actor, channel: channel, input: OperatorInput(notes: "sample data")))
            plans.append(result.plan)
        }
        // Forty minutes in, search-oncall acknowledged its slack route; the rest still wait.
        let acting = DrillService(store: store, policies: policies, clock: { start.adding(seconds: 40 * 60) })
        _ = try await acting.act(
            .acknowledge,
            on: RouteTarget(scheduleId: "search_fallback_biweekly", provider: "slack", owner: "search-oncall"),
            context: CallContext(actor: actor, channel: channel, input: OperatorInput(notes: "looking into it")))
        return plans
    }
}
