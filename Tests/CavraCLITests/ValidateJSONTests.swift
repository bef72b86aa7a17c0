// `cavra policy validate --format json` beyond the cases of ValidateTests: warnings of a valid policy, a policy
// without a version, a diagnostic without help, and `--strict` on a policy whose only problems are warnings.

import CavraJSON
import Foundation
import Testing

/// A valid one-file policy without a version whose role `unused` is never used (warning CAV101 on line 3).
private let warningPolicy = """
    policy "no-version"
    role ic = "incident-commanders" in actor.groups
    role unused = "x" in actor.groups

    @id("a")
    permit acknowledge by ic

    """

@Suite("cavra policy validate --format json")
struct ValidateJSONTests {
    @Test("a valid policy with a warning: valid, the policy named, the warning listed, nothing on stderr")
    func validWithWarning() throws {
        try withTemporaryDirectory { directory in
            try write(warningPolicy, to: "warned.cavra", in: directory)
            let run = try cavra(["policy", "validate", "warned.cavra", "--format", "json"], cwd: directory)
            #expect(run.status == 0)
            #expect(run.stderr == "")
            #expect(run.stdout.hasSuffix("}\n"))
            let json = try JSON.parse(run.stdout)
            #expect(json.objectValue?.keys == ["valid", "policy", "diagnostics"])
            #expect(json["valid"] == JSON.bool(true))
            let policy = try #require(json["policy"]?.objectValue)
            #expect(policy.keys == ["id", "version", "sha256", "files"])
            #expect(json["policy"]?["id"] == JSON.string("no-version"))
            #expect(json["policy"]?["version"] == JSON.null)
            // A one-file policy is hashed over the file's bytes, and its one file is named by its own name.
            #expect(json["policy"]?["sha256"] == JSON.string(try sha256sum(Array(warningPolicy.utf8))))
            #expect(json["policy"]?["files"] == JSON.array([.string("warned.cavra")]))
            #expect(
                json["diagnostics"]
                    == JSON.array([
                        JSON.object([
                            "code": .string("CAV101"), "severity": .string("warning"), "file": .string("warned.cavra"),
                            "line": .int(3), "column": .int(6), "end_column": .int(12),
                            "message": .string("role `unused` is never used"),
                            "help": .string("remove it, or use it in a rule"),
                        ])
                    ]))
        }
    }

    @Test("with --strict a policy whose only problems are warnings is not valid, and stays named")
    func strictWarnings() throws {
        try withTemporaryDirectory { directory in
            try write(warningPolicy, to: "warned.cavra", in: directory)
            let run = try cavra(["policy", "validate", "warned.cavra", "--format", "json", "--strict"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            let json = try JSON.parse(run.stdout)
            #expect(json["valid"] == JSON.bool(false))
            #expect(json["policy"]?["id"] == JSON.string("no-version"))
            #expect(json["diagnostics"]?.arrayValue?.map { $0["code"]?.stringValue } == ["CAV101"])
        }
    }

    @Test("a syntax error: policy null and a diagnostic whose help is null")
    func syntaxErrorWithoutHelp() throws {
        try withTemporaryDirectory { directory in
            try write("policy \"broken\"\npermit\n", to: "broken.cavra", in: directory)
            let run = try cavra(["policy", "validate", "broken.cavra", "--format", "json"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            let json = try JSON.parse(run.stdout)
            #expect(json["valid"] == JSON.bool(false))
            #expect(json["policy"] == JSON.null)
            let diagnostics = try #require(json["diagnostics"]?.arrayValue)
            try #require(diagnostics.count == 1)
            #expect(diagnostics[0]["code"] == JSON.string("CAV001"))
            #expect(diagnostics[0]["severity"] == JSON.string("error"))
            #expect(diagnostics[0]["file"] == JSON.string("broken.cavra"))
            #expect(diagnostics[0]["message"] == JSON.string("expected an action name or `*`, found end of file"))
            #expect(diagnostics[0]["help"] == JSON.null)
        }
    }

    @Test("a PATH that does not exist exits 2 with the message on stderr, not JSON on stdout")
    func missingPath() throws {
        try withTemporaryDirectory { directory in
            let run = try cavra(["policy", "validate", "missing/", "--format", "json"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr == "error: policy path `missing/` does not exist\n")
        }
    }
}
