import CavraJSON
import CavraPolicy
import Foundation
import Testing

@Suite struct FormatterTests {
    private func format(_ text: String) throws -> String {
        try #require(
            Formatter.format(PolicyFile(name: "p.cavra", displayPath: "p.cavra", bytes: Array(text.utf8))).text)
    }

    @Test func writesTheCanonicalLayout() throws {
        let messy = """
            # Top comment

            policy   "p"   version "1"  description "d" mode enforce
            role a= "x" in actor.groups   # trailing a
            role b =actor.claims["k y"] == "v"
                or actor.claims.role=="z"


            let xs = [ "a" ,"b" ]
            @id( "r1" ) permit acknowledge ,escalate by a,b when route.state in xs and not ( route.breached ) # t
              # own-line before require
              require note when route.severity=="critical"   because "why"
            forbid * when context.bulk
            test "t" { actor { id: "u", groups: [ "x" ], claims: {k: 1} }
             route { } expect acknowledge allow by "r1"
              # before close
            }
            """
        let expected = """
            # Top comment

            policy "p" version "1"
            description "d"
            mode enforce

            role a = "x" in actor.groups # trailing a
            role b = actor.claims["k y"] == "v" or actor.claims.role == "z"

            let xs = ["a", "b"]

            @id("r1")
            permit acknowledge, escalate by a, b
              when route.state in xs and not (route.breached) # t
              # own-line before require
              require note when route.severity == "critical"
              because "why"

            forbid *
              when context.bulk

            test "t" {
              actor { id: "u", groups: ["x"], claims: { k: 1 } }
              route {}
              expect acknowledge allow by "r1"
              # before close
            }

            """
        #expect(try format(messy) == expected)
    }

    @Test func reportsRulesWhoseDefaultIdChanges() {
        let result = Formatter.format(
            PolicyFile(name: "p.cavra", displayPath: "p.cavra", bytes: Array("policy \"p\"\npermit plan".utf8)))
        #expect(result.movedRules.map(\.from) == [2])
        #expect(result.movedRules.map(\.to) == [3])
    }

    @Test func refusesAFileThatDoesNotParse() {
        let result = Formatter.format(
            PolicyFile(name: "p.cavra", displayPath: "p.cavra", bytes: Array("policy \"p\"\npermit".utf8)))
        #expect(result.text == nil)
        #expect(result.diagnostics.map(\.code) == ["CAV001"])
    }

    /// Every policy we have, and generated ones: formatting is idempotent, keeps every token and comment, and
    /// never changes a decision.
    @Test func formattingIsIdempotentAndKeepsTokensCommentsAndDecisions() throws {
        var generator = SplitMix(seed: 0xF0A7)
        var policies: [(String, [PolicyRequest])] = []
        for corpusCase in ConformanceCase.all {
            let (text, cases) = try corpusCase.load()
            policies.append((text, cases.compactMap { $0["request"].flatMap { try? PolicyRequest(json: $0) } }))
        }
        let randomRequests = (0..<50).map { _ in EvaluatorTests.randomRequest(using: &generator) }
        for _ in 0..<20 {
            policies.append((EvaluatorTests.generatedPolicy(rules: 30, using: &generator), randomRequests))
        }
        let root = Fixtures.repositoryRoot.appendingPathComponent("policy")
        for file in try PolicySource.load(path: root.path).files {
            policies.append((String(decoding: file.bytes, as: UTF8.self), []))
        }
        for (text, requests) in policies {
            let result = Formatter.format(file(text))
            guard let once = result.text else {
                // Only a file with a syntax error is refused.
                #expect(PolicyCompiler.compile(PolicySource(text: text)).diagnostics.contains { $0.code <= "CAV002" })
                continue
            }
            let twice = try #require(Formatter.format(file(once)).text)
            #expect(twice == once, "not idempotent:\n\(once)")
            #expect(tokens(once) == tokens(text))
            #expect(comments(once) == comments(text))
            let before = PolicyCompiler.compile(PolicySource(text: text))
            let after = PolicyCompiler.compile(PolicySource(text: once))
            // Moving a rule without `@id` changes its default id, which may end a CAV040 of two rules on one line.
            if result.movedRules.isEmpty {
                #expect(after.diagnostics.map(\.code) == before.diagnostics.map(\.code))
            }
            guard let original = before.policy, let formatted = after.policy else { continue }
            for request in requests {
                let a = original.evaluate(request, trace: false)
                let b = formatted.evaluate(request, trace: false)
                #expect(a.allow == b.allow)
                #expect(a.determining == b.determining)
                #expect(a.obligationNames == b.obligationNames)
                #expect(a.errors.map(\.rule) == b.errors.map(\.rule))
            }
        }
    }

    private func file(_ text: String) -> PolicyFile {
        PolicyFile(name: "policy.cavra", displayPath: "policy.cavra", bytes: Array(text.utf8))
    }

    private func tokens(_ text: String) -> [TokenKind] {
        Lexer.tokenize(Array(text.unicodeScalars), file: 0).map(\.kind)
    }

    private func comments(_ text: String) -> [String] {
        Lexer.tokenizeKeepingComments(Array(text.unicodeScalars), file: 0).comments.map(\.text)
    }
}
