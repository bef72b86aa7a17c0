// Reading a schedule file, with every alias of the reference's v1 format (architecture.md §10).

import CavraJSON

extension Schedule {
    /// The longest accepted interval and acknowledgement time, far beyond any real schedule, so date arithmetic
    /// cannot overflow.
    static let maximumIntervalDays: Int64 = 36_500
    static let maximumAcknowledgementMinutes: Int64 = 525_600

    /// Reads a schedule. Fields the format does not know are ignored, so reference files with extra members load;
    /// the first problem found is thrown, naming its field.
    public static func parse(_ json: JSON) throws(InputError) -> Schedule {
        let root = try InputObject(json, path: "")
        try root.requireValue("schema_version", schemaVersion)
        let scheduleId = try root.requiredString("schedule_id")
        try root.requireValue("status", "active")
        guard let intervalDays = try root.integer("interval_days", in: 1...maximumIntervalDays) else {
            throw root.missing(["interval_days"])
        }
        guard let owners = try root.stringList("owners", distinct: true) else { throw root.missing(["owners"]) }
        guard let providers = try root.stringList("notification_providers", singleAllowed: true, distinct: true)
        else { throw root.missing(["notification_providers"]) }
        return Schedule(
            scheduleId: scheduleId,
            environment: try root.string("environment") ?? "",
            service: try root.string("service") ?? "",
            tags: try root.stringList("tags") ?? [],
            intervalDays: intervalDays,
            nextDueAt: try root.timestamp("next_due_at"),
            owners: owners,
            notificationProviders: providers,
            runbookRef: try root.requiredString("runbook_ref"),
            ownerRoutes: try parseOwnerRoutes(root, owners: owners),
            maintenanceWindows: try parseMaintenanceWindows(root),
            ownerCalendars: try parseOwnerCalendars(root))
    }

    /// `owner_routes` (alias `routing_rules`): an object keyed by owner, or a list of entries each naming its
    /// `owners` (none or empty: every owner), merged in order: a later entry's fields replace an earlier one's.
    private static func parseOwnerRoutes(_ root: InputObject, owners: [String]) throws(InputError)
        -> [String: OwnerRoute]
    {
        var routes: [String: OwnerRoute] = [:]
        if root.isList("owner_routes", "routing_rules") {
            for entry in try root.objectList("owner_routes", "routing_rules") ?? [] {
                let named = try entry.stringList("owners") ?? []
                let route = try parseOwnerRoute(entry)
                for owner in named.isEmpty ? owners : named {
                    routes[owner] = routes[owner]?.merged(with: route) ?? route
                }
            }
        } else {
            for (owner, entry) in try root.objectMembers("owner_routes", "routing_rules") ?? [] {
                routes[owner] = try parseOwnerRoute(entry)
            }
        }
        return routes
    }

    private static func parseOwnerRoute(_ entry: InputObject) throws(InputError) -> OwnerRoute {
        let hasEscalationOwner = entry.member(["escalation_owner", "manager"]) != nil
        return OwnerRoute(
            providers: try entry.stringList(
                "providers", "notification_providers", singleAllowed: true, distinct: true),
            acknowledgementMinutes: try entry.integer(
                "acknowledgement_minutes", "ack_minutes", in: 1...maximumAcknowledgementMinutes),
            escalationOwner: hasEscalationOwner ? try entry.requiredString("escalation_owner", "manager") : nil)
    }

    /// `maintenance_windows` (alias `suppression_windows`), in order: the first that applies wins.
    private static func parseMaintenanceWindows(_ root: InputObject) throws(InputError) -> [MaintenanceWindow] {
        var windows: [MaintenanceWindow] = []
        for window in try root.objectList("maintenance_windows", "suppression_windows") ?? [] {
            let (startAt, endAt) = try bounds(of: window)
            windows.append(
                MaintenanceWindow(
                    windowId: try window.string("window_id", "id") ?? "",
                    startAt: startAt,
                    endAt: endAt,
                    reason: try window.string("reason", "description") ?? "",
                    scheduleIds: try window.stringList("schedule_ids") ?? [],
                    providers: try window.stringList("providers", singleAllowed: true) ?? [],
                    owners: try window.stringList("owners") ?? []))
        }
        return windows
    }

    /// `owner_calendars` (alias `calendars`), keyed by owner.
    private static func parseOwnerCalendars(_ root: InputObject) throws(InputError) -> [String: OwnerCalendar] {
        var calendars: [String: OwnerCalendar] = [:]
        for (owner, calendar) in try root.objectMembers("owner_calendars", "calendars") ?? [] {
            var windows: [UnavailableWindow] = []
            for window in try calendar.objectList("unavailable_windows", "blackout_windows") ?? [] {
                let (startAt, endAt) = try bounds(of: window)
                windows.append(
                    UnavailableWindow(
                        startAt: startAt, endAt: endAt, reason: try window.string("reason", "description") ?? ""))
            }
            calendars[owner] = OwnerCalendar(
                available: try calendar.bool("available") ?? true,
                reason: try calendar.string("reason") ?? "",
                unavailableWindows: windows)
        }
        return calendars
    }

    /// A window's `start_at`/`starts_at` and `end_at`/`ends_at`; the end must not come before the start.
    private static func bounds(of window: InputObject) throws(InputError) -> (Timestamp, Timestamp) {
        let startAt = try window.requiredTimestamp("start_at", "starts_at")
        let endAt = try window.requiredTimestamp("end_at", "ends_at")
        guard startAt <= endAt else {
            let name = window.member(["end_at", "ends_at"])?.name ?? "end_at"
            throw InputError(field: window.path(of: name), message: "must not be before the window's start")
        }
        return (startAt, endAt)
    }
}
