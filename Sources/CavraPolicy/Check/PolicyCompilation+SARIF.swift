// Diagnostics as SARIF 2.1.0 (`validate --format sarif`), for code-scanning tools and editors.

import CavraJSON

extension PolicyCompilation {
    /// One SARIF log with one run: every code as a rule, every diagnostic as a result. Files are named relative to
    /// `currentDirectory` (an absolute path) under the base id `%SRCROOT%`; a file outside it by a `file://` URI.
    public func sarif(currentDirectory: String) -> JSON {
        let rules = DiagnosticCode.all
        let ruleIndex = Dictionary(uniqueKeysWithValues: rules.enumerated().map { ($1.id, $0) })
        let results: [JSON] = diagnostics.map { diagnostic in
            var result: JSONObject = ["ruleId": .string(diagnostic.code)]
            if let index = ruleIndex[diagnostic.code] { result["ruleIndex"] = .int(Int64(index)) }
            result["level"] = .string(diagnostic.severity.rawValue)
            let help = diagnostic.help.map { "\nhelp: \($0)" } ?? ""
            result["message"] = ["text": .string(diagnostic.message + help)]
            result["locations"] = [location(of: diagnostic.span, currentDirectory: currentDirectory)]
            return .object(result)
        }
        let driver: JSON = ["name": "cavra", "rules": .array(rules.map(\.sarifRule))]
        let run: JSON = [
            "tool": ["driver": driver], "columnKind": "unicodeCodePoints", "results": .array(results),
        ]
        return [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": [run],
        ]
    }

    private func location(of span: SourceSpan, currentDirectory: String) -> JSON {
        // A finding about the policy as a whole (a directory without files) names PATH and no region.
        guard span.file < source.files.count else {
            let path = source.path.hasSuffix("/") ? source.path : source.path + "/"
            return ["physicalLocation": ["artifactLocation": Self.artifact(path, currentDirectory: currentDirectory)]]
        }
        var region: JSONObject = [
            "startLine": .int(Int64(span.line)), "startColumn": .int(Int64(span.column)),
        ]
        if span.endLine != span.line { region["endLine"] = .int(Int64(span.endLine)) }
        region["endColumn"] = .int(Int64(span.endColumn))
        let artifact = Self.artifact(source.files[span.file].displayPath, currentDirectory: currentDirectory)
        return ["physicalLocation": ["artifactLocation": artifact, "region": .object(region)]]
    }

    /// `{uri, uriBaseId}` for a path below `currentDirectory`, `{uri}` with a `file://` URI for one outside it.
    private static func artifact(_ path: String, currentDirectory: String) -> JSON {
        let directory = lexicalComponents(currentDirectory)
        let components = lexicalComponents(path.hasPrefix("/") ? path : currentDirectory + "/" + path)
        let trailingSlash = path.hasSuffix("/") ? "/" : ""
        if components.count > directory.count, Array(components.prefix(directory.count)) == directory {
            let relative = components.dropFirst(directory.count).map(percentEncoded).joined(separator: "/")
            return ["uri": .string(relative + trailingSlash), "uriBaseId": "%SRCROOT%"]
        }
        let absolute = components.map(percentEncoded).joined(separator: "/")
        return ["uri": .string("file:///" + absolute + trailingSlash)]
    }

    /// The components of an absolute path with `.` and empty components dropped and `..` applied.
    private static func lexicalComponents(_ path: String) -> [String] {
        var components: [String] = []
        for component in path.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": if !components.isEmpty { components.removeLast() }
            default: components.append(String(component))
            }
        }
        return components
    }

    /// A path segment with every byte outside RFC 3986's unreserved characters percent-encoded.
    private static func percentEncoded(_ segment: String) -> String {
        let hex = Array("0123456789ABCDEF")
        var encoded = ""
        for byte in segment.utf8 {
            let scalar = Unicode.Scalar(byte)
            if ("0"..."9").contains(scalar) || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || "-._~".unicodeScalars.contains(scalar)
            {
                encoded.unicodeScalars.append(scalar)
            } else {
                encoded += "%\(hex[Int(byte >> 4)])\(hex[Int(byte & 0x0F)])"
            }
        }
        return encoded
    }
}

extension DiagnosticCode {
    /// A SARIF `reportingDescriptor`.
    fileprivate var sarifRule: JSON {
        [
            "id": .string(id), "shortDescription": ["text": .string(summary)], "help": ["text": .string(fix)],
            "defaultConfiguration": ["level": .string(severity.rawValue)],
        ]
    }
}
