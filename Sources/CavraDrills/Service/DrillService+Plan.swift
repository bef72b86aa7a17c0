// Planning through the single write path: create or revise the plan of a schedule's due cycle (architecture.md §2).

import CavraJSON
import CavraPolicy

extension DrillService {
    public func plan(schedule scheduleJSON: JSON, history historyJSON: JSON?, force: Bool, context: CallContext)
        async throws(ServiceError) -> PlanResult
    {
        let now = clock()
        let schedule: Schedule
        let history: DrillHistory?
        do {
            schedule = try Schedule.parse(scheduleJSON)
        } catch {
            throw .badInput(field: "schedule." + error.field, detail: error.message)
        }
        do {
            history = try historyJSON.map { json throws(InputError) in try DrillHistory.parse(json) }
        } catch {
            throw .badInput(field: "history." + error.field, detail: error.message)
        }
        let planId = PlanIds.planId(
            scheduleId: schedule.scheduleId, cycle: Planner.cycle(for: schedule, history: history))
        let policies = self.policies()
        let chain = "schedule:\(schedule.scheduleId)"
        let scope = LockScope(scheduleIds: [schedule.scheduleId], exclusiveSchedules: true, chains: [chain])
        let outcome = try await write(scope) { (working: inout WorkingSet) throws(ServiceError) in
            working.keep(policies: policies)
            let existing = working.plans[planId]
            var result = Planner.plan(schedule: schedule, history: history, now: now, force: force, existing: existing)
            let request = Self.planRequest(
                schedule: schedule, severity: result.plan.alertLevel, now: now, context: context)
            let decision = policies.enforced.evaluate(request, trace: true)
            let evidence = decision.evidenceJSON(request: request)
            let shadow = policies.shadow?.evaluate(request, trace: true).evidenceJSON(request: request)
            if let refusal = Self.refusal(
                of: decision, evidence: evidence, input: context.input,
                denied: "the policy denies planning `\(schedule.scheduleId)`")
            {
                let entry = Self.refusalEntry(
                    chain: chain, routeId: nil, scheduleId: schedule.scheduleId, action: "plan", refusal: refusal,
                    decision: evidence, shadowDecision: shadow, bulkId: nil, in: working, now: now, context: context)
                working.append(refusal: entry, chain: chain)
                working.append(
                    HistoryEvent(
                        kind: "refusal", scheduleId: schedule.scheduleId, provider: nil, at: now, payload: entry.json))
                return Result<PlanResult, ServiceError>.failure(refusal)
            }
            // Planning a superseded cycle makes it current again: a revision.
            if let existing, existing.superseded {
                if result.changes.isEmpty {
                    result.plan.revision = existing.revision + 1
                    result.plan.revisedAt = now
                }
                result.plan.superseded = false
                result.changes.append(PlanChange(routeId: nil, field: "superseded", from: true, to: false))
            }
            for var other in working.plans.values
            where other.scheduleId == schedule.scheduleId && other.planId != planId && !other.superseded {
                other.superseded = true
                working.save(other)
            }
            working.save(StoredSchedule(scheduleId: schedule.scheduleId, document: scheduleJSON, history: historyJSON))
            working.save(result.plan)
            if result.created || !result.changes.isEmpty {
                working.append(
                    HistoryEvent(
                        kind: result.created ? "plan_created" : "plan_revised", scheduleId: schedule.scheduleId,
                        provider: nil, at: now,
                        payload: [
                            "plan": result.plan.json, "changes": .array(result.changes.map(\.json)),
                            "actor": context.actor.recordJSON, "channel": .string(context.channel.rawValue),
                            "operator_input": context.input.json, "decision": evidence,
                        ]))
            }
            return .success(result)
        }
        return try outcome.get()
    }

    /// architecture.md §10: the schedule's attributes and the new plan's severity; `""` for the other strings,
    /// state outstanding, category deliver, age 0, SLO 60 minutes, not breached.
    static func planRequest(schedule: Schedule, severity: Severity, now: Timestamp, context: CallContext)
        -> PolicyRequest
    {
        var request = PolicyRequest(action: .plan)
        request.actor = context.actor.policyAttributes
        request.route.scheduleId = schedule.scheduleId
        request.route.environment = schedule.environment
        request.route.service = schedule.service
        request.route.tags = schedule.tags
        request.route.severity = severity
        request.route.state = .outstanding
        request.route.category = .deliver
        request.route.age = 0
        request.route.slo = 3600
        request.context.now = now.unixSeconds
        request.context.channel = context.channel
        return request
    }
}
