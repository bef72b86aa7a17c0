// `cavra identity init` and `cavra token mint`: the development identity provider (architecture §6, §11).

import ArgumentParser
import CavraDrills
import CavraIdentity
import Foundation

struct IdentityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity",
        abstract: "Set up a development identity provider for labs and tests.",
        subcommands: [Init.self])
}

extension IdentityCommand {
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a development ES256 key (signing-key.pem), its jwks.json and an oidc.json trusting it.",
            discussion: "Refuses (exit 2) when any of the three files already exists in DIR.")

        @Argument(help: "The directory to write into; created when missing.") var directory: String

        func run() throws {
            let written: [String]
            do {
                written = try DevelopmentIdentity.initialize(directory: directory)
            } catch {
                printError("error: \(error)")
                throw CavraExit.badInput
            }
            for path in written { print("wrote \(path)") }
            let base = directory.hasSuffix("/") ? directory : directory + "/"
            print(
                "next: export \(OIDCConfiguration.environmentVariable)=\(base)\(DevelopmentIdentity.configurationFile)")
            print(
                "      cavra token mint --key \(base)\(DevelopmentIdentity.keyFile) --issuer \(DevelopmentIdentity.issuer) "
                    + "--audience \(DevelopmentIdentity.audience) --sub SUBJECT")
        }
    }
}

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint development tokens.",
        subcommands: [Mint.self])
}

extension TokenCommand {
    struct Mint: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign an ES256 token with a development key and print it.")

        @Option(help: "The PEM signing key, e.g. the signing-key.pem of `cavra identity init`.") var key: String
        @Option(help: "The `iss` claim.") var issuer: String
        @Option(help: "The `aud` claim.") var audience: String
        @Option(help: "The `sub` claim.") var sub: String
        @Option(help: "The `email` claim.") var email: String?
        @Option(help: "The `groups` claim, a comma list.") var groups: String?
        @Option(help: "How long the token lives: 30m, 1h, 2d, 3600s or plain seconds.") var ttl = "1h"

        func run() throws {
            do {
                let lifetime = try TokenLifetime(parsing: ttl)
                let signingKey = try DevelopmentSigningKey.load(path: key)
                let groupList = groups.map {
                    $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
                print(
                    try TokenMinter.mint(
                        key: signingKey, issuer: issuer, audience: audience, subject: sub, email: email,
                        groups: groupList, ttl: lifetime, now: Timestamp(Date())))
            } catch {
                printError("error: \(error)")
                throw CavraExit.badInput
            }
        }
    }
}
