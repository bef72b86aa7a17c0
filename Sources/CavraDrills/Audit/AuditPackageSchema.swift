// The first check of `cavra audit verify`: the package has the shape of architecture.md §7, every field of the
// right type, nothing unknown. What it reads, the later checks use.

import CavraJSON
import CavraPolicy

/// A value inside the package and its JSON pointer.
struct Node {
    let value: JSON
    let pointer: String

    /// A failure at this value, or at its member `field`.
    func failure(_ field: String?, _ reason: String) -> AuditFailure {
        AuditFailure(pointer: field.map { JSONPointer.appending($0, to: pointer) } ?? pointer, reason: reason)
    }

    func optional(_ key: String) -> Node? {
        value[key].map { Node(value: $0, pointer: JSONPointer.appending(key, to: pointer)) }
    }

    func member(_ key: String) throws(AuditFailure) -> Node {
        guard value.objectValue != nil else { throw failure(nil, "expected an object, found \(value.typeName)") }
        guard let node = optional(key) else { throw failure(key, "missing") }
        return node
    }

    func object() throws(AuditFailure) -> JSONObject {
        guard let object = value.objectValue else { throw failure(nil, "expected an object, found \(value.typeName)") }
        return object
    }

    func string() throws(AuditFailure) -> String {
        guard let string = value.stringValue else { throw failure(nil, "expected a string, found \(value.typeName)") }
        return string
    }

    func int() throws(AuditFailure) -> Int64 {
        guard let int = value.intValue else { throw failure(nil, "expected an integer, found \(value.typeName)") }
        return int
    }

    func count() throws(AuditFailure) -> Int64 {
        let int = try int()
        guard int >= 0 else { throw failure(nil, "a count is not negative") }
        return int
    }

    func bool() throws(AuditFailure) -> Bool {
        guard let bool = value.boolValue else { throw failure(nil, "expected true or false, found \(value.typeName)") }
        return bool
    }

    func array() throws(AuditFailure) -> [Node] {
        guard let array = value.arrayValue else { throw failure(nil, "expected an array, found \(value.typeName)") }
        return array.enumerated().map { Node(value: $1, pointer: JSONPointer.appending($0, to: pointer)) }
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws(AuditFailure) -> E
    where E.RawValue == String {
        let text = try string()
        guard let result = E(rawValue: text) else {
            throw failure(nil, "expected one of \(E.allCases.map(\.rawValue).joined(separator: ", ")), found `\(text)`")
        }
        return result
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, the only form evidence writes.
    func timestamp() throws(AuditFailure) -> Timestamp {
        let text = try string()
        guard let timestamp = try? Timestamp(parsing: text), timestamp.description == text else {
            throw failure(nil, "expected a timestamp written YYYY-MM-DDTHH:MM:SS.mmmZ, found `\(text)`")
        }
        return timestamp
    }

    func sha256() throws(AuditFailure) -> String {
        let text = try string()
        guard text.utf8.count == 64, text.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { throw failure(nil, "expected a SHA-256 in lowercase hex") }
        return text
    }

    /// Refuses members not in `required` or `optional`, and requires every one in `required`, in that order.
    func fields(required: [String], optional: [String] = []) throws(AuditFailure) {
        let object = try object()
        for key in required where object[key] == nil { throw failure(key, "missing") }
        for key in object.keys where !required.contains(key) && !optional.contains(key) {
            throw failure(key, "not a field of this object")
        }
    }
}

struct ParsedRoute {
    var node: Node
    var route: Route
    var superseded: Bool
    var state: RouteState
    var breached: Bool
    var recordCount: Int64
    var headHash: String
    var records: [Node]
    var refusals: [Node]
}

struct ParsedPolicy {
    var sha256: String
    var node: Node

    /// The policy's text as a source the compiler reads, as it was loaded when it decided.
    func source() throws(AuditFailure) -> PolicySource {
        let kind = try node.member("kind").enumValue(PolicyKind.self).sourceKind
        var files: [PolicyFile] = []
        for file in try node.member("files").array() {
            let path = try file.member("path").string()
            files.append(PolicyFile(name: path, displayPath: path, bytes: Array(try file.member("text").string().utf8)))
        }
        return PolicySource(kind: kind, path: files.first?.name ?? "", files: files)
    }
}

/// `PolicySource.Kind` as the schema reads it.
enum PolicyKind: String, CaseIterable {
    case file, directory

    var sourceKind: PolicySource.Kind { self == .file ? .file : .directory }
}

struct ParsedPackage {
    var node: Node
    var object: JSONObject
    var generatedAt: Timestamp
    var routes: [ParsedRoute]
    var policies: [ParsedPolicy]
}

enum Schema {
    static let packageFields = [
        "schema_version", "audit_id", "generated_at", "generated_by", "filters", "route_count",
        "withheld_route_count", "acknowledgement_count", "state_counts", "breached_count", "alert_level", "routes",
        "policies", "integrity",
    ]
    static let routeFields = [
        "route_id", "plan_id", "schedule_id", "owner", "provider", "escalation_owner", "category", "reason",
        "environment", "service", "tags", "severity", "slo_seconds", "delivered_at", "removed", "plan_revision",
        "superseded", "state", "breached", "record_count", "head_hash", "acknowledgements", "refused_attempts",
    ]
    static let recordFields = [
        "acknowledgement_id", "route_id", "schedule_id", "plan_id", "provider", "owner", "sequence", "previous_state",
        "acknowledgement_state", "acknowledged_by", "actor", "operator_input", "acknowledged_at", "channel",
        "decision", "prev_hash", "hash",
    ]
    static let entryFields = [
        "entry_id", "chain", "sequence", "schedule_id", "action", "actor", "operator_input", "at", "channel",
        "outcome", "decision", "prev_hash", "hash",
    ]

    static func parse(_ package: JSON) throws(AuditFailure) -> ParsedPackage {
        let top = Node(value: package, pointer: "")
        guard let object = package.objectValue else {
            throw top.failure(nil, "the package is \(package.typeName), not a JSON object")
        }
        let version = try top.member("schema_version").string()
        guard version == AuditPackage.schemaVersion else {
            throw top.failure("schema_version", "expected `\(AuditPackage.schemaVersion)`, found `\(version)`")
        }
        try top.fields(required: packageFields)
        _ = try top.member("audit_id").string()
        let generatedAt = try top.member("generated_at").timestamp()
        let generatedBy = try top.member("generated_by")
        try generatedBy.fields(required: ["id", "verified", "issuer"])
        _ = try generatedBy.member("id").string()
        _ = try generatedBy.member("verified").bool()
        _ = try generatedBy.member("issuer").string()
        _ = try top.member("filters").object()
        for field in ["route_count", "withheld_route_count", "acknowledgement_count", "breached_count"] {
            _ = try top.member(field).count()
        }
        let stateCounts = try top.member("state_counts")
        try stateCounts.fields(required: RouteState.allCases.map(\.rawValue))
        for state in RouteState.allCases { _ = try stateCounts.member(state.rawValue).count() }
        _ = try top.member("alert_level").enumValue(Severity.self)
        var routes: [ParsedRoute] = []
        for route in try top.member("routes").array() { routes.append(try parseRoute(route)) }
        var policies: [ParsedPolicy] = []
        let policiesNode = try top.member("policies")
        for key in try policiesNode.object().keys {
            let policy = try policiesNode.member(key)
            _ = try Node(value: .string(key), pointer: policy.pointer).sha256()
            try parsePolicy(policy)
            policies.append(ParsedPolicy(sha256: key, node: policy))
        }
        try parseIntegrity(try top.member("integrity"))
        return ParsedPackage(node: top, object: object, generatedAt: generatedAt, routes: routes, policies: policies)
    }

    private static func parseRoute(_ node: Node) throws(AuditFailure) -> ParsedRoute {
        try node.fields(required: routeFields)
        func string(_ key: String) throws(AuditFailure) -> String { try node.member(key).string() }
        var tags: [String] = []
        for tag in try node.member("tags").array() { tags.append(try tag.string()) }
        let deliveredAt = try node.member("delivered_at")
        let route = Route(
            routeId: try string("route_id"), planId: try string("plan_id"), scheduleId: try string("schedule_id"),
            owner: try string("owner"), provider: try string("provider"),
            escalationOwner: try string("escalation_owner"),
            category: try node.member("category").enumValue(RouteCategory.self), reason: try string("reason"),
            environment: try string("environment"), service: try string("service"), tags: tags,
            severity: try node.member("severity").enumValue(Severity.self),
            sloSeconds: try node.member("slo_seconds").count(),
            deliveredAt: deliveredAt.value == .null ? nil : try deliveredAt.timestamp(),
            removed: try node.member("removed").bool())
        _ = try node.member("plan_revision").count()
        var records: [Node] = []
        for record in try node.member("acknowledgements").array() {
            try parseRecord(record)
            records.append(record)
        }
        var refusals: [Node] = []
        for entry in try node.member("refused_attempts").array() {
            try parseEntry(entry)
            refusals.append(entry)
        }
        return ParsedRoute(
            node: node, route: route, superseded: try node.member("superseded").bool(),
            state: try node.member("state").enumValue(RouteState.self), breached: try node.member("breached").bool(),
            recordCount: try node.member("record_count").count(), headHash: try string("head_hash"),
            records: records, refusals: refusals)
    }

    private static func parseRecord(_ node: Node) throws(AuditFailure) {
        try node.fields(
            required: recordFields, optional: ["claimed_acknowledged_by", "bulk_id", "shadow_decision"])
        for key in [
            "acknowledgement_id", "route_id", "schedule_id", "plan_id", "provider", "owner", "acknowledged_by",
            "prev_hash",
        ] {
            _ = try node.member(key).string()
        }
        _ = try node.member("sequence").int()
        _ = try node.member("previous_state").enumValue(RouteState.self)
        _ = try node.member("acknowledgement_state").enumValue(RouteState.self)
        _ = try node.member("acknowledged_at").timestamp()
        try parseCommon(node)
    }

    private static func parseEntry(_ node: Node) throws(AuditFailure) {
        try node.fields(
            required: entryFields, optional: ["route_id", "claimed_acknowledged_by", "bulk_id", "shadow_decision"])
        for key in ["entry_id", "chain", "schedule_id", "prev_hash"] { _ = try node.member(key).string() }
        if let routeId = node.optional("route_id") { _ = try routeId.string() }
        _ = try node.member("sequence").int()
        _ = try node.member("action").enumValue(PolicyAction.self)
        _ = try node.member("at").timestamp()
        let outcome = try node.member("outcome").string()
        guard ["denied", "missing_obligation"].contains(outcome) else {
            throw node.failure("outcome", "expected denied or missing_obligation, found `\(outcome)`")
        }
        try parseCommon(node)
    }

    /// What records and entries share: actor, operator input, channel, the decision, the optional fields, the hash.
    private static func parseCommon(_ node: Node) throws(AuditFailure) {
        let actor = try node.member("actor")
        try actor.fields(required: ["id", "verified", "issuer", "subject"])
        for key in ["id", "issuer", "subject"] { _ = try actor.member(key).string() }
        _ = try actor.member("verified").bool()
        let input = try node.member("operator_input")
        try input.fields(required: ["notes", "external_ref"])
        _ = try input.member("notes").string()
        _ = try input.member("external_ref").string()
        _ = try node.member("channel").enumValue(Channel.self)
        for key in ["claimed_acknowledged_by", "bulk_id"] {
            if let value = node.optional(key) { _ = try value.string() }
        }
        try parseDecision(try node.member("decision"))
        if let shadow = node.optional("shadow_decision") { try parseDecision(shadow) }
        _ = try node.member("hash").sha256()
    }

    /// The decision object of policy-language.md §6 with its request. The fields a replay compares are compared
    /// then; here, what the later checks read.
    private static func parseDecision(_ node: Node) throws(AuditFailure) {
        _ = try node.object()
        _ = try node.member("decision").enumValue(DecisionValue.self)
        _ = try node.member("enforced").bool()
        for obligation in try node.member("obligations").array() { _ = try obligation.enumValue(Obligation.self) }
        _ = try node.member("policy").member("sha256").sha256()
        let request = try node.member("request")
        for part in ["actor", "route", "context"] { _ = try request.member(part).object() }
        _ = try request.member("action").enumValue(PolicyAction.self)
    }

    private enum DecisionValue: String, CaseIterable { case allow, deny }

    private static func parsePolicy(_ node: Node) throws(AuditFailure) {
        try node.fields(required: ["id", "version", "kind", "files"])
        _ = try node.member("id").string()
        let version = try node.member("version")
        if version.value != .null { _ = try version.string() }
        let kind = try node.member("kind").enumValue(PolicyKind.self)
        let files = try node.member("files").array()
        if kind == .file && files.count != 1 {
            throw node.failure("files", "a `file` policy has exactly one file, not \(files.count)")
        }
        if files.isEmpty { throw node.failure("files", "a policy has at least one file") }
        for file in files {
            try file.fields(required: ["path", "text"])
            _ = try file.member("path").string()
            _ = try file.member("text").string()
        }
    }

    private static func parseIntegrity(_ node: Node) throws(AuditFailure) {
        try node.fields(required: ["canonicalization", "content_sha256"], optional: ["signature"])
        let canonicalization = try node.member("canonicalization").string()
        guard canonicalization == AuditPackage.canonicalization else {
            throw node.failure("canonicalization", "expected `\(AuditPackage.canonicalization)`")
        }
        _ = try node.member("content_sha256").sha256()
        if let signature = node.optional("signature") {
            try signature.fields(required: ["algorithm", "key_id", "public_key", "value"])
            let algorithm = try signature.member("algorithm").string()
            guard algorithm == AuditPackage.signatureAlgorithm else {
                throw signature.failure("algorithm", "expected `\(AuditPackage.signatureAlgorithm)`")
            }
            for key in ["key_id", "public_key", "value"] { _ = try signature.member(key).string() }
        }
    }
}
