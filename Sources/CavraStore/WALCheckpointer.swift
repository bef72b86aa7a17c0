// Checkpoints of the embedded store's write-ahead log, run beside the writer instead of by it.

import Foundation
import GRDB

/// Copies committed pages from the WAL into the database file every quarter of a second, on a connection of its own.
/// A PASSIVE checkpoint takes no write lock, so commits go on while it copies and syncs the file; left to the writer,
/// SQLite checkpoints every 1,000 pages inside the commit that crosses the mark, and that commit, and every write
/// waiting behind it, waits for a thousand page writes and a sync of the database file. The writer keeps a checkpoint
/// of its own at 10,000 pages, in case this one falls behind. Stops when its store is gone.
final class WALCheckpointer: Sendable {
    static let interval: DispatchTimeInterval = .milliseconds(250)
    /// The writer's own `wal_autocheckpoint`, in pages: only reached if the checkpoints here fall behind.
    static let writerThreshold = 10_000

    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "cavra.sqlite.checkpoint")

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        connection = try DatabaseQueue(path: path, configuration: configuration)
        schedule()
    }

    private func schedule() {
        queue.asyncAfter(deadline: .now() + Self.interval) { [weak self] in
            guard let self else { return }
            // A failed checkpoint (the file busy in another process) is tried again at the next tick.
            try? self.connection.writeWithoutTransaction { db in _ = try db.checkpoint(.passive) }
            self.schedule()
        }
    }
}
