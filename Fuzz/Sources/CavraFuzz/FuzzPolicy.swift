// libFuzzer entry point: any bytes as a policy file. A crash, a hang, or a broken property is a finding:
// formatting must be idempotent and keep every token, and a valid policy must decide without trapping.

import CavraPolicy
import FuzzSupport

@main
enum CavraFuzz {
    static func main() {
        Fuzzer.run(FuzzChecks.run)
    }
}

enum FuzzChecks {
    static func run(_ bytes: [UInt8]) {
        let file = PolicyFile(name: "fuzz.cavra", displayPath: "fuzz.cavra", bytes: bytes)
        let compilation = PolicyCompiler.compile(PolicySource(kind: .file, path: "fuzz.cavra", files: [file]))
        _ = compilation.renderedDiagnostics()
        if let policy = compilation.policy {
            for action in PolicyAction.allCases {
                var request = PolicyRequest(action: action)
                request.actor.groups = ["release-managers", "incident-commanders"]
                _ = policy.evaluate(request, trace: true).json()
                _ = policy.evaluate(request, trace: false)
            }
            _ = TestRunner.run(policy).text(coverage: true)
        }
        guard let once = Formatter.format(file).text else { return }
        let formatted = PolicyFile(name: "fuzz.cavra", displayPath: "fuzz.cavra", bytes: Array(once.utf8))
        guard let twice = Formatter.format(formatted).text, twice == once else {
            fatalError("formatting is not idempotent")
        }
        let before = Lexer.tokenize(file.scalars, file: 0).map(\.kind)
        let after = Lexer.tokenize(formatted.scalars, file: 0).map(\.kind)
        if before != after { fatalError("formatting changed a token") }
    }
}
