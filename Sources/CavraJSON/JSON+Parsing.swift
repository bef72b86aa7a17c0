// Reading JSON text through libjansson: converting its tree into `JSON`, or reading the tree in place.

import CJansson

extension JSON {
    /// Parses one JSON value of any type. Duplicate object keys, integers beyond 64 bits and arrays and
    /// objects nested more than `maxDepth` deep are errors; object members keep their order. `maxDepth`
    /// must be below 2048, where jansson stops on its own.
    public static func parse(_ text: String, maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        try parse(bytes: text.utf8, maxDepth: maxDepth)
    }

    /// Parses one JSON value from UTF-8 bytes; invalid UTF-8 is an error. See `parse(_:maxDepth:)`.
    public static func parse(bytes: some Collection<UInt8>, maxDepth: Int = 128) throws(JSONParseError) -> JSON {
        let result =
            bytes.withContiguousStorageIfAvailable { parse(buffer: $0, maxDepth: maxDepth) }
            ?? Array(bytes).withUnsafeBufferPointer { parse(buffer: $0, maxDepth: maxDepth) }
        return try result.get()
    }

    /// Parses one JSON value from UTF-8 bytes and hands `body` a view of it that is valid only while `body`
    /// runs: nothing is converted to `JSON` unless asked for. Whatever `parse(bytes:maxDepth:)` refuses, this
    /// refuses with the same error, before `body` is called.
    @inlinable
    public static func withParsed<Value>(
        bytes: some Collection<UInt8>, maxDepth: Int = 128, _ body: (JSONNode) -> Value
    ) throws(JSONParseError) -> Value {
        // Generic only here, so that callers in other modules get it specialised.
        var value: Value?
        let error =
            bytes.withContiguousStorageIfAvailable { visitParsed(buffer: $0, maxDepth: maxDepth) { value = body($0) } }
            ?? Array(bytes).withUnsafeBufferPointer {
                visitParsed(buffer: $0, maxDepth: maxDepth) { value = body($0) }
            }
        if let error { throw error }
        return value!
    }

    /// Calls `body` with the root of the parsed tree, or returns why the bytes were refused.
    @usableFromInline
    static func visitParsed(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int, _ body: (JSONNode) -> Void)
        -> JSONParseError?
    {
        let result = load(buffer: buffer, maxDepth: maxDepth) { root throws(JanssonReader.TooDeep) in
            try JanssonReader(maxDepth: maxDepth).checkDepth(of: root, depth: 0)
            body(JSONNode(root))
        }
        if case .failure(let error) = result { return error }
        return nil
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) -> Result<JSON, JSONParseError> {
        load(buffer: buffer, maxDepth: maxDepth) { root throws(JanssonReader.TooDeep) in
            try JanssonReader(maxDepth: maxDepth).value(of: root, depth: 0)
        }
    }

    /// Loads the text with jansson and reads its tree with `read`, which throws where the text nests deeper
    /// than `maxDepth`; every refusal becomes a `JSONParseError` located in the text. The tree lives until
    /// `read` returns.
    private static func load<Value>(
        buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int,
        _ read: (UnsafeMutablePointer<json_t>) throws(JanssonReader.TooDeep) -> Value
    ) -> Result<Value, JSONParseError> {
        precondition((0..<janssonDepthLimit).contains(maxDepth), "maxDepth must be in 0..<\(janssonDepthLimit)")
        // JSON_ALLOW_NUL: "\u0000" is valid JSON and Swift strings hold it; jansson refuses it by default.
        let flags = Int(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL)
        var error = json_error_t()
        let loaded = buffer.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress {
                json_loadb(base, chars.count, flags, &error)
            } else {
                json_loadb("", 0, flags, &error)
            }
        }
        guard let root = loaded else {
            let scanner = JSONSourceScanner(bytes: buffer)
            // jansson's own depth limit trips first on very deep text; ours, lower, is the one to report.
            if json_error_code(&error) == json_error_stack_overflow,
                let depthError = depthError(in: scanner, maxDepth: maxDepth)
            {
                return .failure(depthError)
            }
            return .failure(parseError(from: error, in: scanner))
        }
        defer { json_decref(root) }
        do {
            return .success(try read(root))
        } catch {
            return .failure(
                depthError(in: JSONSourceScanner(bytes: buffer), maxDepth: maxDepth)
                    ?? JSONParseError(message: depthMessage(maxDepth), line: 1, column: 1))
        }
    }

    /// jansson's JSON_PARSER_MAX_DEPTH, which counts scalars too: below it, every nesting error is ours.
    private static let janssonDepthLimit = 2048

    private static func depthError(in scanner: JSONSourceScanner, maxDepth: Int) -> JSONParseError? {
        guard let offset = scanner.startOfNesting(atDepth: maxDepth + 1) else { return nil }
        let (line, column) = scanner.location(ofOffset: offset)
        return JSONParseError(message: depthMessage(maxDepth), line: line, column: column)
    }

    private static func depthMessage(_ maxDepth: Int) -> String {
        "arrays and objects nested more than \(maxDepth) deep"
    }

    /// Turns jansson's error into ours, pointing at the start of the offending token rather than its end.
    private static func parseError(from error: json_error_t, in scanner: JSONSourceScanner) -> JSONParseError {
        let text = withUnsafeBytes(of: error.text) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let end = Int(error.position)
        let offset = scanner.startOfToken(endingAt: end) ?? end
        let (line, column) = scanner.location(ofOffset: offset)
        return JSONParseError(message: readableMessage(text), line: line, column: column)
    }

    /// jansson quotes the token it stopped at as `near 'token'`; we show user input in backticks.
    private static func readableMessage(_ text: String) -> String {
        guard let range = text.firstRange(of: " near '"), text.hasSuffix("'") else { return text }
        let token = text[range.upperBound..<text.index(before: text.endIndex)]
        return "\(text[..<range.lowerBound]) near `\(token)`"
    }
}

/// Converts a parsed jansson tree, refusing nesting deeper than `maxDepth`.
struct JanssonReader {
    struct TooDeep: Error {}

    let maxDepth: Int

    func value(of node: UnsafeMutablePointer<json_t>, depth: Int) throws(TooDeep) -> JSON {
        switch node.pointee.type {
        case JSON_OBJECT: .object(try object(of: node, depth: depth + 1))
        case JSON_ARRAY: .array(try array(of: node, depth: depth + 1))
        case JSON_STRING: .string(Self.string(start: json_string_value(node), count: json_string_length(node)))
        case JSON_INTEGER: .int(Int64(json_integer_value(node)))
        case JSON_REAL: .double(json_real_value(node))
        case JSON_TRUE: .bool(true)
        case JSON_FALSE: .bool(false)
        default: .null
        }
    }

    /// Throws where arrays and objects under `node`, itself at `depth`, nest deeper than `maxDepth`, as
    /// `value(of:depth:)` would; converts nothing.
    func checkDepth(of node: UnsafeMutablePointer<json_t>, depth: Int) throws(TooDeep) {
        switch node.pointee.type {
        case JSON_OBJECT:
            guard depth + 1 <= maxDepth else { throw TooDeep() }
            var iterator = json_object_iter(node)
            while let current = iterator {
                try checkDepth(of: json_object_iter_value(current)!, depth: depth + 1)
                iterator = json_object_iter_next(node, current)
            }
        case JSON_ARRAY:
            guard depth + 1 <= maxDepth else { throw TooDeep() }
            for index in 0..<json_array_size(node) {
                try checkDepth(of: json_array_get(node, index)!, depth: depth + 1)
            }
        default:
            break
        }
    }

    private func object(of node: UnsafeMutablePointer<json_t>, depth: Int) throws(TooDeep) -> JSONObject {
        guard depth <= maxDepth else { throw TooDeep() }
        var object = JSONObject()
        // jansson iterates in insertion order, which is the order of the source text.
        var iterator = json_object_iter(node)
        while let current = iterator {
            let key = Self.string(start: json_object_iter_key(current), count: json_object_iter_key_len(current))
            // A live iterator and an index below the size always have a value.
            object[key] = try value(of: json_object_iter_value(current)!, depth: depth)
            iterator = json_object_iter_next(node, current)
        }
        return object
    }

    private func array(of node: UnsafeMutablePointer<json_t>, depth: Int) throws(TooDeep) -> [JSON] {
        guard depth <= maxDepth else { throw TooDeep() }
        var elements: [JSON] = []
        elements.reserveCapacity(json_array_size(node))
        for index in 0..<json_array_size(node) {
            elements.append(try value(of: json_array_get(node, index)!, depth: depth))
        }
        return elements
    }

    /// jansson has already checked the UTF-8; the length matters because strings may hold NUL.
    static func string(start: UnsafePointer<CChar>?, count: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: start, count: count), as: UTF8.self)
    }
}
