// `cavra policy validate`: exit codes, the text diagnostics of policy-language.md §7, `--strict` and `--format json`.

import CavraJSON
import Foundation
import Testing

/// A one-file policy whose only problem is the misspelled attribute `route.enviroment` on line 12.
private let misspelledPolicyLines = [
    "policy \"cli-fixture\" version \"1.0.0\"",
    "description \"A policy with one misspelled attribute.\"",
    "",
    "# Incident commanders act on routes.",
    "role incident-commander = \"incident-commanders\" in actor.groups",
    "",
    "@id(\"ic-acknowledges\")",
    "permit acknowledge by incident-commander",
    "",
    "@id(\"ic-escalates-production\")",
    "permit escalate by incident-commander",
    "  when route.enviroment == \"production\"",
]

/// The §7 text of the CAV020 diagnostic for `route.enviroment` in `lines`, printed under `path`.
private func unknownAttributeDiagnostic(path: String, lines: [String]) throws -> String {
    let index = try #require(lines.firstIndex { $0.contains("route.enviroment") })
    let text = lines[index]
    let start = try #require(text.range(of: "route.enviroment"))
    let column = text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: start.lowerBound) + 1
    let lineNumber = String(index + 1)
    let gutter = String(repeating: " ", count: 5 - lineNumber.count) + lineNumber
    let indent = String(text.prefix { $0 == " " || $0 == "\t" })
    let padding = indent + String(repeating: " ", count: column - 1 - indent.unicodeScalars.count)
    return [
        "\(path):\(index + 1):\(column): error[CAV020]: unknown attribute `route.enviroment`",
        "\(gutter) | \(text)",
        "      | \(padding)\(String(repeating: "^", count: "route.enviroment".count))",
        "      = help: did you mean `route.environment`?",
    ].joined(separator: "\n")
}

/// A valid policy whose role `auditor` is never used (warning CAV101).
private let unusedRolePolicy = """
    policy "unused-role" version "1.0.0"

    role incident-commander = "incident-commanders" in actor.groups
    role auditor = "auditors" in actor.groups

    @id("ic-acknowledges")
    permit acknowledge by incident-commander

    """

@Suite("cavra policy validate")
struct ValidateTests {
    @Test("the repository's policy is valid")
    func repositoryPolicyIsValid() throws {
        let run = try cavra(["policy", "validate", "policy/"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        let facts = try PolicyFacts(directory: repositoryPolicy)
        #expect(
            run.stdout
                == "valid: rollback-drills 1.0.0 (\(facts.ruleCount) rules, \(facts.testCount) tests, 0 warnings)\n")
    }

    @Test("PATH defaults to policy/")
    func defaultPath() throws {
        let run = try cavra(["policy", "validate"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("valid: rollback-drills 1.0.0 "))
    }

    @Test("an unknown attribute prints the §7 diagnostic on stderr and exits 1")
    func unknownAttributeText() throws {
        try withTemporaryDirectory { directory in
            try write(misspelledPolicyLines.joined(separator: "\n") + "\n", to: "drills.cavra", in: directory)
            let run = try cavra(["policy", "validate", "drills.cavra"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            let diagnostic = try unknownAttributeDiagnostic(path: "drills.cavra", lines: misspelledPolicyLines)
            #expect(diagnostic.hasPrefix("drills.cavra:12:8: error[CAV020]: unknown attribute `route.enviroment`\n"))
            #expect(run.stderr == diagnostic + "\n" + "invalid: 1 error, 0 warnings\n")
        }
    }

    @Test("the diagnostic path is PATH as given, joined with the file's name for a directory")
    func diagnosticPathIsPathAsGiven() throws {
        try withTemporaryDirectory { directory in
            try write(
                misspelledPolicyLines.joined(separator: "\n") + "\n", to: "nested/policy/drills.cavra", in: directory)
            let expected = try unknownAttributeDiagnostic(
                path: "nested/policy/drills.cavra", lines: misspelledPolicyLines)
            for path in ["nested/policy", "nested/policy/", "nested/policy/drills.cavra"] {
                let run = try cavra(["policy", "validate", path], cwd: directory)
                #expect(run.status == 1)
                #expect(run.stderr.hasPrefix(expected + "\n"), "PATH \(path): \(run.stderr)")
            }
        }
    }

    @Test("the caret line repeats the line's leading tabs and counts columns in code points")
    func caretLineWithTabsAndWideCharacters() throws {
        let lines = [
            "policy \"tabs\"",
            "role ic = \"incident-commanders\" in actor.groups",
            "permit acknowledge by ic",
            "\twhen \"\u{FC}n\u{EF}code\" != \"x\" and route.enviroment == \"production\"",
        ]
        try withTemporaryDirectory { directory in
            try write(lines.joined(separator: "\n") + "\n", to: "tabs.cavra", in: directory)
            let run = try cavra(["policy", "validate", "tabs.cavra"], cwd: directory)
            #expect(run.status == 1)
            let expected = try unknownAttributeDiagnostic(path: "tabs.cavra", lines: lines)
            #expect(expected.hasPrefix("tabs.cavra:4:28: "))
            #expect(run.stderr.hasPrefix(expected + "\n"), "\(run.stderr)")
        }
    }

    @Test("a warning exits 0, and 1 with --strict")
    func strictTurnsWarningsIntoFailure() throws {
        try withTemporaryDirectory { directory in
            try write(unusedRolePolicy, to: "policy.cavra", in: directory)

            let lenient = try cavra(["policy", "validate", "policy.cavra"], cwd: directory)
            #expect(lenient.status == 0)
            #expect(lenient.stderr.contains("policy.cavra:4:6: warning[CAV101]: "), "\(lenient.stderr)")
            #expect(lenient.stderr.contains("auditor"))
            #expect(lenient.stdout == "valid: unused-role 1.0.0 (1 rule, 0 tests, 1 warning)\n")

            let strict = try cavra(["policy", "validate", "policy.cavra", "--strict"], cwd: directory)
            #expect(strict.status == 1)
            #expect(strict.stderr.contains("warning[CAV101]"))
            #expect(strict.stdout == "")

            let strictJSON = try cavra(
                ["policy", "validate", "policy.cavra", "--strict", "--format", "json"], cwd: directory)
            #expect(strictJSON.status == 1)
            let json = try JSON.parse(strictJSON.stdout)
            #expect(json["valid"] == JSON.bool(false))
            #expect(json["diagnostics"]?.arrayValue?.first?["code"]?.stringValue == "CAV101")
            #expect(json["diagnostics"]?.arrayValue?.first?["severity"]?.stringValue == "warning")
        }
    }

    @Test("--format json prints {valid, policy, diagnostics} on stdout")
    func jsonFormatInvalid() throws {
        try withTemporaryDirectory { directory in
            try write(misspelledPolicyLines.joined(separator: "\n") + "\n", to: "drills.cavra", in: directory)
            let run = try cavra(["policy", "validate", "drills.cavra", "--format", "json"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            let json = try JSON.parse(run.stdout)
            #expect(json.objectValue?.keys == ["valid", "policy", "diagnostics"])
            #expect(json["valid"] == JSON.bool(false))
            #expect(json["policy"] == JSON.null)
            let diagnostics = try #require(json["diagnostics"]?.arrayValue)
            #expect(diagnostics.count == 1)
            let diagnostic = try #require(diagnostics.first?.objectValue)
            #expect(
                Set(diagnostic.keys)
                    == ["code", "severity", "file", "line", "column", "end_column", "message", "help"])
            #expect(diagnostic["code"] == JSON.string("CAV020"))
            #expect(diagnostic["severity"] == JSON.string("error"))
            #expect(diagnostic["file"] == JSON.string("drills.cavra"))
            #expect(diagnostic["line"] == JSON.int(12))
            #expect(diagnostic["column"] == JSON.int(8))
            #expect(diagnostic["end_column"] == JSON.int(8 + Int64("route.enviroment".count)))
            #expect(diagnostic["message"] == JSON.string("unknown attribute `route.enviroment`"))
            #expect(diagnostic["help"] == JSON.string("did you mean `route.environment`?"))
        }
    }

    @Test("--format json on a valid policy names it, with its hash and files")
    func jsonFormatValid() throws {
        let run = try cavra(["policy", "validate", "policy/", "--format", "json"])
        #expect(run.status == 0)
        let json = try JSON.parse(run.stdout)
        #expect(json["valid"] == JSON.bool(true))
        #expect(json["diagnostics"] == JSON.array([]))
        let facts = try PolicyFacts(directory: repositoryPolicy)
        #expect(json["policy"]?["id"] == JSON.string("rollback-drills"))
        #expect(json["policy"]?["version"] == JSON.string("1.0.0"))
        #expect(json["policy"]?["sha256"] == JSON.string(try sha256sum(facts.hashInput)))
        #expect(json["policy"]?["files"] == JSON.array(facts.files.map { .string($0.name) }))
    }

    @Test("a directory policy reports diagnostics in each of its files under their joined paths")
    func directoryWithTwoFiles() throws {
        try withTemporaryDirectory { directory in
            try write(
                """
                policy "two-files"

                role ic = "incident-commanders" in actor.groups

                permit acknowledge by ic
                  when route.enviroment == "production"

                """, to: "pol/a.cavra", in: directory)
            try write(
                """
                # Second file.
                permit escalate by ic
                  when route.severity == "critcal"

                """, to: "pol/sub/b.cavra", in: directory)
            let run = try cavra(["policy", "validate", "pol"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr.contains("pol/a.cavra:6:8: error[CAV020]: unknown attribute `route.enviroment`\n"))
            #expect(run.stderr.contains("pol/sub/b.cavra:3:26: error[CAV024]: "), "\(run.stderr)")
            #expect(run.stderr.contains("    3 |   when route.severity == \"critcal\"\n"))
            #expect(run.stderr.hasSuffix("invalid: 2 errors, 0 warnings\n"))

            let json = try JSON.parse(
                try cavra(["policy", "validate", "pol", "--format", "json"], cwd: directory).stdout)
            let files = json["diagnostics"]?.arrayValue?.compactMap { $0["file"]?.stringValue }
            #expect(files == ["pol/a.cavra", "pol/sub/b.cavra"])
        }
    }

    @Test("a directory without .cavra files is invalid, and the diagnostic names that directory")
    func emptyDirectory() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("empty-rules"), withIntermediateDirectories: true)
            let run = try cavra(["policy", "validate", "empty-rules"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr.contains("error[CAV010]: missing `policy` header"))
            #expect(run.stderr.hasPrefix("empty-rules"), "the path a person would open is PATH: \(run.stderr)")
        }
    }

    @Test("a PATH that does not exist exits 2")
    func missingPath() throws {
        try withTemporaryDirectory { directory in
            let run = try cavra(["policy", "validate", "no-such-policy/"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr.contains("no-such-policy/"))
        }
    }

    @Test(
        "usage errors exit 2",
        arguments: [
            ["policy", "validate", "policy/", "--bogus"],
            ["policy", "validate", "policy/", "--format", "yaml"],
            ["policy", "validate", "policy/", "--format"],
            ["policy", "validate", "policy/", "policy/"],
        ])
    func usageErrors(_ args: [String]) throws {
        let run = try cavra(args)
        #expect(run.status == 2, "\(args): \(run.stderr)")
        #expect(run.stdout == "")
        #expect(!run.stderr.isEmpty)
    }
}
