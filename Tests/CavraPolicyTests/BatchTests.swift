// Request files and batch output (`cavra policy eval --batch`): lines read in pieces, lines written once each.

import CavraJSON
import CavraPolicy
import Testing

@Suite struct BatchTests {
    private static let acknowledge = #"{"action":"acknowledge"}"#

    /// The line number of the first bad line, or nil when every line is a request.
    private func badLine(_ text: String) -> Int? {
        do {
            _ = try PolicyRequest.lines(of: text)
            return nil
        } catch {
            return error.line
        }
    }

    @Test func blankLinesAreSkippedWhateverTheirWhitespace() throws {
        let text = "\n" + Self.acknowledge + "\r\n \t\r\n\u{A0}\u{2003}\n" + #"{"action":"plan"}"# + "\n\u{0B}\u{0C}\n"
        let requests = try PolicyRequest.lines(of: text)
        #expect(requests.map(\.action) == [.acknowledge, .plan])
        #expect(try PolicyRequest.lines(of: "").isEmpty)
        #expect(try PolicyRequest.lines(of: "\n\n").isEmpty)
    }

    @Test func aLineOfOtherCharactersIsNotBlank() {
        // U+001F is a control character, not whitespace; "\u{A0}x" ends in a letter.
        #expect(badLine(Self.acknowledge + "\n\u{1F}\n") == 2)
        #expect(badLine("\u{A0}x\n" + Self.acknowledge) == 1)
    }

    @Test func badLinesAreNumberedAcrossPieces() throws {
        // Far more than one piece (256 KiB) of lines, so that the bad ones fall in different pieces.
        var lines = Array(repeating: Self.acknowledge, count: 40_000)
        lines[25_000] = #"{"action":"acknowledge""#
        lines[31_000] = #"{"action":"approve"}"#
        #expect(badLine(lines.joined(separator: "\n")) == 25_001)
        lines[25_000] = Self.acknowledge
        #expect(badLine(lines.joined(separator: "\r\n")) == 31_001)
        lines[31_000] = Self.acknowledge
        #expect(try PolicyRequest.lines(of: lines.joined(separator: "\n") + "\n").count == 40_000)
    }

    @Test func theProblemOfABadLineIsKept() {
        do {
            _ = try PolicyRequest.lines(of: Self.acknowledge + "\n" + #"{"action":"plan","route":{"state":"open"}}"#)
            Issue.record("a bad state was accepted")
        } catch {
            #expect(error.line == 2)
            guard case .request(let problem) = error.problem else {
                Issue.record("expected a request problem, found \(error.problem)")
                return
            }
            #expect(problem.description.hasPrefix("`route.state` must be one of"))
        }
    }

    /// Thousands of random requests (several pieces, repeated lines, lines with errors) give exactly the
    /// lines of deciding and serialising each request on its own.
    @Test(arguments: [false, true])
    func batchLinesAreEachDecisionsLine(trace: Bool) throws {
        var generator = SplitMix(seed: 0xBA7C4)
        let policy = try Fixtures.policy(EvaluatorTests.generatedPolicy(rules: 50, using: &generator))
        let requests = (0..<5000).map { _ in EvaluatorTests.randomRequest(using: &generator) }
        var expected: [UInt8] = []
        for request in requests {
            expected += policy.evaluate(request, trace: trace).batchJSON(trace: trace).serialized().utf8
            expected.append(UInt8(ascii: "\n"))
        }
        #expect(policy.batchLines(requests, trace: trace) == expected)
        #expect(policy.batchLines([], trace: trace).isEmpty)
    }
}
