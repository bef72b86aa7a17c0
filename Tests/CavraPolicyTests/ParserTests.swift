import CavraPolicy
import Testing

@Suite struct ParserTests {
    private func parse(_ text: String) -> (SyntaxFile, [Diagnostic]) {
        Parser.parse(scalars: Array(text.unicodeScalars), file: 0)
    }

    private func firstRoleExpr(_ text: String) throws -> Expr {
        let (file, diagnostics) = parse(text)
        #expect(diagnostics.isEmpty)
        guard case .binding(let binding) = try #require(file.statements.first) else {
            throw ParseTestError.notABinding
        }
        return binding.expr
    }

    enum ParseTestError: Error { case notABinding }

    @Test func andBindsTighterThanOrAndNotTighterThanAnd() throws {
        let expr = try firstRoleExpr("role r = a or b and not c")
        guard case .or(let either) = expr.kind, either.count == 2, case .name("a") = either[0].kind,
            case .and(let both) = either[1].kind, both.count == 2, case .name("b") = both[0].kind,
            case .not(let c) = both[1].kind, case .name("c") = c.kind
        else {
            Issue.record("wrong tree: \(expr.kind)")
            return
        }
    }

    @Test func notInIsOneOperatorAndHasTakesAString() throws {
        let expr = try firstRoleExpr(#"role r = route.owner not in ["a"] and actor.claims has "title""#)
        guard case .and(let operands) = expr.kind, case .binary(.notIn, _, _) = operands[0].kind,
            case .has(_, "title") = operands[1].kind
        else {
            Issue.record("wrong tree: \(expr.kind)")
            return
        }
    }

    @Test func keywordsAfterADotAreNamesAndBracketsReadKeys() throws {
        let expr = try firstRoleExpr(#"role r = actor.claims.role == actor.claims["the test"].test"#)
        guard case .binary(.equal, let left, let right) = expr.kind, case .path(let l) = left.kind,
            case .path(let r) = right.kind
        else {
            Issue.record("wrong tree: \(expr.kind)")
            return
        }
        #expect(l.display == "actor.claims.role")
        #expect(r.segments.map(\.name) == ["claims", "the test", "test"])
        #expect(r.segments.map(\.bracketed) == [false, true, false])
    }

    @Test func requireOwnsTheConditionThatFollowsIt() {
        let (file, diagnostics) = parse(
            "permit escalate by ic\n  when route.breached\n  require note when route.severity == \"critical\"\n  because \"x\""
        )
        #expect(diagnostics.isEmpty)
        guard case .rule(let rule) = file.statements.first else {
            Issue.record("expected a rule")
            return
        }
        #expect(rule.clauses.count == 3)
        guard case .require(let name, let condition?, _) = rule.clauses[1] else {
            Issue.record("expected a conditional require")
            return
        }
        #expect(name.text == "note")
        #expect(condition.isWhen)
    }

    @Test func recoveryReportsEachBrokenStatementOnce() {
        let (file, diagnostics) = parse(
            """
            policy "p"
            role a = "x" in
            permit acknowledge by a
            role b = ("y" in actor.groups
            permit escalate
            """)
        #expect(diagnostics.map(\.code) == ["CAV001", "CAV001"])
        #expect(diagnostics.map(\.span.line) == [3, 5])
        // The header and both rules survive; the two broken roles do not.
        #expect(file.statements.count == 3)
    }

    @Test func nestingIsBoundedAtSixtyFourLevels() {
        let ok = "role r = " + String(repeating: "(", count: 64) + "true" + String(repeating: ")", count: 64)
        #expect(parse(ok).1.isEmpty)
        let deep = "role r = " + String(repeating: "(", count: 65) + "true" + String(repeating: ")", count: 65)
        let diagnostics = parse(deep).1
        #expect(diagnostics.map(\.code) == ["CAV002"])
        #expect(diagnostics.first?.span.column == 10 + 64)
    }

    @Test func aTestNeedsAnExpectation() {
        let diagnostics = parse("test \"t\" { actor { id: \"a\" } }").1
        #expect(diagnostics.map(\.code) == ["CAV001"])
        #expect(diagnostics.first?.message.contains("expect") == true)
    }
}
