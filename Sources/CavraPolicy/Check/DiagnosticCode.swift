// Every code a policy diagnostic can carry, with when it is reported and how to fix it (policy-language.md, Codes).

public struct DiagnosticCode: Sendable {
    /// `CAV001` … `CAV101`.
    public var id: String
    public var severity: Diagnostic.Severity
    /// When the code is reported.
    public var summary: String
    /// What to do about it.
    public var fix: String

    public init(_ id: String, _ severity: Diagnostic.Severity = .error, summary: String, fix: String) {
        self.id = id
        self.severity = severity
        self.summary = summary
        self.fix = fix
    }

    /// Every code, in the order of the documentation's table.
    public static let all: [DiagnosticCode] = [
        DiagnosticCode(
            "CAV001", summary: "syntax error, or a file that is not valid UTF-8",
            fix: "complete the statement; the message names what may come next"),
        DiagnosticCode(
            "CAV002", summary: "more than 64 nesting levels, or roles and lets that refer to each other too deeply",
            fix: "flatten the expression, or move parts into roles or lets; shorten the chain of roles"),
        DiagnosticCode(
            "CAV010", summary: "no file has a `policy` header",
            fix: "add `policy \"id\" version \"…\"` as the first statement of one file"),
        DiagnosticCode(
            "CAV011", summary: "a second `policy` header, or a header that is not its file's first statement",
            fix: "keep one header, first in its file"),
        DiagnosticCode(
            "CAV020", summary: "unknown attribute, or `[…]` / `.` on something that is not a map",
            fix: "use an attribute of the request; the help names the nearest one"),
        DiagnosticCode(
            "CAV021", summary: "a name that is neither a role nor a let",
            fix: "fix the spelling, or declare the role or let"),
        DiagnosticCode(
            "CAV022", summary: "type mismatch",
            fix: "use operands of matching types: `route.age > 30m`"),
        DiagnosticCode(
            "CAV023", summary: "a condition or role expression that is not a bool",
            fix: "compare the value: `when route.environment == \"production\"`"),
        DiagnosticCode(
            "CAV024", summary: "a string literal outside an attribute's value set, in a comparison or a test fixture",
            fix: "use one of the attribute's values; the help suggests the nearest"),
        DiagnosticCode(
            "CAV030", summary: "unknown action",
            fix: "use one of the six actions, or `*`"),
        DiagnosticCode(
            "CAV031", summary: "`by` names something that is not a role",
            fix: "name a role, or `anyone`"),
        DiagnosticCode(
            "CAV032", summary: "unknown obligation",
            fix: "use `note` or `external_ref`"),
        DiagnosticCode(
            "CAV033", summary: "`require` on a forbid",
            fix: "remove it, or move it to the permit it belongs to"),
        DiagnosticCode(
            "CAV034", summary: "a repeated `because` or annotation, an annotation other than `@id`, or an empty id",
            fix: "keep one `@id(\"…\")` with a non-empty id and one `because`"),
        DiagnosticCode(
            "CAV040", summary: "duplicate rule id, or two rules without `@id` starting on one line",
            fix: "give each rule its own `@id`"),
        DiagnosticCode(
            "CAV041", summary: "duplicate role or let name",
            fix: "rename or remove one"),
        DiagnosticCode(
            "CAV042", summary: "a cycle among roles or lets, or a role reading `actor.roles`",
            fix: "break the cycle; in a role use other roles by name, not `actor.roles`"),
        DiagnosticCode(
            "CAV043", summary: "a let that reads an attribute or a role",
            fix: "make it a role, or write the condition in the rule"),
        DiagnosticCode(
            "CAV050",
            summary: "a test fixture field that is unknown, wrongly typed, repeated, or `actor.roles`; "
                + "a repeated fixture block",
            fix: "use the fixture fields and their types; roles are computed, give `groups` instead"),
        DiagnosticCode(
            "CAV051", summary: "`expect … deny require …`, or `expect … by` an unknown rule id",
            fix: "drop `require` from a deny; name existing rule ids"),
        DiagnosticCode(
            "CAV100", .warning,
            summary: "a permit that can never determine an allow, because a forbid without conditions covers "
                + "all its actions and principals",
            fix: "narrow the forbid or remove the permit"),
        DiagnosticCode(
            "CAV101", .warning, summary: "a role or let that nothing uses",
            fix: "use it or delete it"),
    ]
}
