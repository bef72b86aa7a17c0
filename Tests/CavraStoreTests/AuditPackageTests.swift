// Audit packages end to end on a real SQLite store: export through DrillService, verify, and every tampering found
// by the check that should find it.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import Testing

@Suite struct AuditPackageTests {
    // MARK: Export

    @Test(arguments: StoreEngine.tested)
    func anExportHoldsEveryRecordRefusalPolicyAndCountAndVerifies(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            try await AuditFixture.populate(fixture)
            let key = AuditSigningKey()
            let package = try await AuditFixture.export(fixture, key: key)

            #expect(package["schema_version"] == "cavra.rollback-drill-acknowledgement-audit-package.v2")
            #expect(package["generated_at"]?.stringValue == fixture.clock.now.description)
            #expect(package["generated_by"] == ["id": "ic@example.com", "verified": true, "issuer": "https://id"])
            #expect(package["route_count"] == 6)
            #expect(package["withheld_route_count"] == 0)
            #expect(package["acknowledgement_count"] == 3)
            #expect(
                package["state_counts"] == [
                    "outstanding": 5, "acknowledged": 0, "escalated": 0, "resolved": 1, "dismissed": 0,
                ])
            #expect(package["breached_count"] == 1)
            #expect(package["alert_level"] == "critical")
            #expect(package["filters"]?["include_superseded"] == false)
            #expect(package["filters"]?["schedule_id"] == .null)

            let slack = try AuditFixture.routeIndex(package, provider: "slack", owner: "release-governance")
            let route = try #require(package["routes"]?.arrayValue?[slack])
            let records = try #require(route["acknowledgements"]?.arrayValue)
            #expect(records.map { $0["acknowledgement_state"] } == ["acknowledged", "escalated", "resolved"])
            #expect(route["state"] == "resolved")
            #expect(route["record_count"] == 3)
            #expect(route["head_hash"] == records[2]["hash"])
            #expect(route["plan_revision"] == 1)
            #expect(route["superseded"] == false)
            #expect(route["breached"] == false)
            #expect(route["refused_attempts"]?.arrayValue?.map { $0["outcome"] } == ["missing_obligation"])
            let teams = try AuditFixture.routeIndex(package, provider: "teams", owner: "platform-operations")
            #expect(package["routes"]?.arrayValue?[teams]["breached"] == true)
            #expect(package["routes"]?.arrayValue?[teams]["refused_attempts"]?.arrayValue?.count == 1)
            #expect(package["routes"]?.arrayValue?[teams]["head_hash"] == "")

            let policy = try PolicyCompiler.compile(
                PolicySource.load(path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
            ).policy
            let sha = try #require(policy?.sha256)
            #expect(package["policies"]?.objectValue?.keys == [sha])
            #expect(package["policies"]?[sha]?["kind"] == "directory")
            #expect(package["policies"]?[sha]?["id"] == "rollback-drills")

            let content = try #require(package["integrity"]?["content_sha256"]?.stringValue)
            #expect(package["audit_id"]?.stringValue == "gordackaudit-" + content.prefix(16))
            #expect(package["integrity"]?["canonicalization"] == "RFC8785")
            #expect(package["integrity"]?["signature"]?["key_id"]?.stringValue == key.publicKey.keyId)
            #expect(package["integrity"]?["signature"]?["public_key"]?.stringValue == key.publicKey.base64URL)

            let trusted = try AuditPackageVerifier.verify(package, trustedKeys: [key.publicKey], strictTrace: true)
            #expect(trusted.routeCount == 6)
            #expect(trusted.recordCount == 3)
            #expect(trusted.refusedAttemptCount == 2)
            #expect(trusted.signature == .trusted(keyId: key.publicKey.keyId))
            #expect(
                trusted.summary
                    == "\(package["audit_id"]!.stringValue!) (6 routes, 3 records, 2 refused attempts, signature: \(key.publicKey.keyId) trusted)"
            )
            #expect(try AuditPackageVerifier.verify(package).signature == .untrusted(keyId: key.publicKey.keyId))
        }
    }

    @Test(arguments: StoreEngine.tested)
    func anExportIsStoredByItsIdAndSummarisedInTheHistory(_ engine: StoreEngine) async throws {
        try await ServiceFixture.with(engine) { fixture in
            try await AuditFixture.populate(fixture)
            let package = try await AuditFixture.export(fixture)
            let auditId = try #require(package["audit_id"]?.stringValue)
            let events = try await fixture.service.history(kind: "audit_package")
            #expect(events.count == 1)
            #expect(events.first?.payload["audit_id"] == package["audit_id"])
            #expect(events.first?.payload["route_count"] == package["route_count"])
            #expect(events.first?.payload["routes"] == nil)
            #expect(events.first?.scheduleId == AuditFixture.productionId)
            #expect(try await fixture.service.storedAuditPackage(auditId: auditId) == package)
            #expect(try await fixture.service.storedAuditPackage(auditId: "gordackaudit-0000000000000000") == nil)
            #expect(
                try await fixture.service.storedAuditPackage(
                    auditId: auditId, actor: ServiceFixture.commander, channel: .api) == package)
            await #expect(throws: ServiceError.self) {
                try await fixture.service.storedAuditPackage(
                    auditId: auditId, actor: Actor.unverified("auditor", groups: ["auditors"]), channel: .api)
            }
            #expect(AuditFixture.failure(package) == nil)
            #expect(package["integrity"]?["signature"] == nil)
        }
    }

    @Test func filtersAndSupersededPlans() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await AuditFixture.populate(fixture)
        // A schedule whose due date moved: a new cycle, whose plan supersedes the first one.
        guard case .object(var schedule) = try ServiceFixture.example("schedule-checkout-production.json") else {
            Issue.record("the example schedule is not an object")
            return
        }
        schedule["next_due_at"] = "2026-11-01T00:00:00Z"
        _ = try await fixture.service.plan(
            schedule: .object(schedule), history: nil, force: false,
            context: ServiceFixture.context(ServiceFixture.planner))

        let current = try await AuditFixture.export(fixture)
        #expect(current["route_count"] == 6)
        #expect(current["acknowledgement_count"] == 0)
        #expect(AuditFixture.failure(current) == nil)

        let all = try await AuditFixture.export(fixture, filter: RouteFilter(includeSuperseded: true))
        #expect(all["route_count"] == 12)
        #expect(all["acknowledgement_count"] == 3)
        #expect(all["routes"]?.arrayValue?.filter { $0["superseded"] == true }.count == 6)
        // The superseded teams route is past its SLO and outstanding, but not breached: its plan is not current.
        #expect(all["breached_count"] == 0)
        #expect(all["alert_level"] == "warning")
        #expect(AuditFixture.failure(all) == nil)

        let slackOnly = try await AuditFixture.export(
            fixture, filter: RouteFilter(provider: "SLACK", owner: "release-governance", includeSuperseded: true))
        #expect(slackOnly["route_count"] == 2)
        #expect(slackOnly["filters"]?["provider"] == "SLACK")
        #expect(AuditFixture.failure(slackOnly) == nil)

        let none = try await AuditFixture.export(fixture, filter: RouteFilter(scheduleId: "no-such-schedule"))
        #expect(none["route_count"] == 0)
        #expect(none["alert_level"] == "healthy")
        #expect(none["policies"] == [:])
        #expect(AuditFixture.failure(none) == nil)
    }

    @Test func routesThePolicyWithholdsAreCountedAndAllWithheldIsRefusedAndLogged() async throws {
        let policy = """
            policy "export-by-provider" version "2.0.0"
            role auditor = "auditors" in actor.groups
            role planner = "drill-planners" in actor.groups
            @id("auditors-export-slack")
            permit export by auditor when route.provider == "slack"
            @id("planners-plan")
            permit plan by planner
            @id("planners-export")
            permit export by planner
            """
        let fixture = try ServiceFixture(policyText: policy)
        defer { fixture.remove() }
        _ = try await fixture.planProduction()
        let auditor = Actor(
            id: "au@example.com", verified: true, issuer: "https://id", subject: "a1", groups: ["auditors"])

        let package = try await AuditFixture.export(fixture, actor: auditor)
        #expect(package["route_count"] == 2)
        #expect(package["withheld_route_count"] == 4)
        #expect(package["routes"]?.arrayValue?.allSatisfy { $0["provider"] == "slack" } == true)
        #expect(AuditFixture.failure(package) == nil)
        // Withholding some routes logs nothing.
        let teamsId = try await fixture.service.routes(
            filter: RouteFilter(provider: "teams"), limit: 10, offset: 0, actor: auditor, channel: .cli
        ).items.map(\.route.routeId)
        #expect(teamsId.count == 2)
        for id in teamsId { #expect(try await fixture.store.refusals(chain: "route:\(id)").isEmpty) }

        do {
            _ = try await AuditFixture.export(fixture, filter: RouteFilter(provider: "teams"), actor: auditor)
            Issue.record("exporting only withheld routes succeeded")
        } catch let error as ServiceError {
            #expect(error.code == "forbidden")
        }
        for id in teamsId {
            let entries = try await fixture.store.refusals(chain: "route:\(id)")
            #expect(entries.count == 1)
            #expect(entries.first?.json["action"] == "export")
            #expect(entries.first?.json["outcome"] == "denied")
            #expect(entries.first?.hashVerifies == true)
        }
        #expect(try await fixture.service.history(kind: "audit_package").count == 1)
        // The refused exports are in the next package of those routes, and replay.
        let planner = Actor(
            id: "pl@example.com", verified: true, issuer: "https://id", subject: "p2", groups: ["drill-planners"])
        let all = try await AuditFixture.export(fixture, actor: planner)
        #expect(all["route_count"] == 6)
        #expect(all["withheld_route_count"] == 0)
        let teams = try AuditFixture.routeIndex(all, provider: "teams", owner: "platform-operations")
        #expect(all["routes"]?.arrayValue?[teams]["refused_attempts"]?.arrayValue?.map { $0["action"] } == ["export"])
        #expect(AuditFixture.failure(all, strictTrace: true) == nil)
    }

    @Test func shadowDecisionsAreEmbeddedAndReplayed() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let enforced = try #require(
            PolicyCompiler.compile(
                try PolicySource.load(path: ServiceFixture.repositoryRoot.appendingPathComponent("policy").path)
            ).policy)
        let shadow = try #require(
            PolicyCompiler.compile(
                PolicySource(
                    text: """
                        policy "candidate" version "0.1.0"
                        mode shadow
                        role incident-commander = "incident-commanders" in actor.groups
                        @id("ic-acts")
                        permit acknowledge, escalate by incident-commander
                          require note
                        """, name: "candidate.cavra")
            ).policy)
        let clock = fixture.clock
        let service = DrillService(
            store: fixture.store, policies: { PolicySet(enforced: enforced, shadow: shadow) }, clock: { clock.now })
        _ = try await service.plan(
            schedule: try ServiceFixture.example("schedule-checkout-production.json"),
            history: try ServiceFixture.example("history-checkout-production.json"), force: false,
            context: ServiceFixture.context(ServiceFixture.planner))
        _ = try await service.act(
            .acknowledge, on: AuditFixture.slack, context: ServiceFixture.context(ServiceFixture.commander))
        let package = try await service.exportAuditPackage(
            filter: RouteFilter(), context: CallContext(actor: ServiceFixture.commander, channel: .cli))
        #expect(package["policies"]?.objectValue?.keys.sorted() == [enforced.sha256, shadow.sha256].sorted())
        #expect(package["policies"]?[shadow.sha256]?["kind"] == "file")
        #expect(AuditFixture.failure(package, strictTrace: true) == nil)

        let slack = try AuditFixture.routeIndex(package, provider: "slack", owner: "release-governance")
        let record = "/routes/\(slack)/acknowledgements/0"
        #expect(JSONPointer.resolve(record + "/shadow_decision/obligations", in: package) == ["note"])
        let tampered = package.changing(record) {
            $0.setting("/shadow_decision/obligations", to: []).resealed
        }.resealedPackage(key: nil)
        #expect(
            AuditFixture.failure(tampered)
                == AuditFailure(
                    pointer: record + "/shadow_decision/obligations",
                    reason:
                        "recorded [], the replay with the embedded policy gives [\"note\"]"))
    }

    // MARK: Tampering

    /// A package of the populated store, signed, with the pointers of the slack route and its records.
    private func signedPackage() async throws -> (package: JSON, key: AuditSigningKey, slack: String) {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await AuditFixture.populate(fixture)
        let key = AuditSigningKey()
        let package = try await AuditFixture.export(fixture, key: key)
        let slack = try AuditFixture.routeIndex(package, provider: "slack", owner: "release-governance")
        return (package, key, "/routes/\(slack)")
    }

    @Test func editingANoteBreaksTheRecordHash() async throws {
        let (package, key, slack) = try await signedPackage()
        let tampered = package.setting(slack + "/acknowledgements/1/operator_input/notes", to: "nothing to see")
        #expect(AuditFixture.failure(tampered)?.pointer == slack + "/acknowledgements/1/hash")
        #expect(AuditFixture.failure(tampered)?.reason.hasPrefix("the record's content hashes to ") == true)
        // Sealed again, the next record no longer chains to it.
        let resealed = package.changing(slack + "/acknowledgements/1") {
            $0.setting("/operator_input/notes", to: "nothing to see").resealed
        }
        #expect(
            AuditFixture.failure(resealed)
                == AuditFailure(
                    pointer: slack + "/acknowledgements/2/prev_hash",
                    reason:
                        "expected the previous record's hash \(JSONPointer.resolve(slack + "/acknowledgements/1/hash", in: resealed)!.stringValue!)"
                ))
        #expect(AuditFixture.failure(package, trustedKeys: [key.publicKey]) == nil)
    }

    @Test func droppingARecordBreaksTheChain() async throws {
        let (package, _, slack) = try await signedPackage()
        let tampered = package.removing(slack + "/acknowledgements/0")
        #expect(
            AuditFixture.failure(tampered)
                == AuditFailure(
                    pointer: slack + "/acknowledgements/0/sequence",
                    reason: "expected 1: a route's records are numbered 1, 2, 3 …"))
        // Refused attempts have no count of their own: dropping the only one is found by the content hash.
        let droppedEntry = package.removing(slack + "/refused_attempts/0")
        #expect(AuditFixture.failure(droppedEntry)?.pointer == "/integrity/content_sha256")
    }

    @Test func droppingTheNewestRecordIsFoundByTheCountsThenTheContentHashThenOnlyTheTrustedSignature() async throws {
        let (package, key, slack) = try await signedPackage()
        let dropped = package.removing(slack + "/acknowledgements/2")
        #expect(
            AuditFixture.failure(dropped)
                == AuditFailure(pointer: slack + "/state", reason: "the records make the route escalated"))

        // A deliberate editor fixes the route and the package counts …
        let head = JSONPointer.resolve(slack + "/acknowledgements/1/hash", in: dropped)!
        var rewritten = dropped.setting(slack + "/state", to: "escalated")
        #expect(AuditFixture.failure(rewritten)?.pointer == slack + "/record_count")
        rewritten = rewritten.setting(slack + "/record_count", to: 2)
        #expect(AuditFixture.failure(rewritten)?.pointer == slack + "/head_hash")
        rewritten = rewritten.setting(slack + "/head_hash", to: head)
        #expect(
            AuditFixture.failure(rewritten)
                == AuditFailure(pointer: "/acknowledgement_count", reason: "the package's routes have 2 records"))
        rewritten = rewritten.setting("/acknowledgement_count", to: 2)
        #expect(AuditFixture.failure(rewritten)?.pointer == "/state_counts/escalated")
        rewritten = rewritten.setting("/state_counts/escalated", to: 1).setting("/state_counts/resolved", to: 0)
        // … then the content hash gives it away …
        #expect(AuditFixture.failure(rewritten)?.pointer == "/integrity/content_sha256")
        // … until it is recomputed, when the old signature no longer verifies …
        let unsigned = rewritten.resealedPackage(key: nil)
        let withOldSignature = unsigned.setting(
            "/integrity/signature", to: package["integrity"]!["signature"]!)
        #expect(
            AuditFixture.failure(withOldSignature)
                == AuditFailure(
                    pointer: "/integrity/signature/value",
                    reason: "not a signature of content_sha256 by the package's public key"))
        // … and re-signed with the editor's own key it verifies — except against the trusted key.
        let forger = AuditSigningKey()
        let forged = rewritten.resealedPackage(key: forger)
        #expect(AuditFixture.failure(forged) == nil)
        #expect(
            AuditFixture.failure(forged, trustedKeys: [key.publicKey])
                == AuditFailure(
                    pointer: "/integrity/signature/public_key",
                    reason:
                        "the package was signed by key \(forger.publicKey.keyId), which is not a trusted key (\(key.publicKey.keyId))"
                ))
        // Left unsigned, it fails as soon as a trusted key is asked for.
        #expect(
            AuditFixture.failure(unsigned, trustedKeys: [key.publicKey])
                == AuditFailure(
                    pointer: "/integrity/signature",
                    reason: "missing: trusted keys were given and the package is not signed"))
    }

    @Test func reorderingTwoRecordsBreaksTheChain() async throws {
        let (package, _, slack) = try await signedPackage()
        let records = try #require(JSONPointer.resolve(slack + "/acknowledgements", in: package)?.arrayValue)
        let tampered = package.setting(slack + "/acknowledgements", to: .array([records[1], records[0], records[2]]))
        #expect(AuditFixture.failure(tampered)?.pointer == slack + "/acknowledgements/0/sequence")
    }

    @Test func changingADecisionIsFoundByTheHashAndByTheReplay() async throws {
        let (package, _, slack) = try await signedPackage()
        let last = slack + "/acknowledgements/2"
        let naive = package.setting(last + "/decision/determining", to: ["someone-elses-rule"])
        #expect(AuditFixture.failure(naive)?.pointer == last + "/hash")
        // Sealed again (the last record: nothing chains to it), the replay disagrees.
        let resealed = package.changing(last) { $0.setting("/decision/determining", to: ["x"]).resealed }
        #expect(
            AuditFixture.failure(resealed)
                == AuditFailure(
                    pointer: last + "/decision/determining",
                    reason: "recorded [\"x\"], the replay with the embedded policy gives [\"ic-resolves\"]"))
        let denied = package.changing(last) { $0.setting("/decision/decision", to: "deny").resealed }
        #expect(AuditFixture.failure(denied)?.pointer == last + "/decision/decision")
        // A request changed so that the recorded decision no longer follows from it.
        let request = package.changing(last) {
            $0.setting("/decision/request/actor/groups", to: ["release-managers"]).resealed
        }
        #expect(AuditFixture.failure(request)?.pointer == last + "/decision/decision")
        // A refused attempt changed into an allowed one.
        let entry = slack + "/refused_attempts/0"
        let outcome = package.changing(entry) { $0.setting("/outcome", to: "denied").resealed }
        #expect(
            AuditFixture.failure(outcome)
                == AuditFailure(
                    pointer: entry + "/outcome", reason: "the decision makes this attempt `missing_obligation`"))
    }

    @Test func theTraceIsComparedOnlyWithStrictTrace() async throws {
        let (package, _, slack) = try await signedPackage()
        let last = slack + "/acknowledgements/2"
        let changed = package.changing(last) { $0.setting("/decision/trace/rules_total", to: 99).resealed }
        let tampered = changed.setting(slack + "/head_hash", to: JSONPointer.resolve(last + "/hash", in: changed)!)
            .resealedPackage(key: nil)
        #expect(AuditFixture.failure(tampered, strictTrace: false) == nil)
        #expect(AuditFixture.failure(tampered, strictTrace: true)?.pointer == last + "/decision/trace")
    }

    @Test func changingAnEmbeddedPolicyFileBreaksItsHash() async throws {
        let (package, _, _) = try await signedPackage()
        let sha = try #require(package["policies"]?.objectValue?.keys.first)
        let files = try #require(package["policies"]?[sha]?["files"]?.arrayValue)
        let index = try #require(files.firstIndex { $0["path"] == "drills.cavra" })
        let pointer = "/policies/\(sha)/files/\(index)/text"
        let text = try #require(JSONPointer.resolve(pointer, in: package)?.stringValue)
        let tampered = package.setting(
            pointer, to: .string(text.replacingOccurrences(of: "require external_ref", with: "")))
        let failure = try #require(AuditFixture.failure(tampered))
        #expect(failure.pointer == "/policies/\(sha)/files")
        #expect(failure.reason.hasSuffix("not to the key \(sha)"))
        let extra = package.setting("/policies/" + String(repeating: "a", count: 64), to: package["policies"]![sha]!)
        #expect(AuditFixture.failure(extra)?.pointer == "/policies/" + String(repeating: "a", count: 64) + "/files")
    }

    @Test func changingACountIsFoundByTheRecomputation() async throws {
        let (package, _, slack) = try await signedPackage()
        #expect(
            AuditFixture.failure(package.setting("/breached_count", to: 0))
                == AuditFailure(pointer: "/breached_count", reason: "the package has 1 breached routes"))
        #expect(AuditFixture.failure(package.setting("/route_count", to: 5))?.pointer == "/route_count")
        #expect(
            AuditFixture.failure(package.setting("/state_counts/outstanding", to: 4))?.pointer
                == "/state_counts/outstanding")
        #expect(
            AuditFixture.failure(package.setting("/alert_level", to: "warning"))
                == AuditFailure(pointer: "/alert_level", reason: "the routes make the alert level critical"))
        #expect(AuditFixture.failure(package.setting(slack + "/breached", to: true))?.pointer == slack + "/breached")
        // A count nothing recomputes is still covered by the content hash.
        #expect(
            AuditFixture.failure(package.setting("/withheld_route_count", to: 7))?.pointer
                == "/integrity/content_sha256")
        #expect(
            AuditFixture.failure(package.setting("/audit_id", to: "gordackaudit-0000000000000000"))?.pointer
                == "/audit_id")
    }

    @Test func reSigningWithAnUntrustedKeyOrBreakingTheSignatureIsFound() async throws {
        let (package, key, _) = try await signedPackage()
        let other = AuditSigningKey()
        let resigned = package.resealedPackage(key: other)
        #expect(resigned["audit_id"] == package["audit_id"])
        #expect(AuditFixture.failure(resigned) == nil)
        #expect(AuditFixture.failure(resigned, trustedKeys: [other.publicKey]) == nil)
        #expect(
            AuditFixture.failure(resigned, trustedKeys: [key.publicKey])?.pointer == "/integrity/signature/public_key")
        #expect(AuditFixture.failure(resigned, trustedKeys: [key.publicKey, other.publicKey]) == nil)

        let value = try #require(package["integrity"]?["signature"]?["value"]?.stringValue)
        let flipped = String(value.prefix(10)) + (value.dropFirst(10).first == "A" ? "B" : "A") + value.dropFirst(11)
        let broken = package.setting("/integrity/signature/value", to: .string(flipped))
        #expect(AuditFixture.failure(broken)?.pointer == "/integrity/signature/value")
        let swappedKey = package.setting("/integrity/signature/public_key", to: .string(other.publicKey.base64URL))
        #expect(
            AuditFixture.failure(swappedKey)
                == AuditFailure(
                    pointer: "/integrity/signature/key_id", reason: "the public key's id is \(other.publicKey.keyId)"))
        let both = swappedKey.setting("/integrity/signature/key_id", to: .string(other.publicKey.keyId))
        #expect(AuditFixture.failure(both)?.pointer == "/integrity/signature/value")
        let padded = package.setting("/integrity/signature/value", to: .string(value + "=="))
        #expect(AuditFixture.failure(padded)?.pointer == "/integrity/signature/value")
    }

    @Test func theSchemaIsCheckedFirst() async throws {
        let (package, _, slack) = try await signedPackage()
        #expect(
            AuditFixture.failure(package.setting("/schema_version", to: "v1"))
                == AuditFailure(
                    pointer: "/schema_version",
                    reason: "expected `cavra.rollback-drill-acknowledgement-audit-package.v2`, found `v1`"))
        #expect(
            AuditFixture.failure(package.removing(slack + "/head_hash"))
                == AuditFailure(pointer: slack + "/head_hash", reason: "missing"))
        #expect(
            AuditFixture.failure(package.setting(slack + "/acknowledgements/0/sequence", to: "1"))
                == AuditFailure(
                    pointer: slack + "/acknowledgements/0/sequence", reason: "expected an integer, found a string"))
        #expect(
            AuditFixture.failure(package.setting(slack + "/acknowledgements/0/acknowledged_at", to: "2026-11-29"))?
                .pointer == slack + "/acknowledgements/0/acknowledged_at")
        #expect(
            AuditFixture.failure(package.setting("/extra", to: 1))
                == AuditFailure(pointer: "/extra", reason: "not a field of this object"))
        #expect(AuditFixture.failure(.array([]))?.pointer == "")
    }

    @Test func jsonPointersEscapeAndResolve() {
        #expect(JSONPointer.appending("a/b~c", to: "/x") == "/x/a~1b~0c")
        let value: JSON = ["a/b~c": [1, 2]]
        #expect(JSONPointer.resolve("/a~1b~0c/1", in: value) == 2)
        #expect(JSONPointer.resolve("/a~1b~0c/01", in: value) == nil)
        #expect(JSONPointer.resolve("", in: value) == value)
    }
}
