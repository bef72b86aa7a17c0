// `cavra policy replay`: every stored decision decided again with a candidate policy, to see what it would change
// before it is deployed (docs/policy-replay.md).

import CavraJSON
import CavraPolicy

/// One decision as the store keeps it: an acknowledgement record, a decision-log entry, or the decision that
/// allowed a plan to be created or revised (in its history event).
public struct StoredDecision: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case acknowledgement, refusal, plan
    }

    public var kind: Kind
    /// The record, the entry, or the `plan_created` / `plan_revised` event's payload.
    public var evidence: JSON
    /// When it was decided (for a plan, the history event's time).
    public var at: Timestamp

    public init(kind: Kind, evidence: JSON, at: Timestamp) {
        self.kind = kind
        self.evidence = evidence
        self.at = at
    }
}

public enum PolicyReplay {
    /// Every decision the store keeps: each route's records and refusal chain (superseded plans' routes too), the
    /// refused plan calls of each schedule, and the decisions of created and revised plans. Shadow decisions are
    /// not read: a replay compares the candidate with what was enforced.
    public static func storedDecisions(in store: any DrillStore) async throws -> [StoredDecision] {
        var decisions: [StoredDecision] = []
        var chains: [String] = []
        var known: Set<String> = []
        for plan in try await store.plans(scheduleId: nil) {
            for route in plan.routes {
                for record in try await store.records(routeId: route.routeId) {
                    let at = record.json["acknowledged_at"]?.stringValue.flatMap { try? Timestamp(parsing: $0) }
                    decisions.append(
                        StoredDecision(kind: .acknowledgement, evidence: record.json, at: at ?? plan.createdAt))
                }
                let chain = "route:\(route.routeId)"
                if known.insert(chain).inserted { chains.append(chain) }
            }
        }
        // A refused plan call leaves no plan behind: its chain is found through the history feed.
        for event in try await store.history(scheduleId: nil, provider: nil, kind: "refusal", limit: .max, offset: 0) {
            if let chain = event.payload["chain"]?.stringValue, known.insert(chain).inserted { chains.append(chain) }
        }
        for chain in chains {
            for entry in try await store.refusals(chain: chain) {
                let at = entry.json["at"]?.stringValue.flatMap { try? Timestamp(parsing: $0) }
                decisions.append(StoredDecision(kind: .refusal, evidence: entry.json, at: at ?? .init(milliseconds: 0)))
            }
        }
        for kind in ["plan_created", "plan_revised"] {
            for event in try await store.history(scheduleId: nil, provider: nil, kind: kind, limit: .max, offset: 0) {
                decisions.append(StoredDecision(kind: .plan, evidence: event.payload, at: event.at))
            }
        }
        return decisions
    }

    /// Decides every stored decision again, on the request it was made on, with `candidate`, and compares.
    /// Decisions are listed by time, then kind, then id.
    public static func replay(_ decisions: [StoredDecision], with candidate: CompiledPolicy) -> PolicyReplayReport {
        var report = PolicyReplayReport(candidate: PolicyReplayReport.PolicyIdentity(candidate))
        for stored in decisions {
            switch decideAgain(stored, with: candidate) {
            case .success(let decision): report.decisions.append(decision)
            case .failure(let failure): report.unreplayable.append(failure)
            }
        }
        report.decisions.sort { ($0.at, $0.kind.rawValue, $0.id) < ($1.at, $1.kind.rawValue, $1.id) }
        report.unreplayable.sort { ($0.kind.rawValue, $0.id) < ($1.kind.rawValue, $1.id) }
        report.rules = ruleImpacts(report.decisions, candidate: candidate)
        return report
    }

    private static func decideAgain(_ stored: StoredDecision, with candidate: CompiledPolicy)
        -> Result<PolicyReplayReport.ReplayedDecision, PolicyReplayReport.Unreplayable>
    {
        let evidence = stored.evidence
        let id = identifier(of: stored)
        func failure(_ reason: String) -> Result<PolicyReplayReport.ReplayedDecision, PolicyReplayReport.Unreplayable> {
            .failure(PolicyReplayReport.Unreplayable(kind: stored.kind, id: id, reason: reason))
        }
        guard let recordedJSON = evidence["decision"] else { return failure("no decision is recorded") }
        guard let requestJSON = recordedJSON["request"] else { return failure("the decision has no `request`") }
        let request: PolicyRequest
        do {
            request = try PolicyRequest(recorded: requestJSON)
        } catch {
            return failure("the decision's request is \(error.description)")
        }
        guard let recorded = recordedSide(recordedJSON, outcome: recordedOutcome(of: stored)) else {
            return failure("the recorded decision lacks `decision`, `determining`, `obligations` or `reasons`")
        }
        let input = OperatorInput(
            notes: evidence["operator_input"]?["notes"]?.stringValue ?? "",
            externalRef: evidence["operator_input"]?["external_ref"]?.stringValue ?? "")
        let decision = candidate.evaluate(request, trace: false)
        let outcome: PolicyReplayReport.Outcome =
            !decision.allow
            ? .denied : decision.obligations.allSatisfy { input.meets($0.obligation) } ? .allowed : .missingObligation
        let replayed = PolicyReplayReport.Side(
            allow: decision.allow, obligations: decision.obligationNames, determining: decision.determiningIds,
            reasons: decision.reasons, outcome: outcome, policy: nil)
        return .success(
            PolicyReplayReport.ReplayedDecision(
                kind: stored.kind, id: id, at: stored.at,
                scheduleId: evidence["schedule_id"]?.stringValue
                    ?? requestJSON["route"]?["schedule_id"]?.stringValue ?? "",
                routeId: stored.kind == .plan ? nil : evidence["route_id"]?.stringValue,
                action: request.action.rawValue,
                recorded: recorded, candidate: replayed))
    }

    /// `acknowledgement_id`, `entry_id`, or a plan's `plan_id`.
    private static func identifier(of stored: StoredDecision) -> String {
        let id =
            switch stored.kind {
            case .acknowledgement: stored.evidence["acknowledgement_id"]
            case .refusal: stored.evidence["entry_id"]
            case .plan: stored.evidence["plan"]?["plan_id"]
            }
        return id?.stringValue ?? ""
    }

    /// What the submission came to: a record or a plan was allowed; an entry says how it was refused.
    private static func recordedOutcome(of stored: StoredDecision) -> PolicyReplayReport.Outcome? {
        switch stored.kind {
        case .acknowledgement, .plan: .allowed
        case .refusal: stored.evidence["outcome"]?.stringValue.flatMap(PolicyReplayReport.Outcome.init(rawValue:))
        }
    }

    private static func recordedSide(_ json: JSON, outcome: PolicyReplayReport.Outcome?) -> PolicyReplayReport.Side? {
        func strings(_ key: String) -> [String]? {
            guard let items = json[key]?.arrayValue else { return nil }
            let values = items.compactMap(\.stringValue)
            return values.count == items.count ? values : nil
        }
        guard let decision = json["decision"]?.stringValue, ["allow", "deny"].contains(decision),
            let obligations = strings("obligations"), let determining = strings("determining"),
            let reasons = strings("reasons"), let outcome
        else { return nil }
        let policy = json["policy"].flatMap { policy in
            policy["sha256"]?.stringValue.map { sha in
                PolicyReplayReport.PolicyIdentity(
                    id: policy["id"]?.stringValue ?? "", version: policy["version"]?.stringValue, sha256: sha)
            }
        }
        return PolicyReplayReport.Side(
            allow: decision == "allow", obligations: obligations, determining: determining, reasons: reasons,
            outcome: outcome, policy: policy)
    }

    /// For each rule id, how many decisions it newly determines and how many it no longer determines; rules with
    /// neither are left out. The candidate's rules in source order, then rules it no longer has, by id.
    private static func ruleImpacts(_ decisions: [PolicyReplayReport.ReplayedDecision], candidate: CompiledPolicy)
        -> [PolicyReplayReport.RuleImpact]
    {
        var impacts: [String: PolicyReplayReport.RuleImpact] = [:]
        for decision in decisions {
            let recorded = Set(decision.recorded.determining)
            let replayed = Set(decision.candidate.determining)
            for rule in replayed.subtracting(recorded) {
                impacts[rule, default: .init(rule: rule)].newlyDetermining += 1
            }
            for rule in recorded.subtracting(replayed) {
                impacts[rule, default: .init(rule: rule)].noLongerDetermining += 1
            }
        }
        let order = candidate.rules.map(\.id)
        func key(_ rule: String) -> (Int, String) { (order.firstIndex(of: rule) ?? order.count, rule) }
        return impacts.values.sorted { key($0.rule) < key($1.rule) }
    }
}
