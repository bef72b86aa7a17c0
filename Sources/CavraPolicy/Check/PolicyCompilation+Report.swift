// Diagnostics as people read them (`path:line:column`, the line, a caret, a help line) and as JSON.

import CavraJSON

extension PolicyCompilation {
    /// Every diagnostic in the text form of policy-language.md §7, each followed by a blank line.
    public func renderedDiagnostics() -> String {
        diagnostics.map { render($0) + "\n" }.joined(separator: "\n")
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        let span = diagnostic.span
        let heading = "\(severityLabel(diagnostic))[\(diagnostic.code)]: \(diagnostic.message)"
        guard span.file < source.files.count else {
            return "\(source.path): \(heading)"
        }
        let file = source.files[span.file]
        var lines = ["\(file.displayPath):\(span.line):\(span.column): \(heading)"]
        let text = file.line(span.line)
        let number = String(span.line)
        lines.append(String(repeating: " ", count: max(0, 5 - number.count)) + number + " | " + text)
        let scalars = Array(text.unicodeScalars)
        var prefix = String.UnicodeScalarView()
        for index in 0..<max(0, span.column - 1) {
            prefix.append(index < scalars.count && scalars[index] == "\t" ? "\t" : " ")
        }
        let end = span.endLine == span.line ? span.endColumn : scalars.count + 1
        let carets = String(repeating: "^", count: max(1, end - span.column))
        lines.append("      | " + String(prefix) + carets)
        if let help = diagnostic.help { lines.append("      = help: \(help)") }
        return lines.joined(separator: "\n")
    }

    private func severityLabel(_ diagnostic: Diagnostic) -> String {
        diagnostic.severity.rawValue
    }

    /// `{valid, policy: {id, version, sha256, files} | null, diagnostics: […]}` (`validate --format json`).
    public func json(strict: Bool = false) -> JSON {
        var policyJSON = JSON.null
        if let policy, case .object(var identity) = policy.identityJSON {
            identity["files"] = .array(source.files.map { .string($0.name) })
            policyJSON = .object(identity)
        }
        let entries: [JSON] = diagnostics.map { diagnostic in
            [
                "code": .string(diagnostic.code), "severity": .string(diagnostic.severity.rawValue),
                "file": .string(
                    diagnostic.span.file < source.files.count
                        ? source.files[diagnostic.span.file].displayPath : source.path),
                "line": .int(Int64(diagnostic.span.line)), "column": .int(Int64(diagnostic.span.column)),
                "end_column": .int(
                    Int64(
                        diagnostic.span.endLine == diagnostic.span.line
                            ? diagnostic.span.endColumn : diagnostic.span.column + 1)),
                "message": .string(diagnostic.message), "help": diagnostic.help.map(JSON.string) ?? .null,
            ]
        }
        return ["valid": .bool(isValid(strict: strict)), "policy": policyJSON, "diagnostics": .array(entries)]
    }

    /// Valid: no errors, and with `strict` no warnings either.
    public func isValid(strict: Bool) -> Bool {
        policy != nil && (!strict || warningCount == 0)
    }
}
