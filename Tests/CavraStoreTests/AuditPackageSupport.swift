// Shared set-up of the audit package tests: a store with records, refusals and a breach, and ways to tamper with
// a package the way a careless or a deliberate editor would.

import CavraDrills
import CavraJSON
import CavraPolicy
import CavraStore
import Foundation
import Testing

enum AuditFixture {
    static let productionId = "go_backend_checkout_fallback_monthly"
    static let slack = RouteTarget(scheduleId: productionId, provider: "slack", owner: "release-governance")
    static let teams = RouteTarget(scheduleId: productionId, provider: "teams", owner: "platform-operations")

    /// The production plan, then on its slack route: acknowledge, escalate with a note, a resolve refused for want of
    /// a reference, a resolve with one; on its teams route: a refused acknowledgement by an unverified actor. An
    /// hour and a minute later the teams route (SLO 60 minutes) is breached.
    static func populate(_ fixture: ServiceFixture) async throws {
        _ = try await fixture.planProduction()
        let commander = ServiceFixture.context(ServiceFixture.commander)
        _ = try await fixture.service.act(.acknowledge, on: slack, context: commander)
        await #expect(throws: ServiceError.self) {
            try await fixture.service.act(
                .acknowledge, on: teams, context: ServiceFixture.context(ServiceFixture.releaseManager))
        }
        fixture.clock.advance(seconds: 60)
        _ = try await fixture.service.act(
            .escalate, on: slack, context: ServiceFixture.context(ServiceFixture.commander, note: "paging the lead"))
        fixture.clock.advance(seconds: 60)
        await #expect(throws: ServiceError.self) {
            try await fixture.service.act(.resolve, on: slack, context: commander)
        }
        _ = try await fixture.service.act(
            .resolve, on: slack, context: ServiceFixture.context(ServiceFixture.commander, ref: "CHG-42"))
        fixture.clock.advance(seconds: 3600)
    }

    static func export(
        _ fixture: ServiceFixture, filter: RouteFilter = RouteFilter(), actor: Actor = ServiceFixture.commander,
        key: AuditSigningKey? = nil
    ) async throws -> JSON {
        try await fixture.service.exportAuditPackage(
            filter: filter, context: CallContext(actor: actor, channel: .cli), signingKey: key)
    }

    /// The index in `routes` of the route of `provider` and `owner`.
    static func routeIndex(_ package: JSON, provider: String, owner: String) throws -> Int {
        try #require(
            package["routes"]?.arrayValue?.firstIndex {
                $0["provider"]?.stringValue == provider && $0["owner"]?.stringValue == owner
            })
    }

    /// The failure of `package`, or nil when it verifies.
    static func failure(
        _ package: JSON, trustedKeys: [AuditPublicKey] = [], strictTrace: Bool = false
    ) -> AuditFailure? {
        do {
            _ = try AuditPackageVerifier.verify(package, trustedKeys: trustedKeys, strictTrace: strictTrace)
            return nil
        } catch {
            return error
        }
    }
}

extension JSON {
    /// The value with the member at `pointer` replaced by what `change` returns (nil removes it).
    func changing(_ pointer: String, _ change: (JSON) -> JSON?) -> JSON {
        let tokens = pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
        return changing(tokens[...], change) ?? .null
    }

    private func changing(_ tokens: ArraySlice<String>, _ change: (JSON) -> JSON?) -> JSON? {
        guard let token = tokens.first else { return change(self) }
        switch self {
        case .object(var object):
            guard let member = object[token] else {
                // A new member, when the pointer ends here.
                if tokens.count == 1 { object[token] = change(.null) }
                return .object(object)
            }
            object[token] = member.changing(tokens.dropFirst(), change)
            return .object(object)
        case .array(var array):
            guard let index = Int(token), array.indices.contains(index) else { return self }
            if let changed = array[index].changing(tokens.dropFirst(), change) {
                array[index] = changed
            } else {
                array.remove(at: index)
            }
            return .array(array)
        default:
            return self
        }
    }

    func setting(_ pointer: String, to value: JSON) -> JSON { changing(pointer) { _ in value } }

    func removing(_ pointer: String) -> JSON { changing(pointer) { _ in nil } }

    /// A record or entry sealed again: `hash` recomputed over the rest, as a deliberate editor would.
    var resealed: JSON {
        guard case .object(var body) = self else { return self }
        body["hash"] = nil
        return .object(ChainedEvidence(sealing: body).json.objectValue!)
    }

    /// The package sealed again over its current content: `content_sha256`, `audit_id`, and a signature by `key`
    /// (or none).
    func resealedPackage(key: AuditSigningKey?) -> JSON {
        guard case .object(var body) = self else { return self }
        body["audit_id"] = nil
        body["integrity"] = nil
        return AuditPackage.seal(body, signingKey: key)
    }
}
