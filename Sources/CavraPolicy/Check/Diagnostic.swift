// A finding about a policy: a stable code, where it stands, what is wrong and what to do.

public struct Diagnostic: Sendable, Equatable {
    public enum Severity: String, Sendable { case error, warning }

    public var code: String
    public var severity: Severity
    public var span: SourceSpan
    public var message: String
    public var help: String?

    public init(
        _ code: String, _ severity: Severity = .error, at span: SourceSpan, _ message: String,
        help: String? = nil
    ) {
        self.code = code
        self.severity = severity
        self.span = span
        self.message = message
        self.help = help
    }

    public var isError: Bool { severity == .error }
}
