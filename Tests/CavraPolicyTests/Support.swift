// Shared helpers of the policy tests: compiling policy text and deciding JSON requests.

import CavraJSON
import CavraPolicy
import Foundation
import Testing

enum Fixtures {
    /// The repository's root, found from this file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func compile(_ text: String, name: String = "policy.cavra") -> PolicyCompilation {
        PolicyCompiler.compile(PolicySource(text: text, name: name))
    }

    /// Compiles text that must be valid, recording its diagnostics as the failure when it is not.
    static func policy(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws
        -> CompiledPolicy
    {
        let compilation = compile(text)
        let policy = try #require(
            compilation.policy, "\(compilation.renderedDiagnostics())", sourceLocation: sourceLocation)
        return policy
    }

    static func request(_ json: String) throws -> PolicyRequest {
        try PolicyRequest(json: try JSON.parse(json))
    }

    /// The codes of the diagnostics, in order.
    static func codes(_ compilation: PolicyCompilation) -> [String] {
        compilation.diagnostics.map(\.code)
    }
}
