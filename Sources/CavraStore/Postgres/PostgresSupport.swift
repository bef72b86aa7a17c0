// What every PostgreSQL call shares: a bounded wait for a connection and for the answer, a rollback that never
// returns a connection mid-transaction to the pool, and errors a person can act on (the service answers them 503).

import Foundation
import PostgresNIO
import Synchronization

enum PostgresCalls {
    /// Queries log nothing: errors are thrown, described by `describe`.
    static let logger: Logger = {
        var logger = Logger(label: "cavra.store.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Runs one statement and reads its rows, so the connection is ready for the next one.
    @discardableResult
    static func run(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    /// Set once the call has its connection: from then on only the call timeout applies.
    private final class Leased: Sendable {
        let value = Mutex(false)
    }

    /// Leases a connection and runs `work` on it. Waiting for the connection is bounded by the connect timeout
    /// (the pool keeps retrying an unreachable server in the background, so a later call succeeds again), the
    /// whole call by the call timeout. Hitting either closes the connection, which fails the query in flight:
    /// postgres-nio's queries do not stop on task cancellation by themselves.
    static func withConnection<T: Sendable>(
        _ client: PostgresClient, _ settings: PostgresSettings,
        _ work: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let leased = Leased()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    leased.value.withLock { $0 = true }
                    return try await withTaskCancellationHandler {
                        try await work(connection)
                    } onCancel: {
                        abandon(connection)
                    }
                }
            }
            group.addTask {
                // A little over the connect timeout, so a refused connection reports its own reason first.
                try await Task.sleep(for: settings.connectTimeout + .milliseconds(500))
                if !leased.value.withLock({ $0 }) {
                    throw StoreError(
                        "the database at \(settings.host):\(settings.port) gave no connection within "
                            + "\(seconds(settings.connectTimeout)) s; it is unreachable or every connection is busy")
                }
                try await Task.sleep(for: settings.callTimeout - settings.connectTimeout)
                throw StoreError("the database did not answer within \(seconds(settings.callTimeout)) s")
            }
            defer { group.cancelAll() }
            do {
                // The work's child returns a value; the timer's only ever throws.
                while let result = try await group.next() {
                    if let result { return result }
                }
                throw StoreError("the database call ended without an answer")
            } catch {
                throw classify(error)
            }
        }
    }

    /// Closes a connection whose state is unknown (a call gave up on it, or its rollback failed); the pool drops it.
    static func abandon(_ connection: PostgresConnection) {
        let close: () -> EventLoopFuture<Void> = connection.close
        _ = close()
    }

    /// A `StoreError` for what the database or the pool threw; any other error (a `ServiceError` from the
    /// service's body) unchanged.
    static func classify(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if error is PSQLError || error is CancellationError || String(describing: error).contains("CircuitBreaker") {
            return StoreError(describe(error))
        }
        return error
    }

    /// Runs `work` in a transaction on `connection`: BEGIN, the work, COMMIT. An error rolls back and is thrown
    /// unchanged (a `ServiceError` from the service's body must reach the service as itself); a connection whose
    /// rollback fails is closed so the pool never hands out a connection stuck in a transaction.
    static func transaction<T: Sendable>(
        _ connection: PostgresConnection, _ work: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await PostgresCalls.run("BEGIN", on: connection)
        let value: T
        do {
            value = try await work(connection)
        } catch {
            do {
                try await PostgresCalls.run("ROLLBACK", on: connection)
            } catch {
                abandon(connection)
            }
            throw error
        }
        try await PostgresCalls.run("COMMIT", on: connection)
        return value
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000)" : String(format: "%.1f", Double(milliseconds) / 1000)
    }

    /// A sentence for a PostgreSQL or pool error. postgres-nio hides the server's message behind a generic
    /// description (so it never reaches a client by accident); ours names the cause and never the password.
    static func describe(_ error: any Error) -> String {
        if let error = error as? StoreError { return error.description }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? ""
                let message = info[.message] ?? "an error"
                switch state {
                case "55P03":
                    return "a row lock was not granted within the lock timeout (lock_timeout); another writer holds it"
                case "40001", "40P01":
                    return "the transaction was aborted by a concurrent one (\(message), SQLSTATE \(state))"
                case "57014":
                    return "the database cancelled a statement that took too long (\(message))"
                case "57P01", "57P02", "57P03":
                    return "the database is shutting down or starting (\(message), SQLSTATE \(state))"
                default:
                    return "PostgreSQL refused: \(message) (SQLSTATE \(state))"
                }
            }
            switch error.code {
            case .connectionError:
                return "the database cannot be reached: \(error.underlying.map { "\($0)" } ?? "connection failed")"
            case .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
                return "the connection to the database was lost"
            case .poolClosed:
                return "the store is shut down"
            case .queryCancelled:
                return "the database call was cancelled"
            case .sslUnsupported:
                return "the database does not offer TLS, which sslmode requires"
            default:
                return "the database call failed (\(error.code))"
            }
        }
        let text = String(describing: error)
        if text.contains("CircuitBreaker") {
            return "the database cannot be reached: new connections keep failing"
        }
        if error is CancellationError { return "the database call was cancelled" }
        return text
    }
}
