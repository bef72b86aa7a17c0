// Builds the repository's default policy (`policy/*.cavra`) into the binary, so `cavra sandbox` run outside a
// checkout still has it. The files stay the one source: this writes them into a Swift source at build time.

import Foundation
import PackagePlugin

@main
struct EmbedDefaultPolicy: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let directory = context.package.directoryURL.appending(path: "policy")
        let names = (FileManager.default.subpaths(atPath: directory.path) ?? [])
            .filter { $0.hasSuffix(".cavra") }
            .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        let output = context.pluginWorkDirectoryURL.appending(path: "DefaultPolicy.swift")
        // Each file becomes a raw multi-line string literal; its bytes are kept exactly (the last line break of
        // a file is the one before the closing delimiter).
        var script = "set -e; out='\(output.path)'; {\n"
        script += "printf '// Generated from policy/ at build time.\\n\\n'\n"
        script += "printf 'let defaultPolicyFiles: [(name: String, text: String)] = [\\n'\n"
        for name in names {
            let path = directory.appending(path: name).path
            script += "printf '    (\"%s\", ####\"\"\"\\n' '\(name)'\n"
            script += "cat '\(path)'\n"
            script += "printf '\\n\"\"\"####),\\n'\n"
        }
        script += "printf ']\\n'\n} > \"$out\"\n"
        return [
            .buildCommand(
                displayName: "Embedding the default policy", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script], inputFiles: names.map { directory.appending(path: $0) },
                outputFiles: [output])
        ]
    }
}
