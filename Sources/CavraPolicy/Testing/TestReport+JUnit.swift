// `cavra policy test --format junit`: one testcase per expectation, grouped by file, the trace in the failure.

extension TestReport {
    public func junit() -> String {
        var byFile: [Int: [(TestResult, ExpectationResult)]] = [:]
        for result in results {
            for outcome in result.expectations { byFile[result.test.file, default: []].append((result, outcome)) }
        }
        let failures = results.flatMap(\.expectations).filter { !$0.mismatches.isEmpty }.count
        let total = results.flatMap(\.expectations).count
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<testsuites name="\#(Self.escape(policy.id))" tests="\#(total)" failures="\#(failures)">"# + "\n"
        for file in byFile.keys.sorted() {
            let cases = byFile[file]!
            let path = Self.escape(policy.source.files[file].displayPath)
            let fileFailures = cases.filter { !$0.1.mismatches.isEmpty }.count
            xml += #"  <testsuite name="\#(path)" tests="\#(cases.count)" failures="\#(fileFailures)">"# + "\n"
            for (result, outcome) in cases {
                let name = Self.escape("\(result.test.name): \(Self.describe(outcome.expectation))")
                let head = #"    <testcase classname="\#(path)" name="\#(name)""#
                if outcome.mismatches.isEmpty {
                    xml += head + "/>\n"
                    continue
                }
                let message = Self.escape(outcome.mismatches.joined(separator: "; "))
                let body = Self.escape(
                    "\(path):\(outcome.expectation.line)\n" + outcome.mismatches.joined(separator: "\n") + "\n"
                        + Explanation.traceLines(outcome.decision).joined(separator: "\n"))
                xml += head + ">\n"
                xml += #"      <failure message="\#(message)" type="expectation">\#(body)</failure>"# + "\n"
                xml += "    </testcase>\n"
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    static func describe(_ expectation: PolicyExpectation) -> String {
        var text = "expect \(expectation.action.rawValue) \(expectation.allow ? "allow" : "deny")"
        if !expectation.obligations.isEmpty {
            text += " require " + expectation.obligations.map(\.rawValue).joined(separator: ", ")
        }
        if let determining = expectation.determining {
            text += " by " + determining.map { "\"\($0)\"" }.joined(separator: ", ")
        }
        return text
    }

    /// XML text and attribute escaping; control characters XML 1.0 cannot hold become U+FFFD.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\n", "\t": escaped.unicodeScalars.append(scalar)
            case "\r": escaped += "&#13;"
            default:
                escaped.unicodeScalars.append(scalar.value < 0x20 ? "\u{FFFD}" : scalar)
            }
        }
        return escaped
    }
}
