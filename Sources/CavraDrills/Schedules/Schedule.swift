// A drill schedule (architecture.md §10): how often a service's rollback drill must run, who owns it, how to reach
// the owners, and when not to.

public struct Schedule: Sendable, Equatable {
    public static let schemaVersion = "cavra.go-backend-rollback-drill-schedule.v1"

    public var scheduleId: String
    public var environment: String
    public var service: String
    public var tags: [String]
    public var intervalDays: Int64
    /// The due date written in the file; when absent, the latest drill plus `intervalDays` decides.
    public var nextDueAt: Timestamp?
    public var owners: [String]
    public var notificationProviders: [String]
    public var runbookRef: String
    /// Each owner's routing once every entry naming it is merged; owners without routing are absent.
    public var ownerRoutes: [String: OwnerRoute]
    public var maintenanceWindows: [MaintenanceWindow]
    public var ownerCalendars: [String: OwnerCalendar]

    /// How one owner is reached; nil fields fall back to the schedule (providers), 60 minutes (SLO) and the owner
    /// (escalation).
    public struct OwnerRoute: Sendable, Equatable {
        public var providers: [String]?
        public var acknowledgementMinutes: Int64?
        public var escalationOwner: String?

        public init(providers: [String]?, acknowledgementMinutes: Int64?, escalationOwner: String?) {
            self.providers = providers
            self.acknowledgementMinutes = acknowledgementMinutes
            self.escalationOwner = escalationOwner
        }

        /// This routing with every field `later` sets taking its place.
        func merged(with later: OwnerRoute) -> OwnerRoute {
            OwnerRoute(
                providers: later.providers ?? providers,
                acknowledgementMinutes: later.acknowledgementMinutes ?? acknowledgementMinutes,
                escalationOwner: later.escalationOwner ?? escalationOwner)
        }
    }

    /// A time during which matching routes are suppressed. An empty matcher list matches everything.
    public struct MaintenanceWindow: Sendable, Equatable {
        public var windowId: String
        public var startAt: Timestamp
        public var endAt: Timestamp
        public var reason: String
        public var scheduleIds: [String]
        public var providers: [String]
        public var owners: [String]

        /// Whether the window suppresses this route at `now`: start ≤ now ≤ end, and each non-empty matcher list
        /// holds the value, compared case-insensitively.
        public func applies(scheduleId: String, owner: String, provider: String, at now: Timestamp) -> Bool {
            guard startAt <= now, now <= endAt else { return false }
            func matches(_ list: [String], _ value: String) -> Bool {
                list.isEmpty || list.contains { $0.equalsIgnoringCase(value) }
            }
            return matches(scheduleIds, scheduleId) && matches(providers, provider) && matches(owners, owner)
        }
    }

    /// When an owner cannot be reached: never (`available: false`), or during its unavailable windows.
    public struct OwnerCalendar: Sendable, Equatable {
        public var available: Bool
        public var reason: String
        public var unavailableWindows: [UnavailableWindow]

        /// Why the owner is unavailable at `now` (a reason, possibly empty), or nil when it is available.
        /// `available: false` comes first with the calendar's reason; else the first window holding `now`, with its
        /// reason, else the calendar's.
        public func unavailability(at now: Timestamp) -> String? {
            if !available { return reason }
            guard let window = unavailableWindows.first(where: { $0.startAt <= now && now <= $0.endAt }) else {
                return nil
            }
            return window.reason.isEmpty ? reason : window.reason
        }
    }

    public struct UnavailableWindow: Sendable, Equatable {
        public var startAt: Timestamp
        public var endAt: Timestamp
        public var reason: String

        public init(startAt: Timestamp, endAt: Timestamp, reason: String) {
            self.startAt = startAt
            self.endAt = endAt
            self.reason = reason
        }
    }

    /// The providers that reach `owner`: its routed providers, else the schedule's.
    public func providers(for owner: String) -> [String] {
        ownerRoutes[owner]?.providers ?? notificationProviders
    }
}
