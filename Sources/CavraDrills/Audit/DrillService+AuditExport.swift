// Exporting an audit package through the single writer (architecture.md §5, §7): the matching routes the caller
// may export, with every record and refused attempt, the policies that decided them, the counts recomputed the
// way the verifier recomputes them, sealed, signed when a key is configured, and stored.

import CavraJSON
import CavraPolicy

extension DrillService {
    /// Builds, seals, signs (with `signingKey`) and stores an audit package of the routes matching `filter` (every
    /// matching route: no paging; superseded plans' routes with `filter.includeSuperseded`).
    ///
    /// Each matching route is checked with the policy action `export` for `context.actor`; a route it may not
    /// export (a deny, or an allow whose obligations `context.input` does not meet) is left out and counted in
    /// `withheld_route_count`, without a decision-log entry. No matching route gives an empty package. When every
    /// matching route is withheld, nothing is exported: one refused-attempt entry per matching route is logged and
    /// the first route's refusal is thrown (403, or 422 for an unmet obligation).
    public func exportAuditPackage(
        filter: RouteFilter, context: CallContext, signingKey: AuditSigningKey? = nil
    ) async throws(ServiceError) -> JSON {
        let now = clock()
        let policies = self.policies()
        let views = try await routeViews(filter: filter, now: now).sorted(by: Self.packageOrder)
        var exported: [RouteView] = []
        for view in views {
            let decision = policies.enforced.evaluate(
                Self.exportRequest(route: view.route, state: view.state, current: view.current, now: now, context),
                trace: false)
            if decision.allow, decision.obligations.allSatisfy({ context.input.meets($0.obligation) }) {
                exported.append(view)
            }
        }
        if !views.isEmpty && exported.isEmpty {
            try await refuseExport(of: views.map(\.route.routeId), now: now, context: context, policies: policies)
        }
        let plans = Dictionary(
            try await readPlans(scheduleId: nil).map { ($0.planId, $0) }, uniquingKeysWith: { first, _ in first })
        var routes: [JSON] = []
        var summaries: [AuditPackage.RouteSummary] = []
        var policyHashes: [String] = []
        var recordCount = 0
        for view in exported {
            let records: [ChainedEvidence]
            let refusals: [ChainedEvidence]
            do {
                records = try await store.records(routeId: view.route.routeId)
                refusals = try await store.refusals(chain: Self.routeChain(view.route.routeId))
            } catch {
                throw .store(detail: "the store cannot be read: \(error)")
            }
            // The state as the records included show it, so the package agrees with itself.
            let state = RouteState.derived(
                latest: records.last?.json["acknowledgement_state"]?.stringValue.flatMap(RouteState.init(rawValue:)))
            let breached = Planner.isBreached(route: view.route, state: state, current: view.current, now: now)
            guard case .object(var object) = view.route.json() else { continue }
            object["plan_revision"] = .int(Int64(plans[view.route.planId]?.revision ?? 1))
            object["superseded"] = .bool(!view.current)
            object["state"] = .string(state.rawValue)
            object["breached"] = .bool(breached)
            object["record_count"] = .int(Int64(records.count))
            object["head_hash"] = .string(records.last?.hash ?? "")
            object["acknowledgements"] = .array(records.map(\.json))
            object["refused_attempts"] = .array(refusals.map(\.json))
            routes.append(.object(object))
            summaries.append(
                AuditPackage.RouteSummary(route: view.route, current: view.current, state: state, breached: breached))
            recordCount += records.count
            for evidence in records + refusals {
                for key in ["decision", "shadow_decision"] {
                    if let sha = evidence.json[key]?["policy"]?["sha256"]?.stringValue, !policyHashes.contains(sha) {
                        policyHashes.append(sha)
                    }
                }
            }
        }
        var embedded = JSONObject()
        for sha in policyHashes.sorted() {
            embedded[sha] = try await policySnapshot(sha256: sha, current: policies).json
        }
        let body: JSONObject = [
            "schema_version": .string(AuditPackage.schemaVersion),
            "generated_at": .string(now.description),
            "generated_by": [
                "id": .string(context.actor.id), "verified": .bool(context.actor.verified),
                "issuer": .string(context.actor.issuer),
            ],
            "filters": Self.filtersJSON(filter),
            "route_count": .int(Int64(routes.count)),
            "withheld_route_count": .int(Int64(views.count - exported.count)),
            "acknowledgement_count": .int(Int64(recordCount)),
            "state_counts": .object(AuditPackage.stateCounts(summaries)),
            "breached_count": .int(Int64(summaries.filter(\.breached).count)),
            "alert_level": .string(AuditPackage.alertLevel(summaries).rawValue),
            "routes": .array(routes),
            "policies": .object(embedded),
        ]
        let package = AuditPackage.seal(body, signingKey: signingKey)
        let scheduleIds = Set(exported.map(\.route.scheduleId))
        let providers = Set(exported.map(\.route.provider))
        // The package is kept in full by its id; the history feed carries a summary.
        let auditId = package["audit_id"]?.stringValue ?? ""
        var summary = JSONObject()
        for key in [
            "audit_id", "generated_at", "generated_by", "filters", "route_count", "withheld_route_count",
            "acknowledgement_count", "breached_count", "alert_level",
        ] {
            summary[key] = package[key]
        }
        let event = HistoryEvent(
            kind: AuditPackage.historyKind,
            scheduleId: scheduleIds.count == 1 ? scheduleIds.first! : filter.scheduleId ?? "",
            provider: providers.count == 1 ? providers.first! : filter.provider, at: now, payload: .object(summary))
        try await write(LockScope()) { (working: inout WorkingSet) throws(ServiceError) in
            working.keep(auditPackage: package, auditId: auditId)
            working.append(event)
        }
        return package
    }

    /// A stored package by its `audit_id`; nil when there is none.
    public func storedAuditPackage(auditId: String) async throws(ServiceError) -> JSON? {
        do {
            return try await store.auditPackage(auditId: auditId)
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
    }

    /// A stored package for `actor`: nil when there is none; 403 unless the actor may export every route in it now
    /// (architecture.md §5). Nothing is logged.
    public func storedAuditPackage(auditId: String, actor: Actor, channel: Channel) async throws(ServiceError)
        -> JSON?
    {
        guard let package = try await storedAuditPackage(auditId: auditId) else { return nil }
        let now = clock()
        let policy = policies().enforced
        let views = Dictionary(
            try await routeViews(filter: RouteFilter(includeSuperseded: true), now: now).map { ($0.route.routeId, $0) },
            uniquingKeysWith: { first, _ in first })
        let context = CallContext(actor: actor, channel: channel)
        for route in package["routes"]?.arrayValue ?? [] {
            guard let routeId = route["route_id"]?.stringValue, let view = views[routeId] else { continue }
            let decision = policy.evaluate(
                Self.exportRequest(route: view.route, state: view.state, current: view.current, now: now, context),
                trace: false)
            guard decision.allow, decision.obligations.isEmpty else {
                let why =
                    decision.allow
                    ? "it needs " + decision.obligationNames.joined(separator: " and ")
                    : decision.reasons.joined(separator: "; ")
                throw .forbidden(
                    detail: "the policy denies export of `\(routeId)`, which the package holds: \(why)",
                    decision: decision.json(trace: false))
            }
        }
        return package
    }

    // MARK: Parts

    /// Schedule, owner, provider (as the route list sorts), then current before superseded, then the plan id.
    static func packageOrder(_ a: RouteView, _ b: RouteView) -> Bool {
        func key(_ view: RouteView) -> [String] {
            [view.route.scheduleId, view.route.owner, view.route.provider, view.current ? "0" : "1", view.route.planId]
        }
        return key(a).lexicographicallyPrecedes(key(b)) { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    static func exportRequest(route: Route, state: RouteState, current: Bool, now: Timestamp, _ context: CallContext)
        -> PolicyRequest
    {
        var request = PolicyRequest(action: .export)
        request.actor = context.actor.policyAttributes
        request.route = route.policyAttributes(state: state, current: current, now: now)
        request.context.now = now.unixSeconds
        request.context.channel = context.channel
        return request
    }

    /// `{schedule_id, provider, owner, state, category, breached, include_superseded}`, null where not given.
    static func filtersJSON(_ filter: RouteFilter) -> JSON {
        [
            "schedule_id": filter.scheduleId.map(JSON.string) ?? .null,
            "provider": filter.provider.map(JSON.string) ?? .null, "owner": filter.owner.map(JSON.string) ?? .null,
            "state": filter.state.map { .string($0.rawValue) } ?? .null,
            "category": filter.category.map { .string($0.rawValue) } ?? .null,
            "breached": filter.breached.map(JSON.bool) ?? .null,
            "include_superseded": .bool(filter.includeSuperseded),
        ]
    }

    /// The text of a policy that decided an included record or entry: from the store, else the policy in force
    /// when it is that one (a store written before policies were kept).
    func policySnapshot(sha256: String, current: PolicySet) async throws(ServiceError) -> PolicySnapshot {
        let stored: PolicySnapshot?
        do {
            stored = try await store.policy(sha256: sha256)
        } catch {
            throw .store(detail: "the store cannot be read: \(error)")
        }
        if let stored { return stored }
        for policy in [current.enforced] + (current.shadow.map { [$0] } ?? []) where policy.sha256 == sha256 {
            return PolicySnapshot(policy)
        }
        throw .store(
            detail: "the policy \(sha256) decided a record of the package but its text is not in the store, "
                + "so the package could not be replayed")
    }

    /// Every matching route is withheld: one refused attempt per route (in its route chain), then the first refusal.
    func refuseExport(of routeIds: [String], now: Timestamp, context: CallContext, policies: PolicySet)
        async throws(ServiceError)
    {
        let plans = try await readPlans(scheduleId: nil)
        let scheduleIds = routeIds.compactMap { id in
            plans.route(id: id)?.plan.scheduleId
        }
        let scope = LockScope(routeIds: routeIds, scheduleIds: scheduleIds, chains: routeIds.map(Self.routeChain))
        let first = try await write(scope) { (working: inout WorkingSet) throws(ServiceError) -> ServiceError? in
            working.keep(policies: policies)
            var first: ServiceError?
            for routeId in routeIds {
                guard let (plan, route) = Array(working.plans.values).route(id: routeId) else { continue }
                let state = RouteState.derived(latest: working.routeHeads[routeId]?.state)
                let request = Self.exportRequest(
                    route: route, state: state, current: !plan.superseded, now: now, context)
                let decision = policies.enforced.evaluate(request, trace: true)
                let evidence = decision.evidenceJSON(request: request)
                // Allowed now after all (the routes changed since they were read): not a refusal to log.
                guard
                    let refusal = Self.refusal(
                        of: decision, evidence: evidence, input: context.input,
                        denied: "the policy denies export of `\(routeId)`")
                else { continue }
                let entry = Self.refusalEntry(
                    chain: Self.routeChain(routeId), routeId: routeId, scheduleId: route.scheduleId, action: "export",
                    refusal: refusal, decision: evidence,
                    shadowDecision: policies.shadow?.evaluate(request, trace: true).evidenceJSON(request: request),
                    bulkId: nil, in: working, now: now, context: context)
                working.append(refusal: entry, chain: Self.routeChain(routeId))
                working.append(
                    HistoryEvent(
                        kind: "refusal", scheduleId: route.scheduleId, provider: route.provider, at: now,
                        evidence: entry))
                if first == nil { first = refusal }
            }
            return first
        }
        throw first
            ?? .conflict(
                code: "state_changed", detail: "the matching routes changed while the package was built; export again",
                currentState: nil, candidates: [])
    }
}
