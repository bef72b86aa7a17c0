// The evidence of one state change (architecture.md §7): who, what, why, the decision, chained per route.

import CavraJSON
import CavraPolicy
import Foundation

public struct OperatorInput: Sendable, Equatable {
    public var notes: String
    public var externalRef: String

    public init(notes: String = "", externalRef: String = "") {
        self.notes = notes
        self.externalRef = externalRef
    }

    public var json: JSON { ["notes": .string(notes), "external_ref": .string(externalRef)] }

    /// Whether the submission meets an obligation the policy attached to an allow.
    public func meets(_ obligation: Obligation) -> Bool {
        switch obligation {
        case .note: !notes.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        case .externalRef: !externalRef.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
    }
}

/// A record or a decision-log entry: its JSON is the evidence, hashed over the JCS form without `hash`.
public struct ChainedEvidence: Sendable, Equatable {
    /// The whole object, `hash` included.
    public private(set) var json: JSON
    /// The compact text of `json`, made once when the evidence is sealed: a store writes it twice (the record or
    /// entry, and its history event).
    private let sealedText: String?

    /// Seals `body` (which must not hold `hash`): adds `hash` = SHA-256 of its canonical form.
    public init(sealing body: JSONObject) {
        var object = body
        object["hash"] = .string(JSON.object(body).canonicalSHA256)
        json = .object(object)
        sealedText = json.serialized()
    }

    /// Evidence read back from a store, as it was written.
    public init(stored json: JSON) {
        self.json = json
        sealedText = nil
    }

    /// `json` as compact text.
    public var text: String { sealedText ?? json.serialized() }

    public static func == (lhs: ChainedEvidence, rhs: ChainedEvidence) -> Bool { lhs.json == rhs.json }

    public var hash: String { json["hash"]?.stringValue ?? "" }
    public var sequence: Int { Int(json["sequence"]?.intValue ?? 0) }

    /// Whether `hash` is the hash of the rest: the check an auditor repeats.
    public var hashVerifies: Bool {
        guard case .object(var body) = json else { return false }
        body["hash"] = nil
        return JSON.object(body).canonicalSHA256 == hash
    }
}

/// The newest link of a chain: what the next record or entry continues from.
public struct ChainHead: Sendable, Equatable {
    public var sequence: Int
    public var hash: String
    /// For a route's records: the state the last record moved the route to.
    public var state: RouteState?

    public init(sequence: Int, hash: String, state: RouteState? = nil) {
        self.sequence = sequence
        self.hash = hash
        self.state = state
    }

    public static let empty = ChainHead(sequence: 0, hash: "")
}
