// Claims may carry any JSON number; evidence holds none that a double or another language could read
// differently (architecture §7).

extension JSON {
    /// 2^53 − 1: the largest integer that readers holding every number as a double all read exactly.
    static let maxSafeInteger: Int64 = 9_007_199_254_740_991

    /// The value with every double, and every integer beyond ±`maxSafeInteger`, replaced by a string
    /// holding its shortest round-tripping decimal (ECMAScript form): `1.50` → `"1.5"`, `1e2` → `"100"`.
    /// Apply it once, where a claim enters; applied again it changes nothing.
    public func normalizingNumbers() -> JSON {
        switch self {
        case .double(let double):
            .string(ECMAScriptNumber.string(double))
        case .int(let int) where int.magnitude > JSON.maxSafeInteger.magnitude:
            .string(ECMAScriptNumber.string(Double(int)))
        case .array(let elements):
            .array(elements.map { $0.normalizingNumbers() })
        case .object(let object):
            .object(JSONObject(object.map { ($0.key, $0.value.normalizingNumbers()) }))
        case .null, .bool, .int, .string:
            self
        }
    }
}
