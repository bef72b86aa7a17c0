import CavraJSON
import CavraPolicy
import Foundation
import Testing

/// The complete example of policy-language.md §1.
let specExample = """
    policy "rollback-drills" version "1.0.0"
    description "Who may acknowledge, escalate, resolve or dismiss rollback drill routes."

    # Roles are derived from the verified identity.
    role release-manager    = "release-managers" in actor.groups
    role incident-commander = "incident-commanders" in actor.groups
                              or actor.claims has "title" and actor.claims.title == "Incident Commander"
    role auditor            = "auditors" in actor.groups

    @id("ack-open-routes")
    permit acknowledge by release-manager, incident-commander
      when route.state in ["outstanding", "escalated"]

    @id("ic-escalates")
    permit escalate by incident-commander
      require note when route.severity == "critical"

    @id("ic-resolves")
    permit resolve by incident-commander
      require external_ref

    @id("auditors-export")
    permit export by auditor, incident-commander

    @id("prod-needs-verified-actor")
    forbid * by anyone
      when route.environment == "production" and not actor.verified
      because "production drill routes need a verified console session"

    @id("no-bulk-resolve")
    forbid resolve by anyone
      when context.bulk
      because "resolve routes one at a time, with a change reference"

    test "release manager acknowledges an outstanding staging route" {
      actor { id: "rm@example.com", verified: true, groups: ["release-managers"] }
      route { environment: "staging", state: "outstanding", severity: "warning" }
      expect acknowledge allow
      expect escalate deny
    }

    test "critical escalation needs a note" {
      actor { id: "ic@example.com", verified: true, groups: ["incident-commanders"] }
      route { environment: "production", severity: "critical" }
      expect escalate allow require note
      expect resolve allow require external_ref
    }

    test "unverified actors cannot touch production" {
      actor { id: "someone", verified: false, groups: ["incident-commanders"] }
      route { environment: "production" }
      expect escalate deny by "prod-needs-verified-actor"
    }
    """

@Suite struct EvaluatorTests {
    @Test func theSpecExamplePassesItsOwnTests() throws {
        let report = TestRunner.run(try Fixtures.policy(specExample))
        #expect(report.passedCount == 3)
        #expect(report.failedCount == 0)
    }

    @Test func decisionObjectMatchesTheContract() throws {
        let policy = try Fixtures.policy(specExample)
        let request = try Fixtures.request(
            """
            {"action": "escalate", "actor": {"id": "ic@example.com", "verified": true,
             "groups": ["incident-commanders"]}, "route": {"environment": "production", "severity": "critical"}}
            """)
        let json = policy.evaluate(request).json()
        let expected = try JSON.parse(
            """
            {"decision": "allow", "enforced": true, "action": "escalate", "determining": ["ic-escalates"],
             "obligations": ["note"], "obligation_rules": {"note": ["ic-escalates"]}, "reasons": [], "errors": [],
             "policy": {"id": "rollback-drills", "version": "1.0.0", "sha256": "\(CavraHash.sha256Hex(specExample))"},
             "trace": {"rules_total": 6, "roles": [{"role": "incident-commander", "value": true}],
               "rules": [
                 {"rule": "ic-escalates", "effect": "permit", "file": "policy.cavra", "line": 15, "principal": true,
                  "conditions": [{"clause": "require note when", "source": "route.severity == \\"critical\\"",
                                  "value": true}],
                  "outcome": "applied"},
                 {"rule": "prod-needs-verified-actor", "effect": "forbid", "file": "policy.cavra", "line": 26,
                  "principal": null,
                  "conditions": [{"clause": "when",
                                  "source": "route.environment == \\"production\\" and not actor.verified",
                                  "value": false}],
                  "outcome": "not_applied"}]}}
            """)
        #expect(json == expected)
        #expect(json.objectValue?.keys == expected.objectValue?.keys)
    }

    @Test func rolesAreLazyAndPrincipalsStopAtTheFirstHeld() throws {
        let policy = try Fixtures.policy(specExample)
        let request = try Fixtures.request(
            #"{"action": "export", "actor": {"groups": ["auditors", "incident-commanders"]}}"#)
        let json = policy.evaluate(request).json()
        #expect(json["trace"]?["roles"] == [["role": "auditor", "value": true]])
    }

    @Test func aFailingRuleDeniesAndNamesTheSubExpression() throws {
        let policy = try Fixtures.policy(
            """
            policy "p"
            role senior = actor.claims.level >= 3
            @id("seniors") permit plan by senior
            @id("tagged") forbid plan when "frozen" in route.tags because "frozen"
            @id("others") permit plan
            """)
        let request = try Fixtures.request(
            #"{"action": "plan", "actor": {"claims": {"level": "high"}}, "route": {"tags": ["frozen"]}}"#)
        let decision = policy.evaluate(request)
        #expect(!decision.allow)
        #expect(decision.determiningIds == ["tagged"])
        #expect(decision.reasons == ["a rule failed to evaluate", "frozen"])
        #expect(decision.errors.count == 1)
        #expect(decision.errors.first?.location.line == 2)
        #expect(decision.errors.first?.location.column == 15)
        let roles = decision.json()["trace"]?["roles"]?.arrayValue ?? []
        #expect(roles.first?["value"] == .null)
        #expect(roles.first?["error"]?.stringValue?.contains("cannot compare") == true)
    }

    @Test func combiningAndReasons() throws {
        let policy = try Fixtures.policy(
            """
            policy "p"
            @id("a") permit plan
            @id("b") permit plan when context.bulk
            @id("f") forbid plan when route.breached
            forbid plan when route.breached and context.bulk
            """)
        let allow = policy.evaluate(try Fixtures.request(#"{"action": "plan", "context": {"bulk": true}}"#))
        #expect(allow.allow)
        #expect(allow.determiningIds == ["a", "b"])
        let deny = policy.evaluate(
            try Fixtures.request(#"{"action": "plan", "route": {"breached": true}, "context": {"bulk": true}}"#))
        #expect(deny.determiningIds == ["f", "policy.cavra:5"])
        #expect(deny.reasons == ["denied by f", "denied by policy.cavra:5"])
        let none = policy.evaluate(try Fixtures.request(#"{"action": "export"}"#))
        #expect(!none.allow)
        #expect(none.reasons == ["no permit rule applies"])
        #expect(none.json()["trace"]?["rules"] == [])
    }

    @Test func obligationsComeFromDeterminingPermitsSortedAndDeduplicated() throws {
        let policy = try Fixtures.policy(
            """
            policy "p"
            @id("a") permit resolve require note require external_ref unless route.breached
            @id("b") permit resolve require note when route.severity == "critical"
            @id("c") permit resolve when context.bulk require external_ref
            """)
        let decision = policy.evaluate(
            try Fixtures.request(#"{"action": "resolve", "route": {"severity": "critical"}}"#))
        #expect(decision.obligationNames == ["external_ref", "note"])
        #expect(decision.json()["obligation_rules"] == ["external_ref": ["a"], "note": ["a", "b"]])
    }

    @Test func shadowPoliciesAreNotEnforced() throws {
        let policy = try Fixtures.policy("policy \"p\" mode shadow\npermit plan")
        let decision = policy.evaluate(try Fixtures.request(#"{"action": "plan"}"#))
        #expect(decision.allow)
        #expect(decision.json()["enforced"] == false)
    }

    @Test func stringOperatorsAndGlobs() throws {
        let policy = try Fixtures.policy(
            """
            policy "p"
            @id("glob") permit plan when route.service matches "check*-?pi"
            @id("sub") permit export when "out" in route.service and route.service contains "check"
            """)
        func allowed(_ action: String, _ service: String) throws -> Bool {
            policy.evaluate(try Fixtures.request(#"{"action": "\#(action)", "route": {"service": "\#(service)"}}"#))
                .allow
        }
        #expect(try allowed("plan", "checkout-api"))
        #expect(try allowed("plan", "check-api"))
        #expect(try !allowed("plan", "checkout-apis"))
        #expect(try !allowed("plan", "Checkout-api"))
        #expect(try allowed("export", "checkout"))
        #expect(try !allowed("export", "check"))
    }

    /// §5.8: the index and the trace never change a decision. Random requests over the default policy and a
    /// generated 50-rule policy are decided indexed and linearly, with and without the trace.
    @Test func indexNeverChangesADecision() throws {
        var generator = SplitMix(seed: 0x5EED)
        let defaultPolicy = try #require(
            PolicyCompiler.compile(
                try PolicySource.load(path: Fixtures.repositoryRoot.appendingPathComponent("policy").path)
            ).policy)
        for policy in [defaultPolicy, try Fixtures.policy(Self.generatedPolicy(rules: 50, using: &generator))] {
            for _ in 0..<500 {
                let request = Self.randomRequest(using: &generator)
                let reference = policy.evaluate(request, trace: true, indexed: false)
                for (trace, indexed) in [(false, true), (false, false), (true, true)] {
                    let other = policy.evaluate(request, trace: trace, indexed: indexed)
                    #expect(other.allow == reference.allow)
                    #expect(other.determiningIds == reference.determiningIds)
                    #expect(other.obligationNames == reference.obligationNames)
                    #expect(other.reasons == reference.reasons)
                    #expect(other.errors == reference.errors)
                }
            }
        }
    }

    static let environments = ["production", "staging", "dev"]
    static let groups = ["release-managers", "incident-commanders", "auditors", "drill-planners"]

    static func generatedPolicy(rules: Int, using generator: inout SplitMix) -> String {
        var text = "policy \"generated\"\n"
        for (index, group) in groups.enumerated() { text += "role r\(index) = \"\(group)\" in actor.groups\n" }
        text += "role claimed = actor.claims has \"level\" and actor.claims.level >= 2\n"
        let actions = PolicyAction.allCases.map(\.rawValue) + ["*"]
        for index in 0..<rules {
            let effect = generator.next(4) == 0 ? "forbid" : "permit"
            text += "@id(\"rule-\(index)\") \(effect) \(actions[generator.next(actions.count)])"
            switch generator.next(4) {
            case 0: text += " by r\(generator.next(groups.count)), r\(generator.next(groups.count))"
            case 1: text += " by claimed"
            default: break
            }
            text += "\n  when route.environment == \"\(environments[generator.next(environments.count)])\""
            if generator.next(2) == 0 { text += "\n  unless route.state in [\"resolved\", \"dismissed\"]" }
            if generator.next(3) == 0 { text += "\n  when actor.claims.level > 1" }
            if effect == "permit" && generator.next(3) == 0 {
                text += "\n  require note when route.severity == \"critical\""
            }
            text += "\n"
        }
        for index in 0..<groups.count { text += "@id(\"use-\(index)\") permit plan by r\(index) when false\n" }
        return text
    }

    static func randomRequest(using generator: inout SplitMix) -> PolicyRequest {
        var request = PolicyRequest(action: PolicyAction.allCases[generator.next(PolicyAction.allCases.count)])
        request.actor.verified = generator.next(2) == 0
        request.actor.groups = groups.filter { _ in generator.next(3) == 0 }
        switch generator.next(3) {
        case 0: request.actor.claims = ["level": .int(Int64(generator.next(4)))]
        case 1: request.actor.claims = ["level": "high"]
        default: break
        }
        request.route.environment = environments[generator.next(environments.count)]
        request.route.state = RouteState.allCases[generator.next(RouteState.allCases.count)]
        request.route.severity = Severity.allCases[generator.next(Severity.allCases.count)]
        request.context.bulk = generator.next(4) == 0
        return request
    }
}

/// A small deterministic generator, so a failing case can be replayed.
struct SplitMix {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
