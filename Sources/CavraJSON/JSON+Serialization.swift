// Writing JSON text for people and programs through libjansson. Hashes never use this form; see
// JSON+Canonical.swift.

import CJansson

extension JSON {
    /// The value as JSON text in member order: compact (no whitespace), or indented by two spaces.
    /// Non-ASCII characters stay UTF-8. Doubles are printed by jansson with 17 significant digits
    /// (`0.1` reads `0.10000000000000001`): exact when read back, though not the shortest form, because
    /// jansson takes one precision for a whole document and has no way to embed preformatted numbers.
    /// Non-finite doubles, which JSON cannot hold, are written as `null`, as `JSON.stringify` does.
    public func serialized(pretty: Bool = false) -> String {
        let tree = janssonValue()
        defer { json_decref(tree) }
        let layout = pretty ? Self.janssonIndent(2) : Int(JSON_COMPACT)
        let flags = Int(JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) | layout
        // json_dumps fails only when memory runs out: every string is valid UTF-8 and the tree is acyclic.
        guard let text = json_dumps(tree, flags) else { fatalError("json_dumps ran out of memory") }
        // jansson allocates with malloc unless told otherwise; `free` comes with jansson.h's <stdlib.h>.
        defer { free(text) }
        return String(cString: text)
    }

    /// The compact text of an object whose member values are already compact JSON text (from `serialized()`), in
    /// this order: byte for byte what `serialized()` writes for that object, without serialising the members again.
    public static func serializedObject(_ members: [(key: String, text: String)]) -> String {
        var text = "{"
        for (index, member) in members.enumerated() {
            if index > 0 { text += "," }
            text += JSON.string(member.key).serialized()
            text += ":"
            text += member.text
        }
        return text + "}"
    }

    /// `JSON_INDENT(n)`, a C macro Swift cannot import.
    private static func janssonIndent(_ spaces: Int) -> Int { spaces & 0x1F }

    /// A new jansson tree (reference count 1) holding this value; the caller releases it.
    private func janssonValue() -> UnsafeMutablePointer<json_t> {
        let node: UnsafeMutablePointer<json_t>?
        switch self {
        case .null:
            node = json_null()
        case .bool(let bool):
            node = bool ? json_true() : json_false()
        case .int(let int):
            node = json_integer(json_int_t(int))
        case .double(let double):
            node = double.isFinite ? json_real(double) : json_null()
        case .string(let string):
            // Swift strings are valid UTF-8, so jansson need not check again.
            node = string.withCString { json_stringn_nocheck($0, string.utf8.count) }
        case .array(let elements):
            node = json_array()
            for element in elements { json_array_append_new(node, element.janssonValue()) }
        case .object(let object):
            node = json_object()
            for (key, value) in object {
                key.withCString { _ = json_object_setn_new_nocheck(node, $0, key.utf8.count, value.janssonValue()) }
            }
        }
        guard let node else { fatalError("jansson ran out of memory") }
        return node
    }
}
