// `cavra audit verify` (architecture.md §7): every check, in order, stopping at the first failure, which it names
// as a JSON pointer and a reason. The order: the schema; every record and entry hash; every route chain; every
// embedded policy's files against its sha256; a replay of every recorded (and shadow) decision; the states,
// counts and alert level recomputed from the records; `content_sha256` and `audit_id`; the signature.

import CavraJSON
import CavraPolicy

/// What a package that verified holds, and how far its signature goes.
public struct AuditVerification: Sendable, Equatable {
    public enum Signature: Sendable, Equatable {
        case none
        /// Valid for the key inside the package, which no trusted key vouches for (none were given).
        case untrusted(keyId: String)
        /// Valid, by one of the trusted keys.
        case trusted(keyId: String)
    }

    public var auditId: String
    public var routeCount: Int
    public var recordCount: Int
    public var refusedAttemptCount: Int
    public var signature: Signature

    /// `<audit_id> (<n> routes, <m> records, <k> refused attempts, signature: <key_id> trusted|untrusted|none)`.
    public var summary: String {
        let signatureText =
            switch signature {
            case .none: "none"
            case .untrusted(let keyId): "\(keyId) untrusted"
            case .trusted(let keyId): "\(keyId) trusted"
            }
        return
            "\(auditId) (\(routeCount) routes, \(recordCount) records, \(refusedAttemptCount) refused attempts, signature: \(signatureText))"
    }

    public var json: JSON {
        var signatureJSON: JSON = ["status": "none"]
        switch signature {
        case .none: break
        case .untrusted(let keyId): signatureJSON = ["status": "untrusted", "key_id": .string(keyId)]
        case .trusted(let keyId): signatureJSON = ["status": "trusted", "key_id": .string(keyId)]
        }
        return [
            "verified": true, "audit_id": .string(auditId), "route_count": .int(Int64(routeCount)),
            "record_count": .int(Int64(recordCount)), "refused_attempt_count": .int(Int64(refusedAttemptCount)),
            "signature": signatureJSON,
        ]
    }
}

public enum AuditPackageVerifier {
    /// Verifies `package`. With `trustedKeys`, the package must be signed by one of them; without, a signature only
    /// proves the package matches the key inside it. `strictTrace` compares the replayed decisions' traces too.
    public static func verify(_ package: JSON, trustedKeys: [AuditPublicKey] = [], strictTrace: Bool = false)
        throws(AuditFailure) -> AuditVerification
    {
        let parsed = try Schema.parse(package)
        try checkHashes(parsed)
        try checkChains(parsed)
        let compiled = try checkPolicies(parsed)
        try replay(parsed, policies: compiled, strictTrace: strictTrace)
        try recompute(parsed)
        let auditId = try checkContent(parsed)
        let signature = try checkSignature(parsed, trustedKeys: trustedKeys)
        return AuditVerification(
            auditId: auditId, routeCount: parsed.routes.count,
            recordCount: parsed.routes.reduce(0) { $0 + $1.records.count },
            refusedAttemptCount: parsed.routes.reduce(0) { $0 + $1.refusals.count }, signature: signature)
    }

    // MARK: 2. Hashes

    static func checkHashes(_ package: ParsedPackage) throws(AuditFailure) {
        for route in package.routes {
            for record in route.records where !ChainedEvidence(stored: record.value).hashVerifies {
                throw record.failure(
                    "hash", "the record's content hashes to \(sealedHash(record.value)), not to its `hash`")
            }
            for entry in route.refusals where !ChainedEvidence(stored: entry.value).hashVerifies {
                throw entry.failure(
                    "hash", "the entry's content hashes to \(sealedHash(entry.value)), not to its `hash`")
            }
        }
    }

    private static func sealedHash(_ evidence: JSON) -> String {
        guard case .object(var body) = evidence else { return "" }
        body["hash"] = nil
        return JSON.object(body).canonicalSHA256
    }

    // MARK: 3. Chains

    static func checkChains(_ package: ParsedPackage) throws(AuditFailure) {
        var seen: [String: Int] = [:]
        for (index, route) in package.routes.enumerated() {
            let id = route.route.routeId
            if let earlier = seen[id] {
                throw route.node.failure("route_id", "route `\(id)` is also /routes/\(earlier)")
            }
            seen[id] = index
            let expectedId = PlanIds.routeId(
                planId: route.route.planId, owner: route.route.owner, provider: route.route.provider)
            guard expectedId == id else {
                throw route.node.failure("route_id", "the route of this plan, owner and provider is `\(expectedId)`")
            }
            try checkRecords(route)
            try checkRefusals(route)
        }
    }

    private static func checkRecords(_ route: ParsedRoute) throws(AuditFailure) {
        var state = RouteState.outstanding
        var previousHash = ""
        for (index, record) in route.records.enumerated() {
            try checkBelongs(record, to: route, fields: ["route_id", "plan_id", "schedule_id", "provider", "owner"])
            let sequence = try record.member("sequence").int()
            guard sequence == Int64(index + 1) else {
                throw record.failure("sequence", "expected \(index + 1): a route's records are numbered 1, 2, 3 …")
            }
            let expectedId = PlanIds.acknowledgementId(routeId: route.route.routeId, sequence: sequence)
            guard try record.member("acknowledgement_id").string() == expectedId else {
                throw record.failure("acknowledgement_id", "expected `\(expectedId)` for this route and sequence")
            }
            guard try record.member("prev_hash").string() == previousHash else {
                throw record.failure(
                    "prev_hash",
                    index == 0
                        ? "the first record's prev_hash is \"\"" : "expected the previous record's hash \(previousHash)"
                )
            }
            let previous = try record.member("previous_state").enumValue(RouteState.self)
            guard previous == state else {
                throw record.failure("previous_state", "the route was \(state.rawValue) before this record")
            }
            let next = try record.member("acknowledgement_state").enumValue(RouteState.self)
            guard previous.canMove(to: next) else {
                throw record.failure(
                    "acknowledgement_state",
                    previous.allowedTransitions.isEmpty
                        ? "\(previous.rawValue) is final" : "\(previous.rawValue) cannot become \(next.rawValue)")
            }
            guard try record.member("acknowledged_by").string() == (try record.member("actor").member("id").string())
            else {
                throw record.failure("acknowledged_by", "differs from the record's `actor.id`")
            }
            let request = try record.member("decision").member("request")
            guard try request.member("action").string() == AuditPackage.action(to: next)?.rawValue else {
                throw request.failure(
                    "action", "a record moving the route to \(next.rawValue) was decided on another action")
            }
            guard try request.member("route").member("state").string() == previous.rawValue else {
                throw try request.member("route").failure(
                    "state", "the decision was made on a route in another state than `previous_state`")
            }
            try checkRequest(request, record: record, route: route)
            state = next
            previousHash = try record.member("hash").string()
        }
    }

    private static func checkRefusals(_ route: ParsedRoute) throws(AuditFailure) {
        let chain = "route:\(route.route.routeId)"
        var previousHash = ""
        for (index, entry) in route.refusals.enumerated() {
            guard try entry.member("chain").string() == chain else {
                throw entry.failure("chain", "the entries of this route are in the chain `\(chain)`")
            }
            try checkBelongs(entry, to: route, fields: ["route_id", "schedule_id"])
            let sequence = try entry.member("sequence").int()
            guard sequence == Int64(index + 1) else {
                throw entry.failure("sequence", "expected \(index + 1): a chain's entries are numbered 1, 2, 3 …")
            }
            let expectedId = PlanIds.refusalId(chain: chain, sequence: sequence)
            guard try entry.member("entry_id").string() == expectedId else {
                throw entry.failure("entry_id", "expected `\(expectedId)` for this chain and sequence")
            }
            guard try entry.member("prev_hash").string() == previousHash else {
                throw entry.failure(
                    "prev_hash",
                    index == 0
                        ? "the first entry's prev_hash is \"\"" : "expected the previous entry's hash \(previousHash)")
            }
            let request = try entry.member("decision").member("request")
            guard try request.member("action").string() == (try entry.member("action").string()) else {
                throw request.failure("action", "differs from the entry's `action`")
            }
            try checkRequest(request, record: entry, route: route)
            previousHash = try entry.member("hash").string()
        }
    }

    private static func checkBelongs(_ evidence: Node, to route: ParsedRoute, fields: [String]) throws(AuditFailure) {
        for field in fields {
            let expected = try route.node.member(field).string()
            guard let value = evidence.optional(field) else {
                throw evidence.failure(field, "missing; expected `\(expected)`")
            }
            guard try value.string() == expected else {
                throw evidence.failure(field, "this route's \(field) is `\(expected)`")
            }
        }
    }

    /// The request is about this route, by the evidence's actor, and a shadow decision was made on the same request.
    private static func checkRequest(_ request: Node, record: Node, route: ParsedRoute) throws(AuditFailure) {
        let requestRoute = try request.member("route")
        for (field, routeField) in [
            ("id", "route_id"), ("plan_id", "plan_id"), ("schedule_id", "schedule_id"), ("provider", "provider"),
            ("owner", "owner"),
        ] {
            let expected = try route.node.member(routeField).string()
            guard try requestRoute.member(field).string() == expected else {
                throw requestRoute.failure(field, "the decision was made on another route (expected `\(expected)`)")
            }
        }
        let actor = try record.member("actor")
        let requestActor = try request.member("actor")
        for field in ["id", "verified", "issuer", "subject"] {
            guard try actor.member(field).value == (try requestActor.member(field).value) else {
                throw actor.failure(field, "differs from the actor of the decision's request")
            }
        }
        if let shadow = record.optional("shadow_decision") {
            guard try shadow.member("request").value == request.value else {
                throw shadow.failure("request", "the shadow decision was made on another request")
            }
        }
    }

    // MARK: 4. Policies

    static func checkPolicies(_ package: ParsedPackage) throws(AuditFailure) -> [String: CompiledPolicy] {
        var compiled: [String: CompiledPolicy] = [:]
        for policy in package.policies {
            let source = try policy.source()
            let sha = source.sha256
            guard sha == policy.sha256 else {
                throw policy.node.failure("files", "the files hash to \(sha), not to the key \(policy.sha256)")
            }
            let compilation = PolicyCompiler.compile(source)
            guard let result = compilation.policy else {
                let first = compilation.diagnostics.first { $0.isError }
                throw policy.node.failure(
                    nil, "the policy does not compile: " + (first.map { "\($0.code): \($0.message)" } ?? "error"))
            }
            guard result.id == (try policy.node.member("id").string()) else {
                throw policy.node.failure("id", "the policy's header says `\(result.id)`")
            }
            guard result.version.map(JSON.string) ?? .null == (try policy.node.member("version").value) else {
                throw policy.node.failure("version", "the policy's header says \(result.version ?? "no version")")
            }
            compiled[policy.sha256] = result
        }
        var used: Set<String> = []
        for route in package.routes {
            for evidence in route.records + route.refusals {
                for key in ["decision", "shadow_decision"] {
                    guard let decision = evidence.optional(key) else { continue }
                    let sha = try decision.member("policy").member("sha256")
                    let value = try sha.string()
                    guard compiled[value] != nil else {
                        throw sha.failure(nil, "no embedded policy has this sha256")
                    }
                    used.insert(value)
                }
            }
        }
        for policy in package.policies where !used.contains(policy.sha256) {
            throw policy.node.failure(nil, "no record or entry of the package was decided by this policy")
        }
        return compiled
    }

    // MARK: 5. Replay

    /// The fields of a decision a replay must reproduce; the trace too with `--strict-trace`.
    static let replayedFields = [
        "decision", "enforced", "action", "determining", "obligations", "reasons", "errors", "policy",
    ]

    static func replay(_ package: ParsedPackage, policies: [String: CompiledPolicy], strictTrace: Bool)
        throws(AuditFailure)
    {
        for route in package.routes {
            for record in route.records {
                let decision = try record.member("decision")
                try replay(decision, policies: policies, strictTrace: strictTrace)
                if let shadow = record.optional("shadow_decision") {
                    try replay(shadow, policies: policies, strictTrace: strictTrace)
                }
                guard try decision.member("decision").string() == "allow",
                    try decision.member("enforced").bool()
                else {
                    throw decision.failure("decision", "a record needs an enforced allow")
                }
                let input = try record.member("operator_input")
                for obligation in try decision.member("obligations").array() {
                    let name = try obligation.string()
                    let field = name == Obligation.note.rawValue ? "notes" : "external_ref"
                    guard meets(try input.member(field).string()) else {
                        throw input.failure(field, "the decision requires `\(name)` and the record has none")
                    }
                }
            }
            for entry in route.refusals {
                let decision = try entry.member("decision")
                try replay(decision, policies: policies, strictTrace: strictTrace)
                if let shadow = entry.optional("shadow_decision") {
                    try replay(shadow, policies: policies, strictTrace: strictTrace)
                }
                let allow = try decision.member("decision").string() == "allow"
                let input = try entry.member("operator_input")
                var unmet = false
                for obligation in try decision.member("obligations").array() {
                    let field = try obligation.string() == Obligation.note.rawValue ? "notes" : "external_ref"
                    if !meets(try input.member(field).string()) { unmet = true }
                }
                let expected = !allow ? "denied" : unmet ? "missing_obligation" : nil
                guard let expected else {
                    throw decision.failure("decision", "a refused attempt whose decision allows, every obligation met")
                }
                guard try entry.member("outcome").string() == expected else {
                    throw entry.failure("outcome", "the decision makes this attempt `\(expected)`")
                }
            }
        }
    }

    /// A non-empty operator note or reference, as `OperatorInput.meets` reads it.
    private static func meets(_ text: String) -> Bool {
        !text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
    }

    private static func replay(_ decision: Node, policies: [String: CompiledPolicy], strictTrace: Bool)
        throws(AuditFailure)
    {
        let sha = try decision.member("policy").member("sha256")
        guard let policy = policies[try sha.string()] else {
            throw sha.failure(nil, "no embedded policy has this sha256")
        }
        let recordedRequest = try decision.member("request")
        let request: PolicyRequest
        do {
            request = try PolicyRequest(recorded: recordedRequest.value)
        } catch {
            throw recordedRequest.failure(nil, error.description)
        }
        let replayed = policy.evaluate(request, trace: true).json(trace: true)
        for field in replayedFields + (strictTrace ? ["trace"] : []) {
            let recorded = decision.optional(field)?.value
            guard recorded == replayed[field] else {
                throw decision.failure(
                    field,
                    "recorded \(brief(recorded)), the replay with the embedded policy gives \(brief(replayed[field]))")
            }
        }
    }

    private static func brief(_ value: JSON?) -> String {
        guard let value else { return "nothing" }
        let text = value.serialized()
        return text.count > 200 ? String(text.prefix(200)) + "…" : text
    }

    // MARK: 6. States and counts

    static func recompute(_ package: ParsedPackage) throws(AuditFailure) {
        var summaries: [AuditPackage.RouteSummary] = []
        var recordCount = 0
        for route in package.routes {
            let last = try route.records.last?.member("acknowledgement_state").enumValue(RouteState.self)
            let state = RouteState.derived(latest: last)
            guard route.state == state else {
                throw route.node.failure("state", "the records make the route \(state.rawValue)")
            }
            guard route.recordCount == Int64(route.records.count) else {
                throw route.node.failure("record_count", "the route has \(route.records.count) records")
            }
            let head = try route.records.last?.member("hash").string() ?? ""
            guard route.headHash == head else {
                throw route.node.failure(
                    "head_hash", head.isEmpty ? "the route has no records: \"\"" : "the last record's hash is \(head)")
            }
            let breached = Planner.isBreached(
                route: route.route, state: state, current: !route.superseded, now: package.generatedAt)
            guard route.breached == breached else {
                throw route.node.failure("breached", "at generated_at the route is \(breached ? "" : "not ")breached")
            }
            summaries.append(
                AuditPackage.RouteSummary(
                    route: route.route, current: !route.superseded, state: state, breached: breached))
            recordCount += route.records.count
        }
        let top = package.node
        func expect(_ field: String, _ value: JSON, _ reason: String) throws(AuditFailure) {
            guard try top.member(field).value == value else { throw top.failure(field, reason) }
        }
        try expect("route_count", .int(Int64(package.routes.count)), "the package has \(package.routes.count) routes")
        try expect(
            "acknowledgement_count", .int(Int64(recordCount)), "the package's routes have \(recordCount) records")
        let counts = AuditPackage.stateCounts(summaries)
        let stateCounts = try top.member("state_counts")
        for (state, count) in counts {
            guard try stateCounts.member(state).value == count else {
                throw stateCounts.failure(state, "the package has \(count) \(state) routes")
            }
        }
        let breached = summaries.filter(\.breached).count
        try expect("breached_count", .int(Int64(breached)), "the package has \(breached) breached routes")
        let level = AuditPackage.alertLevel(summaries)
        try expect("alert_level", .string(level.rawValue), "the routes make the alert level \(level.rawValue)")
    }

    // MARK: 7. Content hash and id

    static func checkContent(_ package: ParsedPackage) throws(AuditFailure) -> String {
        let content = AuditPackage.contentSHA256(of: package.object)
        let integrity = try package.node.member("integrity")
        guard try integrity.member("content_sha256").string() == content else {
            throw integrity.failure("content_sha256", "the package's content hashes to \(content)")
        }
        let auditId = AuditPackage.auditId(contentSHA256: content)
        guard try package.node.member("audit_id").string() == auditId else {
            throw package.node.failure("audit_id", "the content hash makes the id `\(auditId)`")
        }
        return auditId
    }

    // MARK: 8. Signature

    static func checkSignature(_ package: ParsedPackage, trustedKeys: [AuditPublicKey]) throws(AuditFailure)
        -> AuditVerification.Signature
    {
        let integrity = try package.node.member("integrity")
        guard let signature = integrity.optional("signature") else {
            if !trustedKeys.isEmpty {
                throw integrity.failure("signature", "missing: trusted keys were given and the package is not signed")
            }
            return .none
        }
        let publicKeyText = try signature.member("public_key").string()
        guard let raw = Base64URL.decode(publicKeyText), let key = try? AuditPublicKey(rawRepresentation: raw) else {
            throw signature.failure("public_key", "not the base64url form (no padding) of a 32-byte Ed25519 key")
        }
        guard try signature.member("key_id").string() == key.keyId else {
            throw signature.failure("key_id", "the public key's id is \(key.keyId)")
        }
        guard let value = Base64URL.decode(try signature.member("value").string()), value.count == 64 else {
            throw signature.failure("value", "not the base64url form (no padding) of a 64-byte Ed25519 signature")
        }
        let content = try integrity.member("content_sha256").string()
        guard key.isValidSignature(value, for: Array(content.utf8)) else {
            throw signature.failure("value", "not a signature of content_sha256 by the package's public key")
        }
        if trustedKeys.isEmpty { return .untrusted(keyId: key.keyId) }
        guard trustedKeys.contains(key) else {
            throw signature.failure(
                "public_key",
                "the package was signed by key \(key.keyId), which is not a trusted key ("
                    + trustedKeys.map(\.keyId).joined(separator: ", ") + ")")
        }
        return .trusted(keyId: key.keyId)
    }
}
