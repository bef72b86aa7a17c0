// Runs a policy's `test` blocks (policy-language.md §8) and measures which rules the tests made apply.

public struct ExpectationResult: Sendable {
    public var expectation: PolicyExpectation
    public var decision: Decision
    /// What differed from the expectation; empty when it held.
    public var mismatches: [String]
}

public struct TestResult: Sendable {
    public var test: PolicyTest
    public var expectations: [ExpectationResult]
    public var passed: Bool { expectations.allSatisfy(\.mismatches.isEmpty) }
}

public struct TestReport: Sendable {
    public var policy: CompiledPolicy
    public var results: [TestResult]
    /// Indices of the rules that applied in at least one expectation.
    public var appliedRules: Set<Int>

    public var passedCount: Int { results.filter(\.passed).count }
    public var failedCount: Int { results.count - passedCount }
    public var uncoveredRules: [Int] { policy.rules.indices.filter { !appliedRules.contains($0) } }

    /// The percentage of rules applied by some test; a policy without rules is fully covered.
    public var coverage: Double {
        policy.rules.isEmpty ? 100 : Double(appliedRules.count) * 100 / Double(policy.rules.count)
    }
}

public enum TestRunner {
    public static func run(_ policy: CompiledPolicy) -> TestReport {
        var applied: Set<Int> = []
        var results: [TestResult] = []
        for test in policy.tests {
            var outcomes: [ExpectationResult] = []
            for expectation in test.expectations {
                var request = test.request
                request.action = expectation.action
                let decision = policy.evaluate(request, trace: true)
                for entry in decision.trace?.rules ?? [] where entry.outcome == .applied { applied.insert(entry.rule) }
                outcomes.append(
                    ExpectationResult(
                        expectation: expectation, decision: decision,
                        mismatches: mismatches(expectation, decision)))
            }
            results.append(TestResult(test: test, expectations: outcomes))
        }
        return TestReport(policy: policy, results: results, appliedRules: applied)
    }

    private static func mismatches(_ expectation: PolicyExpectation, _ decision: Decision) -> [String] {
        var found: [String] = []
        if expectation.allow != decision.allow {
            found.append(
                "decision: expected \(expectation.allow ? "allow" : "deny"), got \(decision.allow ? "allow" : "deny")")
        }
        if expectation.allow && decision.allow {
            let expected = expectation.obligations.map(\.rawValue)
            if expected != decision.obligationNames {
                found.append("obligations: expected \(list(expected)), got \(list(decision.obligationNames))")
            }
        }
        if let determining = expectation.determining, determining != decision.determiningIds {
            found.append("determining: expected \(list(determining)), got \(list(decision.determiningIds))")
        }
        return found
    }

    static func list(_ items: [String]) -> String {
        "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }
}
