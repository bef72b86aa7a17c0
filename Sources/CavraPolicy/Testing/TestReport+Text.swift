// The text output of `cavra policy test`: PASS/FAIL lines, failure details with the trace, coverage, totals.

extension TestReport {
    /// One line per test (failures explained), coverage lines when asked, and the closing `N passed, N failed`.
    public func text(coverage includeCoverage: Bool) -> String {
        var lines: [String] = []
        for result in results {
            let file = policy.source.files[result.test.file].displayPath
            if result.passed {
                lines.append("PASS \(result.test.name)")
                continue
            }
            lines.append("FAIL \(result.test.name) (\(file):\(result.test.line))")
            for outcome in result.expectations where !outcome.mismatches.isEmpty {
                lines.append("  \(Self.describe(outcome.expectation)) (line \(outcome.expectation.line))")
                lines += outcome.mismatches.map { "    \($0)" }
                lines += Explanation.traceLines(outcome.decision).map { "    " + $0 }
            }
        }
        if includeCoverage { lines += coverageLines() }
        lines.append("\(passedCount) passed, \(failedCount) failed")
        return lines.joined(separator: "\n") + "\n"
    }

    /// `file:line id` per rule no test made apply, then `coverage: P% (A of N rules)`.
    public func coverageLines() -> [String] {
        uncoveredRules.map { index in
            let rule = policy.rules[index]
            return "\(policy.source.files[rule.file].displayPath):\(rule.line) \(rule.id)"
        } + ["coverage: \(Self.percent(coverage))% (\(appliedRules.count) of \(policy.rules.count) rules)"]
    }

    public static func percent(_ value: Double) -> String {
        let tenths = (value * 10).rounded(.down) / 10
        return tenths == tenths.rounded() ? String(Int(tenths)) : String(tenths)
    }
}
