// Verifies a compact JWS against the configured keys and turns its claims into the `Actor` (architecture §6).

import CavraDrills
import CavraJSON
import Crypto
import JWTKit

public struct TokenVerifier: Sendable {
    public let configuration: OIDCConfiguration
    /// The fetched keys when the configuration names a `jwks_uri`, else nil. Verifiers made separately fetch
    /// separately, so a server keeps one verifier.
    public let remoteKeys: RemoteKeySet?
    /// Shared by the copies of this verifier.
    private let verifiedTokens = VerifiedTokens()

    /// A verifier of tokens under `configuration`. For a `jwks_uri`, the key set is fetched by `start()`, or else
    /// when the first token is verified; `minimumRefreshInterval` and `onRefresh` configure its `RemoteKeySet`.
    public init(
        configuration: OIDCConfiguration,
        minimumRefreshInterval: Duration = RemoteKeySet.defaultMinimumRefreshInterval,
        onRefresh: (@Sendable (Bool) -> Void)? = nil
    ) {
        self.configuration = configuration
        remoteKeys = configuration.jwksURI.map {
            RemoteKeySet(uri: $0, minimumRefreshInterval: minimumRefreshInterval, onRefresh: onRefresh)
        }
    }

    /// Fetches the keys of a `jwks_uri` (nothing to do for `jwks` and `jwks_path`); a server calls this at start and
    /// does not start when it throws.
    public func start() async throws(IdentityError) {
        try await remoteKeys?.start()
    }

    /// The verified actor a token proves at `now`, or the first reason it is refused. Checks run in this order:
    /// the token's form, the header (`alg`, `crit`, `kid`), the key, the signature, then the claims.
    /// A token verified before against the same key set has its claims checked again at `now`; its form, header
    /// and signature are not checked again.
    public func verify(_ token: String, now: Timestamp) async throws(IdentityError) -> Actor {
        // Read before the keys are: if they are fetched again meanwhile, the entry kept below is never used.
        let keySet = await remoteKeys?.refreshCount ?? 0
        let claimsCheck = ClaimsCheck(configuration: configuration, now: now)
        if let known = verifiedTokens.entry(for: token, keySet: keySet) {
            try claimsCheck.check(known.claims)
            return known.actor
        }
        let jws = try CompactJWS(token)
        let algorithm = try checkHeader(jws.header)
        let key = try await verificationKey(for: jws.header, algorithm: algorithm)
        try await checkSignature(of: jws, key: key, algorithm: algorithm)
        try claimsCheck.check(jws.payload)
        let actor = try Actor(
            claims: jws.payload, actorClaim: configuration.actorClaim, groupsClaim: configuration.groupsClaim,
            verified: true)
        verifiedTokens.keep(.init(claims: jws.payload, actor: actor, keySet: keySet), for: token)
        return actor
    }

    /// How many verified tokens are kept.
    public var verifiedTokenCount: Int { verifiedTokens.count }

    /// The token's algorithm, once the header is one CAVRA accepts.
    private func checkHeader(_ header: JSONObject) throws(IdentityError) -> SigningAlgorithm {
        guard let value = header["alg"] else { throw IdentityError("token header has no `alg`") }
        guard let name = value.stringValue else {
            throw IdentityError("token header `alg` must be a string, found \(value.typeName)")
        }
        let accepted = "accepted: \(configuration.algorithms.map(\.rawValue).joined(separator: ", "))"
        if let reason = SigningAlgorithm.refusalReason(name) {
            throw IdentityError("token algorithm \(name) is not accepted: \(reason) (\(accepted))")
        }
        guard let algorithm = SigningAlgorithm(rawValue: name), configuration.algorithms.contains(algorithm) else {
            throw IdentityError("token algorithm \(name) is not accepted (\(accepted))")
        }
        // RFC 7515 §4.1.11: a recipient must refuse critical extensions it does not understand, and CAVRA
        // understands none.
        if header["crit"] != nil {
            throw IdentityError("token header lists critical extensions (`crit`), which are not supported")
        }
        return algorithm
    }

    /// The key named by `kid`, else the only key of the algorithm's kind. A `kid` the fetched set does not know
    /// may be a key the identity provider has just rotated in, so the set is fetched again (rate limited) and the
    /// key looked up once more.
    private func verificationKey(
        for header: JSONObject, algorithm: SigningAlgorithm
    ) async throws(IdentityError) -> VerificationKey {
        var keys = configuration.keys
        if let remoteKeys { keys = try await remoteKeys.keys() }
        let key: VerificationKey
        if let kidValue = header["kid"] {
            if let remoteKeys, let kid = kidValue.stringValue, !keys.knows(kid) {
                keys = try await remoteKeys.keysAfterUnknownKeyID()
            }
            key = try namedKey(kidValue, in: keys, algorithm: algorithm)
        } else {
            key = try onlyKey(in: keys, for: algorithm)
        }
        try checkPinnedAlgorithm(of: key, algorithm: algorithm)
        return key
    }

    /// Without `kid`: the only key of the algorithm's type.
    private func onlyKey(in keys: JWKSet, for algorithm: SigningAlgorithm) throws(IdentityError) -> VerificationKey {
        let kind = algorithm.keyKind
        let candidates = keys.keys.filter { $0.kind == kind }
        if candidates.count == 1 { return candidates[0] }
        if candidates.isEmpty {
            throw IdentityError(
                "token has no key id (`kid`) and the key set holds no \(kind.noun) for \(algorithm.rawValue)")
        }
        throw IdentityError(
            "token has no key id (`kid`) and the key set holds \(candidates.count) \(kind.noun)s; "
                + "the token must name its key with `kid`")
    }

    /// With `kid`: that key, of the algorithm's type.
    // Swift 6.3.1's optimiser crashes on this function ("Found ownership error" in CopyPropagation), so it is
    // left unoptimised; it runs once per token.
    @_optimize(none)
    private func namedKey(
        _ kidValue: JSON, in keys: JWKSet, algorithm: SigningAlgorithm
    ) throws(IdentityError) -> VerificationKey {
        guard let kid = kidValue.stringValue else {
            throw IdentityError("token header `kid` must be a string, found \(kidValue.typeName)")
        }
        guard let index = keys.keys.firstIndex(where: { $0.id == kid }) else {
            if let reason = keys.unusableKeys[kid] {
                throw IdentityError("token names key \(quoted(kid)), which cannot verify tokens: \(reason)")
            }
            throw IdentityError("token signed with unknown key id \(quoted(kid))")
        }
        let key = keys.keys[index]
        let kind = algorithm.keyKind
        if key.kind != kind {
            throw IdentityError(
                "token algorithm \(algorithm.rawValue) needs \(kind.phrase), but key \(quoted(kid)) is \(key.kind.phrase)"
            )
        }
        return key
    }

    private func checkPinnedAlgorithm(of key: VerificationKey, algorithm: SigningAlgorithm) throws(IdentityError) {
        if let pinned = key.algorithm, pinned != algorithm.rawValue {
            throw IdentityError(
                "token algorithm \(algorithm.rawValue) does not match \(key.name), which is for \(pinned) only")
        }
    }

    private func checkSignature(
        of jws: CompactJWS, key: VerificationKey, algorithm: SigningAlgorithm
    ) async throws(IdentityError) {
        let verifies: Bool
        switch key.material {
        case .ecP256(let publicKey):
            guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: jws.signature) else {
                throw IdentityError(
                    "token signature is malformed: ES256 signatures are 64 bytes, this one is \(jws.signature.count)")
            }
            verifies = publicKey.isValidSignature(signature, for: jws.signingInput)
        case .rsa(let publicKey):
            verifies = await Self.rsaSignatureVerifies(
                jws.signature, signingInput: jws.signingInput, key: publicKey, algorithm: algorithm)
        }
        guard verifies else { throw IdentityError("token signature does not verify with \(key.name)") }
    }

    /// RSA PKCS#1 v1.5 through jwt-kit, whose RSA keys are the only ones this module can reach (swift-crypto's
    /// RSA lives in `_CryptoExtras`, which is jwt-kit's dependency, not ours).
    private static func rsaSignatureVerifies(
        _ signature: [UInt8], signingInput: [UInt8], key: JWTKit.Insecure.RSA.PublicKey, algorithm: SigningAlgorithm
    ) async -> Bool {
        let digest: DigestAlgorithm =
            switch algorithm {
            case .rs384: .sha384
            case .rs512: .sha512
            case .rs256, .es256: .sha256
            }
        let collection = JWTKeyCollection()
        await collection.add(rsa: key, digestAlgorithm: digest)
        do {
            return try await collection.getKey().verify(signature, signs: signingInput)
        } catch {
            return false
        }
    }
}

extension JWKSet {
    /// Whether the set holds a key with this id, usable or not.
    fileprivate func knows(_ kid: String) -> Bool {
        keys.contains { $0.id == kid } || unusableKeys[kid] != nil
    }
}
