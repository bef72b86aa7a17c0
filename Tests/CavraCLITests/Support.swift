// Shared helpers of the CLI tests: finding the built `cavra`, running it, temporary directories and policy facts.

import CavraTesting
import Foundation
import Testing

/// The repository's root, found from this file's path (Tests/CavraCLITests/Support.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The `cavra` executable of the build under test.
let cavraExecutable: URL = builtCavra(repositoryRoot: repositoryRoot)

typealias CavraRun = ProcessRun

/// Runs the built `cavra` with `args` in `cwd` and waits for it.
func runCavra(_ args: [String], cwd: URL = repositoryRoot) throws -> (status: Int32, stdout: String, stderr: String) {
    let run = try runProcess(cavraExecutable, args, cwd: cwd)
    return (run.status, run.stdout, run.stderr)
}

/// `runCavra` with the result as a value that also splits lines.
func cavra(_ args: [String], cwd: URL = repositoryRoot) throws -> CavraRun {
    try runProcess(cavraExecutable, args, cwd: cwd)
}

/// Runs `body` in a fresh empty directory that is removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// Writes `text` to `name` (which may contain `/`) below `directory`, creating parent directories.
@discardableResult
func write(_ text: String, to name: String, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
    return url
}

/// The bytes of the file at `url`.
func bytes(of url: URL) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: url))
}

/// The text of the file at `url`, decoded as UTF-8.
func text(of url: URL) throws -> String {
    String(decoding: try Data(contentsOf: url), as: UTF8.self)
}

/// Facts about a policy directory read from its files, independently of the implementation under test.
struct PolicyFacts {
    /// Relative `/`-separated path and bytes of every `*.cavra` file below the directory, in bytewise path order.
    var files: [(name: String, bytes: [UInt8])]

    init(directory: URL) throws {
        var found: [(name: String, bytes: [UInt8])] = []
        let enumerator = FileManager.default.enumerator(atPath: directory.path)
        while let relative = enumerator?.nextObject() as? String {
            let url = directory.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard relative.hasSuffix(".cavra"),
                FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue
            else { continue }
            found.append((relative, [UInt8](try Data(contentsOf: url))))
        }
        files = found.sorted { Array($0.name.utf8).lexicographicallyPrecedes(Array($1.name.utf8)) }
    }

    /// Lines of the policy text with comments and leading whitespace removed.
    private var statementLines: [String] {
        files.flatMap { file in
            String(decoding: file.bytes, as: UTF8.self).split(separator: "\n").map { line in
                line.trimmingCharacters(in: .whitespaces)
            }
        }.filter { !$0.hasPrefix("#") }
    }

    /// The number of `test "…"` blocks.
    var testCount: Int { statementLines.filter { $0.hasPrefix("test \"") }.count }

    /// The number of `expect` lines of every `test` block.
    var expectCount: Int { statementLines.filter { $0.hasPrefix("expect ") }.count }

    /// The number of rules: statements that begin with `permit` or `forbid`.
    var ruleCount: Int {
        statementLines.filter { $0.hasPrefix("permit ") || $0.hasPrefix("forbid ") }.count
    }

    /// The bytes hashed for a directory policy (policy-language.md §6): for each file in load order, its relative
    /// path, `\n`, its byte length in decimal, `\n`, its bytes.
    var hashInput: [UInt8] {
        var bytes: [UInt8] = []
        for file in files {
            bytes += Array(file.name.utf8) + [0x0A] + Array(String(file.bytes.count).utf8) + [0x0A] + file.bytes
        }
        return bytes
    }
}

/// SHA-256 of `bytes` in lowercase hex, computed by the system's `sha256sum`.
func sha256sum(_ bytes: [UInt8]) throws -> String {
    try withTemporaryDirectory { directory in
        let input = directory.appendingPathComponent("input")
        try Data(bytes).write(to: input)
        let run = try runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["sha256sum", input.path], cwd: directory)
        guard run.status == 0, let digest = run.stdout.split(separator: " ").first else {
            throw ProcessLaunchError(description: "sha256sum failed: \(run.stderr)")
        }
        return String(digest)
    }
}

/// The repository's default policy directory.
let repositoryPolicy = repositoryRoot.appendingPathComponent("policy")

/// The example request of the documentation, as a path relative to the repository root.
let exampleRequestPath = "docs/examples/escalate-critical-production.json"
