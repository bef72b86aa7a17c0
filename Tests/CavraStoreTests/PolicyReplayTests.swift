// Replaying a real store's decisions with a candidate policy: what `cavra policy replay` reports.

import CavraDrills
import CavraJSON
import CavraPolicy
import Foundation
import Testing

@Suite struct PolicyReplayTests {
    private static let productionId = "go_backend_checkout_fallback_monthly"

    /// The repository's policy text, every file of `policy/` in load order.
    private static func repositoryPolicyText() throws -> String {
        let source = try PolicySource.load(path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
        return source.files.map { String(decoding: $0.bytes, as: UTF8.self) }.joined(separator: "\n")
    }

    private static func compile(_ text: String) throws -> CompiledPolicy {
        let compilation = PolicyCompiler.compile(PolicySource(text: text))
        return try #require(compilation.policy, "\(compilation.diagnostics.map(\.message))")
    }

    /// A production plan, then on its slack route an acknowledgement, a resolve refused for its missing
    /// reference and a resolve with one; on its teams route a release manager's refused acknowledgement and an
    /// incident commander's escalation with a note. Six stored decisions.
    private static func populate(_ fixture: ServiceFixture) async throws -> (slack: String, teams: String) {
        let plan = try await fixture.planProduction()
        let slack = RouteTarget(scheduleId: productionId, provider: "slack")
        let teams = RouteTarget(scheduleId: productionId, provider: "teams")
        let commander = ServiceFixture.commander
        fixture.clock.advance(seconds: 60)
        _ = try await fixture.service.act(.acknowledge, on: slack, context: ServiceFixture.context(commander))
        fixture.clock.advance(seconds: 60)
        await #expect(throws: ServiceError.self) {
            try await fixture.service.act(.resolve, on: slack, context: ServiceFixture.context(commander))
        }
        fixture.clock.advance(seconds: 60)
        _ = try await fixture.service.act(
            .resolve, on: slack, context: ServiceFixture.context(commander, ref: "CHG-42"))
        fixture.clock.advance(seconds: 60)
        await #expect(throws: ServiceError.self) {
            try await fixture.service.act(
                .acknowledge, on: teams, context: ServiceFixture.context(ServiceFixture.releaseManager))
        }
        fixture.clock.advance(seconds: 60)
        _ = try await fixture.service.act(
            .escalate, on: teams, context: ServiceFixture.context(commander, note: "ops is paged"))
        func routeId(_ provider: String) throws -> String {
            try #require(plan.plan.routes.first { $0.provider == provider }?.routeId)
        }
        return (try routeId("slack"), try routeId("teams"))
    }

    @Test func theSamePolicyChangesNothing() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        _ = try await Self.populate(fixture)
        let source = try PolicySource.load(path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
        let policy = try #require(PolicyCompiler.compile(source).policy)
        let report = PolicyReplay.replay(try await PolicyReplay.storedDecisions(in: fixture.store), with: policy)
        #expect(report.decisions.count == 6)
        #expect(
            report.decisions.map(\.kind) == [
                .plan, .acknowledgement, .refusal, .acknowledgement, .refusal, .acknowledgement,
            ])
        #expect(report.changes.isEmpty)
        #expect(report.rules.isEmpty)
        #expect(report.unreplayable.isEmpty)
        #expect(!report.hasChanges)
        #expect(report.outcomeChangedCount == 0)
        #expect(report.decisions.allSatisfy { $0.recorded.determining == $0.candidate.determining })
        #expect(report.decisions.allSatisfy { $0.recorded.outcome == $0.candidate.outcome })
        #expect(report.recordedPolicies.map(\.decisions) == [6])
        #expect(report.recordedPolicies.first?.policy.sha256 == report.candidate.sha256)
        #expect(
            report.json["counts"] == [
                "replayed": 6, "unchanged": 6, "changed": 0, "allow_to_deny": 0, "deny_to_allow": 0,
                "obligations_changed": 0, "outcome_changed": 0, "unreplayable": 0,
            ])
    }

    /// A change freeze on payments routes, and resolutions that now need a note too.
    private static func stricterPolicy() throws -> CompiledPolicy {
        var text = try repositoryPolicyText()
        let resolves = "permit resolve by incident-commander\n  require external_ref\n"
        #expect(text.contains(resolves))
        text = text.replacingOccurrences(
            of: resolves, with: "permit resolve by incident-commander\n  require external_ref\n  require note\n")
        text += """

            @id("payments-freeze")
            forbid acknowledge, escalate by anyone
              when "payments" in route.tags
              because "payments routes are frozen until the release"

            """
        return try compile(text)
    }

    @Test func aStricterPolicyReportsEachChangePerRouteAndPerRule() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let (slack, teams) = try await Self.populate(fixture)
        let report = PolicyReplay.replay(
            try await PolicyReplay.storedDecisions(in: fixture.store), with: try Self.stricterPolicy())

        struct Row: Equatable {
            var routeId: String?
            var action: String
            var change: PolicyReplayReport.Change?
            var recorded: String
            var candidate: String
        }
        func summary(_ side: PolicyReplayReport.Side) -> String {
            "\(side.decision) \(side.obligations) \(side.determining) \(side.outcome.rawValue)"
        }
        let rows = report.decisions.map {
            Row(
                routeId: $0.routeId, action: $0.action, change: $0.change, recorded: summary($0.recorded),
                candidate: summary($0.candidate))
        }
        #expect(
            rows == [
                Row(
                    routeId: nil, action: "plan", change: nil, recorded: "allow [] [\"planners-plan\"] allowed",
                    candidate: "allow [] [\"planners-plan\"] allowed"),
                Row(
                    routeId: slack, action: "acknowledge", change: .allowToDeny,
                    recorded: "allow [] [\"ic-acknowledges\"] allowed",
                    candidate: "deny [] [\"payments-freeze\"] denied"),
                Row(
                    routeId: slack, action: "resolve", change: .obligationsChanged,
                    recorded: "allow [\"external_ref\"] [\"ic-resolves\"] missing_obligation",
                    candidate: "allow [\"external_ref\", \"note\"] [\"ic-resolves\"] missing_obligation"),
                Row(
                    routeId: slack, action: "resolve", change: .obligationsChanged,
                    recorded: "allow [\"external_ref\"] [\"ic-resolves\"] allowed",
                    candidate: "allow [\"external_ref\", \"note\"] [\"ic-resolves\"] missing_obligation"),
                Row(
                    routeId: teams, action: "acknowledge", change: nil,
                    recorded: "deny [] [\"production-needs-verified-actor\"] denied",
                    candidate: "deny [] [\"production-needs-verified-actor\", \"payments-freeze\"] denied"),
                Row(
                    routeId: teams, action: "escalate", change: .allowToDeny,
                    recorded: "allow [\"note\"] [\"ic-escalates\"] allowed",
                    candidate: "deny [] [\"payments-freeze\"] denied"),
            ])
        #expect(report.decisions.allSatisfy { $0.scheduleId == Self.productionId })
        let text = report.text(limit: nil)
        #expect(text.contains("\n  obligations changed  resolve  route \(slack) of \(Self.productionId)\n"))
        #expect(
            text.contains("\n    candidate: allow require external_ref, note by ic-resolves (missing_obligation)\n"))
        #expect(report.changes.count == 4)
        #expect(report.count(.allowToDeny) == 2)
        #expect(report.count(.denyToAllow) == 0)
        #expect(report.count(.obligationsChanged) == 2)
        #expect(report.outcomeChangedCount == 3)
        #expect(report.hasChanges)
        #expect(
            report.rules == [
                impact("ic-acknowledges", no: 1), impact("ic-escalates", no: 1),
                impact("payments-freeze", newly: 3),
            ])
        #expect(
            report.json["rules"] == [
                ["rule": "ic-acknowledges", "newly_determining": 0, "no_longer_determining": 1],
                ["rule": "ic-escalates", "newly_determining": 0, "no_longer_determining": 1],
                ["rule": "payments-freeze", "newly_determining": 3, "no_longer_determining": 0],
            ])
        let changed = try #require(report.json["decisions"]?.arrayValue?[1])
        #expect(changed["kind"] == "acknowledgement")
        #expect(changed["route_id"]?.stringValue == slack)
        #expect(changed["change"] == "allow_to_deny")
        #expect(changed["candidate"]?["reasons"] == ["payments routes are frozen until the release"])
        #expect(changed["candidate"]?["policy"] == nil)
        #expect(changed["recorded"]?["policy"]?["id"] == "rollback-drills")
    }

    private func impact(_ rule: String, newly: Int = 0, no: Int = 0) -> PolicyReplayReport.RuleImpact {
        var impact = PolicyReplayReport.RuleImpact(rule: rule)
        impact.newlyDetermining = newly
        impact.noLongerDetermining = no
        return impact
    }

    @Test func aLooserPolicyTurnsARefusalIntoAnAllow() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let (_, teams) = try await Self.populate(fixture)
        var text = try Self.repositoryPolicyText()
        let condition = "permit acknowledge by release-manager\n  when route.environment != \"production\"\n"
        #expect(text.contains(condition))
        text = text.replacingOccurrences(of: condition, with: "permit acknowledge by release-manager\n")
        let forbid = "forbid * by anyone\n  when route.environment == \"production\" and not actor.verified\n"
        #expect(text.contains(forbid))
        text = text.replacingOccurrences(
            of: forbid, with: "forbid * by anyone\n  when route.environment == \"moon\" and not actor.verified\n")
        let report = PolicyReplay.replay(
            try await PolicyReplay.storedDecisions(in: fixture.store), with: try Self.compile(text))
        let change = try #require(report.changes.first)
        #expect(report.changes.count == 1)
        #expect(change.routeId == teams)
        #expect(change.change == .denyToAllow)
        #expect(change.recorded.outcome == .denied)
        #expect(change.candidate.outcome == .allowed)
        #expect(
            report.rules == [
                impact("rm-acknowledges-non-production", newly: 1), impact("production-needs-verified-actor", no: 1),
            ])
        #expect(report.text(limit: nil).contains("  deny → allow  acknowledge  route \(teams) of \(Self.productionId)"))
    }

    @Test func refusedPlansAreReplayedToo() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        await #expect(throws: ServiceError.self) {
            try await fixture.service.plan(
                schedule: try ServiceFixture.example("schedule-checkout-production.json"), history: nil, force: false,
                context: ServiceFixture.context(Actor.unverified("p", groups: ["drill-planners"])))
        }
        let decisions = try await PolicyReplay.storedDecisions(in: fixture.store)
        let report = PolicyReplay.replay(decisions, with: try Self.compile(try Self.repositoryPolicyText()))
        #expect(report.decisions.count == 1)
        let refusal = try #require(report.decisions.first)
        #expect(refusal.kind == .refusal)
        #expect(refusal.action == "plan")
        #expect(refusal.routeId == nil)
        #expect(refusal.scheduleId == Self.productionId)
        #expect(refusal.id == PlanIds.refusalId(chain: "schedule:\(Self.productionId)", sequence: 1))
        #expect(refusal.change == nil)
    }

    @Test func aDecisionWhoseRequestIsNotCompleteIsReportedNotReplayed() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        _ = try await Self.populate(fixture)
        var decisions = try await PolicyReplay.storedDecisions(in: fixture.store)
        let index = try #require(decisions.firstIndex { $0.kind == .acknowledgement })
        guard case .object(var evidence) = decisions[index].evidence,
            case .object(var decision) = evidence["decision"],
            case .object(var request) = decision["request"]
        else { throw TestSetupError(description: "a record is an object holding its decision and request") }
        request["context"] = nil
        decision["request"] = .object(request)
        evidence["decision"] = .object(decision)
        decisions[index].evidence = .object(evidence)
        let report = PolicyReplay.replay(decisions, with: try Self.compile(try Self.repositoryPolicyText()))
        #expect(report.decisions.count == 5)
        #expect(report.changes.isEmpty)
        #expect(report.hasChanges)
        #expect(
            report.json["unreplayable"] == [
                [
                    "kind": "acknowledgement", "id": evidence["acknowledgement_id"] ?? .null,
                    "reason": "the decision's request is not in the complete form a recorded request has",
                ]
            ])
    }

    @Test func theTextListsTheSummaryTheRulesAndAtMostLimitChanges() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let (slack, _) = try await Self.populate(fixture)
        let policy = try Self.stricterPolicy()
        let report = PolicyReplay.replay(try await PolicyReplay.storedDecisions(in: fixture.store), with: policy)
        let recorded = try #require(report.recordedPolicies.first?.policy.sha256.prefix(12))
        let acknowledged = try #require(report.changes.first)
        let lines = report.text(limit: 1).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(
            lines == [
                "replayed 6 stored decisions with rollback-drills 1.0.0 (sha256 \(policy.sha256.prefix(12))): "
                    + "4 changed, 2 unchanged",
                "  allow → deny: 2, deny → allow: 0, obligations changed: 2, outcome changed: 3",
                "  recorded under rollback-drills 1.0.0 (sha256 \(recorded)): 6 decisions",
                "rules:",
                "  ic-acknowledges: no longer determines 1",
                "  ic-escalates: no longer determines 1",
                "  payments-freeze: newly determines 3",
                "changes:",
                "  allow → deny  acknowledge  route \(slack) of \(Self.productionId)",
                "    acknowledgement \(acknowledged.id) at \(acknowledged.at)",
                "    recorded:  allow by ic-acknowledges (allowed)",
                "    candidate: deny by payments-freeze (denied): payments routes are frozen until the release",
                "  … 3 more not listed (raise --limit, or use --format json)",
                "",
            ])
    }
}
