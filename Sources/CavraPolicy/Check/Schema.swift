// The fixed request schema of policy-language.md §4: every attribute, its type and its value set.

public enum PolicyAction: String, Sendable, CaseIterable, Hashable {
    case acknowledge, escalate, resolve, dismiss, export, plan
}

public enum RouteState: String, Sendable, CaseIterable {
    case outstanding, acknowledged, escalated, resolved, dismissed
}

public enum Severity: String, Sendable, CaseIterable {
    case healthy, warning, critical
}

public enum RouteCategory: String, Sendable, CaseIterable {
    case deliver
    case maintenanceWindow = "maintenance_window"
    case ownerCalendar = "owner_calendar"
    case healthySchedule = "healthy_schedule"
}

public enum Channel: String, Sendable, CaseIterable {
    case api, console, cli, sample
}

/// The obligations a permit may `require`.
public enum Obligation: String, Sendable, CaseIterable {
    case note
    case externalRef = "external_ref"

    /// The order obligations are listed in: by name.
    static let sortedByName = allCases.sorted { $0.rawValue < $1.rawValue }
}

/// The static type of an expression.
public indirect enum ValueType: Sendable, Equatable {
    case bool, int, duration, string
    case list(ValueType)
    /// `[]`: fits a list of any element type.
    case emptyList
    /// `actor.claims` or a map inside it.
    case map
    /// A claim value: its type is known only at run time.
    case dynamic
    /// The type of an expression that already has a reported error; fits anything, so errors do not cascade.
    case invalid

    public var display: String {
        switch self {
        case .bool: "a bool"
        case .int: "an int"
        case .duration: "a duration"
        case .string: "a string"
        case .list(let element): "a list of \(element.plural)"
        case .emptyList: "an empty list"
        case .map: "a map"
        case .dynamic: "a claim value"
        case .invalid: "an invalid value"
        }
    }

    private var plural: String {
        switch self {
        case .bool: "bools"
        case .int: "ints"
        case .duration: "durations"
        case .string: "strings"
        case .list(let element): "lists of \(element.plural)"
        case .emptyList: "empty lists"
        case .map: "maps"
        case .dynamic: "claim values"
        case .invalid: "invalid values"
        }
    }

    /// Unknown until run time (a claim) or already reported: no further static check applies.
    var isOpen: Bool { self == .dynamic || self == .invalid }
}

public enum Attribute: String, Sendable, CaseIterable {
    case actorId = "actor.id", actorVerified = "actor.verified", actorIssuer = "actor.issuer"
    case actorSubject = "actor.subject", actorGroups = "actor.groups", actorRoles = "actor.roles"
    case actorClaims = "actor.claims"
    case routeId = "route.id", routeScheduleId = "route.schedule_id", routePlanId = "route.plan_id"
    case routeProvider = "route.provider", routeOwner = "route.owner"
    case routeEscalationOwner = "route.escalation_owner", routeEnvironment = "route.environment"
    case routeService = "route.service", routeSeverity = "route.severity", routeState = "route.state"
    case routeCategory = "route.category", routeAge = "route.age", routeSlo = "route.slo"
    case routeBreached = "route.breached", routeTags = "route.tags"
    case contextNow = "context.now", contextChannel = "context.channel", contextBulk = "context.bulk"
    case contextBulkSize = "context.bulk_size"

    public var root: PathRoot { PathRoot(rawValue: String(rawValue.prefix { $0 != "." }))! }
    public var name: String { String(rawValue.drop { $0 != "." }.dropFirst()) }

    public var type: ValueType {
        switch self {
        case .actorVerified, .routeBreached, .contextBulk: .bool
        case .actorGroups, .actorRoles, .routeTags: .list(.string)
        case .actorClaims: .map
        case .routeAge, .routeSlo: .duration
        case .contextNow, .contextBulkSize: .int
        default: .string
        }
    }

    /// The closed set of values of an attribute, where it has one, in declaration order.
    public var valueSet: [String]? {
        switch self {
        case .routeSeverity: Self.severities
        case .routeState: Self.states
        case .routeCategory: Self.categories
        case .contextChannel: Self.channels
        default: nil
        }
    }

    // Built once: request checking reads these for every field of every request.
    private static let severities = Severity.allCases.map(\.rawValue)
    private static let states = RouteState.allCases.map(\.rawValue)
    private static let categories = RouteCategory.allCases.map(\.rawValue)
    private static let channels = Channel.allCases.map(\.rawValue)

    static func find(root: PathRoot, name: String) -> Attribute? {
        let table = table(of: root)
        // Comparing the few names of the same length costs less than hashing; the dictionary, which equates
        // strings as `==` does whatever their lengths, settles what that leaves.
        let length = name.utf8.count
        for (index, candidate) in table.names.enumerated() where candidate.utf8.count == length && candidate == name {
            return table.attributes[index]
        }
        return table.byName[name]
    }

    /// The attribute names under `root`, in declaration order.
    static func names(of root: PathRoot) -> [String] {
        table(of: root).names
    }

    private struct RootTable {
        var names: [String] = []
        var attributes: [Attribute] = []
        var byName: [String: Attribute] = [:]

        init(_ root: PathRoot) {
            for attribute in Attribute.allCases where attribute.root == root {
                names.append(attribute.name)
                attributes.append(attribute)
                byName[attribute.name] = attribute
            }
        }
    }

    private static let actorTable = RootTable(.actor)
    private static let routeTable = RootTable(.route)
    private static let contextTable = RootTable(.context)

    private static func table(of root: PathRoot) -> RootTable {
        switch root {
        case .actor: actorTable
        case .route: routeTable
        case .context: contextTable
        }
    }
}

/// "did you mean" for a misspelt name: the closest candidate within a small edit distance.
func closest(to word: String, in candidates: some Sequence<String>) -> String? {
    let limit = max(1, (word.count + 1) / 3)
    var best: (String, Int)?
    for candidate in candidates {
        let distance = editDistance(word, candidate)
        if distance <= limit, distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
    }
    return best?.0
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.unicodeScalars)
    let b = Array(b.unicodeScalars)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previousDiagonal = row[0]
        row[0] = i
        for j in 1...b.count {
            let above = row[j]
            row[j] = a[i - 1] == b[j - 1] ? previousDiagonal : min(previousDiagonal, row[j - 1], above) + 1
            previousDiagonal = above
        }
    }
    return row[b.count]
}
