// What a replay of the stored decisions with a candidate policy found (docs/policy-replay.md), and its JSON form.

import CavraJSON
import CavraPolicy

public struct PolicyReplayReport: Sendable, Equatable {
    /// `{id, version, sha256}` of a policy.
    public struct PolicyIdentity: Sendable, Hashable {
        public var id: String
        public var version: String?
        public var sha256: String

        public init(id: String, version: String?, sha256: String) {
            self.id = id
            self.version = version
            self.sha256 = sha256
        }

        public init(_ policy: CompiledPolicy) {
            self.init(id: policy.id, version: policy.version, sha256: policy.sha256)
        }

        public var json: JSON {
            ["id": .string(id), "version": version.map(JSON.string) ?? .null, "sha256": .string(sha256)]
        }
    }

    /// What the submission came to: allowed (a record or a plan), or refused, as a decision-log entry says.
    public enum Outcome: String, Sendable {
        case allowed
        case denied
        case missingObligation = "missing_obligation"
    }

    /// One decision: recorded, or the candidate's on the same request with the same operator input.
    public struct Side: Sendable, Equatable {
        public var allow: Bool
        /// Sorted by name.
        public var obligations: [String]
        /// Rule ids, in their policy's source order.
        public var determining: [String]
        public var reasons: [String]
        public var outcome: Outcome
        /// The policy that decided (the recorded side only).
        public var policy: PolicyIdentity?

        public var decision: String { allow ? "allow" : "deny" }
    }

    public enum Change: String, Sendable {
        case allowToDeny = "allow_to_deny"
        case denyToAllow = "deny_to_allow"
        /// Allowed both times, with other obligations.
        case obligationsChanged = "obligations_changed"
    }

    public struct ReplayedDecision: Sendable, Equatable {
        public var kind: StoredDecision.Kind
        /// `acknowledgement_id`, `entry_id`, or `plan_id`.
        public var id: String
        public var at: Timestamp
        public var scheduleId: String
        /// nil for a plan decision.
        public var routeId: String?
        public var action: String
        public var recorded: Side
        public var candidate: Side

        /// What differs in the decision or its obligations; nil when neither does (the determining rules may).
        public var change: Change? {
            if recorded.allow != candidate.allow { return recorded.allow ? .allowToDeny : .denyToAllow }
            if recorded.allow && recorded.obligations != candidate.obligations { return .obligationsChanged }
            return nil
        }
    }

    /// A rule id whose part in the decisions changes.
    public struct RuleImpact: Sendable, Equatable {
        public var rule: String
        /// Decisions the rule determines under the candidate and did not when recorded.
        public var newlyDetermining = 0
        /// Decisions the rule determined when recorded and does not under the candidate.
        public var noLongerDetermining = 0

        public init(rule: String) { self.rule = rule }
    }

    /// A stored decision that cannot be decided again, and why.
    public struct Unreplayable: Error, Sendable, Equatable {
        public var kind: StoredDecision.Kind
        public var id: String
        public var reason: String
    }

    public var candidate: PolicyIdentity
    /// Every replayed decision, changed or not, by time.
    public var decisions: [ReplayedDecision] = []
    public var rules: [RuleImpact] = []
    public var unreplayable: [Unreplayable] = []

    public init(candidate: PolicyIdentity) {
        self.candidate = candidate
    }

    public var changes: [ReplayedDecision] { decisions.filter { $0.change != nil } }

    public func count(_ change: Change) -> Int { decisions.filter { $0.change == change }.count }

    /// Decisions whose submission would end otherwise: allowed, denied, or refused for a missing obligation.
    public var outcomeChangedCount: Int { decisions.filter { $0.recorded.outcome != $0.candidate.outcome }.count }

    /// The policies that made the recorded decisions, in order of first use, with how many each made.
    public var recordedPolicies: [(policy: PolicyIdentity, decisions: Int)] {
        var result: [(policy: PolicyIdentity, decisions: Int)] = []
        for decision in decisions {
            guard let policy = decision.recorded.policy else { continue }
            if let index = result.firstIndex(where: { $0.policy == policy }) {
                result[index].decisions += 1
            } else {
                result.append((policy, 1))
            }
        }
        return result
    }

    /// Whether anything would change, or some decision could not be checked.
    public var hasChanges: Bool { !changes.isEmpty || !unreplayable.isEmpty }

    // MARK: JSON

    public var json: JSON {
        let changed = changes.count
        return [
            "candidate": candidate.json,
            "recorded_policies": .array(
                recordedPolicies.map { entry in
                    guard case .object(var object) = entry.policy.json else { return entry.policy.json }
                    object["decisions"] = .int(Int64(entry.decisions))
                    return .object(object)
                }),
            "counts": [
                "replayed": .int(Int64(decisions.count)), "unchanged": .int(Int64(decisions.count - changed)),
                "changed": .int(Int64(changed)), "allow_to_deny": .int(Int64(count(.allowToDeny))),
                "deny_to_allow": .int(Int64(count(.denyToAllow))),
                "obligations_changed": .int(Int64(count(.obligationsChanged))),
                "outcome_changed": .int(Int64(outcomeChangedCount)), "unreplayable": .int(Int64(unreplayable.count)),
            ],
            "rules": .array(
                rules.map {
                    [
                        "rule": .string($0.rule), "newly_determining": .int(Int64($0.newlyDetermining)),
                        "no_longer_determining": .int(Int64($0.noLongerDetermining)),
                    ]
                }),
            "decisions": .array(decisions.map(\.json)),
            "unreplayable": .array(
                unreplayable.map {
                    ["kind": .string($0.kind.rawValue), "id": .string($0.id), "reason": .string($0.reason)]
                }
            ),
        ]
    }
}

extension PolicyReplayReport.Side {
    public var json: JSON {
        var object: JSONObject = [
            "decision": .string(decision), "obligations": .array(obligations.map(JSON.string)),
            "determining": .array(determining.map(JSON.string)), "reasons": .array(reasons.map(JSON.string)),
            "outcome": .string(outcome.rawValue),
        ]
        if let policy { object["policy"] = policy.json }
        return .object(object)
    }
}

extension PolicyReplayReport.ReplayedDecision {
    public var json: JSON {
        [
            "kind": .string(kind.rawValue), "id": .string(id), "at": .string(at.description),
            "schedule_id": .string(scheduleId), "route_id": routeId.map(JSON.string) ?? .null,
            "action": .string(action), "change": change.map { .string($0.rawValue) } ?? .null,
            "recorded": recorded.json, "candidate": candidate.json,
        ]
    }
}
