// A value of a parsed jansson tree, read in place: for hot paths that read a document once, field by field,
// where building the whole `JSON` tree would cost more than the reading.

import CJansson

/// What reading code asks of a JSON value, so that one reader serves a `JSON` and a `JSONNode` alike.
public protocol JSONValueView {
    /// An object's members, in order.
    associatedtype Members: Sequence<(key: String, value: Self)>
    associatedtype Elements: Collection<Self>

    var objectValue: Members? { get }
    var arrayValue: Elements? { get }
    var stringValue: String? { get }
    var boolValue: Bool? { get }
    var intValue: Int64? { get }
    /// A short name of the value's type, for error messages ("expected a string, found an array").
    var typeName: String { get }
    /// The value as `JSON`.
    var json: JSON { get }
}

extension JSON: JSONValueView {
    public var json: JSON { self }
}

/// One value of a tree parsed by `JSON.withParsed(bytes:maxDepth:_:)`, valid only while that call's body
/// runs: it must not be kept or passed out of it. Strings, keys and `json` are copied out of the tree.
/// Members whose keys differ in bytes are distinct here, as in jansson; a `JSONObject` makes one member of
/// keys equal as Swift strings (canonically equivalent), with the first key and the last value.
public struct JSONNode: JSONValueView {
    public typealias Kind = JSONKind

    private let node: UnsafeMutablePointer<json_t>

    init(_ node: UnsafeMutablePointer<json_t>) {
        self.node = node
    }

    public var kind: Kind {
        switch node.pointee.type {
        case JSON_OBJECT: .object
        case JSON_ARRAY: .array
        case JSON_STRING: .string
        case JSON_INTEGER: .int
        case JSON_REAL: .double
        case JSON_TRUE, JSON_FALSE: .bool
        default: .null
        }
    }

    public var objectValue: Members? {
        node.pointee.type == JSON_OBJECT ? Members(object: node) : nil
    }

    public var arrayValue: Elements? {
        node.pointee.type == JSON_ARRAY ? Elements(array: node) : nil
    }

    public var stringValue: String? {
        guard node.pointee.type == JSON_STRING else { return nil }
        return JanssonReader.string(start: json_string_value(node), count: json_string_length(node))
    }

    public var boolValue: Bool? {
        switch node.pointee.type {
        case JSON_TRUE: true
        case JSON_FALSE: false
        default: nil
        }
    }

    public var intValue: Int64? {
        node.pointee.type == JSON_INTEGER ? Int64(json_integer_value(node)) : nil
    }

    public var doubleValue: Double? {
        node.pointee.type == JSON_REAL ? json_real_value(node) : nil
    }

    public var typeName: String { kind.typeName }

    /// The value converted to `JSON`, exactly as `JSON.parse` would have given it.
    public var json: JSON {
        do {
            // The whole tree was checked against the depth bound before any node was handed out.
            return try JanssonReader(maxDepth: .max).value(of: node, depth: 0)
        } catch {
            preconditionFailure("a tree without a depth bound is never too deep")
        }
    }

    /// An object's members in source order, each key copied into a `String`.
    public struct Members: Sequence, IteratorProtocol {
        private let object: UnsafeMutablePointer<json_t>
        private var iterator: UnsafeMutableRawPointer?

        init(object: UnsafeMutablePointer<json_t>) {
            self.object = object
            iterator = json_object_iter(object)
        }

        public mutating func next() -> (key: String, value: JSONNode)? {
            guard let current = iterator else { return nil }
            iterator = json_object_iter_next(object, current)
            let key = JanssonReader.string(
                start: json_object_iter_key(current), count: json_object_iter_key_len(current))
            // A live iterator always has a value.
            return (key, JSONNode(json_object_iter_value(current)!))
        }
    }

    /// An array's elements.
    public struct Elements: RandomAccessCollection {
        private let array: UnsafeMutablePointer<json_t>
        public let endIndex: Int

        init(array: UnsafeMutablePointer<json_t>) {
            self.array = array
            endIndex = json_array_size(array)
        }

        public var startIndex: Int { 0 }

        public subscript(position: Int) -> JSONNode {
            precondition(indices.contains(position), "index out of range")
            return JSONNode(json_array_get(array, position)!)
        }
    }
}
