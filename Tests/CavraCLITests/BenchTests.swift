// `cavra policy bench`: the four lines it prints and the number of decisions. Timings vary from run to run, so
// only their form is checked, never their values.

import Foundation
import Testing

/// Three requests with a blank line between the first two, which is skipped.
private let benchRequests = """
    {"action": "escalate", "actor": {"id": "ic@example.com", "verified": true, "groups": ["incident-commanders"]}, \
    "route": {"environment": "production", "severity": "critical"}}

    {"action": "acknowledge", "actor": {"id": "visitor"}}
    {"action": "resolve", "actor": {"id": "ic-local", "groups": ["incident-commanders"]}, \
    "route": {"environment": "production"}, "context": {"bulk": true, "bulk_size": 3}}

    """

/// The parts of bench's output; nil when a line does not have its form.
private struct BenchOutput {
    var policyLine: String
    var decisions: Int
    var seconds: String
    var perSecond: Int
    var p50: Int
    var p99: Int

    init?(_ lines: [String]) {
        guard lines.count == 4,
            let total = lines[1].wholeMatch(of: /decisions: ([0-9]+) in ([0-9]+\.[0-9]{3}) s/),
            let rate = lines[2].wholeMatch(of: /decisions\/s: ([0-9]+)/),
            let percentiles = lines[3].wholeMatch(of: /p50: ([0-9]+) ns, p99: ([0-9]+) ns/),
            let decisions = Int(total.output.1), let perSecond = Int(rate.output.1),
            let p50 = Int(percentiles.output.1), let p99 = Int(percentiles.output.2)
        else { return nil }
        policyLine = lines[0]
        self.decisions = decisions
        seconds = String(total.output.2)
        self.perSecond = perSecond
        self.p50 = p50
        self.p99 = p99
    }
}

@Suite("cavra policy bench")
struct BenchTests {
    @Test("four lines: the policy, decisions = requests × rounds, decisions/s, p50 and p99")
    func structure() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        try withTemporaryDirectory { directory in
            try write(benchRequests, to: "requests.jsonl", in: directory)
            let run = try cavra(
                ["policy", "bench", repositoryPolicy.path, "--batch", "requests.jsonl", "--rounds", "7"], cwd: directory
            )
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr == "")
            let output = try #require(BenchOutput(run.stdoutLines), "\(run.stdout)")
            #expect(output.policyLine == "policy: rollback-drills (\(facts.ruleCount) rules), trace: off")
            #expect(output.decisions == 3 * 7)
            #expect(output.p50 <= output.p99)
        }
    }

    @Test("--trace is reported, and the default is 200 rounds")
    func traceAndDefaultRounds() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        try withTemporaryDirectory { directory in
            try write(benchRequests, to: "requests.jsonl", in: directory)
            let run = try cavra(
                ["policy", "bench", repositoryPolicy.path, "--batch", "requests.jsonl", "--trace"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let output = try #require(BenchOutput(run.stdoutLines), "\(run.stdout)")
            #expect(output.policyLine == "policy: rollback-drills (\(facts.ruleCount) rules), trace: on")
            #expect(output.decisions == 3 * 200)
            #expect(output.p50 <= output.p99)
        }
    }

    @Test("PATH defaults to policy/; a one-file policy names its own id and rule count")
    func pathAndPolicyLine() throws {
        try withTemporaryDirectory { directory in
            try write(benchRequests, to: "requests.jsonl", in: directory)
            try write(
                "policy \"tiny\"\n\n@id(\"a\")\npermit acknowledge\n\n@id(\"b\")\npermit plan\n",
                to: "policy/tiny.cavra", in: directory)
            let run = try cavra(["policy", "bench", "--batch", "requests.jsonl", "--rounds", "2"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let output = try #require(BenchOutput(run.stdoutLines), "\(run.stdout)")
            #expect(output.policyLine == "policy: tiny (2 rules), trace: off")
            #expect(output.decisions == 6)
        }
    }

    @Test("a policy with one rule is counted in the singular")
    func oneRule() throws {
        try withTemporaryDirectory { directory in
            try write(benchRequests, to: "requests.jsonl", in: directory)
            try write("policy \"tiny\"\n\n@id(\"a\")\npermit acknowledge\n", to: "tiny.cavra", in: directory)
            let run = try cavra(
                ["policy", "bench", "tiny.cavra", "--batch", "requests.jsonl", "--rounds", "1"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let output = try #require(BenchOutput(run.stdoutLines), "\(run.stdout)")
            #expect(output.decisions == 3)
            #expect(output.policyLine == "policy: tiny (1 rule), trace: off")
        }
    }

    @Test("a batch without requests decides nothing")
    func emptyBatch() throws {
        try withTemporaryDirectory { directory in
            try write("\n\n", to: "blank.jsonl", in: directory)
            let run = try cavra(
                ["policy", "bench", repositoryPolicy.path, "--batch", "blank.jsonl", "--rounds", "5"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let output = try #require(BenchOutput(run.stdoutLines), "\(run.stdout)")
            #expect(output.decisions == 0)
        }
    }

    @Test("a bad request line exits 2 and names the line; nothing is printed on stdout")
    func badRequest() throws {
        try withTemporaryDirectory { directory in
            try write(benchRequests + "{\"action\": \"approve\"}\n", to: "bad.jsonl", in: directory)
            let run = try cavra(["policy", "bench", repositoryPolicy.path, "--batch", "bad.jsonl"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr.hasPrefix("error: bad.jsonl: line 5: "), "\(run.stderr)")
        }
    }

    @Test("an invalid policy prints its diagnostics and exits 1")
    func invalidPolicy() throws {
        try withTemporaryDirectory { directory in
            try write(benchRequests, to: "requests.jsonl", in: directory)
            try write(
                "policy \"invalid\"\npermit acknowledge\n  when route.enviroment == \"production\"\n",
                to: "invalid.cavra", in: directory)
            let run = try cavra(["policy", "bench", "invalid.cavra", "--batch", "requests.jsonl"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            #expect(run.stderr.hasPrefix("invalid.cavra:3:8: error[CAV020]: "))
        }
    }

    @Test(
        "usage errors and unreadable files exit 2",
        arguments: [
            ["policy", "bench", "policy/"],
            ["policy", "bench", "policy/", "--batch", "no-such-file.jsonl"],
            ["policy", "bench", "no-such-policy/", "--batch", "requests.jsonl"],
            ["policy", "bench", "policy/", "--batch", "requests.jsonl", "--rounds", "many"],
            ["policy", "bench", "policy/", "--batch", "requests.jsonl", "--bogus"],
        ])
    func usageErrors(_ args: [String]) throws {
        try withTemporaryDirectory { directory in
            try write(benchRequests, to: "requests.jsonl", in: directory)
            try write("policy \"tiny\"\n\n@id(\"a\")\npermit acknowledge\n", to: "policy/tiny.cavra", in: directory)
            let run = try cavra(args, cwd: directory)
            #expect(run.status == 2, "\(args): \(run.stderr)")
            #expect(run.stdout == "")
            #expect(!run.stderr.isEmpty)
        }
    }

    @Test("bench has help")
    func help() throws {
        let run = try cavra(["policy", "bench", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: cavra policy bench [<path>] --batch <batch> [--trace] [--rounds <rounds>]"))
    }
}
