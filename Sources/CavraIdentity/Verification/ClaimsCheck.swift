// The registered claims every accepted token carries and satisfies (architecture §6), checked after the signature.

import CavraDrills
import CavraJSON

struct ClaimsCheck {
    let configuration: OIDCConfiguration
    let now: Timestamp

    func check(_ claims: JSONObject) throws(IdentityError) {
        try checkSubject(claims)
        guard let expiry = try numericDate(claims, "exp") else { throw IdentityError("token has no `exp` claim") }
        try checkIssuer(claims)
        try checkAudience(claims)
        let leeway = "(leeway \(configuration.leewaySeconds) s)"
        let leewayMilliseconds = Double(configuration.leewaySeconds * 1000)
        let nowMilliseconds = Double(now.milliseconds)
        guard expiry * 1000 > nowMilliseconds - leewayMilliseconds else {
            throw IdentityError("token expired at \(Self.text(ofNumericDate: expiry)) \(leeway)")
        }
        if let notBefore = try numericDate(claims, "nbf"), !(notBefore * 1000 < nowMilliseconds + leewayMilliseconds) {
            throw IdentityError("token is not valid before \(Self.text(ofNumericDate: notBefore)) \(leeway)")
        }
    }

    private func checkSubject(_ claims: JSONObject) throws(IdentityError) {
        guard let value = claims["sub"] else { throw IdentityError("token has no `sub` claim") }
        guard let subject = value.stringValue, !subject.isEmpty else {
            throw IdentityError("token claim `sub` must be a non-empty string, found \(value.typeName)")
        }
    }

    private func checkIssuer(_ claims: JSONObject) throws(IdentityError) {
        let expected = quoted(configuration.issuer)
        guard let value = claims["iss"] else {
            throw IdentityError("token has no `iss` claim; the configured issuer is \(expected)")
        }
        guard let issuer = value.stringValue else {
            throw IdentityError("token claim `iss` must be a string, found \(value.typeName)")
        }
        guard issuer == configuration.issuer else {
            throw IdentityError("token issuer \(quoted(issuer)) is not the configured issuer \(expected)")
        }
    }

    private func checkAudience(_ claims: JSONObject) throws(IdentityError) {
        let expected = quoted(configuration.audience)
        guard let value = claims["aud"] else {
            throw IdentityError("token has no `aud` claim; it must include \(expected)")
        }
        let audiences: [String]
        switch value {
        case .string(let audience):
            audiences = [audience]
        case .array(let elements) where elements.allSatisfy({ $0.stringValue != nil }):
            audiences = elements.compactMap(\.stringValue)
        default:
            throw IdentityError("token claim `aud` must be a string or a list of strings, found \(value.typeName)")
        }
        guard audiences.contains(configuration.audience) else {
            let shown = JSON.array(audiences.map(JSON.string)).serialized()
            throw IdentityError("token audience \(shown) does not include \(expected)")
        }
    }

    /// A NumericDate claim (seconds since 1970, possibly fractional), or nil when absent.
    private func numericDate(_ claims: JSONObject, _ name: String) throws(IdentityError) -> Double? {
        switch claims[name] {
        case nil: return nil
        case .int(let seconds): return Double(seconds)
        case .double(let seconds): return seconds
        case let value?:
            throw IdentityError(
                "token claim `\(name)` must be a NumericDate (seconds since 1970), found \(value.typeName)")
        }
    }

    /// `2026-11-29T10:00:00Z`, with milliseconds only when the date has them.
    static func text(ofNumericDate seconds: Double) -> String {
        let milliseconds = (seconds * 1000).rounded()
        // Beyond year 9999 a date reads better as the number it is.
        guard abs(milliseconds) < 253_402_300_800_000 else {
            return "\(JSON.double(seconds).normalizingNumbers().stringValue ?? "") (seconds since 1970)"
        }
        let text = Timestamp(milliseconds: Int64(milliseconds)).description
        return text.hasSuffix(".000Z") ? String(text.dropLast(5)) + "Z" : text
    }
}
