// `cavra policy test --format junit`, and `--threshold` (policy-language.md §8): only JUnit XML on stdout, one
// testcase per expectation grouped by file, the trace in a failure; coverage lines on stderr; the threshold's exit.

import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// One element of a parsed XML document.
final class XMLNode {
    let name: String
    let attributes: [String: String]
    var children: [XMLNode] = []
    var text = ""

    init(name: String, attributes: [String: String]) {
        self.name = name
        self.attributes = attributes
    }

    func elements(named name: String) -> [XMLNode] { children.filter { $0.name == name } }

    /// This element and every element below it, depth first.
    var allElements: [XMLNode] { [self] + children.flatMap(\.allElements) }

    func intAttribute(_ name: String) -> Int? { attributes[name].flatMap { Int($0) } }
}

struct XMLParseFailure: Error, CustomStringConvertible {
    var description: String
}

/// Parses a whole document with Foundation's `XMLParser`; anything that is not well-formed XML, including text
/// after the root element, throws.
func parseXML(_ text: String) throws -> XMLNode {
    final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?

        func parser(
            _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
            qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]
        ) {
            let node = XMLNode(name: elementName, attributes: attributeDict)
            if let parent = stack.last { parent.children.append(node) } else { root = node }
            stack.append(node)
        }

        func parser(
            _ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?
        ) {
            stack.removeLast()
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            stack.last?.text += string
        }
    }
    let builder = Builder()
    let parser = XMLParser(data: Data(text.utf8))
    parser.delegate = builder
    guard parser.parse(), let root = builder.root else {
        throw XMLParseFailure(
            description: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "no root element")")
    }
    return root
}

/// A policy with two tests, one failing, and a rule that no test makes apply (policy coverage 50%).
private let failingPolicy = """
    policy "coverage-example" version "0.1.0"

    role incident-commander = "incident-commanders" in actor.groups

    @id("ic-acknowledges")
    permit acknowledge by incident-commander

    @id("ic-dismisses")
    permit dismiss by incident-commander

    test "incident commander acknowledges" {
      actor { id: "ic@example.com", verified: true, groups: ["incident-commanders"] }
      expect acknowledge allow by "ic-acknowledges"
    }

    test "a visitor dismisses" {
      actor { id: "visitor" }
      expect dismiss allow
    }

    """

/// Four rules; the one test makes two of them apply: coverage exactly 50%.
private let halfCoveredPolicy = """
    policy "half"

    role ic = "incident-commanders" in actor.groups

    @id("ic-acknowledges")
    permit acknowledge by ic

    @id("ic-escalates")
    permit escalate by ic

    @id("ic-resolves")
    permit resolve by ic

    @id("ic-dismisses")
    permit dismiss by ic

    test "incident commander acknowledges and escalates" {
      actor { groups: ["incident-commanders"] }
      expect acknowledge allow
      expect escalate allow
    }

    """

/// Three rules, one applied by a test: coverage 33.33…%, printed as 33.3%.
private let thirdCoveredPolicy = """
    policy "third"

    role ic = "incident-commanders" in actor.groups

    @id("ic-acknowledges")
    permit acknowledge by ic

    @id("ic-escalates")
    permit escalate by ic

    @id("ic-dismisses")
    permit dismiss by ic

    test "incident commander acknowledges" {
      actor { groups: ["incident-commanders"] }
      expect acknowledge allow
    }

    """

@Suite("cavra policy test --format junit")
struct JUnitTests {
    @Test("the repository's policy: one testcase per expect line, a testsuite per file with tests, no failures")
    func repositoryTests() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        let run = try cavra(["policy", "test", "policy/", "--format", "junit"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr == "")
        #expect(run.stdoutLines.first == #"<?xml version="1.0" encoding="UTF-8"?>"#)
        let root = try parseXML(run.stdout)
        #expect(root.name == "testsuites")
        #expect(root.attributes["name"] == "rollback-drills")
        #expect(root.intAttribute("tests") == facts.expectCount)
        #expect(root.intAttribute("failures") == 0)

        // Files with tests, in load order, and the testcase name of each expect line: `test name: expect …`. The
        // repository's policy is canonical, so each expect line reads as the runner describes it.
        let expected: [(name: String, cases: [String])] = facts.files.compactMap { file in
            var testName = ""
            var cases: [String] = []
            for line in String(decoding: file.bytes, as: UTF8.self).split(separator: "\n") {
                let statement = line.trimmingCharacters(in: .whitespaces)
                if statement.hasPrefix("test \""), let end = statement.lastIndex(of: "\"") {
                    testName = String(statement[statement.index(statement.startIndex, offsetBy: 6)..<end])
                } else if statement.hasPrefix("expect ") {
                    cases.append("\(testName): \(statement)")
                }
            }
            return cases.isEmpty ? nil : ("policy/" + file.name, cases)
        }
        #expect(expected.map(\.cases.count).reduce(0, +) == facts.expectCount)
        let suites = root.elements(named: "testsuite")
        #expect(root.children.count == suites.count, "only testsuite elements under the root")
        #expect(suites.map { $0.attributes["name"] ?? "" } == expected.map(\.name))
        for (suite, file) in zip(suites, expected) {
            #expect(suite.intAttribute("tests") == file.cases.count, "\(file.name)")
            #expect(suite.intAttribute("failures") == 0)
            let cases = suite.elements(named: "testcase")
            #expect(cases.map { $0.attributes["name"] ?? "" } == file.cases)
            #expect(cases.allSatisfy { $0.attributes["classname"] == file.name && $0.children.isEmpty })
        }
        #expect(root.allElements.filter { $0.name == "failure" }.isEmpty)
    }

    @Test("--coverage keeps stdout the same XML and prints the coverage lines on stderr")
    func coverageOnStderr() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        let plain = try cavra(["policy", "test", "policy/", "--format", "junit"])
        let run = try cavra(["policy", "test", "policy/", "--format", "junit", "--coverage"])
        #expect(run.status == 0)
        #expect(run.stdout == plain.stdout)
        #expect(run.stderr == "coverage: 100% (\(facts.ruleCount) of \(facts.ruleCount) rules)\n")
    }

    @Test("a failing expectation is one <failure> with the mismatch and the trace that explain prints")
    func failingExpectation() throws {
        try withTemporaryDirectory { directory in
            try write(failingPolicy, to: "cov.cavra", in: directory)
            let run = try cavra(["policy", "test", "cov.cavra", "--format", "junit"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            #expect(run.stdoutLines.first == #"<?xml version="1.0" encoding="UTF-8"?>"#)
            let root = try parseXML(run.stdout)
            #expect(root.attributes["name"] == "coverage-example")
            #expect(root.intAttribute("tests") == 2)
            #expect(root.intAttribute("failures") == 1)
            let suites = root.elements(named: "testsuite")
            try #require(suites.count == 1)
            #expect(suites[0].attributes["name"] == "cov.cavra")
            #expect(suites[0].intAttribute("tests") == 2)
            #expect(suites[0].intAttribute("failures") == 1)
            let cases = suites[0].elements(named: "testcase")
            #expect(
                cases.map { $0.attributes["name"] ?? "" } == [
                    #"incident commander acknowledges: expect acknowledge allow by "ic-acknowledges""#,
                    "a visitor dismisses: expect dismiss allow",
                ])
            #expect(cases.allSatisfy { $0.attributes["classname"] == "cov.cavra" })
            #expect(cases[0].children.isEmpty)

            let failures = root.allElements.filter { $0.name == "failure" }
            try #require(failures.count == 1)
            let failure = failures[0]
            #expect(cases[1].children.map(\.name) == ["failure"])
            #expect(failure.attributes["message"] == "decision: expected allow, got deny")
            #expect(failure.attributes["type"] == "expectation")

            // The trace part of `explain` for the same request: from the roles to the last rule.
            try write(#"{"action": "dismiss", "actor": {"id": "visitor"}}"#, to: "visitor.json", in: directory)
            let explain = try cavra(["policy", "explain", "cov.cavra", "--input", "visitor.json"], cwd: directory)
            #expect(explain.status == 0)
            let explainLines = explain.stdoutLines
            let traceStart = try #require(explainLines.firstIndex { $0.hasPrefix("roles ") })
            let trace = Array(explainLines[traceStart...].prefix { !$0.isEmpty })
            #expect(trace.contains("rules for `dismiss`, in order:"))
            #expect(trace.contains("  permit ic-dismisses (cov.cavra:9): skipped"))
            #expect(
                failure.text
                    == (["cov.cavra:18", "decision: expected allow, got deny"] + trace).joined(separator: "\n"))
        }
    }

    @Test("names, messages and text are escaped: the parsed values are the policy's own")
    func escaping() throws {
        let policy = """
            policy "escape <&> \\"quoted\\""

            test "a <tag> & \\"quotes\\" 'too'" {
              expect plan allow
            }

            """
        try withTemporaryDirectory { directory in
            try write(policy, to: "esc.cavra", in: directory)
            let run = try cavra(["policy", "test", "esc.cavra", "--format", "junit"], cwd: directory)
            #expect(run.status == 1)
            let root = try parseXML(run.stdout)
            #expect(root.attributes["name"] == #"escape <&> "quoted""#)
            let testcase = try #require(root.allElements.first { $0.name == "testcase" })
            #expect(testcase.attributes["name"] == #"a <tag> & "quotes" 'too': expect plan allow"#)
            let failure = try #require(testcase.children.first)
            #expect(failure.text.hasPrefix("esc.cavra:4\ndecision: expected allow, got deny\n"))
        }
    }

    @Test("--coverage with a failing policy: the uncovered rule and the percentage on stderr, XML alone on stdout")
    func failingCoverageOnStderr() throws {
        try withTemporaryDirectory { directory in
            try write(failingPolicy, to: "cov.cavra", in: directory)
            let plain = try cavra(["policy", "test", "cov.cavra", "--format", "junit"], cwd: directory)
            let run = try cavra(["policy", "test", "cov.cavra", "--format", "junit", "--coverage"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stdout == plain.stdout)
            #expect(run.stderrLines == ["cov.cavra:9 ic-dismisses", "coverage: 50% (1 of 2 rules)"])
        }
    }

    @Test("an invalid policy: diagnostics on stderr, nothing on stdout, exit 1")
    func invalidPolicy() throws {
        try withTemporaryDirectory { directory in
            try write(
                "policy \"invalid\"\npermit acknowledge\n  when route.enviroment == \"production\"\n",
                to: "invalid.cavra", in: directory)
            let run = try cavra(["policy", "test", "invalid.cavra", "--format", "junit"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stdout == "")
            #expect(run.stderr.hasPrefix("invalid.cavra:3:8: error[CAV020]: "))
        }
    }

    @Test(
        "usage errors exit 2",
        arguments: [
            ["policy", "test", "policy/", "--format", "xml"],
            ["policy", "test", "policy/", "--format"],
        ])
    func usageErrors(_ args: [String]) throws {
        let run = try cavra(args)
        #expect(run.status == 2, "\(args): \(run.stderr)")
        #expect(run.stdout == "")
        #expect(!run.stderr.isEmpty)
    }
}

@Suite("cavra policy test --threshold")
struct ThresholdTests {
    private let halfCoveredOutput = [
        "PASS incident commander acknowledges and escalates",
        "half.cavra:12 ic-resolves",
        "half.cavra:15 ic-dismisses",
        "coverage: 50% (2 of 4 rules)",
        "1 passed, 0 failed",
    ]

    @Test("below the threshold: the coverage lines as with --coverage, an error naming both percentages, exit 1")
    func below() throws {
        try withTemporaryDirectory { directory in
            try write(halfCoveredPolicy, to: "half.cavra", in: directory)
            for threshold in ["50.1", "75", "100"] {
                let run = try cavra(["policy", "test", "half.cavra", "--threshold", threshold], cwd: directory)
                #expect(run.status == 1, "--threshold \(threshold)")
                #expect(run.stdoutLines == halfCoveredOutput)
                #expect(run.stderr == "error: coverage 50% is below the threshold of \(threshold)%\n")
            }
        }
    }

    @Test(
        "at or above the threshold: exit 0, and --threshold implies --coverage", arguments: ["0", "25", "50", "50.0"])
    func atOrAbove(_ threshold: String) throws {
        try withTemporaryDirectory { directory in
            try write(halfCoveredPolicy, to: "half.cavra", in: directory)
            let run = try cavra(["policy", "test", "half.cavra", "--threshold", threshold], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr == "")
            #expect(run.stdoutLines == halfCoveredOutput)
        }
    }

    @Test("a fraction: 33.3% coverage passes --threshold 33.3 and fails --threshold 34")
    func fractions() throws {
        try withTemporaryDirectory { directory in
            try write(thirdCoveredPolicy, to: "third.cavra", in: directory)
            let at = try cavra(["policy", "test", "third.cavra", "--threshold", "33.3"], cwd: directory)
            #expect(at.status == 0)
            #expect(at.stdoutLines.contains("coverage: 33.3% (1 of 3 rules)"))
            let below = try cavra(["policy", "test", "third.cavra", "--threshold", "34"], cwd: directory)
            #expect(below.status == 1)
            #expect(below.stderr == "error: coverage 33.3% is below the threshold of 34%\n")
        }
    }

    @Test("the repository's policy meets --threshold 100")
    func repositoryAtHundred() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        let run = try cavra(["policy", "test", "policy/", "--threshold", "100"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr == "")
        #expect(
            run.stdoutLines.suffix(2) == [
                "coverage: 100% (\(facts.ruleCount) of \(facts.ruleCount) rules)",
                "\(facts.testCount) passed, 0 failed",
            ])
    }

    @Test("with --format junit: XML alone on stdout; the coverage lines and the error on stderr")
    func junit() throws {
        try withTemporaryDirectory { directory in
            try write(halfCoveredPolicy, to: "half.cavra", in: directory)
            let run = try cavra(
                ["policy", "test", "half.cavra", "--format", "junit", "--threshold", "60"], cwd: directory)
            #expect(run.status == 1)
            let root = try parseXML(run.stdout)
            #expect(root.intAttribute("tests") == 2)
            #expect(root.intAttribute("failures") == 0)
            #expect(
                run.stderrLines == [
                    "half.cavra:12 ic-resolves", "half.cavra:15 ic-dismisses", "coverage: 50% (2 of 4 rules)",
                    "error: coverage 50% is below the threshold of 60%",
                ])

            let passing = try cavra(
                ["policy", "test", "half.cavra", "--format", "junit", "--threshold", "50"], cwd: directory)
            #expect(passing.status == 0)
            #expect(passing.stdout == run.stdout)
            #expect(passing.stderrLines == Array(run.stderrLines.dropLast()))
        }
    }

    @Test("a failing test exits 1 even when coverage meets the threshold, without a threshold error")
    func failingTestAboveThreshold() throws {
        try withTemporaryDirectory { directory in
            try write(failingPolicy, to: "cov.cavra", in: directory)
            let run = try cavra(["policy", "test", "cov.cavra", "--threshold", "50"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "")
            #expect(run.stdoutLines.suffix(2) == ["coverage: 50% (1 of 2 rules)", "1 passed, 1 failed"])
        }
    }

    @Test(
        "a threshold outside 0–100, or not a number, is a usage error",
        arguments: [["--threshold", "150"], ["--threshold=-1"], ["--threshold", "100.5"], ["--threshold", "abc"]])
    func outOfRange(_ flag: [String]) throws {
        let run = try cavra(["policy", "test", "policy/"] + flag)
        #expect(run.status == 2, "\(flag)")
        #expect(run.stdout == "")
        #expect(run.stderr.contains("--threshold"), "\(run.stderr)")
    }

    // The coverage is rounded down to one decimal when printed, the threshold is not: a failing run never claims
    // that 33.3% is below 33.3%.
    @Test("the error prints the threshold as given")
    func thresholdPrintedAsGiven() throws {
        try withTemporaryDirectory { directory in
            try write(thirdCoveredPolicy, to: "third.cavra", in: directory)
            let run = try cavra(["policy", "test", "third.cavra", "--threshold", "33.34"], cwd: directory)
            #expect(run.status == 1)
            #expect(run.stderr == "error: coverage 33.3% is below the threshold of 33.34%\n")
        }
    }
}
