// `cavra policy eval`: the decision object of policy-language.md §6, request checking and `--batch` (§9).

import CavraJSON
import Foundation
import Testing

/// A policy that allows acknowledging a route exactly 90 minutes old.
private let durationPolicy = """
    policy "durations"

    @id("ninety-minutes")
    permit acknowledge
      when route.age == 90m

    """

/// Runs `policy eval PATH --input request.json` with `request` written into `directory`.
private func evalInput(_ request: String, policy: String = "policy/", in directory: URL) throws -> CavraRun {
    try write(request, to: "request.json", in: directory)
    let policyPath = policy.hasPrefix("/") ? policy : repositoryRoot.appendingPathComponent(policy).path
    return try cavra(["policy", "eval", policyPath, "--input", "request.json"], cwd: directory)
}

@Suite("cavra policy eval --input")
struct EvalInputTests {
    @Test("the example request: the full decision object with its trace")
    func exampleRequest() throws {
        let run = try cavra(["policy", "eval", "policy/", "--input", exampleRequestPath])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        let json = try JSON.parse(run.stdout)
        #expect(
            json.objectValue?.keys == [
                "decision", "enforced", "action", "determining", "obligations", "obligation_rules", "reasons",
                "errors", "policy", "trace",
            ])
        #expect(json["decision"] == "allow")
        #expect(json["enforced"] == JSON.bool(true))
        #expect(json["action"] == "escalate")
        #expect(json["determining"] == ["ic-escalates"])
        #expect(json["obligations"] == ["note"])
        #expect(json["obligation_rules"] == ["note": ["ic-escalates"]])
        #expect(json["reasons"] == [])
        #expect(json["errors"] == [])

        let facts = try PolicyFacts(directory: repositoryPolicy)
        #expect(json["policy"]?.objectValue?.keys == ["id", "version", "sha256"])
        #expect(json["policy"]?["id"] == "rollback-drills")
        #expect(json["policy"]?["version"] == "1.0.0")
        #expect(json["policy"]?["sha256"] == JSON.string(try sha256sum(facts.hashInput)))

        let trace = try #require(json["trace"])
        #expect(trace.objectValue?.keys == ["rules_total", "roles", "rules"])
        #expect(trace["rules_total"] == JSON.int(Int64(facts.ruleCount)))
        #expect(trace["roles"] == [["role": "incident-commander", "value": true]])
        let rules = try #require(trace["rules"]?.arrayValue)
        try #require(rules.count == 2)
        #expect(rules.map { $0["rule"] } == ["ic-escalates", "production-needs-verified-actor"])

        let escalates = rules[0]
        #expect(escalates["effect"] == "permit")
        #expect(escalates["file"] == "drills.cavra")
        #expect(escalates["line"] == JSON.int(Int64(try ruleLine("ic-escalates"))))
        #expect(escalates["principal"] == JSON.bool(true))
        #expect(
            escalates["conditions"] == [
                ["clause": "require note when", "source": "route.severity == \"critical\"", "value": true]
            ])
        #expect(escalates["outcome"] == "applied")

        let forbid = rules[1]
        #expect(forbid["effect"] == "forbid")
        #expect(forbid["line"] == JSON.int(Int64(try ruleLine("production-needs-verified-actor"))))
        #expect(forbid["principal"] == JSON.null)
        #expect(
            forbid["conditions"] == [
                [
                    "clause": "when", "source": "route.environment == \"production\" and not actor.verified",
                    "value": false,
                ]
            ])
        #expect(forbid["outcome"] == "not_applied")
    }

    /// The line of the `permit`/`forbid` keyword of the rule with `@id(id)` in policy/drills.cavra.
    private func ruleLine(_ id: String) throws -> Int {
        let text = try String(contentsOf: repositoryPolicy.appendingPathComponent("drills.cavra"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let annotation = try #require(lines.firstIndex { $0.hasPrefix("@id(\"\(id)\")") })
        return annotation + 2
    }

    @Test("missing fields take the defaults: an empty request is denied by default")
    func defaults() throws {
        try withTemporaryDirectory { directory in
            let run = try evalInput(#"{"action":"acknowledge"}"#, in: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let json = try JSON.parse(run.stdout)
            #expect(json["decision"] == "deny")
            #expect(json["determining"] == [])
            #expect(json["obligations"] == [])
            #expect(json["reasons"] == ["no permit rule applies"])
            // No groups: every role is not held, so every acknowledge permit is skipped on its principal.
            let outcomes = json["trace"]?["rules"]?.arrayValue?.map { $0["outcome"]?.stringValue ?? "" }
            #expect(outcomes == ["skipped_principal", "skipped_principal", "not_applied"])
        }
    }

    @Test("a deny by forbids gives each forbid's because text as a reason")
    func denyByForbids() throws {
        let request = """
            {"action": "resolve",
             "actor": {"id": "ic-local", "groups": ["incident-commanders"]},
             "route": {"environment": "production"},
             "context": {"bulk": true, "bulk_size": 3}}
            """
        try withTemporaryDirectory { directory in
            let run = try evalInput(request, in: directory)
            #expect(run.status == 0)
            let json = try JSON.parse(run.stdout)
            #expect(json["decision"] == "deny")
            #expect(json["determining"] == ["production-needs-verified-actor", "no-bulk-resolve"])
            #expect(
                json["reasons"] == [
                    "production drill routes need a verified identity, not an asserted one",
                    "resolve routes one at a time, each with its own change or incident reference",
                ])
            #expect(json["obligations"] == [])
            #expect(json["obligation_rules"] == JSON.object(JSONObject()))
        }
    }

    @Test("a run-time error fails closed and is reported in errors")
    func runTimeError() throws {
        let policy = """
            policy "errors"

            @id("level-check")
            permit acknowledge
              when actor.claims.level > 3

            """
        try withTemporaryDirectory { directory in
            try write(policy, to: "errors.cavra", in: directory)
            let run = try evalInput(
                #"{"action":"acknowledge","actor":{"claims":{"level":"high"}}}"#,
                policy: directory.path + "/errors.cavra",
                in: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let json = try JSON.parse(run.stdout)
            #expect(json["decision"] == "deny")
            #expect(json["reasons"] == ["a rule failed to evaluate"])
            let errors = try #require(json["errors"]?.arrayValue)
            #expect(errors.count == 1)
            #expect(errors.first?.objectValue?.keys.sorted() == ["column", "file", "line", "message", "rule"])
            #expect(errors.first?["rule"] == "level-check")
            #expect(errors.first?["file"] == "errors.cavra")
            #expect(errors.first?["line"] == JSON.int(5))
            #expect(json["trace"]?["rules"]?.arrayValue?.first?["outcome"] == "error")
            #expect(json["policy"]?["version"] == JSON.null)

            let allowed = try evalInput(
                #"{"action":"acknowledge","actor":{"claims":{"level":4}}}"#, policy: directory.path + "/errors.cavra",
                in: directory)
            #expect(try JSON.parse(allowed.stdout)["decision"] == "allow")
        }
    }

    @Test("a one-file policy is hashed over its bytes, and shadow mode is not enforced")
    func oneFileHashAndShadowMode() throws {
        let policy = """
            policy "shadow" version "0.1.0"
            mode shadow

            permit acknowledge

            """
        try withTemporaryDirectory { directory in
            try write(policy, to: "shadow.cavra", in: directory)
            let run = try evalInput(
                #"{"action":"acknowledge"}"#, policy: directory.path + "/shadow.cavra", in: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let json = try JSON.parse(run.stdout)
            #expect(json["decision"] == "allow")
            #expect(json["enforced"] == JSON.bool(false))
            #expect(json["determining"] == ["shadow.cavra:4"])
            #expect(json["policy"]?["sha256"] == JSON.string(try sha256sum(Array(policy.utf8))))
        }
    }

    @Test("a duration given as \"90m\" and as 5400 seconds gives the same decision")
    func durations() throws {
        try withTemporaryDirectory { directory in
            try write(durationPolicy, to: "durations.cavra", in: directory)
            let policy = directory.path + "/durations.cavra"
            let text = try evalInput(#"{"action":"acknowledge","route":{"age":"90m"}}"#, policy: policy, in: directory)
            let seconds = try evalInput(
                #"{"action":"acknowledge","route":{"age":5400}}"#, policy: policy, in: directory)
            #expect(text.status == 0, "\(text.stderr)")
            #expect(seconds.status == 0, "\(seconds.stderr)")
            #expect(try JSON.parse(text.stdout)["decision"] == "allow")
            #expect(text.stdout == seconds.stdout)

            for other in [#""5400s""#, #""90m""#, "5400"] {
                let run = try evalInput(
                    "{\"action\":\"acknowledge\",\"route\":{\"age\":\(other)}}", policy: policy, in: directory)
                #expect(try JSON.parse(run.stdout)["decision"] == "allow", "age \(other)")
            }
            for other in [#""89m""#, "5399", #""2h""#] {
                let run = try evalInput(
                    "{\"action\":\"acknowledge\",\"route\":{\"age\":\(other)}}", policy: policy, in: directory)
                #expect(try JSON.parse(run.stdout)["decision"] == "deny", "age \(other)")
            }
        }
    }

    @Test(
        "a bad request is a message on stderr naming the problem, nothing on stdout, exit 2",
        arguments: [
            (#"{"action": "acknowledge", "#, "invalid JSON"),
            (#"{"action":"acknowledge","route":{"enviroment":"production"}}"#, "route.enviroment"),
            (#"{"action":"acknowledge","actor":{"roles":["incident-commander"]}}"#, "actor.roles"),
            (#"{"action":"acknowledge","route":{"state":"open"}}"#, "route.state"),
            (#"{"action":"acknowledge","route":{"state":"open"}}"#, "\"open\""),
            (#"{"actor":{"id":"someone"}}"#, "action"),
            (#"{"action":"approve"}"#, "action"),
            (#"{"action":"acknowledge","colour":"blue"}"#, "colour"),
            (#"{"action":"acknowledge","actor":{"verified":"yes"}}"#, "actor.verified"),
            (#"{"action":"acknowledge","actor":{"groups":["a",1]}}"#, "actor.groups"),
            (#"{"action":"acknowledge","route":{"age":-5}}"#, "route.age"),
            (#"{"action":"acknowledge","route":{"age":"1h30m"}}"#, "route.age"),
            (#"{"action":"acknowledge","route":{"slo":"90"}}"#, "route.slo"),
            (#"{"action":"acknowledge","context":{"bulk_size":"3"}}"#, "context.bulk_size"),
            (#"{"action":"acknowledge","context":"cli"}"#, "context"),
            (#"["acknowledge"]"#, "object"),
        ])
    func badRequest(_ request: String, named: String) throws {
        try withTemporaryDirectory { directory in
            let run = try evalInput(request, in: directory)
            #expect(run.status == 2, "\(request)")
            #expect(run.stdout == "", "\(request)")
            #expect(run.stderr.contains(named), "\(request): \(run.stderr)")
            #expect(run.stderr.contains("request.json"), "\(request): \(run.stderr)")
        }
    }

    @Test("claims may be any JSON object")
    func claimsAreOpen() throws {
        try withTemporaryDirectory { directory in
            let run = try evalInput(
                #"{"action":"export","actor":{"claims":{"title":"Auditor","nested":{"list":[1,2],"x":null},"ratio":0.5}}}"#,
                in: directory)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(try JSON.parse(run.stdout)["decision"] == "deny")
        }
    }

    @Test("a request file that cannot be read exits 2")
    func unreadableRequest() throws {
        try withTemporaryDirectory { directory in
            let run = try cavra(
                ["policy", "eval", repositoryPolicy.path, "--input", "no-such-request.json"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr.contains("no-such-request.json"))
        }
    }

    @Test("an invalid policy prints its diagnostics and exits 1")
    func invalidPolicy() throws {
        try withTemporaryDirectory { directory in
            try write("policy \"x\"\npermit acknowledge by nobody\n", to: "bad.cavra", in: directory)
            let run = try evalInput(#"{"action":"acknowledge"}"#, policy: directory.path + "/bad.cavra", in: directory)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            #expect(run.stderr.contains("bad.cavra:2:23: error[CAV031]"), "\(run.stderr)")
        }
    }

    @Test("a policy PATH that does not exist exits 2")
    func missingPolicy() throws {
        let run = try cavra(["policy", "eval", "no-such-policy/", "--input", exampleRequestPath])
        #expect(run.status == 2)
        #expect(run.stdout == "")
        #expect(run.stderr.contains("no-such-policy/"))
    }
}

@Suite("cavra policy eval --batch")
struct EvalBatchTests {
    /// Three requests separated by blank and whitespace-only lines.
    private let requests = [
        #"{"action":"escalate","actor":{"id":"ic@example.com","verified":true,"groups":["incident-commanders"]},"route":{"environment":"production","severity":"critical"}}"#,
        #"{"action":"acknowledge"}"#,
        #"{"action":"resolve","actor":{"id":"ic-local","groups":["incident-commanders"]},"route":{"environment":"production"},"context":{"bulk":true,"bulk_size":3}}"#,
    ]

    private var batchText: String {
        "\n" + requests[0] + "\n\n   \n" + requests[1] + "\n" + requests[2] + "\n\n"
    }

    @Test("one line per request, in order, without the trace")
    func batchWithoutTrace() throws {
        try withTemporaryDirectory { directory in
            try write(batchText, to: "requests.jsonl", in: directory)
            let run = try cavra(
                ["policy", "eval", repositoryPolicy.path, "--batch", "requests.jsonl"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr == "")
            let lines = run.stdoutLines
            try #require(lines.count == 3)
            let decisions = try lines.map { try JSON.parse($0) }
            for decision in decisions {
                #expect(
                    decision.objectValue?.keys == [
                        "decision", "enforced", "determining", "obligations", "reasons", "errors",
                    ])
            }
            #expect(decisions.map { $0["decision"] } == ["allow", "deny", "deny"])
            #expect(decisions[0]["obligations"] == ["note"])
            #expect(decisions[0]["determining"] == ["ic-escalates"])
            #expect(decisions[1]["reasons"] == ["no permit rule applies"])
            #expect(decisions[2]["determining"] == ["production-needs-verified-actor", "no-bulk-resolve"])

            // Each line agrees with `--input` on the same request.
            for (index, request) in requests.enumerated() {
                try write(request, to: "one.json", in: directory)
                let single = try JSON.parse(
                    try cavra(["policy", "eval", repositoryPolicy.path, "--input", "one.json"], cwd: directory).stdout)
                for key in ["decision", "enforced", "determining", "obligations", "reasons", "errors"] {
                    #expect(decisions[index][key] == single[key], "request \(index + 1), \(key)")
                }
            }
        }
    }

    @Test("lines may end in CRLF: each is still one request")
    func crlfLineEndings() throws {
        try withTemporaryDirectory { directory in
            let text = requests.joined(separator: "\r\n") + "\r\n\r\n"
            try write(text, to: "requests.jsonl", in: directory)
            let run = try cavra(
                ["policy", "eval", repositoryPolicy.path, "--batch", "requests.jsonl"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let decisions = try run.stdoutLines.map { try JSON.parse($0) }
            #expect(decisions.map { $0["decision"] } == ["allow", "deny", "deny"])
        }
    }

    @Test("--trace adds the trace to each line")
    func batchWithTrace() throws {
        try withTemporaryDirectory { directory in
            try write(batchText, to: "requests.jsonl", in: directory)
            let run = try cavra(
                ["policy", "eval", repositoryPolicy.path, "--batch", "requests.jsonl", "--trace"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            let decisions = try run.stdoutLines.map { try JSON.parse($0) }
            try #require(decisions.count == 3)
            for decision in decisions {
                #expect(
                    decision.objectValue?.keys == [
                        "decision", "enforced", "determining", "obligations", "reasons", "errors", "trace",
                    ])
                #expect(decision["trace"]?.objectValue?.keys == ["rules_total", "roles", "rules"])
            }
            #expect(
                decisions[0]["trace"]?["rules"]?.arrayValue?.map { $0["rule"] } == [
                    "ic-escalates", "production-needs-verified-actor",
                ])
        }
    }

    @Test(
        "a bad line is reported by its line number before any output, exit 2",
        arguments: [
            #"{"action":"acknowledge","route":{"enviroment":"production"}}"#,
            #"{"action":"acknowledge""#,
            #"{"actor":{}}"#,
        ])
    func badLine(_ bad: String) throws {
        try withTemporaryDirectory { directory in
            let text = requests[0] + "\n\n" + bad + "\n" + requests[1] + "\n"
            try write(text, to: "requests.jsonl", in: directory)
            let run = try cavra(
                ["policy", "eval", repositoryPolicy.path, "--batch", "requests.jsonl"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr.contains("line 3"), "\(run.stderr)")
            #expect(run.stderr.contains("requests.jsonl"))
        }
    }

    @Test(
        "exactly one of --input and --batch",
        arguments: [
            ["policy", "eval", "policy/", "--input", exampleRequestPath, "--batch", exampleRequestPath],
            ["policy", "eval", "policy/"],
            ["policy", "eval"],
            ["policy", "eval", "policy/", "--input"],
            ["policy", "eval", "policy/", "--input", exampleRequestPath, "--bogus"],
        ])
    func usage(_ args: [String]) throws {
        let run = try cavra(args)
        #expect(run.status == 2, "\(args): \(run.stderr)")
        #expect(run.stdout == "")
        #expect(!run.stderr.isEmpty)
    }
}
