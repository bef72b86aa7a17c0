// `cavra store migrate` and `cavra store backup`: the store's schema and its copies (docs/operations.md).

import ArgumentParser
import CavraStore
import Foundation

struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Migrate the store's schema, or back it up.",
        subcommands: [Migrate.self, Backup.self])

    struct Location: ParsableArguments {
        @Option(help: "The store: a SQLite file path or a postgres:// URL.") var store: String?

        /// `--store` > `CAVRA_DATABASE_URL` > `.cavra/cavra.sqlite`, as for every command.
        var location: String {
            store ?? ProcessInfo.processInfo.environment["CAVRA_DATABASE_URL"] ?? ".cavra/cavra.sqlite"
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring the store's schema up to this cavra's and print its version.",
            discussion: """
                A SQLite store must exist already. On PostgreSQL the migration runs under an advisory lock, so \
                replicas starting together do not race; running it again changes nothing. A store with a newer \
                schema than this cavra understands is refused (exit 10): upgrade cavra.
                """)

        @OptionGroup var options: Location

        func run() async throws {
            let location = options.location
            try checkStoreLocation(location)
            if !DrillStores.isPostgres(location) && !FileManager.default.fileExists(atPath: location) {
                printError("error: no store at `\(location)`; name it with --store")
                throw CavraExit.badInput
            }
            let migration: DrillStores.Migration
            do {
                migration = try await DrillStores.migrate(location: location)
            } catch {
                printError("error: \(error)")
                throw ExitCode(10)
            }
            let what =
                switch migration.from {
                case nil: "created"
                case migration.to: "already current"
                case let from?: "migrated from version \(from)"
                }
            print("store \(DrillStores.describe(location)): schema version \(migration.to) (\(what))")
        }
    }

    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy a SQLite store, consistently, while servers keep using it.",
            discussion: """
                SQLite: the online backup API copies the store to FILE (written beside it, then renamed). \
                PostgreSQL: use the database's own tools, for example \
                `pg_dump --format=custom --file=cavra.dump "$CAVRA_DATABASE_URL"` (docs/operations.md).
                """)

        @OptionGroup var options: Location
        @Option(name: [.customShort("o"), .customLong("output")], help: "The file to write the copy to.")
        var output: String

        func run() async throws {
            let location = options.location
            if DrillStores.isPostgres(location) {
                printError(
                    """
                    error: `cavra store backup` copies SQLite stores only; back up PostgreSQL with pg_dump, e.g.
                        pg_dump --format=custom --file=cavra.dump "postgres://USER@HOST:PORT/DATABASE"
                    (the store URL without cavra's own parameters), and restore with pg_restore (docs/operations.md)
                    """)
                throw CavraExit.badInput
            }
            if !FileManager.default.fileExists(atPath: location) {
                printError("error: no store at `\(location)`; name it with --store")
                throw CavraExit.badInput
            }
            do {
                try DrillStores.backupSQLite(path: location, to: output)
            } catch {
                printError("error: \(error)")
                throw ExitCode(10)
            }
            print("store \(location) backed up to \(output)")
        }
    }
}
