// The output of `cavra policy eval --batch`: one `batchJSON` line per decision, gathered into one byte buffer.

import CavraJSON
import Foundation

extension CompiledPolicy {
    /// Each request's decision as its `batchJSON` line and a newline, in order. Pieces of the batch are
    /// decided on every core.
    public func batchLines(_ requests: [PolicyRequest], trace: Bool) -> [UInt8] {
        let pieceSize = 2048
        // One cache for every piece: a line met in one piece is not serialised again in the others.
        let cache = BatchLineCache()
        let pieces = concurrentMap((requests.count + pieceSize - 1) / pieceSize) { piece in
            let range = piece * pieceSize..<min(requests.count, (piece + 1) * pieceSize)
            var output = BatchOutput(policy: self, trace: trace, cache: cache, expectedLines: range.count)
            requests.withUnsafeBufferPointer { buffer in
                for index in range {
                    output.append(evaluate(at: buffer.baseAddress! + index, trace: trace, indexed: !trace))
                }
            }
            return output.lines
        }
        return BatchOutput.joined(pieces)
    }
}

/// Batches repeat the same few lines: a line without errors is fixed by the decision, its determining rules,
/// its obligations and (with the trace) the rules, clauses and roles evaluated, so each distinct line is
/// serialised once and shared after that. A line with errors, whose messages may quote request values, is
/// always serialised.
struct BatchOutput {
    /// The lines so far, without their newlines; a repeated line shares the storage of its first.
    private(set) var lines: [[UInt8]] = []
    /// Keys hold rule indices, so every decision must come from this policy.
    private let policy: CompiledPolicy
    private let trace: Bool
    /// Lines by key, for this policy and this `trace` only; it may be shared with other outputs that are.
    private let cache: BatchLineCache

    init(policy: CompiledPolicy, trace: Bool, cache: BatchLineCache = BatchLineCache(), expectedLines: Int = 0) {
        self.policy = policy
        self.trace = trace
        self.cache = cache
        lines.reserveCapacity(expectedLines)
    }

    /// Appends the decision's line.
    mutating func append(_ decision: Decision) {
        precondition(decision.policy === policy, "a decision of another policy")
        guard let key = key(of: decision) else { return lines.append(serialised(decision)) }
        if let line = cache.line(for: key) {
            lines.append(line)
        } else {
            let line = serialised(decision)
            cache.keep(line, for: key)
            lines.append(line)
        }
    }

    private func serialised(_ decision: Decision) -> [UInt8] {
        Array(decision.batchJSON(trace: trace).serialized().utf8)
    }

    /// The lines of every piece in order, each followed by a newline, copied once into one buffer.
    static func joined(_ pieces: [[[UInt8]]]) -> [UInt8] {
        let count = pieces.reduce(0) { total, piece in piece.reduce(total) { $0 + $1.count + 1 } }
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for piece in pieces {
                for line in piece {
                    let end = initialized + line.count
                    _ = buffer[initialized..<end].initialize(fromContentsOf: line)
                    buffer[end] = UInt8(ascii: "\n")
                    initialized = end + 1
                }
            }
        }
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

/// The lines of `BatchOutput`s by key, shared by the pieces of a batch decided concurrently. Two pieces that
/// meet a new line at the same time both serialise it, to the same bytes.
final class BatchLineCache: @unchecked Sendable {
    // Safe: `lines` and `keptBytes` are only touched under `lock`.
    private let lock = NSLock()
    private var lines: [[Int]: [UInt8]] = [:]
    private var keptBytes = 0

    /// Distinct lines kept, and their bytes; past either, new lines are serialised without being kept.
    private static let capacity = 16_384
    private static let byteCapacity = 64 << 20

    func line(for key: [Int]) -> [UInt8]? {
        lock.withLock { lines[key] }
    }

    func keep(_ line: [UInt8], for key: [Int]) {
        lock.withLock {
            guard lines.count < Self.capacity, keptBytes + line.count <= Self.byteCapacity,
                lines.updateValue(line, forKey: key) == nil
            else { return }
            keptBytes += line.count
        }
    }
}
