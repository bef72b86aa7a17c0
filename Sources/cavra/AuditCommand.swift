// `cavra audit export` and `cavra audit verify` (architecture.md §7, §11).

import ArgumentParser
import CavraDrills
import CavraJSON
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Export audit packages of drill routes, and verify them offline.",
        subcommands: [Export.self, Verify.self])
}

extension AuditCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export, store and print an audit package of the matching routes the actor may export.",
            discussion: """
                Every matching route is included, with every record and refused attempt; routes the policy does \
                not let the actor export are left out and counted in withheld_route_count (exit 3 when that is \
                every matching route). With CAVRA_AUDIT_SIGNING_KEY (a PKCS#8 PEM Ed25519 key file) the package is \
                signed.
                """)

        @OptionGroup var options: DrillsOptions
        @OptionGroup var filters: RouteFilterOptions
        @Flag(name: .customLong("include-superseded"), help: "Include the routes of superseded plans too.")
        var includeSuperseded = false
        @Option(name: [.customShort("o"), .customLong("output")], help: "Write the package to this file.")
        var output: String?

        func run() async throws {
            let keyring: AuditKeyring
            do {
                keyring = try AuditKeyring.load()
            } catch {
                printError("error: \(error.description)")
                throw CavraExit.badInput
            }
            let store = try await options.openStore()
            let policy = try options.loadPolicy()
            let actor = try await options.actor(store: store)
            let service = options.service(store: store, policy: policy)
            var filter = filters.filter
            filter.includeSuperseded = includeSuperseded
            let package = try await serviceCall { () async throws(ServiceError) in
                try await service.exportAuditPackage(
                    filter: filter, context: CallContext(actor: actor, channel: .cli), signingKey: keyring.current)
            }
            let text = package.serialized(pretty: true) + "\n"
            guard let output else {
                print(text, terminator: "")
                return
            }
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } catch {
                printError(
                    "error: cannot write `\(output)`: \(error.localizedDescription); the package "
                        + "\(package["audit_id"]?.stringValue ?? "") is stored")
                throw CavraExit.badInput
            }
            if options.json {
                print(Self.summaryJSON(package, path: output).serialized(pretty: true))
            } else {
                print(Self.summary(package, path: output))
            }
        }

        /// `exported <audit_id> to <file> (<n> routes, <m> records, <k> refused attempts, <w> withheld, signature:
        /// <key_id>|none)`.
        static func summary(_ package: JSON, path: String) -> String {
            let json = summaryJSON(package, path: path)
            func number(_ key: String) -> Int64 { json[key]?.intValue ?? 0 }
            return "exported \(json["audit_id"]?.stringValue ?? "") to \(path) (\(number("route_count")) routes, "
                + "\(number("record_count")) records, \(number("refused_attempt_count")) refused attempts, "
                + "\(number("withheld_route_count")) withheld, signature: \(json["key_id"]?.stringValue ?? "none"))"
        }

        static func summaryJSON(_ package: JSON, path: String) -> JSON {
            let routes = package["routes"]?.arrayValue ?? []
            let refused = routes.reduce(0) { $0 + ($1["refused_attempts"]?.arrayValue?.count ?? 0) }
            return [
                "audit_id": package["audit_id"] ?? .null, "path": .string(path),
                "route_count": package["route_count"] ?? .null,
                "record_count": package["acknowledgement_count"] ?? .null,
                "refused_attempt_count": .int(Int64(refused)),
                "withheld_route_count": package["withheld_route_count"] ?? .null,
                "key_id": package["integrity"]?["signature"]?["key_id"] ?? .null,
            ]
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify an audit package offline: hashes, chains, policies, a replay of every decision, counts, "
                + "signature.",
            discussion: """
                Prints `verified: <audit_id> (…)` and exits 0, or `not verified: <JSON pointer>: <reason>` naming \
                the first failing check and exits 1. Without --trusted-key a signature only proves the package \
                matches the key inside it; with --trusted-key the package must be signed by one of the keys given.
                """)

        @Argument(help: "The package file.") var file: String
        @Option(
            name: .customLong("trusted-key"), parsing: .singleValue,
            help: "A file holding a trusted public key (PEM, or the base64url raw key); repeatable.")
        var trustedKeys: [String] = []
        @Flag(name: .customLong("strict-trace"), help: "Compare the replayed decisions' traces too.")
        var strictTrace = false
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            var keys: [AuditPublicKey] = []
            for path in trustedKeys {
                do {
                    keys.append(try AuditPublicKey(contentsOfFile: path))
                } catch {
                    printError("error: --trusted-key \(error.description)")
                    throw CavraExit.badInput
                }
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("error: cannot read `\(file)`")
                throw CavraExit.badInput
            }
            let result: Result<AuditVerification, AuditFailure>
            do {
                // Deeper than the default: a package nests a record's claims eight levels down.
                let package = try JSON.parse(bytes: [UInt8](data), maxDepth: 512)
                result = Result { () throws(AuditFailure) in
                    try AuditPackageVerifier.verify(package, trustedKeys: keys, strictTrace: strictTrace)
                }
            } catch {
                result = .failure(AuditFailure(pointer: "", reason: "the file is not JSON: \(error.description)"))
            }
            switch result {
            case .success(let verification):
                print(json ? verification.json.serialized(pretty: true) : "verified: \(verification.summary)")
            case .failure(let failure):
                if json {
                    let output: JSON = [
                        "verified": false, "pointer": .string(failure.pointer), "reason": .string(failure.reason),
                    ]
                    print(output.serialized(pretty: true))
                } else {
                    print("not verified: \(failure.pointer): \(failure.reason)")
                }
                throw CavraExit.negative
            }
        }
    }
}
