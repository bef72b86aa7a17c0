// The keys of audit packages: PKCS#8 and SubjectPublicKeyInfo PEM (RFC 8410's examples), base64url raw keys, key
// ids, the keyring read from the environment, and rotation.

import CavraDrills
import CavraJSON
import Foundation
import Testing

@Suite struct AuditPackageKeyTests {
    /// RFC 8410 §10.3: a PKCS#8 version 1 Ed25519 private key …
    static let rfcPrivateKey = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
        -----END PRIVATE KEY-----
        """
    /// … the same key as version 2, with an attribute and its public key …
    static let rfcPrivateKeyWithPublicKey = """
        -----BEGIN PRIVATE KEY-----
        MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC
        oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB
        Z9w7lshQhqowtrbLDFw4rXAxZuE=
        -----END PRIVATE KEY-----
        """
    /// … and §10.1: its public key.
    static let rfcPublicKey = """
        -----BEGIN PUBLIC KEY-----
        MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=
        -----END PUBLIC KEY-----
        """

    @Test func rfc8410KeysReadAndAgree() throws {
        let key = try AuditSigningKey(pemRepresentation: Self.rfcPrivateKey)
        let withPublic = try AuditSigningKey(pemRepresentation: Self.rfcPrivateKeyWithPublicKey)
        let publicKey = try AuditPublicKey(text: Self.rfcPublicKey)
        #expect(key.publicKey == publicKey)
        #expect(withPublic.publicKey == publicKey)
        #expect(publicKey.base64URL == "Gb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE")
        #expect(try AuditPublicKey(text: publicKey.base64URL + "\n") == publicKey)
        #expect(try AuditPublicKey(text: publicKey.base64URL + "=") == publicKey)
        #expect(publicKey.keyId == String(CavraHash.sha256Hex(publicKey.rawRepresentation).prefix(16)))
        #expect(publicKey.pemRepresentation == Self.rfcPublicKey + "\n")
        #expect(key.pemRepresentation == Self.rfcPrivateKey + "\n")
        #expect(try AuditSigningKey(pemRepresentation: key.pemRepresentation).publicKey == publicKey)
    }

    @Test func rfc8032SignatureVerifies() throws {
        // RFC 8032 §7.1, test 1: the empty message.
        let publicKey = try AuditPublicKey(
            rawRepresentation: hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
        let signature = hex(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        )
        #expect(publicKey.isValidSignature(signature, for: []))
        #expect(!publicKey.isValidSignature(signature, for: [0]))
        let key = try AuditSigningKey(
            rawRepresentation: hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"))
        #expect(key.publicKey == publicKey)
        #expect(publicKey.isValidSignature(key.signature(for: Array("abc".utf8)), for: Array("abc".utf8)))
        // OpenSSL 3's signature of "abc" by the same key (`openssl pkeyutl -sign -rawin`).
        let openssl = hex(
            "80d724b01e7ca260f4cc7f8de7c95f73cfac615bab1f762b6435b6ec26c8cf6d2c758dae2f87399a8eeda1cbcd2835ac5ba66d6ecaa3aba5e567a751053dc207"
        )
        #expect(publicKey.isValidSignature(openssl, for: Array("abc".utf8)))
    }

    @Test func unusableKeysAreRefusedWithAReason() throws {
        #expect(throws: AuditKeyError.self) { try AuditSigningKey(pemRepresentation: Self.rfcPublicKey) }
        do {
            _ = try AuditPublicKey(text: Self.rfcPrivateKey)
            Issue.record("a private key was read as a public key")
        } catch {
            #expect(error.description.contains("private key"))
        }
        #expect(throws: AuditKeyError.self) { try AuditPublicKey(text: "not a key") }
        #expect(throws: AuditKeyError.self) { try AuditPublicKey(text: Base64URL31Bytes.value) }
        // An EC P-256 key is not an Ed25519 key.
        let p256 = """
            -----BEGIN PUBLIC KEY-----
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ/eNy1vrvBsY++Zd2j/C9BGoQSvA
            ATME96xw57g9BuzpOfKHyJQ5Wrm7rsYf7fDqd3+0M+LhlUPJXaRiz4vZ3w==
            -----END PUBLIC KEY-----
            """
        do {
            _ = try AuditPublicKey(text: p256)
            Issue.record("a P-256 key was read as an Ed25519 key")
        } catch {
            #expect(error.description.contains("not an Ed25519 key"))
        }
        #expect(throws: AuditKeyError.self) {
            try AuditSigningKey(
                pemRepresentation: Self.rfcPrivateKeyWithPublicKey.replacingOccurrences(of: "Z9w7lsh", with: "Z9w8lsh"))
        }
    }

    @Test func theKeyringComesFromTheEnvironmentAndListsRotatedKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cavra-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let current = AuditSigningKey()
        let old = AuditSigningKey()
        let older = AuditSigningKey()
        let currentPath = directory.appendingPathComponent("current.pem").path
        let oldPath = directory.appendingPathComponent("old.pub").path
        let olderPath = directory.appendingPathComponent("older.txt").path
        try current.pemRepresentation.write(toFile: currentPath, atomically: true, encoding: .utf8)
        try old.publicKey.pemRepresentation.write(toFile: oldPath, atomically: true, encoding: .utf8)
        try (older.publicKey.base64URL + "\n").write(toFile: olderPath, atomically: true, encoding: .utf8)

        #expect(try AuditKeyring.load(environment: [:]).current == nil)
        let keyring = try AuditKeyring.load(environment: [
            "CAVRA_AUDIT_SIGNING_KEY": currentPath, "CAVRA_AUDIT_PREVIOUS_KEYS": "\(oldPath), \(olderPath),",
        ])
        #expect(keyring.current?.publicKey == current.publicKey)
        #expect(keyring.previous == [old.publicKey, older.publicKey])
        #expect(
            keyring.publishedKeysJSON == [
                "keys": [
                    [
                        "key_id": .string(current.publicKey.keyId), "algorithm": "Ed25519",
                        "public_key": .string(current.publicKey.base64URL), "status": "current",
                    ],
                    [
                        "key_id": .string(old.publicKey.keyId), "algorithm": "Ed25519",
                        "public_key": .string(old.publicKey.base64URL), "status": "previous",
                    ],
                    [
                        "key_id": .string(older.publicKey.keyId), "algorithm": "Ed25519",
                        "public_key": .string(older.publicKey.base64URL), "status": "previous",
                    ],
                ]
            ])
        #expect(throws: AuditKeyError.self) {
            try AuditKeyring.load(environment: ["CAVRA_AUDIT_SIGNING_KEY": oldPath])
        }
        #expect(throws: AuditKeyError.self) {
            try AuditKeyring.load(environment: ["CAVRA_AUDIT_PREVIOUS_KEYS": currentPath])
        }
        #expect(throws: AuditKeyError.self) {
            try AuditKeyring.load(environment: [
                "CAVRA_AUDIT_SIGNING_KEY": directory.appendingPathComponent("none").path
            ])
        }
    }

    @Test func aPackageSignedBeforeARotationStillVerifiesAgainstThePreviousKey() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await AuditFixture.populate(fixture)
        let old = AuditSigningKey()
        let before = try await AuditFixture.export(fixture, key: old)
        let new = AuditSigningKey()
        let after = try await AuditFixture.export(fixture, key: new)
        let published = AuditKeyring(current: new, previous: [old.publicKey]).publicKeys.map(\.key)
        #expect(published == [new.publicKey, old.publicKey])
        #expect(
            try AuditPackageVerifier.verify(before, trustedKeys: published).signature
                == .trusted(keyId: old.publicKey.keyId))
        #expect(
            try AuditPackageVerifier.verify(after, trustedKeys: published).signature
                == .trusted(keyId: new.publicKey.keyId))
        #expect(
            AuditFixture.failure(before, trustedKeys: [new.publicKey])?.pointer == "/integrity/signature/public_key")
    }

    private func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }
}

/// A base64url text of 31 bytes: one short of a key.
private enum Base64URL31Bytes {
    static let value = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg"
}
