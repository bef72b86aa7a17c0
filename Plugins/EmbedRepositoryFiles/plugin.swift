// Builds two of the repository's files into the binary: the default policy (`policy/*.cavra`), so `cavra
// sandbox` run outside a checkout still has it, and the API description (`docs/openapi.json`), which the server
// answers at `/openapi.json`. The files stay the one source: this writes them into Swift sources at build time.

import Foundation
import PackagePlugin

@main
struct EmbedRepositoryFiles: BuildToolPlugin {
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
        let openAPI = context.package.directoryURL.appending(path: "docs/openapi.json")
        let openAPIOutput = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument.swift")
        var openAPIScript = "set -e; {\n"
        openAPIScript += "printf '// Generated from docs/openapi.json at build time.\\n\\n'\n"
        openAPIScript += "printf 'let embeddedOpenAPIDocument = ####\"\"\"\\n'\n"
        openAPIScript += "cat '\(openAPI.path)'\n"
        openAPIScript += "printf '\\n\"\"\"####\\n'\n"
        openAPIScript += "} > '\(openAPIOutput.path)'\n"
        return [
            .buildCommand(
                displayName: "Embedding the default policy", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script], inputFiles: names.map { directory.appending(path: $0) },
                outputFiles: [output]),
            .buildCommand(
                displayName: "Embedding the OpenAPI document", executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", openAPIScript], inputFiles: [openAPI], outputFiles: [openAPIOutput]),
        ]
    }
}
