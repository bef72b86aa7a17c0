// Sample mode (architecture.md §8): the same server with sample data and a built-in identity provider — an
// ephemeral key pair, signed tokens for a release manager, an incident commander and an auditor, and an
// unverified visitor described by claims only.

import CavraDrills
import CavraIdentity
import CavraJSON
import CavraPolicy
import Foundation

public struct SampleMode: Sendable {
    public static let issuer = "https://cavra.local/sandbox"
    public static let audience = "cavra-sandbox"
    /// Sample tokens live as long as a working day: the sandbox is for trying things, not for keeping.
    static let tokenLifetime = TokenLifetime(seconds: 12 * 3600)

    public let verifier: TokenVerifier
    public let configuration: OIDCConfiguration
    /// `{personas: [{name, description, token?, claims}]}` for `GET /console/sample-personas`.
    public let personas: JSON
    /// Who seeds the sample data: the sample provider's planner, verified like any token it signs.
    public let seeder: Actor

    public init(now: Timestamp) throws {
        let key = DevelopmentSigningKey()
        configuration = OIDCConfiguration(
            issuer: Self.issuer, audience: Self.audience, keys: try JWKSet(json: key.jwks), algorithms: [.es256])
        verifier = TokenVerifier(configuration: configuration)
        let people: [(name: String, description: String, subject: String, groups: [String])] = [
            (
                "release-manager", "Release manager: acknowledges non-production routes; production is refused.",
                "rm", ["release-managers"]
            ),
            (
                "incident-commander",
                "Incident commander: acknowledges, escalates, resolves and dismisses anywhere, and exports.", "ic",
                ["incident-commanders"]
            ),
            (
                "auditor", "Auditor: reads everything and exports audit packages; changes nothing.", "auditor",
                ["auditors"]
            ),
        ]
        var list: [JSON] = []
        for person in people {
            let email = "\(person.subject)@sandbox.cavra.local"
            let token = try TokenMinter.mint(
                key: key, issuer: Self.issuer, audience: Self.audience, subject: person.subject, email: email,
                groups: person.groups, ttl: Self.tokenLifetime, now: now)
            let claims: JSON = [
                "iss": .string(Self.issuer), "sub": .string(person.subject), "email": .string(email),
                "groups": .array(person.groups.map(JSON.string)),
            ]
            list.append([
                "name": .string(person.name), "description": .string(person.description), "token": .string(token),
                "claims": claims,
            ])
        }
        list.append([
            "name": "visitor",
            "description": .string(
                "Visitor: asserts a release manager's group without a token, so acts unverified; "
                    + "production is refused."),
            "claims": ["sub": "visitor", "preferred_username": "visitor", "groups": ["release-managers"]],
        ])
        personas = ["personas": .array(list)]
        seeder = Actor(
            id: "sample-planner@sandbox.cavra.local", verified: true, issuer: Self.issuer, subject: "sample-planner",
            groups: ["drill-planners", "incident-commanders"])
    }

    /// The policy built into the binary: the repository's default policy, for a sandbox run outside a checkout.
    public static func builtInPolicy() throws(PolicyLoadError) -> CompiledPolicy {
        let files = defaultPolicyFiles.map {
            PolicyFile(name: $0.name, displayPath: "built-in/" + $0.name, bytes: Array($0.text.utf8))
        }
        let compilation = PolicyCompiler.compile(PolicySource(kind: .directory, path: "built-in", files: files))
        guard let policy = compilation.policy else {
            throw PolicyLoadError(description: compilation.renderedDiagnostics())
        }
        return policy
    }
}
