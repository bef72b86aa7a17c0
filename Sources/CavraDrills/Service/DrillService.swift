// The only writer (architecture.md §3): every plan, state change and refusal goes through here.

import CavraJSON
import CavraPolicy
import Synchronization

/// The policies in force: the enforced one, and a shadow policy evaluated beside it and only recorded.
public struct PolicySet: Sendable {
    public var enforced: CompiledPolicy
    public var shadow: CompiledPolicy?

    public init(enforced: CompiledPolicy, shadow: CompiledPolicy? = nil) {
        self.enforced = enforced
        self.shadow = shadow
    }
}

/// Who asks, from where, with what: everything about a call that is not the route.
public struct CallContext: Sendable {
    public var actor: Actor
    public var channel: Channel
    public var input: OperatorInput
    /// A body `acknowledged_by` that was not used for identity, kept as `claimed_acknowledged_by`.
    public var claimedBy: String?

    public init(actor: Actor, channel: Channel, input: OperatorInput = OperatorInput(), claimedBy: String? = nil) {
        self.actor = actor
        self.channel = channel
        self.input = input
        self.claimedBy = claimedBy
    }
}

public struct DrillService: Sendable {
    public let store: any DrillStore
    let policies: @Sendable () -> PolicySet
    let clock: @Sendable () -> Timestamp
    /// The plans each schedule had when last read, to name the route an action locks without reading them again.
    let knownPlans = KnownPlans()

    public init(
        store: any DrillStore, policies: @escaping @Sendable () -> PolicySet,
        clock: @escaping @Sendable () -> Timestamp
    ) {
        self.store = store
        self.policies = policies
        self.clock = clock
    }

    /// The most routes one bulk action may change.
    public static let bulkLimit = 100

    // MARK: Acting on one route

    /// Acknowledges, escalates, resolves or dismisses one route; returns the record it appended.
    public func act(
        _ action: RouteAction, on target: RouteTarget, expectedState: RouteState? = nil, context: CallContext
    ) async throws(ServiceError) -> ChainedEvidence {
        try await actShowingRoute(action, on: target, expectedState: expectedState, context: context).record
    }

    /// `act`, and the route as the record left it, as the route list shows it (without permissions): the `route` of
    /// an action's answer, made in the write transaction rather than read again after it.
    public func actShowingRoute(
        _ action: RouteAction, on target: RouteTarget, expectedState: RouteState? = nil, context: CallContext
    ) async throws(ServiceError) -> (record: ChainedEvidence, route: RouteView) {
        let now = clock()
        let policies = self.policies()
        // The route to lock is named from the plans known before the transaction; inside it, the target is resolved
        // again on the locked plans, which settle it. Plans known from an earlier call may be out of date (a new
        // plan since, by this process or another): a different answer, or a refusal, is tried again from plans
        // read now.
        var known = knownPlans.plans(of: target.scheduleId)
        for _ in 0..<Self.resolveAttempts {
            let fresh = known == nil
            let plans: [Plan]
            if let known {
                plans = known
            } else {
                plans = try await readPlans(scheduleId: target.scheduleId)
                knownPlans.keep(plans, of: target.scheduleId)
            }
            let route: Route
            do {
                route = try target.resolve(in: plans).route
            } catch {
                if fresh { throw error }
                known = nil
                continue
            }
            let scope = LockScope(
                routeIds: [route.routeId], scheduleIds: [route.scheduleId], chains: [Self.routeChain(route.routeId)])
            let outcome = try await write(scope) {
                (working: inout WorkingSet) throws(ServiceError) -> Result<(ChainedEvidence, RouteView), ServiceError>?
                in
                guard try target.resolve(in: Array(working.plans.values)).route.routeId == route.routeId else {
                    return nil
                }
                let step = try Self.check(
                    action, routeId: route.routeId, expectedState: expectedState, in: working, now: now,
                    bulk: (false, 1), context: context, policies: policies)
                let current = !(working.plans[step.route.planId]?.superseded ?? true)
                let state = step.action.targetState
                let view = RouteView(
                    route: step.route, state: state, ageSeconds: Planner.ageSeconds(route: step.route, now: now),
                    breached: Planner.isBreached(route: step.route, state: state, current: current, now: now),
                    current: current, hasRecords: true, latestAcknowledgement: nil, permissions: [:])
                let records = Self.commit(
                    [step], bulkId: nil, into: &working, now: now, context: context, policies: policies)
                return records.map { ($0[0], view) }
            }
            if let outcome { return try outcome.get() }
            // The locked plans name another route: what was known is out of date, or a plan came in between.
            known = nil
        }
        throw .conflict(
            code: "state_changed",
            detail: "the plans of `\(target.scheduleId)` changed while the route was being found; try again",
            currentState: nil, candidates: [])
    }

    /// How often an action looks for its route again when the plans change under it.
    static let resolveAttempts = 4

    // MARK: The decision inside the transaction

    /// What one route's check found: the record to append, or the refusal to log.
    struct CheckedStep: Sendable {
        var route: Route
        var previous: RouteState
        var action: RouteAction
        var request: PolicyRequest
        var decision: JSON
        var shadowDecision: JSON?
        var refusal: ServiceError?
        var sequence: Int
        var prevHash: String
    }

    /// Steps 3–5 of §3 on locked rows: the route and transition checks (409 first), then the policy.
    static func check(
        _ action: RouteAction, routeId: String, expectedState: RouteState?, in working: WorkingSet, now: Timestamp,
        bulk: (Bool, Int), context: CallContext, policies: PolicySet
    ) throws(ServiceError) -> CheckedStep {
        guard let (plan, route) = Array(working.plans.values).route(id: routeId) else {
            throw .notFound(code: "no_matching_route", detail: "no route `\(routeId)`")
        }
        let state = RouteState.derived(latest: working.routeHeads[routeId]?.state)
        if plan.superseded {
            throw .conflict(
                code: "route_superseded",
                detail: "route `\(routeId)` belongs to a superseded plan of `\(plan.scheduleId)`",
                currentState: state, candidates: [])
        }
        if route.removed {
            throw .conflict(
                code: "route_removed", detail: "route `\(routeId)` was removed by a revision of its plan",
                currentState: state, candidates: [])
        }
        if route.category != .deliver {
            throw .conflict(
                code: "route_suppressed",
                detail: "route `\(routeId)` is suppressed (\(route.category.rawValue): \(route.reason))",
                currentState: state, candidates: [])
        }
        if let expectedState, expectedState != state {
            throw .conflict(
                code: "state_changed",
                detail: "route `\(routeId)` is \(state.rawValue), not \(expectedState.rawValue) as expected",
                currentState: state, candidates: [])
        }
        guard state.canMove(to: action.targetState) else {
            let reason =
                state.allowedTransitions.isEmpty
                ? "\(state.rawValue) is final" : "\(state.rawValue) cannot become \(action.targetState.rawValue)"
            throw .conflict(
                code: "invalid_transition", detail: "route `\(routeId)`: \(reason)", currentState: state, candidates: []
            )
        }
        var request = PolicyRequest(action: action.policyAction)
        request.actor = context.actor.policyAttributes
        request.route = route.policyAttributes(state: state, current: true, now: now)
        request.context.now = now.unixSeconds
        request.context.channel = context.channel
        request.context.bulk = bulk.0
        request.context.bulkSize = Int64(bulk.1)
        let decision = policies.enforced.evaluate(request, trace: true)
        let shadow = policies.shadow?.evaluate(request, trace: true)
        let evidence = decision.evidenceJSON(request: request)
        let refusal = Self.refusal(
            of: decision, evidence: evidence, input: context.input,
            denied: "the policy denies \(action.rawValue) on `\(routeId)`")
        let head = working.routeHeads[routeId] ?? .empty
        return CheckedStep(
            route: route, previous: state, action: action, request: request, decision: evidence,
            shadowDecision: shadow?.evidenceJSON(request: request), refusal: refusal, sequence: head.sequence + 1,
            prevHash: head.hash)
    }

    /// Step 5: all records, or — when any step was refused — only the refusals, and the first refusal returned.
    static func commit(
        _ steps: [CheckedStep], bulkId: String?, into working: inout WorkingSet, now: Timestamp, context: CallContext,
        policies: PolicySet
    ) -> Result<[ChainedEvidence], ServiceError> {
        working.keep(policies: policies)
        // §5's order: a deny (403) answers before an unmet obligation (422).
        let denied = steps.first { if case .forbidden = $0.refusal { true } else { false } }
        if let refused = denied ?? steps.first(where: { $0.refusal != nil }) {
            for step in steps where step.refusal != nil {
                let entry = refusalEntry(
                    chain: routeChain(step.route.routeId), routeId: step.route.routeId,
                    scheduleId: step.route.scheduleId, action: step.action.rawValue, refusal: step.refusal,
                    decision: step.decision, shadowDecision: step.shadowDecision, bulkId: bulkId, in: working, now: now,
                    context: context)
                working.append(refusal: entry, chain: routeChain(step.route.routeId))
                working.append(
                    HistoryEvent(
                        kind: "refusal", scheduleId: step.route.scheduleId, provider: step.route.provider, at: now,
                        evidence: entry))
            }
            return .failure(refused.refusal!)
        }
        var records: [ChainedEvidence] = []
        for step in steps {
            let record = self.record(step, bulkId: bulkId, now: now, context: context)
            working.append(record: record, routeId: step.route.routeId, state: step.action.targetState)
            working.append(
                HistoryEvent(
                    kind: "acknowledgement", scheduleId: step.route.scheduleId, provider: step.route.provider, at: now,
                    evidence: record))
            records.append(record)
        }
        return .success(records)
    }

    static func record(_ step: CheckedStep, bulkId: String?, now: Timestamp, context: CallContext) -> ChainedEvidence {
        let route = step.route
        var body: JSONObject = [
            "acknowledgement_id": .string(
                PlanIds.acknowledgementId(routeId: route.routeId, sequence: Int64(step.sequence))),
            "route_id": .string(route.routeId), "schedule_id": .string(route.scheduleId),
            "plan_id": .string(route.planId), "provider": .string(route.provider), "owner": .string(route.owner),
            "sequence": .int(Int64(step.sequence)), "previous_state": .string(step.previous.rawValue),
            "acknowledgement_state": .string(step.action.targetState.rawValue),
            "acknowledged_by": .string(context.actor.id), "actor": context.actor.recordJSON,
        ]
        if let claimed = context.claimedBy { body["claimed_acknowledged_by"] = .string(claimed) }
        body["operator_input"] = context.input.json
        body["acknowledged_at"] = .string(now.description)
        body["channel"] = .string(context.channel.rawValue)
        if let bulkId { body["bulk_id"] = .string(bulkId) }
        body["decision"] = step.decision
        if let shadow = step.shadowDecision { body["shadow_decision"] = shadow }
        body["prev_hash"] = .string(step.prevHash)
        return ChainedEvidence(sealing: body)
    }

    /// A decision-log entry for a refused route action or plan call, continuing its chain.
    static func refusalEntry(
        chain: String, routeId: String?, scheduleId: String, action: String, refusal: ServiceError?, decision: JSON,
        shadowDecision: JSON?, bulkId: String?, in working: WorkingSet, now: Timestamp, context: CallContext
    ) -> ChainedEvidence {
        let head = working.chainHeads[chain] ?? .empty
        let sequence = head.sequence + 1
        var body: JSONObject = [
            "entry_id": .string(PlanIds.refusalId(chain: chain, sequence: Int64(sequence))), "chain": .string(chain),
            "sequence": .int(Int64(sequence)),
        ]
        if let routeId { body["route_id"] = .string(routeId) }
        body["schedule_id"] = .string(scheduleId)
        body["action"] = .string(action)
        body["actor"] = context.actor.recordJSON
        if let claimed = context.claimedBy { body["claimed_acknowledged_by"] = .string(claimed) }
        body["operator_input"] = context.input.json
        body["at"] = .string(now.description)
        body["channel"] = .string(context.channel.rawValue)
        if let bulkId { body["bulk_id"] = .string(bulkId) }
        if case .missingObligation = refusal {
            body["outcome"] = "missing_obligation"
        } else {
            body["outcome"] = "denied"
        }
        body["decision"] = decision
        if let shadowDecision { body["shadow_decision"] = shadowDecision }
        body["prev_hash"] = .string(head.hash)
        return ChainedEvidence(sealing: body)
    }

    /// The refusal a decision makes: a deny (403), or an allow whose obligations the submission does not meet (422).
    static func refusal(of decision: Decision, evidence: JSON, input: OperatorInput, denied: String) -> ServiceError? {
        if !decision.allow {
            return .forbidden(detail: denied + ": " + decision.reasons.joined(separator: "; "), decision: evidence)
        }
        let missing = decision.obligations.map(\.obligation).filter { !input.meets($0) }
        return missing.isEmpty ? nil : .missingObligation(missing: missing, decision: evidence)
    }

    static func routeChain(_ routeId: String) -> String { "route:\(routeId)" }

    // MARK: Store access with errors classified

    func readPlans(scheduleId: String?) async throws(ServiceError) -> [Plan] {
        do {
            return try await store.plans(scheduleId: scheduleId)
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
    }

    /// Runs a write; a `ServiceError` thrown inside rolls back and is passed on, anything else is a store error.
    func write<Result: Sendable>(
        _ scope: LockScope, _ body: @escaping @Sendable (inout WorkingSet) throws(ServiceError) -> Result
    ) async throws(ServiceError) -> Result {
        do {
            return try await store.write(scope) { working in try body(&working) }
        } catch let error as ServiceError {
            throw error
        } catch {
            throw .store(detail: "the store cannot be written: \(error)")
        }
    }
}

extension WorkingSet {
    /// Keeps the enforced and the shadow policy with what the call appends.
    mutating func keep(policies: PolicySet) {
        keep(PolicySnapshot(policies.enforced))
        if let shadow = policies.shadow { keep(PolicySnapshot(shadow)) }
    }
}

/// The plans of each schedule as last read, shared by the copies of a `DrillService`. Only a hint of which route to
/// lock: every action resolves its route again inside its transaction.
final class KnownPlans: Sendable {
    private let plansBySchedule = Mutex<[String: [Plan]]>([:])
    /// Schedules kept; past this the hints start over.
    static let capacity = 256

    func plans(of scheduleId: String) -> [Plan]? {
        plansBySchedule.withLock { $0[scheduleId] }
    }

    func keep(_ plans: [Plan], of scheduleId: String) {
        plansBySchedule.withLock { known in
            if known.count >= Self.capacity { known.removeAll(keepingCapacity: true) }
            known[scheduleId] = plans
        }
    }
}
