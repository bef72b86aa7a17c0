// `cavra policy test`: PASS/FAIL lines, the closing totals, `--coverage` and invalid policies (policy-language.md §8).

import Foundation
import Testing

@Suite("cavra policy test")
struct TestCommandTests {
    @Test("the repository's tests all pass; the last line counts every test block")
    func repositoryTestsPass() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        #expect(facts.testCount > 0)
        let run = try cavra(["policy", "test", "policy/"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr == "")
        let lines = run.stdoutLines
        #expect(lines.last == "\(facts.testCount) passed, 0 failed")
        #expect(lines.dropLast().count == facts.testCount)
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("PASS ") })
        #expect(lines.contains("PASS incident commander escalates a critical route with a note"))
    }

    @Test("--coverage on the repository's policy covers every rule")
    func repositoryCoverage() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        #expect(facts.ruleCount > 0)
        let run = try cavra(["policy", "test", "policy/", "--coverage"])
        #expect(run.status == 0)
        let lines = run.stdoutLines
        try #require(lines.count == facts.testCount + 2)
        #expect(lines[lines.count - 2] == "coverage: 100% (\(facts.ruleCount) of \(facts.ruleCount) rules)")
        #expect(lines.last == "\(facts.testCount) passed, 0 failed")
    }

    @Test("a failing test prints FAIL with its location, the mismatch, and exits 1")
    func failingTest() throws {
        let policy = """
            policy "failing" version "1.0.0"

            role ic = "incident-commanders" in actor.groups

            @id("ic-acknowledges")
            permit acknowledge by ic

            test "incident commander acknowledges" {
              actor { groups: ["incident-commanders"] }
              expect acknowledge allow by "ic-acknowledges"
            }

            test "a visitor acknowledges" {
              actor { id: "visitor" }
              expect acknowledge allow
            }

            """
        try withTemporaryDirectory { directory in
            try write(policy, to: "failing.cavra", in: directory)
            let run = try cavra(["policy", "test", "failing.cavra"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            let lines = run.stdoutLines
            #expect(lines.first == "PASS incident commander acknowledges")
            #expect(lines.contains("FAIL a visitor acknowledges (failing.cavra:13)"), "\(run.stdout)")
            #expect(lines.contains { $0.contains("expect acknowledge allow (line 15)") })
            #expect(lines.contains { $0.contains("decision: expected allow, got deny") })
            #expect(lines.contains { $0.contains("permit ic-acknowledges") && $0.contains("skipped") })
            #expect(lines.last == "1 passed, 1 failed")
        }
    }

    @Test("--coverage lists each rule no test made apply as `file:line id`")
    func uncoveredRules() throws {
        let policy = """
            policy "coverage"

            role ic = "incident-commanders" in actor.groups

            @id("ic-acknowledges")
            permit acknowledge by ic

            # Never applied by a test.
            @id("ic-escalates")
            permit escalate by ic

            forbid dismiss by anyone
              when context.bulk

            test "incident commander acknowledges" {
              actor { groups: ["incident-commanders"] }
              expect acknowledge allow
              expect dismiss deny
            }

            """
        let lines = policy.split(separator: "\n", omittingEmptySubsequences: false)
        let escalateLine = try #require(lines.firstIndex { $0.hasPrefix("permit escalate") }) + 1
        let forbidLine = try #require(lines.firstIndex { $0.hasPrefix("forbid dismiss") }) + 1
        try withTemporaryDirectory { directory in
            try write(policy, to: "cov/coverage.cavra", in: directory)
            let run = try cavra(["policy", "test", "cov", "--coverage"], cwd: directory)
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            #expect(
                run.stdoutLines == [
                    "PASS incident commander acknowledges",
                    "cov/coverage.cavra:\(escalateLine) ic-escalates",
                    "cov/coverage.cavra:\(forbidLine) coverage.cavra:\(forbidLine)",
                    "coverage: 33.3% (1 of 3 rules)",
                    "1 passed, 0 failed",
                ])

            let without = try cavra(["policy", "test", "cov"], cwd: directory)
            #expect(without.stdoutLines == ["PASS incident commander acknowledges", "1 passed, 0 failed"])
        }
    }

    @Test("an invalid policy prints its diagnostics on stderr and exits 1")
    func invalidPolicy() throws {
        let policy = """
            policy "invalid"
            permit acknowledge
              when route.enviroment == "production"
            test "never runs" {
              expect acknowledge allow
            }

            """
        try withTemporaryDirectory { directory in
            try write(policy, to: "invalid.cavra", in: directory)
            let run = try cavra(["policy", "test", "invalid.cavra"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            #expect(run.stderr.hasPrefix("invalid.cavra:3:8: error[CAV020]: unknown attribute `route.enviroment`\n"))
        }
    }

    @Test("a PATH that does not exist exits 2")
    func missingPath() throws {
        try withTemporaryDirectory { directory in
            let run = try cavra(["policy", "test", "missing.cavra"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr.contains("missing.cavra"))
        }
    }
}
