// `cavra policy explain`, `cavra --help` and usage errors of the root command.

import Foundation
import Testing

@Suite("cavra policy explain")
struct ExplainTests {
    @Test("the example request: the decision, each rule considered and whether it applied")
    func exampleRequest() throws {
        let run = try cavra(["policy", "explain", "policy/", "--input", exampleRequestPath])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        let lines = run.stdoutLines
        #expect(lines.first == "ALLOW escalate")
        #expect(lines.contains("  allowed by ic-escalates; no forbid applied"))
        #expect(
            lines.contains(
                "  obligation note: the submission must carry a non-empty note (required by ic-escalates)"))
        #expect(lines.contains("  incident-commander: held, because `\"incident-commanders\" in actor.groups` is true"))
        let facts = try PolicyFacts(directory: repositoryPolicy)
        #expect(lines.contains("\(facts.ruleCount - 2) other rules cover other actions and were not considered."))
        #expect(lines.contains { $0.hasPrefix("  permit ic-escalates (drills.cavra:") && $0.hasSuffix("): APPLIED") })
        #expect(lines.contains("    by incident-commander: the actor holds incident-commander"))
        #expect(lines.contains("    require note when route.severity == \"critical\" → true: required"))
        #expect(
            lines.contains {
                $0.hasPrefix("  forbid production-needs-verified-actor (drills.cavra:")
                    && $0.hasSuffix("): not applied")
            })
        #expect(
            lines.contains(
                "    when route.environment == \"production\" and not actor.verified → false: the rule does not apply"))
        // Rules for other actions are not considered.
        #expect(!run.stdout.contains("ic-resolves"))
    }

    @Test("a deny names the forbids that decided it and the rules skipped on their principals")
    func denied() throws {
        let request = """
            {"action": "acknowledge", "actor": {"id": "visitor", "groups": ["auditors"]},
             "route": {"environment": "production"}}
            """
        try withTemporaryDirectory { directory in
            try write(request, to: "request.json", in: directory)
            let run = try cavra(
                ["policy", "explain", repositoryPolicy.path, "--input", "request.json"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let lines = run.stdoutLines
            #expect(lines.first == "DENY acknowledge")
            #expect(
                lines.contains(
                    "  denied by production-needs-verified-actor: "
                        + "production drill routes need a verified identity, not an asserted one"))
            #expect(
                lines.contains("  release-manager: not held, because `\"release-managers\" in actor.groups` is false"))
            #expect(
                lines.contains {
                    $0.hasPrefix("  permit rm-acknowledges-non-production (drills.cavra:") && $0.hasSuffix("): skipped")
                })
            #expect(lines.contains("    by release-manager: the actor holds none of them, so the rule is skipped"))
            #expect(
                lines.contains {
                    $0.hasPrefix("  forbid production-needs-verified-actor (drills.cavra:")
                        && $0.hasSuffix("): APPLIED")
                })
        }
    }

    @Test("a bad request exits 2; a missing --input is a usage error")
    func badInput() throws {
        try withTemporaryDirectory { directory in
            try write(#"{"action":"acknowledge","actor":{"roles":[]}}"#, to: "request.json", in: directory)
            let run = try cavra(
                ["policy", "explain", repositoryPolicy.path, "--input", "request.json"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr.contains("actor.roles"))
        }
        let missing = try cavra(["policy", "explain", "policy/"])
        #expect(missing.status == 2)
        #expect(missing.stdout == "")
    }
}

@Suite("cavra usage")
struct UsageTests {
    @Test("--help exits 0 and lists the policy command")
    func help() throws {
        let run = try cavra(["--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: cavra"))
        #expect(run.stdout.contains("policy"))
    }

    @Test(
        "each policy subcommand has help",
        arguments: ["validate", "test", "eval", "explain"])
    func subcommandHelp(_ name: String) throws {
        let run = try cavra(["policy", name, "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: cavra policy \(name)"))
    }

    @Test(
        "unknown commands and flags exit 2",
        arguments: [["nonsense"], ["policy", "nonsense"], ["--bogus"], ["policy", "test", "--bogus"]])
    func usageErrors(_ args: [String]) throws {
        let run = try cavra(args)
        #expect(run.status == 2, "\(args)")
        #expect(run.stdout == "")
        #expect(!run.stderr.isEmpty)
    }
}
