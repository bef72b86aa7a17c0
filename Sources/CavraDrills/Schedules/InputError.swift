// A schedule or history file that cannot be used: which field, and what is wrong with it.

public struct InputError: Error, Equatable, CustomStringConvertible {
    /// Where the problem is: `owner_routes.release-governance.ack_minutes`, `maintenance_windows[0].start_at`.
    /// Fields are named as the file spells them, aliases included.
    public var field: String
    /// Lower case, no final period, the file's values in backticks.
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}
