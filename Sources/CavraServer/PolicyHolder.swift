// The policies a running server decides with (architecture.md §9): loaded at start (an invalid policy stops the
// start), then polled; a change is debounced, validated and swapped in atomically, and a refused edit leaves the
// last good policy deciding while `/readyz`, the log and a metric say why.

import CavraDrills
import CavraPolicy
import Foundation

/// Why a policy could not be used: its diagnostics, or why it could not be read.
public struct PolicyLoadError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

public final class PolicyHolder: Sendable {
    public let path: String
    public let shadowPath: String?

    struct State {
        var policies: PolicySet
        var loadedAt: Timestamp
        /// Why the newest edit was refused; nil once a good policy is loaded again.
        var error: String?
        /// The files as last seen by the poll, and a change waiting one more poll to settle.
        var seen: [String]
        var pending: [String]?
        var reloads = 0
        var failures = 0
    }

    private let state: Locked<State>

    /// Loads the policy at `path` (and the shadow policy at `shadowPath`): an invalid policy, a primary policy in
    /// shadow mode or a shadow policy that is not are refused.
    public init(path: String, shadowPath: String?, now: Timestamp) throws(PolicyLoadError) {
        self.path = path
        self.shadowPath = shadowPath
        let policies = try Self.load(path: path, shadowPath: shadowPath)
        state = Locked(
            State(policies: policies, loadedAt: now, error: nil, seen: Self.fingerprint(path, shadowPath)))
    }

    /// A holder for a policy compiled elsewhere (the sandbox's built-in policy); never polled.
    public init(policies: PolicySet, name: String, now: Timestamp) {
        path = name
        shadowPath = nil
        state = Locked(State(policies: policies, loadedAt: now, error: nil, seen: []))
    }

    public var policies: PolicySet { state.read(\.policies) }
    public var loadedAt: Timestamp { state.read(\.loadedAt) }
    public var error: String? { state.read(\.error) }
    public var counts: (reloads: Int, failures: Int) { state.read { ($0.reloads, $0.failures) } }

    /// One poll: reports what happened, for the log. A change is acted on once two polls in a row see the same
    /// files (debounce: an editor saving several files is read once, whole).
    public func poll(now: Timestamp) -> PollOutcome {
        let files = Self.fingerprint(path, shadowPath)
        let settled: Bool = state.update { state in
            if files == state.seen {
                state.pending = nil
                return false
            }
            if state.pending != files {
                state.pending = files
                return false
            }
            return true
        }
        guard settled else { return .unchanged }
        let result: Result<PolicySet, PolicyLoadError>
        do {
            result = .success(try Self.load(path: path, shadowPath: shadowPath))
        } catch {
            result = .failure(error)
        }
        return state.update { state in
            state.seen = files
            state.pending = nil
            switch result {
            case .success(let policies):
                let changed =
                    policies.enforced.sha256 != state.policies.enforced.sha256
                    || policies.shadow?.sha256 != state.policies.shadow?.sha256
                state.error = nil
                guard changed else { return .unchanged }
                state.policies = policies
                state.loadedAt = now
                state.reloads += 1
                return .reloaded(policies.enforced)
            case .failure(let error):
                state.error = error.description
                state.failures += 1
                return .refused(error.description)
            }
        }
    }

    public enum PollOutcome: Equatable {
        case unchanged
        case reloaded(CompiledPolicy)
        case refused(String)

        public static func == (lhs: PollOutcome, rhs: PollOutcome) -> Bool {
            switch (lhs, rhs) {
            case (.unchanged, .unchanged): true
            case (.reloaded(let a), .reloaded(let b)): a.sha256 == b.sha256
            case (.refused(let a), .refused(let b)): a == b
            default: false
            }
        }
    }

    static func load(path: String, shadowPath: String?) throws(PolicyLoadError) -> PolicySet {
        let enforced = try compile(path)
        if enforced.shadow {
            throw PolicyLoadError(
                description:
                    "`\(path)` says `mode shadow`: a shadow policy is evaluated beside the enforced one, never enforced; "
                    + "give it with --shadow-policy")
        }
        var shadow: CompiledPolicy?
        if let shadowPath {
            let candidate = try compile(shadowPath)
            guard candidate.shadow else {
                throw PolicyLoadError(
                    description:
                        "`\(shadowPath)` is given as a shadow policy but its header does not say `mode shadow`")
            }
            shadow = candidate
        }
        return PolicySet(enforced: enforced, shadow: shadow)
    }

    static func compile(_ path: String) throws(PolicyLoadError) -> CompiledPolicy {
        let source: PolicySource
        do {
            source = try PolicySource.load(path: path)
        } catch {
            throw PolicyLoadError(description: error.description)
        }
        let compilation = PolicyCompiler.compile(source)
        guard let policy = compilation.policy else {
            throw PolicyLoadError(description: compilation.renderedDiagnostics())
        }
        return policy
    }

    /// Each policy file's path, size and modification time: cheap to read every poll.
    static func fingerprint(_ paths: String?...) -> [String] {
        var entries: [String] = []
        let manager = FileManager.default
        for case let path? in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
                entries.append("\(path) missing")
                continue
            }
            var files = [path]
            if isDirectory.boolValue {
                files = (manager.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                    .filter { $0.hasSuffix(".cavra") }.sorted().map { path + "/" + $0 }
            }
            for file in files {
                let attributes = (try? manager.attributesOfItem(atPath: file)) ?? [:]
                let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
                let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
                entries.append("\(file) \(size) \(modified)")
            }
        }
        return entries
    }
}
