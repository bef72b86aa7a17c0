// What the JWT fuzz target (`Fuzz/Sources/CavraFuzzJWT`, docs/fuzzing.md) checks, kept in `make test`: hostile
// tokens of every form the fuzzer explores are refused with a reason and never crash, and a valid token changed in
// any one letter is refused, the last one too (base64url's unused bits must be zero). The inputs the
// fuzzer found worth keeping are replayed here too.

import CavraDrills
import CavraIdentity
import CavraJSON
import Foundation
import Testing

@Suite("JWT fuzz regressions")
struct JWTFuzzRegressionTests {
    /// Tokens the fuzzer's seeds and findings hold, with the exact reason each is refused.
    @Test func hostileTokensAreRefusedWithTheirReason() async throws {
        let key = TestKey.ec()
        let verifier = try verifier([key, TestKey.rsa()])
        let valid = try await token(key: key)
        let parts = valid.split(separator: ".").map(String.init)
        let cases: [(String, String)] = [
            ("", "token is empty"),
            ("..", "token header is empty"),
            (String(repeating: "a", count: 16 * 1024 + 1), "token is 16385 bytes; tokens are at most 16384 bytes"),
            (valid + ".a.b", "token is encrypted (a JWE of 5 parts); only signed tokens (JWS) are accepted"),
            (parts[0] + "." + parts[1], "token is not a compact JWS: it has 2 parts separated by `.`, not 3"),
            (String(repeating: ".", count: 40), "token is not a compact JWS: it has 41 parts separated by `.`, not 3"),
            ("%%%." + parts[1] + "." + parts[2], "token header is not base64url"),
            (parts[0] + "." + parts[1] + "=." + parts[2], "token payload is not base64url"),
            (valid + "=", "token signature is not base64url"),
            (" " + valid, "token header is not base64url"),
            // Bytes that are not UTF-8 reach the verifier as U+FFFD, outside the alphabet.
            (String(decoding: [0xFF, 0x2E, 0xFE, 0x2E, 0x80], as: UTF8.self), "token header is not base64url"),
            (
                base64URL("{\"alg\":\"none\"}") + "." + parts[1] + ".",
                "token algorithm none is not accepted: unsigned tokens are never accepted (accepted: RS256, ES256)"
            ),
            (
                base64URL("[1]") + "." + parts[1] + "." + parts[2], "token header must be a JSON object, found an array"
            ),
            (
                base64URL("{\"alg\":\"ES256\",\"kid\":\"ec-1\"}") + "." + base64URL("{\"n\":123456789012345678901}")
                    + "." + parts[2], "token payload holds an integer beyond 64 bits, which is refused"
            ),
            (
                parts[0] + "." + parts[1] + "." + base64URL([UInt8](repeating: 7, count: 63)),
                "token signature is malformed: ES256 signatures are 64 bytes, this one is 63"
            ),
            (
                base64URL("{\"alg\":\"ES256\",\"kid\":\"ec-1\",\"crit\":[\"exp\"]}") + "." + parts[1] + "." + parts[2],
                "token header lists critical extensions (`crit`), which are not supported"
            ),
        ]
        for (token, reason) in cases {
            await expectRefusal(token, by: verifier, reason)
        }
    }

    /// Deep nesting, huge numbers and odd types inside a validly signed token reach the claims checks: each is
    /// refused with a reason, or accepted with the subject it names.
    @Test func oddClaimsUnderAValidSignature() async throws {
        let key = TestKey.ec()
        let verifier = try verifier([key])
        let header = "{\"alg\":\"ES256\",\"kid\":\"ec-1\"}"
        let base = "\"iss\":\"\(testIssuer)\",\"sub\":\"u-1\",\"aud\":\"\(testAudience)\""
        let refused: [(String, String)] = [
            ("{\(base),\"exp\":-100000000000}", "token expired at -1199-02-15T14:13:20Z (leeway 60 s)"),
            ("{\(base),\"exp\":-1e300}", "token expired at -1e+300 (seconds since 1970) (leeway 60 s)"),
            (
                "{\(base),\"exp\":\"soon\"}",
                "token claim `exp` must be a NumericDate (seconds since 1970), found a string"
            ),
            (
                "{\(base),\"exp\":1e300,\"nbf\":1e300}",
                "token is not valid before 1e+300 (seconds since 1970) (leeway 60 s)"
            ),
            (
                "{\(base),\"exp\":1e300,\"email\":12}",
                "claim `email` must be a non-empty string to name the actor, found a number"
            ),
            (
                "{\(base),\"exp\":1e300,\"groups\":[\"a\",null]}",
                "claim `groups` must be a list of strings, found one holding null"
            ),
            (
                "{\(base),\"exp\":1e300,\"sub\":\"u-2\"}",
                "token payload is not valid JSON: line 1, column 71: duplicate object key near `\"sub\"`"
            ),
            (
                "{\"iss\":\"\(testIssuer)\",\"sub\":\"u-1\",\"aud\":[\"cavra\",1],\"exp\":1e300}",
                "token claim `aud` must be a string or a list of strings, found an array"
            ),
        ]
        for (payload, reason) in refused {
            let signed = try await rawToken(header: header, payload: payload, key: key)
            await expectRefusal(signed, by: verifier, reason)
        }
        let nested =
            "{\(base),\"exp\":9223372036854775807,\"x\":" + String(repeating: "[", count: 100)
            + String(repeating: "]", count: 100) + "}"
        let accepted = try await verifier.verify(
            try await rawToken(header: header, payload: nested, key: key), now: now)
        #expect(accepted.subject == "u-1")
    }

    /// Every single-letter change of a valid token is refused with a reason, the last letter too: base64url's unused
    /// low bits must be zero, so a token has one spelling and cannot be varied to slip past a list of revoked tokens.
    @Test func everyOneLetterChangeOfAValidTokenIsRefused() async throws {
        let key = TestKey.ec()
        let verifier = try verifier([key])
        let valid = try await token(key: key)
        _ = try await verifier.verify(valid, now: now)
        let letters = Array(valid.utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        // The signature's last letter with only an unused bit flipped: the same bytes, another spelling.
        let lastValue = alphabet.firstIndex(of: letters[letters.count - 1])!
        let sameBytes = alphabet[lastValue ^ 1]
        var accepted: [Int] = []
        for index in letters.indices where letters[index] != UInt8(ascii: ".") {
            let replacements =
                [UInt8(ascii: "A"), UInt8(ascii: "B"), UInt8(ascii: "Q"), UInt8(ascii: "g")]
                + (index == letters.count - 1 ? [sameBytes] : [])
            for replacement in replacements where replacement != letters[index] {
                var changed = letters
                changed[index] = replacement
                do {
                    _ = try await verifier.verify(String(decoding: changed, as: UTF8.self), now: now)
                    accepted.append(index)
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
        #expect(accepted.isEmpty, "changed letters accepted at positions \(accepted)")
    }
}
