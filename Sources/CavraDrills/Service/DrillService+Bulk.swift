// Bulk actions (architecture.md §5, `…/acknowledgements/bulk`): many routes, one state, all or nothing, with
// an outcome for every entry so a caller sees everything that stands in the way, not only the first thing.

import CavraJSON
import CavraPolicy

/// One route of a bulk action: how it is named, and the operator input that applies to it alone.
public struct BulkEntry: Sendable, Equatable {
    public var target: RouteTarget
    /// Win over the bulk-level note and reference when not blank.
    public var notes: String?
    public var externalRef: String?

    public init(_ target: RouteTarget, notes: String? = nil, externalRef: String? = nil) {
        self.target = target
        self.notes = notes
        self.externalRef = externalRef
    }

    public init(
        scheduleId: String, provider: String? = nil, owner: String? = nil, routeId: String? = nil,
        notes: String? = nil, externalRef: String? = nil
    ) {
        self.init(
            RouteTarget(scheduleId: scheduleId, provider: provider, owner: owner, routeId: routeId), notes: notes,
            externalRef: externalRef)
    }

    /// The input this route is checked and recorded with. A blank per-route value (whitespace only) counts as
    /// absent, as `OperatorInput.meets` reads it, so it never hides the bulk's own note or reference.
    func input(over bulk: OperatorInput) -> OperatorInput {
        func given(_ value: String?) -> String? {
            guard let value, !value.allSatisfy(\.isWhitespace) else { return nil }
            return value
        }
        return OperatorInput(
            notes: given(notes) ?? bulk.notes, externalRef: given(externalRef) ?? bulk.externalRef)
    }
}

/// What became, or would have become, of one entry of a bulk action.
public struct BulkResult: Sendable, Equatable {
    public enum Outcome: String, Sendable, CaseIterable {
        case stored
        case wouldStore = "would_store"
        case notFound = "not_found"
        case conflict
        case denied
        case missingObligation = "missing_obligation"
    }

    /// The entry's position in the request.
    public let index: Int
    /// The route the entry named; nil when it names none (`not_found`, `ambiguous_route`).
    public let routeId: String?
    public let outcome: Outcome
    /// A sentence about this entry: the error's detail, or the move it makes or would make.
    public let detail: String
    /// `stored`: the record appended.
    public let acknowledgement: ChainedEvidence?
    /// Why this entry would fail; nil for `stored` and `would_store`.
    public let error: ServiceError?
    /// `would_store`: the allow the policy gave (for a refusal it is in `error`).
    public let allowDecision: JSON?
    /// `duplicate_route`: the first entry naming the route, and this one.
    public let indexes: [Int]?

    /// The policy decision, with its request, where the policy was asked.
    public var decision: JSON? {
        switch error {
        case .forbidden(_, let decision), .missingObligation(_, let decision): decision
        default: allowDecision
        }
    }

    /// `{index, route_id, outcome: "stored", acknowledgement}`, or for a refused bulk
    /// `{index, route_id?, outcome, detail, decision?, missing?}`.
    public var json: JSON {
        var object: JSONObject = ["index": .int(Int64(index))]
        if let routeId { object["route_id"] = .string(routeId) }
        object["outcome"] = .string(outcome.rawValue)
        if let acknowledgement {
            object["acknowledgement"] = acknowledgement.json
            return .object(object)
        }
        object["detail"] = .string(detail)
        if let decision { object["decision"] = decision }
        if case .missingObligation(let missing, _) = error {
            object["missing"] = .array(missing.map { .string($0.rawValue) })
        }
        return .object(object)
    }

    init(
        index: Int, routeId: String?, outcome: Outcome, detail: String, acknowledgement: ChainedEvidence? = nil,
        error: ServiceError? = nil, allowDecision: JSON? = nil, indexes: [Int]? = nil
    ) {
        self.index = index
        self.routeId = routeId
        self.outcome = outcome
        self.detail = detail
        self.acknowledgement = acknowledgement
        self.error = error
        self.allowDecision = allowDecision
        self.indexes = indexes
    }

    /// An entry whose checks all passed: `stored`, or `would_store` when another entry failed.
    init(passed step: DrillService.CheckedStep, index: Int, acknowledgement: ChainedEvidence?) {
        let move = "\(step.previous.rawValue) to \(step.action.targetState.rawValue)"
        self.init(
            index: index, routeId: step.route.routeId, outcome: acknowledgement == nil ? .wouldStore : .stored,
            detail: acknowledgement == nil
                ? "route `\(step.route.routeId)` would move from \(move)"
                : "route `\(step.route.routeId)` moved from \(move)",
            acknowledgement: acknowledgement, allowDecision: acknowledgement == nil ? step.decision : nil)
    }

    /// An entry that fails with `error`, classified by it.
    init(index: Int, routeId: String?, failing error: ServiceError, indexes: [Int]? = nil) {
        let outcome: Outcome =
            switch error {
            case .notFound: .notFound
            case .forbidden: .denied
            case .missingObligation: .missingObligation
            case .conflict, .badInput, .store: .conflict  // a check throws only 404 and 409
            }
        self.init(
            index: index, routeId: routeId, outcome: outcome, detail: error.detail, error: error, indexes: indexes)
    }
}

/// A bulk action that stored every record.
public struct BulkOutcome: Sendable, Equatable {
    public let bulkId: String
    public let state: RouteState
    /// One per entry, by index, each `stored`.
    public let results: [BulkResult]

    /// The appended records, in entry order.
    public var records: [ChainedEvidence] { results.compactMap(\.acknowledgement) }

    /// The API's 200 body: `{bulk_id, acknowledgement_state, acknowledgement_count, results}`.
    public var json: JSON {
        [
            "bulk_id": .string(bulkId), "acknowledgement_state": .string(state.rawValue),
            "acknowledgement_count": .int(Int64(records.count)), "results": .array(results.map(\.json)),
        ]
    }
}

/// A bulk action that stored no record.
public struct BulkRefusal: Error, Sendable, Equatable {
    /// The answer: the error of the first entry (by index) in the first failing class (404, 409, 403, 422), or a
    /// 400 or store error that concerns the whole call (then `results` is empty).
    public let error: ServiceError
    /// Every entry's outcome, by index.
    public let results: [BulkResult]

    public init(_ error: ServiceError, results: [BulkResult] = []) {
        self.error = error
        self.results = results
    }

    public var code: String { error.code }
    public var httpStatus: Int { error.httpStatus }
    /// The CLI's exit code (architecture.md §11).
    public var exitCode: Int32 { error.exitCode }

    /// The entry whose error answers, if the refusal is about entries.
    public var failing: BulkResult? { results.first { $0.error == error } }

    /// The API's error body: the answering entry's `{detail, code, …}`, its `indexes` for `duplicate_route`, and
    /// `results`.
    public var json: JSON {
        guard case .object(var object) = error.json else { return error.json }
        if let indexes = failing?.indexes { object["indexes"] = .array(indexes.map { .int(Int64($0)) }) }
        if !results.isEmpty { object["results"] = .array(results.map(\.json)) }
        return .object(object)
    }

    /// §5's order of failing classes; the first class any entry falls in answers.
    static let classOrder: [BulkResult.Outcome] = [.notFound, .conflict, .denied, .missingObligation]

    /// The refusal for these results, or nil when every entry would be stored.
    init?(results: [BulkResult]) {
        for outcome in Self.classOrder {
            if let first = results.first(where: { $0.outcome == outcome }), let error = first.error {
                self.init(error, results: results)
                return
            }
        }
        return nil
    }
}

extension DrillService {
    /// Moves the routes the entries name to `state` in one transaction with one clock reading: all or nothing.
    ///
    /// Every entry is checked, so a refusal lists each one's outcome and answers as §5 orders the failing
    /// classes (404, 409, 403, 422). A refusal stores no record, only the decision-log entries of the routes the
    /// policy refused.
    public func bulk(
        to state: RouteState, entries: [BulkEntry], context: CallContext
    ) async throws(BulkRefusal) -> BulkOutcome {
        guard (1...Self.bulkLimit).contains(entries.count) else {
            throw BulkRefusal(
                .badInput(
                    field: "routes", detail: "a bulk action takes 1 to \(Self.bulkLimit) routes, not \(entries.count)"
                ))
        }
        guard let action = RouteAction(targetState: state) else {
            throw BulkRefusal(
                .badInput(
                    field: "acknowledgement_state",
                    detail: "a bulk action moves routes to acknowledged, escalated, resolved or dismissed"))
        }
        let now = clock()
        var failed: [BulkResult] = []
        var named: [(index: Int, route: Route)] = []
        var firstIndex: [String: Int] = [:]
        var plansOf: [String: [Plan]] = [:]
        for (index, entry) in entries.enumerated() {
            let scheduleId = entry.target.scheduleId
            if plansOf[scheduleId] == nil {
                do {
                    plansOf[scheduleId] = try await readPlans(scheduleId: scheduleId)
                } catch {
                    throw BulkRefusal(error)
                }
            }
            let route: Route
            do {
                route = try entry.target.resolve(in: plansOf[scheduleId] ?? []).route
            } catch {
                failed.append(BulkResult(index: index, routeId: nil, failing: error))
                continue
            }
            if let first = firstIndex[route.routeId] {
                failed.append(
                    BulkResult(
                        index: index, routeId: route.routeId,
                        failing: .conflict(
                            code: "duplicate_route",
                            detail: "entries \(first) and \(index) name the same route `\(route.routeId)`",
                            currentState: nil, candidates: []),
                        indexes: [first, index]))
                continue
            }
            firstIndex[route.routeId] = index
            named.append((index, route))
        }
        // Checked (and, on success, recorded) in route-id order, the order the rows are locked in.
        named.sort { $0.route.routeId < $1.route.routeId }
        var results = failed
        if !named.isEmpty {
            let policies = self.policies()
            let scope = LockScope(
                routeIds: named.map(\.route.routeId), scheduleIds: named.map(\.route.scheduleId),
                chains: named.map { Self.routeChain($0.route.routeId) })
            let anyFailed = !failed.isEmpty
            let named = named
            do {
                results += try await write(scope) { (working: inout WorkingSet) throws(ServiceError) in
                    Self.checkAndCommit(
                        action, named: named, entries: entries, anyFailed: anyFailed, into: &working, now: now,
                        context: context, policies: policies)
                }
            } catch {
                throw BulkRefusal(error)
            }
        }
        results.sort { $0.index < $1.index }
        if let refusal = BulkRefusal(results: results) { throw refusal }
        let bulkId = results.first?.acknowledgement?.json["bulk_id"]?.stringValue ?? ""
        return BulkOutcome(bulkId: bulkId, state: state, results: results)
    }

    /// Inside the transaction: checks every named route, then appends all records, or only the refusals.
    static func checkAndCommit(
        _ action: RouteAction, named: [(index: Int, route: Route)], entries: [BulkEntry], anyFailed: Bool,
        into working: inout WorkingSet, now: Timestamp, context: CallContext, policies: PolicySet
    ) -> [BulkResult] {
        // The id over every route an entry resolved to (a repeated one once), including those that fail a check,
        // taken before anything is appended: on success it is the id of the records; on refusal it ties the logged
        // refusals to the bulk that was asked for, whatever else in it failed.
        let bulkId = PlanIds.bulkId(
            acknowledgementIds: named.map {
                PlanIds.acknowledgementId(
                    routeId: $0.route.routeId,
                    sequence: Int64((working.routeHeads[$0.route.routeId]?.sequence ?? 0) + 1))
            })
        var results: [BulkResult] = []
        var steps: [(index: Int, step: CheckedStep, context: CallContext)] = []
        for (index, route) in named {
            var entryContext = context
            entryContext.input = entries[index].input(over: context.input)
            do {
                let step = try check(
                    action, routeId: route.routeId, expectedState: nil, in: working, now: now,
                    bulk: (true, entries.count), context: entryContext, policies: policies)
                steps.append((index, step, entryContext))
            } catch {
                results.append(BulkResult(index: index, routeId: route.routeId, failing: error))
            }
        }
        let refused = steps.filter { $0.step.refusal != nil }
        if anyFailed || !results.isEmpty || !refused.isEmpty {
            if !refused.isEmpty { working.keep(policies: policies) }
            for (index, step, entryContext) in steps {
                let routeId = step.route.routeId
                guard let refusal = step.refusal else {
                    results.append(BulkResult(passed: step, index: index, acknowledgement: nil))
                    continue
                }
                let entry = refusalEntry(
                    chain: routeChain(routeId), routeId: routeId, scheduleId: step.route.scheduleId,
                    action: step.action.rawValue, refusal: refusal, decision: step.decision,
                    shadowDecision: step.shadowDecision, bulkId: bulkId, in: working, now: now, context: entryContext)
                working.append(refusal: entry, chain: routeChain(routeId))
                working.append(
                    HistoryEvent(
                        kind: "refusal", scheduleId: step.route.scheduleId, provider: step.route.provider, at: now,
                        evidence: entry))
                results.append(BulkResult(index: index, routeId: routeId, failing: refusal))
            }
            return results
        }
        working.keep(policies: policies)
        for (index, step, entryContext) in steps {
            let record = record(step, bulkId: bulkId, now: now, context: entryContext)
            working.append(record: record, routeId: step.route.routeId, state: step.action.targetState)
            working.append(
                HistoryEvent(
                    kind: "acknowledgement", scheduleId: step.route.scheduleId, provider: step.route.provider, at: now,
                    evidence: record))
            results.append(BulkResult(passed: step, index: index, acknowledgement: record))
        }
        return results
    }

    /// Entries naming each of `routeIds` exactly, with the schedule of the plan that holds it (a `--routes` file
    /// lists bare route ids). An id no plan holds is 404 `no_matching_route`.
    public func bulkEntries(routeIds: [String]) async throws(ServiceError) -> [BulkEntry] {
        let plans = try await readPlans(scheduleId: nil)
        var scheduleOf: [String: String] = [:]
        for plan in plans {
            for route in plan.routes { scheduleOf[route.routeId] = plan.scheduleId }
        }
        return try routeIds.map { (id: String) throws(ServiceError) -> BulkEntry in
            guard let scheduleId = scheduleOf[id] else {
                throw .notFound(code: "no_matching_route", detail: "no plan holds route `\(id)`")
            }
            return BulkEntry(scheduleId: scheduleId, routeId: id)
        }
    }
}
