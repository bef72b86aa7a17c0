// Inputs that once crashed the checker (stack overflow on long chains), and the fuzzer's findings in
// Tests/FuzzRegressions: each must give diagnostics or a decision, never a crash.

import CavraPolicy
import Foundation
import Testing

@Suite struct RobustnessTests {
    /// 200,000 operands: `and`/`or` chains are kept flat, so checking and deciding them does not recurse.
    @Test(arguments: ["and", "or"])
    func longChainsOfAndAndOr(_ op: String) throws {
        let condition = Array(repeating: "route.breached", count: 200_000).joined(separator: " \(op) ")
        let policy = try Fixtures.policy("policy \"p\"\npermit plan when \(condition)")
        var request = PolicyRequest(action: .plan)
        #expect(!policy.evaluate(request).allow)
        request.route.breached = true
        #expect(policy.evaluate(request).allow)
        #expect(policy.evaluate(request, trace: false).allow)
    }

    @Test func longChainsOfRolesAreCutAtSixtyFourLevels() {
        var text = "policy \"p\"\n"
        for index in 0..<20_000 { text += "role r\(index) = r\(index + 1)\n" }
        text += "role r20000 = actor.verified\npermit plan by r0\n"
        let compilation = Fixtures.compile(text)
        #expect(Fixtures.codes(compilation) == ["CAV002"])
        #expect(compilation.diagnostics.first?.span.line == 66)
    }

    @Test func chainsWithinTheBoundStillDecide() throws {
        var text = "policy \"p\"\n"
        for index in 0..<60 { text += "role r\(index) = r\(index + 1)\n" }
        text += "role r60 = actor.verified\npermit plan by r0\n"
        let policy = try Fixtures.policy(text)
        var request = PolicyRequest(action: .plan)
        request.actor.verified = true
        #expect(policy.evaluate(request).allow)
    }

    @Test func deepParenthesesAndListsAreRefusedNotOverflowed() {
        for (open, close) in [("(", ")"), ("[", "]"), ("not ", "")] {
            let text =
                "policy \"p\"\npermit plan when "
                + String(repeating: open, count: 100_000) + "true" + String(repeating: close, count: 100_000)
            #expect(Fixtures.codes(Fixtures.compile(text)) == ["CAV002"])
        }
        let fixture =
            "policy \"p\"\npermit plan\ntest \"t\" { actor { claims: { a: "
            + String(repeating: "[", count: 100_000) + " } }\n expect plan allow }"
        #expect(Fixtures.codes(Fixtures.compile(fixture)).first == "CAV002")
    }

    @Test func invalidUTF8IsASyntaxError() {
        let bytes = Array("policy \"p\"\npermit plan when route.owner == \"".utf8) + [0xFF, 0xFE] + Array("\"".utf8)
        let compilation = PolicyCompiler.compile(
            PolicySource(
                kind: .file, path: "p.cavra", files: [PolicyFile(name: "p.cavra", displayPath: "p.cavra", bytes: bytes)]
            ))
        #expect(Fixtures.codes(compilation) == ["CAV001"])
        #expect(compilation.diagnostics.first?.span.line == 2)
    }

    static let regressionsDirectory = Fixtures.repositoryRoot.appendingPathComponent("Tests/FuzzRegressions")

    static var regressionFiles: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: regressionsDirectory.path)) ?? [])
            .filter { !$0.hasSuffix(".md") }.sorted()
    }

    /// The fuzzer's properties on every kept input: no crash, and formatting is idempotent and keeps the tokens.
    @Test(arguments: regressionFiles)
    func fuzzRegression(_ name: String) throws {
        let bytes = try [UInt8](Data(contentsOf: Self.regressionsDirectory.appendingPathComponent(name)))
        let file = PolicyFile(name: name, displayPath: name, bytes: bytes)
        let compilation = PolicyCompiler.compile(PolicySource(kind: .file, path: name, files: [file]))
        #expect(compilation.policy != nil || compilation.errorCount > 0)
        if let policy = compilation.policy {
            for action in PolicyAction.allCases { _ = policy.evaluate(PolicyRequest(action: action)).json() }
        }
        guard let once = Formatter.format(file).text else { return }
        let formatted = PolicyFile(name: name, displayPath: name, bytes: Array(once.utf8))
        #expect(Formatter.format(formatted).text == once)
        #expect(
            Lexer.tokenize(formatted.scalars, file: 0).map(\.kind) == Lexer.tokenize(file.scalars, file: 0).map(\.kind))
    }
}
