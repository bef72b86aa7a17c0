import CavraPolicy
import Testing

@Suite struct TestRunnerTests {
    private let policyText = """
        policy "p"
        role ic = "incident-commanders" in actor.groups
        @id("ic-resolves") permit resolve by ic require external_ref
        @id("never") permit dismiss by ic when route.breached and route.age > 1d

        test "ic resolves with a reference" {
          actor { groups: ["incident-commanders"] }
          expect resolve allow require external_ref by "ic-resolves"
        }

        test "wrong on purpose" {
          actor { groups: ["incident-commanders"] }
          expect resolve allow
          expect dismiss deny
        }
        """

    @Test func reportsPassAndFailWithDetailsAndTheClosingLine() throws {
        let report = TestRunner.run(try Fixtures.policy(policyText))
        #expect(report.passedCount == 1)
        #expect(report.failedCount == 1)
        let lines = report.text(coverage: false).split(separator: "\n").map(String.init)
        #expect(lines.first == "PASS ic resolves with a reference")
        #expect(lines.contains("FAIL wrong on purpose (policy.cavra:11)"))
        #expect(lines.contains("  expect resolve allow (line 13)"))
        #expect(lines.contains("    obligations: expected [], got [\"external_ref\"]"))
        #expect(lines.contains { $0.contains("permit ic-resolves (policy.cavra:3): APPLIED") })
        // The expectation that held is not reported.
        #expect(!lines.contains { $0.contains("expect dismiss") })
        #expect(lines.last == "1 passed, 1 failed")
    }

    @Test func coverageListsRulesNoTestApplied() throws {
        let report = TestRunner.run(try Fixtures.policy(policyText))
        #expect(report.coverageLines() == ["policy.cavra:4 never", "coverage: 50% (1 of 2 rules)"])
        let text = report.text(coverage: true).split(separator: "\n").map(String.init)
        #expect(text.suffix(3) == ["policy.cavra:4 never", "coverage: 50% (1 of 2 rules)", "1 passed, 1 failed"])
    }

    @Test func aPolicyWithoutRulesIsFullyCovered() throws {
        let report = TestRunner.run(try Fixtures.policy("policy \"p\""))
        #expect(report.coverageLines() == ["coverage: 100% (0 of 0 rules)"])
        #expect(report.text(coverage: false) == "0 passed, 0 failed\n")
    }

    @Test func determiningIdsAreCompared() throws {
        let policy = try Fixtures.policy(
            """
            policy "p"
            @id("a") permit plan
            @id("b") permit plan
            test "both" { expect plan allow by "a" }
            """)
        let report = TestRunner.run(policy)
        #expect(report.failedCount == 1)
        #expect(report.text(coverage: false).contains("determining: expected [\"a\"], got [\"a\", \"b\"]"))
    }
}
