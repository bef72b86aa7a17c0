// The keys that sign audit packages (architecture.md §7): Ed25519, the private key a PKCS#8 PEM file named by
// `CAVRA_AUDIT_SIGNING_KEY`, rotated keys' public halves listed by `CAVRA_AUDIT_PREVIOUS_KEYS`. A public key is
// written as base64url of its raw 32 bytes; its `key_id` is the first 16 hex characters of the SHA-256 of those
// bytes.

import CavraJSON
import Crypto
import Foundation

/// Why a key could not be read.
public struct AuditKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// An Ed25519 public key that checks audit package signatures.
public struct AuditPublicKey: Sendable, Equatable {
    /// The raw 32-byte key.
    public let rawRepresentation: [UInt8]

    public init(rawRepresentation: [UInt8]) throws(AuditKeyError) {
        guard rawRepresentation.count == 32 else {
            throw AuditKeyError("an Ed25519 public key has 32 bytes, not \(rawRepresentation.count)")
        }
        self.rawRepresentation = rawRepresentation
    }

    /// Reads what a `--trusted-key` or a `CAVRA_AUDIT_PREVIOUS_KEYS` file holds: a PEM public key
    /// (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo) or the base64url raw key.
    public init(text: String) throws(AuditKeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("-----BEGIN") {
            let (label, der) = try PEM.decode(trimmed)
            guard label == "PUBLIC KEY" else {
                throw AuditKeyError(
                    label == "PRIVATE KEY"
                        ? "this is a private key; give its public key (PEM `PUBLIC KEY` or base64url)"
                        : "expected a PEM `PUBLIC KEY`, found `\(label)`")
            }
            try self.init(rawRepresentation: try DER.ed25519PublicKey(fromSPKI: der))
        } else {
            guard let raw = Base64URL.decode(trimmed, allowPadding: true) else {
                throw AuditKeyError("neither a PEM public key nor a base64url Ed25519 key")
            }
            try self.init(rawRepresentation: raw)
        }
    }

    /// Reads a key file (see `init(text:)`).
    public init(contentsOfFile path: String) throws(AuditKeyError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditKeyError("cannot read the key file `\(path)`")
        }
        do {
            try self.init(text: String(decoding: data, as: UTF8.self))
        } catch {
            throw AuditKeyError("`\(path)`: \(error.description)")
        }
    }

    /// base64url (no padding) of the raw key: the package's `public_key`.
    public var base64URL: String { Base64URL.encode(rawRepresentation) }

    /// The first 16 hex characters of the SHA-256 of the raw key.
    public var keyId: String { String(CavraHash.sha256Hex(rawRepresentation).prefix(16)) }

    /// The key as a PEM SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    public var pemRepresentation: String { PEM.encode(label: "PUBLIC KEY", der: DER.spki(rawRepresentation)) }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation) else { return false }
        return key.isValidSignature(Data(signature), for: Data(message))
    }
}

/// An Ed25519 private key that signs audit packages.
public struct AuditSigningKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key (tests, labs).
    public init() {
        key = Curve25519.Signing.PrivateKey()
    }

    /// From the 32-byte seed.
    public init(rawRepresentation: [UInt8]) throws(AuditKeyError) {
        guard rawRepresentation.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: rawRepresentation)
        else {
            throw AuditKeyError("an Ed25519 private key has 32 bytes, not \(rawRepresentation.count)")
        }
        self.key = key
    }

    /// From a PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey -algorithm ed25519` writes it.
    public init(pemRepresentation text: String) throws(AuditKeyError) {
        let (label, der) = try PEM.decode(text.trimmingCharacters(in: .whitespacesAndNewlines))
        guard label == "PRIVATE KEY" else {
            throw AuditKeyError("expected a PKCS#8 PEM `PRIVATE KEY` (Ed25519), found `\(label)`")
        }
        let (seed, embeddedPublic) = try DER.ed25519PrivateKey(fromPKCS8: der)
        try self.init(rawRepresentation: seed)
        if let embeddedPublic, embeddedPublic != publicKey.rawRepresentation {
            throw AuditKeyError("the PKCS#8 key's embedded public key does not belong to its private key")
        }
    }

    /// Reads a PKCS#8 PEM key file.
    public init(contentsOfFile path: String) throws(AuditKeyError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuditKeyError("cannot read the signing key `\(path)`")
        }
        do {
            try self.init(pemRepresentation: String(decoding: data, as: UTF8.self))
        } catch {
            throw AuditKeyError("`\(path)`: \(error.description)")
        }
    }

    public var publicKey: AuditPublicKey {
        // A Curve25519 public key always has 32 bytes.
        try! AuditPublicKey(rawRepresentation: Array(key.publicKey.rawRepresentation))
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    public var pemRepresentation: String {
        PEM.encode(label: "PRIVATE KEY", der: DER.pkcs8(seed: Array(key.rawRepresentation)))
    }

    /// The Ed25519 signature of `message`.
    public func signature(for message: [UInt8]) -> [UInt8] {
        // Signing with a valid key fails only when the system's random source does.
        Array(try! key.signature(for: Data(message)))
    }
}

/// The signing key in use and the rotated keys still published, from the environment.
public struct AuditKeyring: Sendable {
    public static let signingKeyVariable = "CAVRA_AUDIT_SIGNING_KEY"
    public static let previousKeysVariable = "CAVRA_AUDIT_PREVIOUS_KEYS"

    /// Signs new packages; nil: packages are not signed.
    public var current: AuditSigningKey?
    /// Public keys of rotated signing keys, still published so older packages can be checked.
    public var previous: [AuditPublicKey]

    public init(current: AuditSigningKey? = nil, previous: [AuditPublicKey] = []) {
        self.current = current
        self.previous = previous
    }

    /// `CAVRA_AUDIT_SIGNING_KEY` (a PKCS#8 PEM Ed25519 key file) and `CAVRA_AUDIT_PREVIOUS_KEYS` (a comma list of
    /// public key files: PEM or base64url). Unset or empty variables mean no key; an unreadable key is an error.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(AuditKeyError) -> AuditKeyring
    {
        var keyring = AuditKeyring()
        if let path = environment[signingKeyVariable]?.trimmingCharacters(in: .whitespaces), !path.isEmpty {
            do {
                keyring.current = try AuditSigningKey(contentsOfFile: path)
            } catch {
                throw AuditKeyError("\(signingKeyVariable): \(error.description)")
            }
        }
        let list = environment[previousKeysVariable] ?? ""
        for path in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !path.isEmpty {
            do {
                keyring.previous.append(try AuditPublicKey(contentsOfFile: path))
            } catch {
                throw AuditKeyError("\(previousKeysVariable): \(error.description)")
            }
        }
        return keyring
    }

    /// Every public key, the current one first, each once: what `GET /runtime/go-pilot/audit-signing-keys` lists.
    public var publicKeys: [(key: AuditPublicKey, current: Bool)] {
        var result: [(key: AuditPublicKey, current: Bool)] = []
        if let current { result.append((current.publicKey, true)) }
        for key in previous where !result.contains(where: { $0.key == key }) { result.append((key, false)) }
        return result
    }

    /// `{"keys": [{"key_id", "algorithm": "Ed25519", "public_key", "status": "current" | "previous"}]}`.
    public var publishedKeysJSON: JSON {
        [
            "keys": .array(
                publicKeys.map { entry in
                    [
                        "key_id": .string(entry.key.keyId), "algorithm": "Ed25519",
                        "public_key": .string(entry.key.base64URL),
                        "status": .string(entry.current ? "current" : "previous"),
                    ]
                })
        ]
    }
}

// MARK: Encodings

/// RFC 4648 §5 base64url.
enum Base64URL {
    /// Without padding.
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// nil for anything but base64url; `=` padding only when `allowPadding`. Only the canonical form is accepted
    /// (unused bits zero), so one byte string has one text.
    static func decode(_ text: String, allowPadding: Bool = false) -> [UInt8]? {
        var body = Substring(text)
        if allowPadding { while body.hasSuffix("=") { body = body.dropLast() } }
        guard body.utf8.count % 4 != 1,
            body.unicodeScalars.allSatisfy({ scalar in
                scalar.isASCII
                    && (("A"..."Z").contains(scalar) || ("a"..."z").contains(scalar)
                        || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_")
            })
        else { return nil }
        var standard = body.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else { return nil }
        let bytes = [UInt8](data)
        return encode(bytes) == body ? bytes : nil
    }
}

enum PEM {
    static func decode(_ text: String) throws(AuditKeyError) -> (label: String, der: [UInt8]) {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first, first.hasPrefix("-----BEGIN "), first.hasSuffix("-----"),
            let endIndex = lines.firstIndex(where: { $0.hasPrefix("-----END ") })
        else { throw AuditKeyError("not a PEM document") }
        let label = String(first.dropFirst("-----BEGIN ".count).dropLast(5))
        guard lines[endIndex] == "-----END \(label)-----" else {
            throw AuditKeyError("the PEM document's END line does not match `\(label)`")
        }
        let body = lines[1..<endIndex].joined()
        guard let data = Data(base64Encoded: body), !data.isEmpty else {
            throw AuditKeyError("the PEM document's body is not base64")
        }
        return (label, [UInt8](data))
    }

    static func encode(label: String, der: [UInt8]) -> String {
        let body = Data(der).base64EncodedString()
        var lines: [String] = []
        var rest = Substring(body)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }
}

/// The two DER structures of RFC 8410 an Ed25519 key travels in.
enum DER {
    /// The AlgorithmIdentifier `SEQUENCE { OID 1.3.101.112 }` (id-Ed25519, no parameters).
    static let ed25519Algorithm: [UInt8] = [0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70]

    static func spki(_ raw: [UInt8]) -> [UInt8] {
        [0x30, 0x2A] + ed25519Algorithm + [0x03, 0x21, 0x00] + raw
    }

    static func pkcs8(seed: [UInt8]) -> [UInt8] {
        [0x30, 0x2E, 0x02, 0x01, 0x00] + ed25519Algorithm + [0x04, 0x22, 0x04, 0x20] + seed
    }

    static func ed25519PublicKey(fromSPKI der: [UInt8]) throws(AuditKeyError) -> [UInt8] {
        var outer = Reader(der)
        var info = try outer.read(tag: 0x30, "SubjectPublicKeyInfo")
        try outer.end("SubjectPublicKeyInfo")
        try checkAlgorithm(try info.read(tag: 0x30, "algorithm"))
        let bits = try info.read(tag: 0x03, "subjectPublicKey")
        try info.end("SubjectPublicKeyInfo")
        guard bits.bytes.count == 33, bits.bytes.first == 0 else {
            throw AuditKeyError("an Ed25519 public key has 32 bytes")
        }
        return Array(bits.bytes.dropFirst())
    }

    /// The 32-byte seed, and the public key when the key is a version 2 (OneAsymmetricKey) that carries it.
    static func ed25519PrivateKey(fromPKCS8 der: [UInt8]) throws(AuditKeyError) -> (
        seed: [UInt8], publicKey: [UInt8]?
    ) {
        var outer = Reader(der)
        var info = try outer.read(tag: 0x30, "PrivateKeyInfo")
        try outer.end("PrivateKeyInfo")
        let version = try info.read(tag: 0x02, "version")
        guard version.bytes == [0] || version.bytes == [1] else {
            throw AuditKeyError("unsupported PKCS#8 version")
        }
        try checkAlgorithm(try info.read(tag: 0x30, "privateKeyAlgorithm"))
        var privateKey = try info.read(tag: 0x04, "privateKey")
        let seed = try privateKey.read(tag: 0x04, "CurvePrivateKey")
        try privateKey.end("CurvePrivateKey")
        guard seed.bytes.count == 32 else { throw AuditKeyError("an Ed25519 private key has 32 bytes") }
        var publicKey: [UInt8]?
        if info.peekTag == 0xA0 { _ = try info.read(tag: 0xA0, "attributes") }
        if info.peekTag == 0x81 {
            let bits = try info.read(tag: 0x81, "publicKey")
            guard bits.bytes.count == 33, bits.bytes.first == 0 else {
                throw AuditKeyError("the PKCS#8 key's embedded public key is not 32 bytes")
            }
            publicKey = Array(bits.bytes.dropFirst())
        }
        try info.end("PrivateKeyInfo")
        return (seed.bytes, publicKey)
    }

    private static func checkAlgorithm(_ algorithm: Reader) throws(AuditKeyError) {
        guard [0x30, UInt8(algorithm.bytes.count)] + algorithm.bytes == ed25519Algorithm else {
            throw AuditKeyError("not an Ed25519 key (the algorithm is not id-Ed25519, 1.3.101.112)")
        }
    }

    /// Reads definite-length DER elements one after another.
    struct Reader {
        private(set) var bytes: [UInt8]
        private var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var peekTag: UInt8? { index < bytes.count ? bytes[index] : nil }

        /// The contents of the next element, which must have `tag`.
        mutating func read(tag: UInt8, _ what: String) throws(AuditKeyError) -> Reader {
            let problem = AuditKeyError("malformed DER: `\(what)`")
            guard index + 2 <= bytes.count, bytes[index] == tag else { throw problem }
            var length = Int(bytes[index + 1])
            var start = index + 2
            if length & 0x80 != 0 {
                let count = length & 0x7F
                guard (1...2).contains(count), start + count <= bytes.count else { throw problem }
                length = bytes[start..<start + count].reduce(0) { $0 << 8 | Int($1) }
                start += count
            }
            guard start + length <= bytes.count else { throw problem }
            index = start + length
            return Reader(Array(bytes[start..<start + length]))
        }

        func end(_ what: String) throws(AuditKeyError) {
            guard index == bytes.count else { throw AuditKeyError("malformed DER: trailing bytes after `\(what)`") }
        }
    }
}
