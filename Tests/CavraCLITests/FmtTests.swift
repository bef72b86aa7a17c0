// `cavra policy fmt`: the canonical layout of policy-language.md §9, `--check`, files that do not parse, and the
// warning for rules without `@id` whose default id changes.

import CavraJSON
import Foundation
import Testing

/// A valid policy written carelessly: statements run together, spacing is off, clauses share lines and an
/// expression spans two lines. Every rule has an `@id`, so no default id can change.
private let messyPolicy = """
    # Rollback drills, messy on purpose.
    policy   "fmt-fixture"   version "1.0.0"  description "Formatted by cavra policy fmt."   mode  enforce
    role release-manager="release-managers" in actor.groups
    role incident-commander =   "incident-commanders" in actor.groups
        or actor.claims has "title" and actor.claims["title"]=="Incident Commander"   # asserted titles count


    let quiet = [ "maintenance_window","owner_calendar" ]
    @id( "ack" ) permit acknowledge ,escalate by release-manager,incident-commander when route.category not in quiet
        and not ( route.breached )
      # a note for critical routes
      require note when route.severity=="critical"
    @id("no-bulk")   forbid * by anyone when context.bulk and context.bulk_size>1 because "one at a time"
    test "release manager acknowledges" { actor { id: "rm", verified:true, groups: [ "release-managers" ] }
     route {environment: "staging",severity: "critical"}   expect acknowledge allow require note by "ack"
      expect resolve deny
      # closing remark
    }

    """

/// `messyPolicy` in the canonical form of policy-language.md §9, written by hand from the contract: the header
/// split into `policy … version …`, `description` and `mode` lines; a blank line between statements, except
/// between the two roles (none in the source) and a single one between the role and the let (two in the source);
/// `@id(…)` above its rule; each clause on its own line, indented two spaces, the two-line expression joined;
/// one space around operators and after commas; `{ k: v }` with inner spaces, `[a, b]` without; the test body
/// indented two spaces with each fixture and expectation on its own line; every comment where it stood.
private let canonicalPolicy = """
    # Rollback drills, messy on purpose.
    policy "fmt-fixture" version "1.0.0"
    description "Formatted by cavra policy fmt."
    mode enforce

    role release-manager = "release-managers" in actor.groups
    role incident-commander = "incident-commanders" in actor.groups or actor.claims has "title" \
    and actor.claims["title"] == "Incident Commander" # asserted titles count

    let quiet = ["maintenance_window", "owner_calendar"]

    @id("ack")
    permit acknowledge, escalate by release-manager, incident-commander
      when route.category not in quiet and not (route.breached)
      # a note for critical routes
      require note when route.severity == "critical"

    @id("no-bulk")
    forbid * by anyone
      when context.bulk and context.bulk_size > 1
      because "one at a time"

    test "release manager acknowledges" {
      actor { id: "rm", verified: true, groups: ["release-managers"] }
      route { environment: "staging", severity: "critical" }
      expect acknowledge allow require note by "ack"
      expect resolve deny
      # closing remark
    }

    """

/// A rules file that is already canonical.
private let canonicalRules = """
    # Already canonical.
    @id("ic-dismisses")
    permit dismiss by anyone
      when actor.verified

    """

@Suite("cavra policy fmt")
struct FmtTests {
    @Test("a messy file is rewritten in place to exactly the canonical text; stdout and stderr stay empty")
    func messyFileBecomesCanonical() throws {
        try withTemporaryDirectory { directory in
            let file = try write(messyPolicy, to: "drills.cavra", in: directory)
            let run = try cavra(["policy", "fmt", "drills.cavra"], cwd: directory)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == "")
            #expect(run.stderr == "")
            #expect(try text(of: file) == canonicalPolicy)
        }
    }

    @Test("formatting changes no decision: the policy is valid and its tests pass before and after")
    func formattingKeepsThePolicy() throws {
        try withTemporaryDirectory { directory in
            try write(messyPolicy, to: "drills.cavra", in: directory)
            let before = try cavra(["policy", "test", "drills.cavra"], cwd: directory)
            #expect(before.status == 0, "\(before.stdout)\(before.stderr)")
            #expect(try cavra(["policy", "fmt", "drills.cavra"], cwd: directory).status == 0)
            let after = try cavra(["policy", "test", "drills.cavra"], cwd: directory)
            #expect(after.status == 0, "\(after.stdout)\(after.stderr)")
            #expect(after.stdout == before.stdout)
        }
    }

    @Test("formatting twice changes nothing the second time, and --check then exits 0")
    func idempotent() throws {
        try withTemporaryDirectory { directory in
            let file = try write(messyPolicy, to: "drills.cavra", in: directory)
            #expect(try cavra(["policy", "fmt", "drills.cavra"], cwd: directory).status == 0)
            let once = try bytes(of: file)

            let check = try cavra(["policy", "fmt", "drills.cavra", "--check"], cwd: directory)
            #expect(check.status == 0)
            #expect(check.stdout == "")
            #expect(check.stderr == "")

            let again = try cavra(["policy", "fmt", "drills.cavra"], cwd: directory)
            #expect(again.status == 0)
            #expect(again.stdout == "")
            #expect(again.stderr == "")
            #expect(try bytes(of: file) == once)
        }
    }

    @Test("comments survive: own-line comments stay above what followed them, trailing ones end their line")
    func commentsSurvive() throws {
        try withTemporaryDirectory { directory in
            let file = try write(messyPolicy, to: "drills.cavra", in: directory)
            #expect(try cavra(["policy", "fmt", "drills.cavra"], cwd: directory).status == 0)
            let lines = try text(of: file).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let comments = messyPolicy.split(separator: "\n").compactMap { line -> String? in
                line.firstIndex(of: "#").map { String(line[$0...]).trimmingCharacters(in: .whitespaces) }
            }
            #expect(
                comments == [
                    "# Rollback drills, messy on purpose.", "# asserted titles count", "# a note for critical routes",
                    "# closing remark",
                ])
            #expect(lines.first == "# Rollback drills, messy on purpose.")
            #expect(
                lines.contains {
                    $0.hasPrefix("role incident-commander = ") && $0.hasSuffix(" # asserted titles count")
                })
            let note = try #require(lines.firstIndex(of: "  # a note for critical routes"))
            #expect(lines[note + 1].hasPrefix("  require note when "))
            let closing = try #require(lines.firstIndex(of: "  # closing remark"))
            #expect(lines[closing + 1] == "}")
        }
    }

    @Test("--check lists exactly the files that would change, writes nothing and exits 1")
    func checkListsChangedFiles() throws {
        try withTemporaryDirectory { directory in
            let canonical = try write(canonicalRules, to: "pol/a-canonical.cavra", in: directory)
            let messy = try write(messyPolicy, to: "pol/sub/messy.cavra", in: directory)
            let canonicalBytes = try bytes(of: canonical)
            let messyBytes = try bytes(of: messy)

            for path in ["pol", "pol/"] {
                let run = try cavra(["policy", "fmt", path, "--check"], cwd: directory)
                #expect(run.status == 1, "PATH \(path)")
                #expect(run.stdout == "pol/sub/messy.cavra\n", "PATH \(path)")
                #expect(run.stderr == "")
            }
            #expect(try bytes(of: canonical) == canonicalBytes)
            #expect(try bytes(of: messy) == messyBytes)

            // A single file is listed by PATH as given.
            let single = try cavra(["policy", "fmt", "pol/sub/messy.cavra", "--check"], cwd: directory)
            #expect(single.status == 1)
            #expect(single.stdout == "pol/sub/messy.cavra\n")
            let clean = try cavra(["policy", "fmt", "pol/a-canonical.cavra", "--check"], cwd: directory)
            #expect(clean.status == 0)
            #expect(clean.stdout == "")

            // Without --check only the messy file is rewritten, and the directory is then canonical.
            let write = try cavra(["policy", "fmt", "pol"], cwd: directory)
            #expect(write.status == 0)
            #expect(write.stdout == "")
            #expect(try bytes(of: canonical) == canonicalBytes)
            #expect(try text(of: messy) == canonicalPolicy)
            let after = try cavra(["policy", "fmt", "pol", "--check"], cwd: directory)
            #expect(after.status == 0)
            #expect(after.stdout == "")
        }
    }

    @Test("PATH defaults to policy/")
    func defaultPath() throws {
        try withTemporaryDirectory { directory in
            let messy = try write(messyPolicy, to: "policy/drills.cavra", in: directory)
            let check = try cavra(["policy", "fmt", "--check"], cwd: directory)
            #expect(check.status == 1)
            #expect(check.stdout == "policy/drills.cavra\n")
            #expect(try cavra(["policy", "fmt"], cwd: directory).status == 0)
            #expect(try text(of: messy) == canonicalPolicy)
        }
    }

    @Test(
        "a file that does not parse: diagnostics on stderr, exit 1, and no file is written", arguments: [false, true])
    func syntaxErrorWritesNothing(check: Bool) throws {
        try withTemporaryDirectory { directory in
            let good = try write(messyPolicy, to: "pol/a.cavra", in: directory)
            let broken = try write(
                "# No action.\n@id(\"broken\")\npermit by anyone\n", to: "pol/b.cavra", in: directory)
            let goodBytes = try bytes(of: good)
            let brokenBytes = try bytes(of: broken)
            let run = try cavra(["policy", "fmt", "pol"] + (check ? ["--check"] : []), cwd: directory)
            #expect(run.status == 1)
            #expect(run.stdout == "", "no file is listed: \(run.stdout)")
            #expect(
                run.stderr.hasPrefix("pol/b.cavra:3:8: error[CAV001]: "), "the diagnostic names the file: \(run.stderr)"
            )
            #expect(run.stderr.contains("    3 | permit by anyone\n"))
            #expect(try bytes(of: good) == goodBytes)
            #expect(try bytes(of: broken) == brokenBytes)
        }
    }

    @Test("a rule without @id that moves gets a warning naming its old line, its new line and its new default id")
    func movedRuleWarning() throws {
        let rules = """
            @id("kept") permit acknowledge
            permit plan when route.environment == "staging"
            forbid   plan when context.bulk

            """
        let formatted = """
            @id("kept")
            permit acknowledge

            permit plan
              when route.environment == "staging"

            forbid plan
              when context.bulk

            """
        let warnings = [
            "warning: pol/sub/rules.cavra:2: a rule without `@id` moves to line 4; its default id changes to "
                + "`sub/rules.cavra:4` (give it an `@id` to keep it)",
            "warning: pol/sub/rules.cavra:3: a rule without `@id` moves to line 7; its default id changes to "
                + "`sub/rules.cavra:7` (give it an `@id` to keep it)",
        ]
        try withTemporaryDirectory { directory in
            try write("policy \"moves\"\n", to: "pol/main.cavra", in: directory)
            let file = try write(rules, to: "pol/sub/rules.cavra", in: directory)
            try write(#"{"action": "plan"}"#, to: "plan.json", in: directory)
            let before = try JSON.parse(
                try cavra(["policy", "eval", "pol", "--input", "plan.json"], cwd: directory).stdout)
            #expect(before["determining"] == JSON.array([.string("sub/rules.cavra:2")]))

            let check = try cavra(["policy", "fmt", "pol", "--check"], cwd: directory)
            #expect(check.status == 1)
            #expect(check.stdout == "pol/sub/rules.cavra\n")
            #expect(check.stderrLines == warnings)
            #expect(try text(of: file) == rules)

            let run = try cavra(["policy", "fmt", "pol"], cwd: directory)
            #expect(run.status == 0)
            #expect(run.stdout == "")
            #expect(run.stderrLines == warnings)
            #expect(try text(of: file) == formatted)

            // The warning told the truth: the rule's default id is now that of its new line.
            let after = try JSON.parse(
                try cavra(["policy", "eval", "pol", "--input", "plan.json"], cwd: directory).stdout)
            #expect(after["determining"] == JSON.array([.string("sub/rules.cavra:4")]))
        }
    }

    @Test("fmt only parses: a policy that does not validate is formatted all the same")
    func invalidButParsedPolicy() throws {
        try withTemporaryDirectory { directory in
            let file = try write(
                "policy \"u\"\n@id(\"r\") permit plan when route.enviroment==\"x\"\n", to: "u.cavra", in: directory)
            let run = try cavra(["policy", "fmt", "u.cavra"], cwd: directory)
            #expect(run.status == 0)
            #expect(run.stderr == "")
            #expect(try text(of: file) == "policy \"u\"\n\n@id(\"r\")\npermit plan\n  when route.enviroment == \"x\"\n")
        }
    }

    @Test("a rule without @id that stays on its line gets no warning")
    func unmovedRuleHasNoWarning() throws {
        try withTemporaryDirectory { directory in
            let file = try write("policy \"still\"\n\npermit plan\n", to: "still.cavra", in: directory)
            let run = try cavra(["policy", "fmt", "still.cavra"], cwd: directory)
            #expect(run.status == 0)
            #expect(run.stdout == "")
            #expect(run.stderr == "")
            #expect(try text(of: file) == "policy \"still\"\n\npermit plan\n")
        }
    }

    @Test("the repository's policy/ is already canonical")
    func repositoryPolicyIsCanonical() throws {
        let facts = try PolicyFacts(directory: repositoryPolicy)
        let run = try cavra(["policy", "fmt", "--check", "policy/"])
        #expect(run.status == 0, "files that would change: \(run.stdout)\(run.stderr)")
        #expect(run.stdout == "")
        #expect(run.stderr == "")
        #expect(try PolicyFacts(directory: repositoryPolicy).files.map(\.bytes) == facts.files.map(\.bytes))
    }

    @Test("a PATH that does not exist exits 2")
    func missingPath() throws {
        try withTemporaryDirectory { directory in
            for args in [
                ["policy", "fmt", "missing.cavra"], ["policy", "fmt", "missing/", "--check"], ["policy", "fmt"],
            ] {
                let run = try cavra(args, cwd: directory)
                #expect(run.status == 2, "\(args)")
                #expect(run.stdout == "")
                #expect(run.stderr.hasPrefix("error: policy path `"), "\(args): \(run.stderr)")
            }
        }
    }

    @Test(
        "usage errors exit 2",
        arguments: [
            ["policy", "fmt", "policy/", "--bogus"],
            ["policy", "fmt", "policy/", "policy/"],
            ["policy", "fmt", "--check=yes"],
        ])
    func usageErrors(_ args: [String]) throws {
        let run = try cavra(args)
        #expect(run.status == 2, "\(args): \(run.stderr)")
        #expect(run.stdout == "")
        #expect(!run.stderr.isEmpty)
    }

    @Test("fmt has help")
    func help() throws {
        let run = try cavra(["policy", "fmt", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("USAGE: cavra policy fmt [<path>] [--check]"))
    }

    @Test("trailing comments of a joined expression: the first ends the line, the others stand above it")
    func trailingCommentsOfJoinedLines() throws {
        let policy = """
            policy "comments"

            permit plan
              when route.environment == "staging" # first
                or context.bulk # second
                or actor.verified # third
              because "staging only" # fourth

            """
        let formatted = """
            policy "comments"

            permit plan
              # second
              # third
              when route.environment == "staging" or context.bulk or actor.verified # first
              because "staging only" # fourth

            """
        try withTemporaryDirectory { directory in
            let file = try write(policy, to: "comments.cavra", in: directory)
            #expect(try cavra(["policy", "fmt", "comments.cavra"], cwd: directory).status == 0)
            #expect(try text(of: file) == formatted)
            // Each comment is still a comment of its own, and the result is stable.
            let check = try cavra(["policy", "fmt", "comments.cavra", "--check"], cwd: directory)
            #expect(check.status == 0)
        }
    }

    @Test("rewriting a file in place keeps its permissions")
    func keepsPermissions() throws {
        try withTemporaryDirectory { directory in
            let file = try write(messyPolicy, to: "drills.cavra", in: directory)
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
            #expect(try cavra(["policy", "fmt", "drills.cavra"], cwd: directory).status == 0)
            #expect(try text(of: file) == canonicalPolicy)
            let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
            #expect(mode == 0o640)
        }
    }
}
