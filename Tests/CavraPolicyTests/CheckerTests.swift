import CavraJSON
import CavraPolicy
import Foundation
import Testing

@Suite struct CheckerTests {
    @Test func diagnosticTextFollowsTheContractExactly() {
        let lines =
            ["policy \"p\""] + Array(repeating: "", count: 9) + [
                "permit acknowledge", "  # the environment", "  when route.enviroment == \"production\"",
            ]
        let compilation = PolicyCompiler.compile(
            PolicySource(
                kind: .directory, path: "policy/",
                files: [
                    PolicyFile(
                        name: "drills.cavra", displayPath: "policy/drills.cavra",
                        bytes: Array(lines.joined(separator: "\n").utf8))
                ]))
        let expected = """
            policy/drills.cavra:13:8: error[CAV020]: unknown attribute `route.enviroment`
               13 |   when route.enviroment == "production"
                  |        ^^^^^^^^^^^^^^^^
                  = help: did you mean `route.environment`?

            """
        #expect(compilation.renderedDiagnostics() == expected)
        #expect(compilation.policy == nil)
    }

    @Test func caretLineRepeatsLeadingTabs() {
        let compilation = Fixtures.compile("policy \"p\"\npermit acknowledge\n\twhen route.nope")
        let rendered = compilation.render(compilation.diagnostics[0])
        #expect(rendered.contains("\n      | \t     ^^^^^^^^^^\n"))
    }

    @Test func everyIndependentErrorIsReportedOnce() {
        let compilation = Fixtures.compile(
            """
            policy "p"
            role ic = "incident-commanders" in actor.grups
            permit acknowlege by ic
            permit escalate by ic
              when route.severity == "crit"
            """)
        #expect(Fixtures.codes(compilation) == ["CAV020", "CAV030", "CAV024"])
    }

    @Test func typeRules() {
        let cases: [(String, [String])] = [
            ("route.age > 30", ["CAV022"]),
            ("route.age > 30m", []),
            ("context.now >= 1700000000", []),
            ("route.owner == 3", ["CAV022"]),
            ("route.tags contains \"x\"", []),
            ("\"x\" in route.tags", []),
            ("1 in route.tags", ["CAV022"]),
            ("\"prod\" in route.environment", []),
            ("route.environment matches \"prod-*\"", []),
            ("route.age matches \"x\"", ["CAV022"]),
            ("route has \"x\"", ["CAV001"]),
            ("route.tags has \"x\"", ["CAV022"]),
            ("actor.claims has \"x\" and actor.claims.x == 3", []),
            ("actor.claims.level >= 3", []),
            ("actor.claims.level >= 3m", ["CAV022"]),
            ("actor.claims == actor.claims", ["CAV022"]),
            ("[1, \"a\"] == [1]", ["CAV022"]),
            ("[] == route.tags", []),
            ("route.owner", ["CAV023"]),
            ("route.breached and 1", ["CAV022"]),
            ("route.environment.name == \"x\"", ["CAV020"]),
            ("actor[\"id\"] == \"x\"", ["CAV020"]),
        ]
        for (condition, codes) in cases {
            let compilation = Fixtures.compile("policy \"p\"\npermit acknowledge when \(condition)")
            #expect(Fixtures.codes(compilation) == codes, "\(condition): \(compilation.renderedDiagnostics())")
        }
    }

    @Test func namesRolesLetsAndCycles() {
        let cases: [(String, [String])] = [
            ("role a = b\nrole b = a\npermit plan by a", ["CAV042"]),
            ("role a = \"x\" in actor.roles\npermit plan by a", ["CAV042"]),
            ("let xs = route.tags\npermit plan when \"a\" in xs", ["CAV043"]),
            ("role r = actor.verified\nlet l = r\npermit plan when l", ["CAV043"]),
            ("let x = 1\nrole x = actor.verified\npermit plan when x == 1", ["CAV041"]),
            ("let l = true\npermit plan by l", ["CAV031"]),
            ("permit plan by nobody", ["CAV031"]),
            ("permit plan when nothing", ["CAV021"]),
            ("role unused = actor.verified\npermit plan", ["CAV101"]),
            ("let envs = [\"production\", \"staging\"]\npermit plan when route.environment in envs", []),
        ]
        for (body, codes) in cases {
            let compilation = Fixtures.compile("policy \"p\"\n\(body)")
            #expect(Fixtures.codes(compilation) == codes, "\(body): \(compilation.renderedDiagnostics())")
        }
    }

    @Test func rulesIdsAnnotationsAndObligations() {
        let cases: [(String, [String])] = [
            ("@id(\"a\") permit plan\n@id(\"a\") permit export", ["CAV040"]),
            ("permit plan permit export", ["CAV040"]),
            ("@id(\"\") permit plan", ["CAV034"]),
            ("@id(\"a\") @id(\"b\") permit plan", ["CAV034"]),
            ("@owner(\"x\") permit plan", ["CAV034"]),
            ("forbid plan because \"a\" because \"b\"", ["CAV034"]),
            ("forbid plan when route.breached require note", ["CAV033"]),
            ("permit plan require ticket", ["CAV032"]),
            ("forbid plan\npermit plan", ["CAV100"]),
            ("forbid plan when route.breached\npermit plan", []),
        ]
        for (body, codes) in cases {
            let compilation = Fixtures.compile("policy \"p\"\n\(body)")
            #expect(Fixtures.codes(compilation) == codes, "\(body): \(compilation.renderedDiagnostics())")
        }
        // A warning does not make a policy invalid.
        #expect(Fixtures.compile("policy \"p\"\nforbid plan\npermit plan").policy != nil)
    }

    @Test func headerRules() {
        #expect(Fixtures.codes(Fixtures.compile("permit plan")) == ["CAV010"])
        #expect(Fixtures.codes(Fixtures.compile("permit plan\npolicy \"p\"")) == ["CAV011"])
        let twoHeaders = PolicySource(
            kind: .directory, path: "p/",
            files: [
                PolicyFile(name: "a.cavra", displayPath: "p/a.cavra", bytes: Array("policy \"a\"\npermit plan".utf8)),
                PolicyFile(name: "b.cavra", displayPath: "p/b.cavra", bytes: Array("policy \"b\"".utf8)),
            ])
        let compilation = PolicyCompiler.compile(twoHeaders)
        #expect(Fixtures.codes(compilation) == ["CAV011"])
        #expect(compilation.diagnostics.first?.span.file == 1)
    }

    @Test func directoriesLoadRecursivelyInBytewiseOrderAndHashAsSpecified() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("a"), withIntermediateDirectories: true)
        let files = [
            "b.cavra": "permit export\n",
            "a/x.cavra": "\npermit plan\n",
            "a.cavra": "policy \"p\" version \"2\"\n",
            "notes.txt": "not a policy",
        ]
        for (name, text) in files {
            try text.write(to: directory.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        let source = try PolicySource.load(path: directory.path)
        #expect(source.files.map(\.name) == ["a.cavra", "a/x.cavra", "b.cavra"])
        #expect(source.files[1].displayPath == directory.path + "/a/x.cavra")
        var bytes: [UInt8] = []
        for name in ["a.cavra", "a/x.cavra", "b.cavra"] {
            let content = Array(files[name]!.utf8)
            bytes += Array("\(name)\n\(content.count)\n".utf8) + content
        }
        let policy = try #require(PolicyCompiler.compile(source).policy)
        #expect(policy.sha256 == CavraHash.sha256Hex(bytes))
        // Default ids use the relative file name and the keyword's line.
        #expect(policy.rules.map(\.id) == ["a/x.cavra:2", "b.cavra:1"])
    }

    @Test func missingPathIsALoadError() {
        #expect(throws: PolicySource.LoadError.self) {
            try PolicySource.load(path: "/nonexistent-\(UUID().uuidString)")
        }
    }

    @Test func fixturesAreChecked() {
        let compilation = Fixtures.compile(
            """
            policy "p"
            permit plan
            test "t" {
              actor { groups: ["a"], roles: ["x"] }
              route { severity: "critcal", age: 30, tags: ["x"] }
              context { channel: "web" }
              context { bulk: true }
              expect plan allow
              expect plan deny require note
              expect plan allow by "nope"
            }
            """)
        #expect(Fixtures.codes(compilation) == ["CAV050", "CAV024", "CAV050", "CAV024", "CAV050", "CAV051", "CAV051"])
    }
}
