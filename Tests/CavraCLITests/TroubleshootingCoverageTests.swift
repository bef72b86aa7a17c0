// Keeps docs/troubleshooting.md complete: every policy diagnostic code and every API error code the sources can
// produce must appear on that page, written in backticks.

import CavraDrills
import CavraJSON
import Foundation
import Testing

@Suite struct TroubleshootingCoverageTests {
    static let page = "docs/troubleshooting.md"

    /// Where each code is defined, by code: the first source file that names it.
    typealias Found = [String: String]

    @Test func everyDiagnosticCodeIsDocumented() throws {
        let codes = try Self.scan(directories: ["Sources"], extensions: ["swift"], pattern: #"\bCAV[0-9]{3}\b"#)
        // Guards against a scan that silently finds nothing: the first and the last code are always there.
        #expect(codes["CAV001"] != nil, "the scan found no CAV001 in Sources/")
        #expect(codes["CAV101"] != nil, "the scan found no CAV101 in Sources/")
        try Self.expectDocumented(codes, what: "policy diagnostic")
    }

    @Test func everyAPIErrorCodeIsDocumented() throws {
        // Codes given where an error is made: `code: "…"` (APIError, ServiceError.notFound/.conflict, the
        // console's own errors) and `body["code"] = "…"` (/readyz).
        var codes = try Self.scan(
            directories: ["Sources/CavraServer", "Sources/CavraDrills"], extensions: ["swift", "js"],
            pattern: #"(?:\bcode:\s*|\["code"\]\s*=\s*)"([a-z][a-z0-9_]*)""#)
        for error in Self.serviceErrors {
            if let code = Self.fixedCode(of: error), codes[code] == nil { codes[code] = "ServiceError.code" }
        }
        for outcome in BulkResult.Outcome.allCases where codes[outcome.rawValue] == nil {
            codes[outcome.rawValue] = "BulkResult.Outcome"
        }
        for known in ["body_too_large", "malformed_json", "invalid_field", "missing_token", "unknown_schedule"] {
            #expect(codes[known] != nil, "the scan did not find `\(known)`: has the way codes are written changed?")
        }
        try Self.expectDocumented(codes, what: "API error")
    }

    /// A test of the test: a page without a code is reported, naming it.
    @Test func aMissingCodeIsNamed() {
        let missing = Self.missing(["CAV001": "a.swift", "forbidden": "b.swift"], in: "only `CAV001` here")
        #expect(missing == ["`forbidden` (b.swift)"])
    }

    // MARK: Codes the sources declare without a literal next to `code:`

    /// One value of every `ServiceError` case.
    static let serviceErrors: [ServiceError] = [
        .badInput(field: "f", detail: ""), .notFound(code: "", detail: ""),
        .conflict(code: "", detail: "", currentState: nil, candidates: []), .forbidden(detail: "", decision: .null),
        .missingObligation(missing: [], decision: .null), .store(detail: ""),
    ]

    /// The code a case always answers with, or nil when the code is given where the error is made (and found by
    /// the scan). Exhaustive on purpose: a new case does not compile until it is sorted here.
    static func fixedCode(of error: ServiceError) -> String? {
        switch error {
        case .badInput, .forbidden, .missingObligation, .store: error.code
        case .notFound, .conflict: nil
        }
    }

    // MARK: Scanning

    /// Every match of `pattern` (its first group when it has one) in the files below `directories`.
    static func scan(directories: [String], extensions: Set<String>, pattern: String) throws -> Found {
        let expression = try NSRegularExpression(pattern: pattern)
        var found: Found = [:]
        let manager = FileManager.default
        for directory in directories {
            let root = repositoryRoot.appendingPathComponent(directory)
            let files = (manager.subpaths(atPath: root.path) ?? [])
                .filter { extensions.contains(($0 as NSString).pathExtension) }.sorted()
            for file in files {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                let range = NSRange(text.startIndex..., in: text)
                for match in expression.matches(in: text, range: range) {
                    let group = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
                    guard let codeRange = Range(group, in: text) else { continue }
                    let code = String(text[codeRange])
                    if found[code] == nil { found[code] = "\(directory)/\(file)" }
                }
            }
        }
        return found
    }

    static func expectDocumented(_ codes: Found, what: String) throws {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent(page), encoding: .utf8)
        for entry in missing(codes, in: text) {
            Issue.record("\(page) does not document the \(what) code \(entry)")
        }
    }

    /// The codes `text` does not name in backticks, each with where it is defined, sorted.
    static func missing(_ codes: Found, in text: String) -> [String] {
        codes.keys.sorted().filter { !text.contains("`\($0)`") }.map { "`\($0)` (\(codes[$0]!))" }
    }
}
