// The seed corpus of the JWT target: tokens minted by the development key (`TokenMinter`), tokens signed by it
// around odd headers and claims, and broken forms of them. Written by `CavraFuzzJWT --write-seeds DIR`.

import CavraDrills
import CavraIdentity
import CavraJSON
import Crypto
import Foundation

enum JWTSeeds {
    static func write(to directory: String) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (index, seed) in seeds().enumerated() {
                let name = String(format: "seed-%02d-", index) + seed.name
                let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
                try Data(seed.token.utf8).write(to: url)
            }
        } catch {
            fatalError("cannot write the seeds into \(directory): \(error)")
        }
    }

    /// A token signed by the development key around a header and payload written as text, so a seed can hold what
    /// CavraJSON would never write (duplicate names, huge integers).
    static func signed(header: String, payload: String) -> String {
        let input = JWTBase64URL.encode(Array(header.utf8)) + "." + JWTBase64URL.encode(Array(payload.utf8))
        let signature = try! JWTHarness.signingKey.privateKey.signature(for: Array(input.utf8))
        return input + "." + JWTBase64URL.encode(signature.rawRepresentation)
    }

    static func seeds() -> [(name: String, token: String)] {
        let key = JWTHarness.signingKey
        let kid = key.keyID
        let iss = JWTHarness.issuer
        let now = JWTHarness.now.unixSeconds
        func mint(_ subject: String, groups: [String], ttl: Int64 = 3600, extra: JSONObject = [:]) -> String {
            try! TokenMinter.mint(
                key: key, issuer: iss, audience: JWTHarness.audience, subject: subject, email: "\(subject)@example.com",
                groups: groups, ttl: TokenLifetime(seconds: ttl), now: JWTHarness.now, extraClaims: extra)
        }
        let es256 = "{\"alg\":\"ES256\",\"typ\":\"JWT\",\"kid\":\"\(kid)\"}"
        func claims(_ extra: String, exp: String = "\(now + 3600)") -> String {
            "{\"iss\":\"\(iss)\",\"sub\":\"ic\",\"aud\":\"cavra\",\"exp\":\(exp)\(extra.isEmpty ? "" : ",")\(extra)}"
        }
        let valid = mint("rm", groups: ["release-managers"])
        let parts = valid.split(separator: ".").map(String.init)
        let garbage256 = JWTBase64URL.encode([UInt8](repeating: 0xA5, count: 256))
        var seeds: [(String, String)] = [
            ("valid-minted", valid),
            ("valid-minted-roles", mint("ic", groups: ["incident-commanders", "auditors"], extra: ["roles": ["x"]])),
            (
                "valid-aud-list",
                signed(
                    header: es256,
                    payload: claims("").replacingOccurrences(
                        of: "\"aud\":\"cavra\"", with: "\"aud\":[\"other\",\"cavra\"]"))
            ),
            ("valid-no-kid", signed(header: "{\"alg\":\"ES256\"}", payload: claims(""))),
            ("valid-exp-double", signed(header: es256, payload: claims("", exp: "\(now + 3600).5"))),
            ("valid-nbf", signed(header: es256, payload: claims("\"nbf\":\(now - 10)"))),
            ("expired", signed(header: es256, payload: claims("", exp: "\(now - 61)"))),
            ("expired-far-past", signed(header: es256, payload: claims("", exp: "-100000000000"))),
            ("exp-huge", signed(header: es256, payload: claims("", exp: "1e300"))),
            ("exp-int64-max", signed(header: es256, payload: claims("", exp: "9223372036854775807"))),
            ("exp-string", signed(header: es256, payload: claims("", exp: "\"soon\""))),
            ("exp-missing", signed(header: es256, payload: "{\"iss\":\"\(iss)\",\"sub\":\"ic\",\"aud\":\"cavra\"}")),
            ("nbf-future", signed(header: es256, payload: claims("\"nbf\":\(now + 3600)"))),
            ("nbf-negative", signed(header: es256, payload: claims("\"nbf\":-1e17"))),
            (
                "wrong-issuer",
                signed(header: es256, payload: claims("").replacingOccurrences(of: iss, with: "https://evil.example"))
            ),
            (
                "wrong-audience",
                signed(
                    header: es256,
                    payload: claims("").replacingOccurrences(of: "\"aud\":\"cavra\"", with: "\"aud\":\"other\""))
            ),
            (
                "audience-mixed-list",
                signed(
                    header: es256,
                    payload: claims("").replacingOccurrences(of: "\"aud\":\"cavra\"", with: "\"aud\":[\"cavra\",1]"))
            ),
            (
                "sub-empty",
                signed(
                    header: es256, payload: claims("").replacingOccurrences(of: "\"sub\":\"ic\"", with: "\"sub\":\"\""))
            ),
            (
                "sub-number",
                signed(header: es256, payload: claims("").replacingOccurrences(of: "\"sub\":\"ic\"", with: "\"sub\":7"))
            ),
            ("email-number", signed(header: es256, payload: claims("\"email\":12"))),
            ("groups-string", signed(header: es256, payload: claims("\"groups\":\"admins\""))),
            ("groups-mixed", signed(header: es256, payload: claims("\"groups\":[\"a\",null,{}]"))),
            ("claims-nested", signed(header: es256, payload: claims("\"x\":[[[[[[[[[[{\"y\":1.5e-300}]]]]]]]]]]"))),
            ("claims-big-integer", signed(header: es256, payload: claims("\"n\":123456789012345678901234567890"))),
            ("claims-duplicate", signed(header: es256, payload: claims("\"sub\":\"other\""))),
            ("payload-array", signed(header: es256, payload: "[1,2,3]")),
            ("header-alg-none", signed(header: "{\"alg\":\"none\"}", payload: claims(""))),
            ("header-alg-hs256", signed(header: "{\"alg\":\"HS256\",\"kid\":\"\(kid)\"}", payload: claims(""))),
            ("header-alg-number", signed(header: "{\"alg\":256}", payload: claims(""))),
            ("header-kid-unknown", signed(header: "{\"alg\":\"ES256\",\"kid\":\"nobody\"}", payload: claims(""))),
            ("header-kid-number", signed(header: "{\"alg\":\"ES256\",\"kid\":1}", payload: claims(""))),
            (
                "header-kid-rsa",
                signed(header: "{\"alg\":\"ES256\",\"kid\":\"\(JWTHarness.rsaKid)\"}", payload: claims(""))
            ),
            (
                "header-crit",
                signed(header: "{\"alg\":\"ES256\",\"kid\":\"\(kid)\",\"crit\":[\"exp\"]}", payload: claims(""))
            ),
            ("rs256-garbage", "{\"alg\":\"RS256\",\"kid\":\"fuzz-rsa\"}".base64URL + "." + parts[1] + "." + garbage256),
            ("rs384-short", "{\"alg\":\"RS384\"}".base64URL + "." + parts[1] + "." + JWTBase64URL.encode([1, 2, 3])),
            ("rs512-empty-signature", "{\"alg\":\"RS512\",\"kid\":\"fuzz-rsa\"}".base64URL + "." + parts[1] + "."),
            ("signature-truncated", parts[0] + "." + parts[1] + "." + String(parts[2].dropLast(2))),
            ("signature-padded", valid + "="),
            ("signature-flipped", parts[0] + "." + parts[1] + "." + String(parts[2].reversed())),
            ("jwe-five-parts", valid + ".a.b"),
            ("two-parts", parts[0] + "." + parts[1]),
            ("empty-parts", ".."),
            ("not-base64", parts[0] + ".%%%." + parts[2]),
            ("header-not-json", "not json".base64URL + "." + parts[1] + "." + parts[2]),
            ("whitespace", " " + valid + "\n"),
            (
                "over-16-kib",
                signed(header: es256, payload: claims("\"pad\":\"\(String(repeating: "x", count: 12_500))\""))
            ),
        ]
        seeds.append(("empty", ""))
        return seeds
    }
}

extension String {
    fileprivate var base64URL: String { JWTBase64URL.encode(Array(utf8)) }
}
