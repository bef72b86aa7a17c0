// The index of one action's rules: with the trace off, only rules whose static guard can hold are evaluated.
//
// A rule's guard is the first thing its evaluation reads, when that cannot fail: the roles of `by`, or, without
// `by`, a first `when` that tests a fixed attribute against literals. A rule whose guard is false would end as
// `skipped_principal` or `not_applied` without an error, so skipping it never changes a decision (§5.8).

struct RuleMask: Sendable, Equatable {
    /// Positions 0–63 inline, so that the buckets of ordinary policies never allocate while evaluating.
    private var low: UInt64 = 0
    private var high: [UInt64]

    init(count: Int) { high = Array(repeating: 0, count: max(0, (count - 1) / 64)) }

    mutating func insert(_ position: Int) {
        if position < 64 {
            low |= 1 << UInt64(position)
        } else {
            high[position / 64 - 1] |= 1 << UInt64(position % 64)
        }
    }

    mutating func formUnion(_ other: RuleMask) {
        low |= other.low
        for index in high.indices { high[index] |= other.high[index] }
    }

    func forEach(_ body: (Int) -> Void) {
        Self.forEachBit(low, offset: 0, body)
        for (index, word) in high.enumerated() { Self.forEachBit(word, offset: (index + 1) * 64, body) }
    }

    private static func forEachBit(_ word: UInt64, offset: Int, _ body: (Int) -> Void) {
        var remaining = word
        while remaining != 0 {
            body(offset + remaining.trailingZeroBitCount)
            remaining &= remaining - 1
        }
    }
}

struct ActionBucket: Sendable {
    /// Policy rule indices covering this action, in source order.
    let rules: [Int]
    /// How many clauses the rules have: the most a trace of the bucket records.
    let clauseCount: Int
    let unguarded: RuleMask
    let attributeGuards: [(attribute: Attribute, postings: [String: RuleMask])]
    let roleGuards: [(role: Int, postings: RuleMask)]

    init(rules: [Int], policyRules: [CompiledRule], roles: [CompiledRole]) {
        self.rules = rules
        clauseCount = rules.reduce(0) { $0 + policyRules[$1].clauses.count }
        var unguarded = RuleMask(count: rules.count)
        var attributeGuards: [Attribute: [String: RuleMask]] = [:]
        var roleGuards: [Int: RuleMask] = [:]
        for (position, ruleIndex) in rules.enumerated() {
            switch Self.guardOf(policyRules[ruleIndex], roles: roles) {
            case .roles(let held):
                for role in held { roleGuards[role, default: RuleMask(count: rules.count)].insert(position) }
            case .attribute(let attribute, let values):
                for value in values {
                    attributeGuards[attribute, default: [:]][value, default: RuleMask(count: rules.count)]
                        .insert(position)
                }
            case nil:
                unguarded.insert(position)
            }
        }
        self.unguarded = unguarded
        self.attributeGuards = attributeGuards.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { (attribute: $0.key, postings: $0.value) }
        self.roleGuards = roleGuards.sorted { $0.key < $1.key }.map { (role: $0.key, postings: $0.value) }
    }

    private enum Guard {
        case roles([Int])
        case attribute(Attribute, [String])
    }

    private static func guardOf(_ rule: CompiledRule, roles: [CompiledRole]) -> Guard? {
        if let principals = rule.principals {
            return principals.allSatisfy { roles[$0].infallible } ? .roles(principals) : nil
        }
        guard let first = rule.conditions.first, first.isWhen else { return nil }
        return attributeGuard(first.node)
    }

    /// `attr == "v"`, `"v" == attr`, `attr in ["v", …]` on a string attribute, or the left side of an `and`.
    private static func attributeGuard(_ node: Node) -> Guard? {
        switch node.kind {
        case .and(let operands):
            return attributeGuard(operands[0])
        case .compare(.equal, let left, let right):
            if case .attribute(let attribute) = left.kind, case .constant(.string(let value)) = right.kind,
                attribute.type == .string
            {
                return .attribute(attribute, [value])
            }
            if case .attribute(let attribute) = right.kind, case .constant(.string(let value)) = left.kind,
                attribute.type == .string
            {
                return .attribute(attribute, [value])
            }
            return nil
        case .compare(.in, let left, let right):
            guard case .attribute(let attribute) = left.kind, attribute.type == .string,
                case .constant(.list(let items)) = right.kind
            else { return nil }
            var values: [String] = []
            for item in items {
                guard case .string(let value) = item else { return nil }
                values.append(value)
            }
            return .attribute(attribute, values)
        default:
            return nil
        }
    }
}
