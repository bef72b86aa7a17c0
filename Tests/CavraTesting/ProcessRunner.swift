// Test support shared by the test targets that run the built `cavra`: finding it and running it.

import Foundation

/// What a finished process printed, and how it ended.
public struct ProcessRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String

    /// The lines of stdout, without the final line break.
    public var stdoutLines: [String] { Self.lines(stdout) }
    public var stderrLines: [String] { Self.lines(stderr) }

    private static func lines(_ text: String) -> [String] {
        var all = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if all.last == "" { all.removeLast() }
        return all
    }
}

public struct ProcessLaunchError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}

/// The built `cavra` of the package under test: SwiftPM puts test bundles beside the executables;
/// `CAVRA_EXECUTABLE` overrides the search; the repository's `.build/debug` is the last resort.
public func builtCavra(repositoryRoot: URL) -> URL {
    if let override = ProcessInfo.processInfo.environment["CAVRA_EXECUTABLE"], !override.isEmpty {
        return URL(fileURLWithPath: override)
    }
    var directories: [URL] = []
    for bundle in Bundle.allBundles + [Bundle.main] {
        directories.append(bundle.bundleURL)
        directories.append(bundle.bundleURL.deletingLastPathComponent())
        if let executable = bundle.executableURL { directories.append(executable.deletingLastPathComponent()) }
    }
    if let first = CommandLine.arguments.first {
        directories.append(URL(fileURLWithPath: first).deletingLastPathComponent())
    }
    directories.append(repositoryRoot.appendingPathComponent(".build/debug"))
    for directory in directories {
        let candidate = directory.appendingPathComponent("cavra")
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue,
            FileManager.default.isExecutableFile(atPath: candidate.path)
        {
            return candidate
        }
    }
    return repositoryRoot.appendingPathComponent(".build/debug/cavra")
}

/// Runs `executable` with `args` in `cwd` and waits for it. Output goes through files, so a large output on one
/// stream can never block the process while the other is read. `environment` replaces the inherited one when given.
public func runProcess(_ executable: URL, _ args: [String], cwd: URL, environment: [String: String]? = nil) throws
    -> ProcessRun
{
    guard FileManager.default.isExecutableFile(atPath: executable.path) else {
        throw ProcessLaunchError(description: "no executable at \(executable.path); build the package first")
    }
    let outputs = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-run-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: outputs) }
    let stdoutURL = outputs.appendingPathComponent("stdout")
    let stderrURL = outputs.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
    let stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
    let stderrHandle = try FileHandle(forWritingTo: stderrURL)

    let process = Process()
    process.executableURL = executable
    process.arguments = args
    process.currentDirectoryURL = cwd
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = stdoutHandle
    process.standardError = stderrHandle
    try process.run()
    process.waitUntilExit()
    try stdoutHandle.close()
    try stderrHandle.close()

    return ProcessRun(
        status: process.terminationStatus,
        stdout: String(decoding: try Data(contentsOf: stdoutURL), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
}
