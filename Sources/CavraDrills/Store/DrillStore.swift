// The store protocol (architecture.md §4), shaped for SQLite and PostgreSQL alike.
//
// A write runs in one transaction that first locks what it will change — the route rows in route-id order
// and their schedules shared (a plan call: its schedule exclusively) — then loads those rows into a
// `WorkingSet`. `DrillService` decides on the working set and appends to it; the store writes the appended
// rows and commits. The body is synchronous and sees only locked rows, so both engines give the same
// guarantee: two callers racing on one route never both act on a stale state.

import CavraJSON
import CavraPolicy

public struct LockScope: Sendable, Equatable {
    /// Locked exclusively, in this (sorted) order.
    public var routeIds: [String]
    /// Locked shared, or exclusively when `exclusiveSchedules` (a plan call).
    public var scheduleIds: [String]
    public var exclusiveSchedules: Bool
    /// The refusal chains whose heads the call may extend.
    public var chains: [String]

    public init(
        routeIds: [String] = [], scheduleIds: [String] = [], exclusiveSchedules: Bool = false, chains: [String] = []
    ) {
        self.routeIds = Array(Set(routeIds)).sorted()
        self.scheduleIds = Array(Set(scheduleIds)).sorted()
        self.exclusiveSchedules = exclusiveSchedules
        self.chains = Array(Set(chains)).sorted()
    }
}

/// A schedule as stored: the input document as the caller gave it, and the history that came with it.
public struct StoredSchedule: Sendable, Equatable {
    public var scheduleId: String
    public var document: JSON
    public var history: JSON?

    public init(scheduleId: String, document: JSON, history: JSON?) {
        self.scheduleId = scheduleId
        self.document = document
        self.history = history
    }
}

/// An event of the history feed: `plan_created`, `plan_revised`, `acknowledgement`, `refusal`, `audit_package`.
public struct HistoryEvent: Sendable, Equatable {
    public var kind: String
    public var scheduleId: String
    public var provider: String?
    public var at: Timestamp
    public var payload: JSON {
        didSet { knownText = nil }
    }
    /// The payload's text when it is already known (a record's or entry's, serialised when it was sealed).
    private var knownText: String?

    public init(kind: String, scheduleId: String, provider: String?, at: Timestamp, payload: JSON) {
        self.kind = kind
        self.scheduleId = scheduleId
        self.provider = provider
        self.at = at
        self.payload = payload
    }

    /// The event of a record or a refusal entry: its payload is the evidence.
    public init(kind: String, scheduleId: String, provider: String?, at: Timestamp, evidence: ChainedEvidence) {
        self.init(kind: kind, scheduleId: scheduleId, provider: provider, at: at, payload: evidence.json)
        knownText = evidence.text
    }

    /// `payload` as compact text.
    public var payloadText: String { knownText ?? payload.serialized() }

    public static func == (lhs: HistoryEvent, rhs: HistoryEvent) -> Bool {
        (lhs.kind, lhs.scheduleId, lhs.provider, lhs.at, lhs.payload)
            == (rhs.kind, rhs.scheduleId, rhs.provider, rhs.at, rhs.payload)
    }
}

/// A policy's text as it was when it decided: what an audit package embeds and a replay evaluates again.
public struct PolicySnapshot: Sendable, Equatable {
    public var sha256: String
    public var id: String
    public var version: String?
    /// `file` or `directory` (policy-language.md §6: how `sha256` was computed).
    public var kind: String
    public var files: [(path: String, text: String)]

    public init(sha256: String, id: String, version: String?, kind: String, files: [(path: String, text: String)]) {
        self.sha256 = sha256
        self.id = id
        self.version = version
        self.kind = kind
        self.files = files
    }

    public init(_ policy: CompiledPolicy) {
        self.init(
            sha256: policy.sha256, id: policy.id, version: policy.version, kind: policy.source.kind.rawValue,
            files: policy.source.files.map { ($0.name, String(decoding: $0.bytes, as: UTF8.self)) })
    }

    /// `{id, version, kind, files: [{path, text}]}` (architecture.md §7).
    public var json: JSON {
        [
            "id": .string(id), "version": version.map(JSON.string) ?? .null, "kind": .string(kind),
            "files": .array(files.map { ["path": .string($0.path), "text": .string($0.text)] }),
        ]
    }

    public static func == (lhs: PolicySnapshot, rhs: PolicySnapshot) -> Bool {
        lhs.json == rhs.json && lhs.sha256 == rhs.sha256
    }
}

/// The answer an API call gave, kept under its idempotency key (architecture.md §5) so a retry gets it again.
public struct StoredAnswer: Sendable, Equatable {
    /// SHA-256 of the request's canonical form: a retry must send the same request.
    public var requestSHA256: String
    public var status: Int
    public var body: JSON

    public init(requestSHA256: String, status: Int, body: JSON) {
        self.requestSHA256 = requestSHA256
        self.status = status
        self.body = body
    }
}

/// The locked rows of one write transaction, and what the call appends.
public struct WorkingSet: Sendable {
    // What the store loaded. Schedule documents are not loaded: no decision reads them, a plan call replaces them.
    /// Every plan of the locked schedules, and the plans that hold the locked routes.
    public var plans: [String: Plan]
    /// The newest record of each locked route (absent: no record yet).
    public var routeHeads: [String: ChainHead]
    public var chainHeads: [String: ChainHead]

    // What the call appends; the store writes exactly these, then commits.
    public private(set) var savedSchedules: [StoredSchedule] = []
    public private(set) var savedPlans: [Plan] = []
    public private(set) var records: [ChainedEvidence] = []
    public private(set) var refusals: [(chain: String, entry: ChainedEvidence)] = []
    public private(set) var events: [HistoryEvent] = []
    /// The policies that decided what this call appends, kept so an audit package can embed them.
    public private(set) var policySnapshots: [PolicySnapshot] = []
    /// Audit packages to keep, by `audit_id`.
    public private(set) var auditPackages: [(auditId: String, package: JSON)] = []

    public init(
        plans: [String: Plan] = [:], routeHeads: [String: ChainHead] = [:], chainHeads: [String: ChainHead] = [:]
    ) {
        self.plans = plans
        self.routeHeads = routeHeads
        self.chainHeads = chainHeads
    }

    public mutating func save(_ schedule: StoredSchedule) {
        savedSchedules.removeAll { $0.scheduleId == schedule.scheduleId }
        savedSchedules.append(schedule)
    }

    public mutating func save(_ plan: Plan) {
        plans[plan.planId] = plan
        savedPlans.removeAll { $0.planId == plan.planId }
        savedPlans.append(plan)
    }

    /// Appends a route's record; it becomes the route's head.
    public mutating func append(record: ChainedEvidence, routeId: String, state: RouteState) {
        records.append(record)
        routeHeads[routeId] = ChainHead(sequence: record.sequence, hash: record.hash, state: state)
    }

    public mutating func append(refusal: ChainedEvidence, chain: String) {
        refusals.append((chain, refusal))
        chainHeads[chain] = ChainHead(sequence: refusal.sequence, hash: refusal.hash)
    }

    public mutating func append(_ event: HistoryEvent) { events.append(event) }

    public mutating func keep(auditPackage package: JSON, auditId: String) {
        auditPackages.append((auditId, package))
    }

    public mutating func keep(_ snapshot: PolicySnapshot) {
        if !policySnapshots.contains(where: { $0.sha256 == snapshot.sha256 }) { policySnapshots.append(snapshot) }
    }

    /// The current plan of a schedule among the loaded plans.
    public func currentPlan(of scheduleId: String) -> Plan? {
        plans.values.first { $0.scheduleId == scheduleId && !$0.superseded }
    }
}

/// Filters of the route list (architecture.md §5), exact and case-insensitive.
public struct RouteFilter: Sendable, Equatable {
    public var scheduleId: String?
    public var provider: String?
    public var owner: String?
    public var state: RouteState?
    public var category: RouteCategory?
    public var breached: Bool?
    public var includeSuperseded: Bool

    public init(
        scheduleId: String? = nil, provider: String? = nil, owner: String? = nil, state: RouteState? = nil,
        category: RouteCategory? = nil, breached: Bool? = nil, includeSuperseded: Bool = false
    ) {
        self.scheduleId = scheduleId
        self.provider = provider
        self.owner = owner
        self.state = state
        self.category = category
        self.breached = breached
        self.includeSuperseded = includeSuperseded
    }
}

public protocol DrillStore: Sendable {
    /// Locks `scope`, loads it, runs `body`, writes what it appended and commits — also when `body` returns a
    /// refusal, so refused attempts are kept. A thrown error rolls everything back.
    func write<Result: Sendable>(
        _ scope: LockScope, _ body: @Sendable (inout WorkingSet) throws -> Result
    ) async throws -> Result

    /// Every plan of a schedule (nil: of every schedule), superseded ones too.
    func plans(scheduleId: String?) async throws -> [Plan]

    /// The newest record of each route of the given plans.
    func routeHeads(planIds: [String]) async throws -> [String: ChainHead]

    /// The newest record of one route (nil: none yet).
    func routeHead(routeId: String) async throws -> ChainHead?

    /// A route's whole record chain, by sequence.
    func records(routeId: String) async throws -> [ChainedEvidence]

    /// The newest record of each of the given routes that has one.
    func latestRecords(routeIds: [String]) async throws -> [String: ChainedEvidence]

    /// A refusal chain (`route:<id>` or `schedule:<id>`), by sequence.
    func refusals(chain: String) async throws -> [ChainedEvidence]

    /// History events, newest first.
    func history(scheduleId: String?, provider: String?, kind: String?, limit: Int, offset: Int) async throws
        -> [HistoryEvent]

    func schedules() async throws -> [StoredSchedule]

    /// A policy that decided a stored record or entry, by its sha256.
    func policy(sha256: String) async throws -> PolicySnapshot?

    /// A stored audit package, by its `audit_id`.
    func auditPackage(auditId: String) async throws -> JSON?

    /// Whether a server with OIDC configured ever opened this store (architecture.md §9).
    func isOIDCStore() async throws -> Bool
    func markOIDCStore() async throws

    /// The answer kept under `key`, unless it was kept before `notBefore`.
    func answer(key: String, notBefore: Timestamp) async throws -> StoredAnswer?
    /// Keeps `answer` under `key` unless an answer (kept since `notBefore`) is already there, and returns the one
    /// kept: of two racing calls with one key, both return the first answer kept. Older answers are dropped.
    func keepAnswer(_ answer: StoredAnswer, key: String, at: Timestamp, notBefore: Timestamp) async throws
        -> StoredAnswer
}
