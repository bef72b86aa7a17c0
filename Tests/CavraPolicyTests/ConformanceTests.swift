// Runs the language-neutral conformance corpus in Tests/Conformance (format: its README.md).

import CavraJSON
import CavraPolicy
import Foundation
import Testing

struct ConformanceCase: CustomTestStringConvertible, Sendable {
    var directory: String
    var testDescription: String { directory }

    static let root = Fixtures.repositoryRoot.appendingPathComponent("Tests/Conformance")

    static var all: [ConformanceCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return names.filter { name in
            FileManager.default.fileExists(atPath: root.appendingPathComponent("\(name)/cases.json").path)
        }.sorted().map { ConformanceCase(directory: $0) }
    }

    func load() throws -> (policy: String, cases: [JSON]) {
        let directory = Self.root.appendingPathComponent(self.directory)
        let policy = try String(contentsOf: directory.appendingPathComponent("policy.cavra"), encoding: .utf8)
        let casesText = try String(contentsOf: directory.appendingPathComponent("cases.json"), encoding: .utf8)
        let cases = try #require(try JSON.parse(casesText)["cases"]?.arrayValue)
        return (policy, cases)
    }
}

@Suite struct ConformanceTests {
    @Test func corpusHasAtLeastOneHundredFiftyCasesAndEveryDiagnosticCode() throws {
        let cases = try ConformanceCase.all.flatMap { try $0.load().cases }
        #expect(cases.count >= 150)
        let codes = Set(cases.flatMap { $0["diagnostics"]?.arrayValue ?? [] }.compactMap { $0["code"]?.stringValue })
        let all = [
            "CAV001", "CAV002", "CAV010", "CAV011", "CAV020", "CAV021", "CAV022", "CAV023", "CAV024", "CAV030",
            "CAV031", "CAV032", "CAV033", "CAV034", "CAV040", "CAV041", "CAV042", "CAV043", "CAV050", "CAV051",
            "CAV100", "CAV101",
        ]
        #expect(codes == Set(all))
    }

    @Test(arguments: ConformanceCase.all)
    func conformance(_ corpusCase: ConformanceCase) throws {
        let (text, cases) = try corpusCase.load()
        let compilation = Fixtures.compile(text)
        for entry in cases {
            let name = entry["name"]?.stringValue ?? "?"
            if let expected = entry["diagnostics"]?.arrayValue {
                let actual = compilation.diagnostics.map { diagnostic -> JSON in
                    [
                        "code": .string(diagnostic.code), "severity": .string(diagnostic.severity.rawValue),
                        "line": .int(Int64(diagnostic.span.line)), "column": .int(Int64(diagnostic.span.column)),
                    ]
                }
                #expect(actual == expected, "\(name): \(compilation.renderedDiagnostics())")
                // Golden text: the exact diagnostics a person reads (§7).
                let golden = try String(
                    contentsOf: ConformanceCase.root.appendingPathComponent(
                        "\(corpusCase.directory)/expected-diagnostics.txt"), encoding: .utf8)
                let rendered = compilation.renderedDiagnostics()
                #expect(rendered == golden, "\(name):\n\(rendered)")
                continue
            }
            // A decision directory's policy is valid without a single warning.
            #expect(compilation.diagnostics.isEmpty, "\(name): \(compilation.renderedDiagnostics())")
            let policy = try #require(compilation.policy, "\(name): \(compilation.renderedDiagnostics())")
            let request = try PolicyRequest(json: try #require(entry["request"]))
            let expect = try #require(entry["expect"])
            let decision = policy.evaluate(request, trace: true)
            let json = decision.json()
            for field in ["decision", "determining", "obligations", "reasons", "enforced"] {
                if let wanted = expect[field] { #expect(json[field] == wanted, "\(name): \(field)") }
            }
            if let wanted = expect["errors"]?.arrayValue {
                let actual = decision.errors.map { error -> JSON in
                    [
                        "rule": .string(policy.rules[error.rule].id), "line": .int(Int64(error.location.line)),
                        "column": .int(Int64(error.location.column)),
                    ]
                }
                #expect(actual == wanted, "\(name): errors \(json["errors"]?.serialized() ?? "")")
            }
            if let wanted = expect["trace"]?.arrayValue {
                let actual = (json["trace"]?["rules"]?.arrayValue ?? []).map { rule -> JSON in
                    ["rule": rule["rule"] ?? .null, "outcome": rule["outcome"] ?? .null]
                }
                #expect(actual == wanted, "\(name): trace")
            }
            // The trace and the index are optimisations of the same semantics (§5.8).
            for (trace, indexed) in [(false, true), (false, false), (true, true)] {
                let other = policy.evaluate(request, trace: trace, indexed: indexed)
                #expect(other.allow == decision.allow, "\(name): trace \(trace) indexed \(indexed)")
                #expect(other.determiningIds == decision.determiningIds)
                #expect(other.obligationNames == decision.obligationNames)
                #expect(other.errors == decision.errors)
            }
        }
    }
}
