// The output of `cavra policy eval --batch`: one `batchJSON` line per decision, gathered into one byte buffer.

import CavraJSON

extension CompiledPolicy {
    /// Each request's decision as its `batchJSON` line and a newline, in order. Pieces of the batch are
    /// decided on every core.
    public func batchLines(_ requests: [PolicyRequest], trace: Bool) -> [UInt8] {
        let pieceSize = 2048
        let pieces = concurrentMap((requests.count + pieceSize - 1) / pieceSize) { piece in
            let range = piece * pieceSize..<min(requests.count, (piece + 1) * pieceSize)
            var output = BatchOutput(policy: self, trace: trace, expectedLines: range.count)
            requests.withUnsafeBufferPointer { buffer in
                for index in range {
                    output.append(evaluate(at: buffer.baseAddress! + index, trace: trace, indexed: !trace))
                }
            }
            return output.bytes
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(pieces.reduce(0) { $0 + $1.count })
        for piece in pieces { bytes += piece }
        return bytes
    }
}

/// Batches repeat the same few lines: a line without errors is fixed by the decision, its determining rules,
/// its obligations and (with the trace) the rules, clauses and roles evaluated, so each distinct line is
/// serialised once and copied after that. A line with errors, whose messages may quote request values, is
/// always serialised.
struct BatchOutput {
    private(set) var bytes: [UInt8] = []
    /// Keys hold rule indices, so every decision must come from this policy.
    private let policy: CompiledPolicy
    private let trace: Bool
    private var lines: [[Int]: [UInt8]] = [:]

    /// Distinct lines kept; past this, new lines are serialised without being kept.
    private static let capacity = 4096

    init(policy: CompiledPolicy, trace: Bool, expectedLines: Int = 0) {
        self.policy = policy
        self.trace = trace
        // Lines without the trace are about 120 bytes.
        bytes.reserveCapacity(expectedLines * (trace ? 1024 : 128))
    }

    /// Appends the decision's line and its newline.
    mutating func append(_ decision: Decision) {
        precondition(decision.policy === policy, "a decision of another policy")
        guard let key = key(of: decision) else { return appendSerialised(decision) }
        if let line = lines[key] {
            bytes.append(contentsOf: line)
        } else {
            let start = bytes.count
            appendSerialised(decision)
            if lines.count < Self.capacity { lines[key] = Array(bytes[start...]) }
        }
    }

    private mutating func appendSerialised(_ decision: Decision) {
        bytes.append(contentsOf: decision.batchJSON(trace: trace).serialized().utf8)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// Everything the line is made of, as numbers; nil when the line has errors.
    private func key(of decision: Decision) -> [Int]? {
        guard decision.errors.isEmpty else { return nil }
        var obligations = 0
        for entry in decision.obligations {
            obligations |= 1 << Obligation.sortedByName.firstIndex(of: entry.obligation)!
        }
        var key = [decision.allow ? 1 : 0, obligations, decision.determining.count]
        key.append(contentsOf: decision.determining)
        guard trace, let raw = decision.rawTrace else { return key }
        guard raw.roles.failures.isEmpty else { return nil }
        // Two bits a role, 32 roles a number.
        var word = 0
        for role in 0..<raw.roles.count {
            word |= Int(raw.roles.states[role].rawValue) << (2 * (role % 32))
            if role % 32 == 31 || role == raw.roles.count - 1 {
                key.append(word)
                word = 0
            }
        }
        for rule in raw.rules {
            let principal = rule.principal.map { $0 ? 1 : 0 } ?? 2
            key.append(rule.rule)
            key.append(principal)
            key.append(Self.code(of: rule.outcome))
            key.append(rule.conditions.count)
            for position in rule.conditions {
                guard let value = raw.conditions[position] else { return nil }
                key.append(value ? 1 : 0)
            }
        }
        return key
    }

    private static func code(of outcome: RuleOutcome) -> Int {
        switch outcome {
        case .applied: 0
        case .notApplied: 1
        case .skippedPrincipal: 2
        case .error: 3
        }
    }
}
