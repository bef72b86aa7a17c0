// A long-running `cavra api` or `cavra sandbox` under test: started, waited for until it prints the port it
// listens on, and stopped with a signal.

import Foundation

public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let port: Int
    /// Where the server's stderr (its log lines) goes.
    public let logURL: URL
    private let stdoutPipe: Pipe

    /// Starts `executable args` in `cwd` and waits (up to `timeout` seconds) for a stdout line holding
    /// `listening on http://HOST:PORT`.
    public init(
        _ executable: URL, _ args: [String], cwd: URL, environment: [String: String]? = nil, timeout: Double = 60
    ) throws {
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw ProcessLaunchError(description: "no executable at \(executable.path); build the package first")
        }
        logURL = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-server-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let process = Process()
        process.executableURL = executable
        process.arguments = args
        process.currentDirectoryURL = cwd
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = pipe
        process.standardError = try FileHandle(forWritingTo: logURL)
        try process.run()
        self.process = process
        self.stdoutPipe = pipe

        var seen = ""
        let deadline = Date().addingTimeInterval(timeout)
        var found: Int?
        while found == nil && Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.05)
                continue
            }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: "listening on http://") {
                let rest = seen[range.upperBound...]
                if let colon = rest.firstIndex(of: ":") {
                    let digits = rest[rest.index(after: colon)...].prefix { $0.isNumber }
                    if !digits.isEmpty, rest[rest.index(after: colon)...].count > digits.count { found = Int(digits) }
                }
            }
        }
        guard let found else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let log = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
            throw ProcessLaunchError(
                description:
                    "the server did not start (status \(process.terminationStatus)); stdout: \(seen); log: \(log)")
        }
        port = found
        // Keep draining stdout so the server never blocks on a full pipe: a blocking read on a thread of its own,
        // which ends at end of file. (A readability handler spins at end of file on Linux and can starve the
        // queue that notices the process's exit.)
        let reader = pipe.fileHandleForReading
        Thread.detachNewThread {
            while !reader.availableData.isEmpty {}
        }
    }

    /// Sends `signal` and waits for the exit; returns the exit status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    public var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    deinit {
        // SIGKILL: a child may have inherited a signal mask that blocks SIGTERM.
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logURL)
    }
}
