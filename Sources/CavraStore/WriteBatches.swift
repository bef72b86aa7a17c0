// Group commit for the embedded store: writes that arrive while the writer is busy are committed together, in one
// transaction and one sync, each in a savepoint of its own so that one write failing undoes only that write.

import CavraDrills
import Foundation
import GRDB
import Synchronization

/// Lends the service's body to whatever runs the transaction (a child task, another caller's batch) and takes it
/// back before the call returns, so a non-escaping body never outlives its call.
final class BodyBox<Result>: @unchecked Sendable {
    private let lock = NSLock()
    private var body: (@Sendable (inout WorkingSet) throws -> Result)?

    init(_ body: @escaping @Sendable (inout WorkingSet) throws -> Result) {
        self.body = body
    }

    func run(_ working: inout WorkingSet) throws -> Result {
        guard let body = lock.withLock({ self.body }) else { throw StoreError("the write was already abandoned") }
        return try body(&working)
    }

    func clear() { lock.withLock { body = nil } }
}

/// The writes waiting for SQLite's single writer. The first write to arrive when none is running schedules a run
/// on the writer; that run takes every write waiting (up to `maximumBatch`) into one `BEGIN IMMEDIATE`
/// transaction, commits it, answers each write, and goes on while writes are waiting. A write is answered only
/// after the commit that holds it, so a success still means the write is synced (`synchronous = FULL`).
final class WriteBatches: Sendable {
    /// The most writes one transaction holds, so one commit never waits on an unbounded batch.
    static let maximumBatch = 64

    private struct Queue {
        var waiting: [PendingWrite] = []
        var running = false
    }

    private let queue = Mutex(Queue())
    private let pool: DatabasePool
    /// Transactions committed and writes they held, for tests and figures.
    private let counts = Mutex((transactions: 0, writes: 0))

    init(pool: DatabasePool) {
        self.pool = pool
    }

    var committed: (transactions: Int, writes: Int) { counts.withLock { $0 } }
    var waiting: Int { queue.withLock { $0.waiting.count } }

    /// Runs `write` (load, decide, save) in the next transaction and returns its result once that has committed.
    func perform<Result: Sendable>(_ write: @escaping @Sendable (Database) throws -> Result) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let pending = TypedWrite(write, continuation)
            let start = queue.withLock { queue in
                queue.waiting.append(pending)
                defer { queue.running = true }
                return !queue.running
            }
            if start { pool.asyncWriteWithoutTransaction { db in self.drain(db) } }
        }
    }

    /// On the writer: batches until none is waiting.
    private func drain(_ db: Database) {
        while true {
            let batch = queue.withLock { queue in
                let batch = Array(queue.waiting.prefix(Self.maximumBatch))
                queue.waiting.removeFirst(batch.count)
                if batch.isEmpty { queue.running = false }
                return batch
            }
            if batch.isEmpty { return }
            run(batch, db)
        }
    }

    private func run(_ batch: [PendingWrite], _ db: Database) {
        do {
            try db.beginTransaction(.immediate)
        } catch {
            for write in batch { write.finish(error) }
            return
        }
        var outcomes: [(any Error)?] = []
        var lost: (any Error)?
        for write in batch {
            if let lost {
                outcomes.append(lost)
                continue
            }
            do {
                try db.inSavepoint {
                    try write.run(db)
                    return .commit
                }
                outcomes.append(nil)
            } catch {
                outcomes.append(error)
                // Some errors (a full disk, I/O) make SQLite roll the whole transaction back: the writes before this
                // one are gone too, and the rest cannot run in it.
                if !db.isInsideTransaction { lost = error }
            }
        }
        if let lost {
            outcomes = outcomes.map { $0 ?? lost }
        } else {
            do {
                try db.commit()
                counts.withLock { $0 = ($0.transactions + 1, $0.writes + outcomes.count { $0 == nil }) }
            } catch {
                try? db.rollback()
                outcomes = outcomes.map { $0 ?? error }
            }
        }
        for (write, outcome) in zip(batch, outcomes) { write.finish(outcome) }
    }
}

/// A write waiting in a batch: run once on the writer, then finished once with its outcome.
private class PendingWrite: @unchecked Sendable {
    func run(_ db: Database) throws { preconditionFailure("subclass") }
    func finish(_ error: (any Error)?) { preconditionFailure("subclass") }
}

private final class TypedWrite<Result: Sendable>: PendingWrite, @unchecked Sendable {
    private let write: @Sendable (Database) throws -> Result
    private let continuation: CheckedContinuation<Result, any Error>
    /// Set on the writer by `run`, read on the writer by `finish`.
    private var result: Result?

    init(
        _ write: @escaping @Sendable (Database) throws -> Result, _ continuation: CheckedContinuation<Result, any Error>
    ) {
        self.write = write
        self.continuation = continuation
    }

    override func run(_ db: Database) throws {
        result = try write(db)
    }

    override func finish(_ error: (any Error)?) {
        if let error {
            continuation.resume(throwing: error)
        } else {
            continuation.resume(returning: result!)
        }
    }
}
