// `cavra policy validate --format sarif`: SARIF 2.1.0 on stdout, its structure, rules, results and locations.

import CavraJSON
import Foundation
import Testing

/// The documentation's draft policy: an unused role on line 4 (CAV101) and a misspelled attribute on line 8 (CAV020).
private let draftPolicy = """
    policy "draft" version "0.1.0"

    role incident-commander = "incident-commanders" in actor.groups
    role auditor = "auditors" in actor.groups

    @id("ic-escalates-production")
    permit escalate by incident-commander
      when route.enviroment == "production"

    """

/// A valid policy whose only problem is an unused role on line 3 (warning CAV101).
private let warningPolicy = """
    policy "warned"
    role ic = "incident-commanders" in actor.groups
    role unused = "x" in actor.groups

    @id("a")
    permit acknowledge by ic

    """

/// Every code the language defines, read from the conformance corpus's directory names (`1NN-cavNNN-…`).
private func conformanceCodes() throws -> Set<String> {
    let corpus = repositoryRoot.appendingPathComponent("Tests/Conformance")
    let names = try FileManager.default.contentsOfDirectory(atPath: corpus.path)
    return Set(
        names.compactMap { name -> String? in
            let parts = name.split(separator: "-")
            guard parts.count > 2, parts[1].hasPrefix("cav") else { return nil }
            return parts[1].uppercased()
        })
}

/// Checks what SARIF 2.1.0 requires of the parts `cavra` writes, and returns the one run.
private func requireSARIFRun(_ log: JSON) throws -> JSONObject {
    #expect(log["$schema"] == JSON.string("https://json.schemastore.org/sarif-2.1.0.json"))
    #expect(log["version"] == JSON.string("2.1.0"))
    let runs = try #require(log["runs"]?.arrayValue)
    try #require(runs.count == 1)
    let run = try #require(runs[0].objectValue)
    let driver = try #require(run["tool"]?["driver"])
    #expect(driver["name"] == JSON.string("cavra"))
    #expect(run["columnKind"] == JSON.string("unicodeCodePoints"))
    let rules = try #require(driver["rules"]?.arrayValue)
    let levels: Set<String> = ["none", "note", "warning", "error"]
    for rule in rules {
        let id = try #require(rule["id"]?.stringValue)
        #expect(id.wholeMatch(of: /CAV[0-9]{3}/) != nil)
        #expect(rule["shortDescription"]?["text"]?.stringValue?.isEmpty == false, "\(id)")
        #expect(rule["help"]?["text"]?.stringValue?.isEmpty == false, "\(id)")
        #expect(levels.contains(rule["defaultConfiguration"]?["level"]?.stringValue ?? ""), "\(id)")
    }
    for result in try #require(run["results"]?.arrayValue) {
        let ruleId = try #require(result["ruleId"]?.stringValue)
        let index = try #require(result["ruleIndex"]?.intValue)
        try #require(rules.indices.contains(Int(index)))
        #expect(rules[Int(index)]["id"]?.stringValue == ruleId)
        #expect(levels.contains(result["level"]?.stringValue ?? ""))
        #expect(result["message"]?["text"]?.stringValue?.isEmpty == false)
        for location in try #require(result["locations"]?.arrayValue) {
            let physical = try #require(location["physicalLocation"])
            #expect(physical["artifactLocation"]?["uri"]?.stringValue?.isEmpty == false)
            guard let region = physical["region"] else { continue }
            let startLine = try #require(region["startLine"]?.intValue)
            let startColumn = try #require(region["startColumn"]?.intValue)
            let endColumn = try #require(region["endColumn"]?.intValue)
            #expect(startLine >= 1 && startColumn >= 1)
            #expect(region["endLine"] != nil || endColumn >= startColumn)
        }
    }
    return run
}

/// The one result's `physicalLocation` as `[uri, uriBaseId, startLine, startColumn, endColumn]`.
private func locationSummary(_ result: JSON) -> [JSON?] {
    let physical = result["locations"]?.arrayValue?.first?["physicalLocation"]
    let region = physical?["region"]
    return [
        physical?["artifactLocation"]?["uri"], physical?["artifactLocation"]?["uriBaseId"], region?["startLine"],
        region?["startColumn"], region?["endColumn"],
    ]
}

@Suite("cavra policy validate --format sarif")
struct PolicySARIFTests {
    @Test("an invalid policy: exit 1, nothing on stderr, each diagnostic a result with its rule, line and column")
    func invalidPolicy() throws {
        try withTemporaryDirectory { directory in
            try write(draftPolicy, to: "draft.cavra", in: directory)
            let run = try cavra(["policy", "validate", "draft.cavra", "--format", "sarif"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            let sarif = try requireSARIFRun(try JSON.parse(run.stdout))
            let results = try #require(sarif["results"]?.arrayValue)
            try #require(results.count == 2)
            #expect(results[0]["ruleId"] == JSON.string("CAV101"))
            #expect(results[0]["level"] == JSON.string("warning"))
            #expect(
                results[0]["message"]?["text"]
                    == JSON.string("role `auditor` is never used\nhelp: remove it, or use it in a rule"))
            #expect(locationSummary(results[0]) == ["draft.cavra", "%SRCROOT%", 4, 6, 13])
            #expect(results[1]["ruleId"] == JSON.string("CAV020"))
            #expect(results[1]["level"] == JSON.string("error"))
            #expect(
                results[1]["message"]?["text"]
                    == JSON.string("unknown attribute `route.enviroment`\nhelp: did you mean `route.environment`?"))
            #expect(locationSummary(results[1]) == ["draft.cavra", "%SRCROOT%", 8, 8, 24])
        }
    }

    @Test("the repository's policy is valid: exit 0 and no results")
    func validPolicy() throws {
        let run = try cavra(["policy", "validate", "policy/", "--format", "sarif"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        let sarif = try requireSARIFRun(try JSON.parse(run.stdout))
        #expect(sarif["results"] == JSON.array([]))
    }

    @Test("the rules are every code of the language, each once, with its default level")
    func rulesCoverEveryCode() throws {
        let run = try cavra(["policy", "validate", "policy/", "--format", "sarif"])
        let sarif = try requireSARIFRun(try JSON.parse(run.stdout))
        let rules = try #require(sarif["tool"]?["driver"]?["rules"]?.arrayValue)
        let ids = rules.compactMap { $0["id"]?.stringValue }
        #expect(ids.count == Set(ids).count)
        #expect(Set(ids) == (try conformanceCodes()))
        for rule in rules {
            let warning = ["CAV100", "CAV101"].contains(rule["id"]?.stringValue ?? "")
            #expect(rule["defaultConfiguration"]?["level"] == JSON.string(warning ? "warning" : "error"))
        }
    }

    @Test("a message without help is the message alone; an error without help still has a region")
    func diagnosticWithoutHelp() throws {
        try withTemporaryDirectory { directory in
            try write("policy \"broken\"\npermit\n", to: "broken.cavra", in: directory)
            let run = try cavra(["policy", "validate", "broken.cavra", "--format", "sarif"], cwd: directory)
            #expect(run.status == 1)
            let results = try #require(try requireSARIFRun(try JSON.parse(run.stdout))["results"]?.arrayValue)
            try #require(results.count == 1)
            #expect(results[0]["ruleId"] == JSON.string("CAV001"))
            #expect(
                results[0]["message"]?["text"] == JSON.string("expected an action name or `*`, found end of file"))
        }
    }

    @Test("a span over two lines ends on its own line and column")
    func spanOverTwoLines() throws {
        try withTemporaryDirectory { directory in
            try write(
                "policy \"m\"\n\n@id(\"a\")\npermit acknowledge\n  when route.age >\n    1800\n", to: "multi.cavra",
                in: directory)
            let run = try cavra(["policy", "validate", "multi.cavra", "--format", "sarif"], cwd: directory)
            #expect(run.status == 1)
            let results = try #require(try requireSARIFRun(try JSON.parse(run.stdout))["results"]?.arrayValue)
            try #require(results.count == 1)
            #expect(results[0]["ruleId"] == JSON.string("CAV022"))
            let region = results[0]["locations"]?.arrayValue?.first?["physicalLocation"]?["region"]
            #expect(region == ["startLine": 5, "startColumn": 8, "endLine": 6, "endColumn": 9])
        }
    }

    @Test("a directory without policy files: the finding names the directory, without a region")
    func emptyDirectory() throws {
        try withTemporaryDirectory { directory in
            try FileManager.default.createDirectory(
                at: directory.appendingPathComponent("empty"), withIntermediateDirectories: true)
            let run = try cavra(["policy", "validate", "empty", "--format", "sarif"], cwd: directory)
            #expect(run.status == 1)
            let results = try #require(try requireSARIFRun(try JSON.parse(run.stdout))["results"]?.arrayValue)
            try #require(results.count == 1)
            #expect(results[0]["ruleId"] == JSON.string("CAV010"))
            #expect(
                results[0]["locations"]
                    == [["physicalLocation": ["artifactLocation": ["uri": "empty/", "uriBaseId": "%SRCROOT%"]]]])
        }
    }

    @Test("files are named relative to the current directory, for a relative or an absolute PATH, percent-encoded")
    func relativeURIs() throws {
        try withTemporaryDirectory { directory in
            try write(warningPolicy, to: "pol/sub/my rules.cavra", in: directory)
            // Resolved, as the current directory is: on macOS the temporary directory is reached through a link.
            let absolute = directory.resolvingSymlinksInPath().appendingPathComponent("pol").path
            for path in ["pol", "./pol/", absolute] {
                let run = try cavra(["policy", "validate", path, "--format", "sarif"], cwd: directory)
                #expect(run.status == 0, "\(path): \(run.stderr)")
                let results = try #require(try requireSARIFRun(try JSON.parse(run.stdout))["results"]?.arrayValue)
                try #require(results.count == 1)
                #expect(locationSummary(results[0]) == ["pol/sub/my%20rules.cavra", "%SRCROOT%", 3, 6, 12], "\(path)")
            }
        }
    }

    @Test("a file outside the current directory is named by a file URI without a base")
    func fileOutsideCurrentDirectory() throws {
        try withTemporaryDirectory { directory in
            let file = try write(warningPolicy, to: "outside/warned.cavra", in: directory)
            let elsewhere = directory.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
            let run = try cavra(["policy", "validate", "../outside/warned.cavra", "--format", "sarif"], cwd: elsewhere)
            #expect(run.status == 0, "\(run.stderr)")
            let results = try #require(try requireSARIFRun(try JSON.parse(run.stdout))["results"]?.arrayValue)
            try #require(results.count == 1)
            let artifact = results[0]["locations"]?.arrayValue?.first?["physicalLocation"]?["artifactLocation"]
            #expect(artifact == JSON.object(["uri": .string("file://" + file.standardizedFileURL.path)]))
        }
    }

    @Test("with --strict a policy whose only problems are warnings exits 1; the results keep their level")
    func strictWarnings() throws {
        try withTemporaryDirectory { directory in
            try write(warningPolicy, to: "warned.cavra", in: directory)
            let run = try cavra(
                ["policy", "validate", "warned.cavra", "--format", "sarif", "--strict"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            let results = try #require(try requireSARIFRun(try JSON.parse(run.stdout))["results"]?.arrayValue)
            #expect(results.map { $0["level"] } == [JSON.string("warning")])
        }
    }

    @Test("a PATH that does not exist exits 2 with the message on stderr and nothing on stdout")
    func missingPath() throws {
        try withTemporaryDirectory { directory in
            let run = try cavra(["policy", "validate", "missing/", "--format", "sarif"], cwd: directory)
            #expect(run.status == 2)
            #expect(run.stdout == "")
            #expect(run.stderr == "error: policy path `missing/` does not exist\n")
        }
    }
}
