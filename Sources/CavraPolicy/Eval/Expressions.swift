// Evaluates expressions for one request: attributes, claims, roles (each at most once) and operators (§5.6).

import CavraJSON

struct ExpressionContext {
    enum RoleState: UInt8 {
        case unknown, held, notHeld, failed
    }

    /// Two bits a role; the first 32 roles inline, so that an ordinary policy's evaluation does not allocate them.
    struct RoleStates {
        private var inline: UInt64 = 0
        private var overflow: [RoleState]

        init(count: Int) { overflow = Array(repeating: .unknown, count: max(0, count - 32)) }

        subscript(index: Int) -> RoleState {
            get {
                index < 32
                    ? RoleState(rawValue: UInt8(truncatingIfNeeded: inline >> UInt64(index * 2)) & 3)!
                    : overflow[index - 32]
            }
            set {
                if index < 32 {
                    let shift = UInt64(index * 2)
                    inline = (inline & ~(3 << shift)) | (UInt64(newValue.rawValue) << shift)
                } else {
                    overflow[index - 32] = newValue
                }
            }
        }
    }

    /// The request, borrowed for the evaluation: copying its strings and lists would cost more than deciding.
    /// Valid only inside `withRequest`, which never lets the context escape.
    private let requestPointer: UnsafePointer<PolicyRequest>
    let roles: [CompiledRole]
    private var roleStates: RoleStates
    private var roleFailures: [Int: EvalFailure] = [:]

    /// Read in place: a getter returning `pointee` would copy the request, retaining every string and list.
    var request: PolicyRequest {
        unsafeAddress { requestPointer }
    }

    /// Runs `body` with a context over `request`.
    static func withRequest<Result>(
        _ request: PolicyRequest, roles: [CompiledRole], _ body: (inout ExpressionContext) -> Result
    ) -> Result {
        withUnsafePointer(to: request) { withRequest(at: $0, roles: roles, body) }
    }

    /// Runs `body` with a context over the request `pointer` points to.
    static func withRequest<Result>(
        at pointer: UnsafePointer<PolicyRequest>, roles: [CompiledRole], _ body: (inout ExpressionContext) -> Result
    ) -> Result {
        var context = ExpressionContext(requestPointer: pointer, roles: roles)
        return body(&context)
    }

    private init(requestPointer: UnsafePointer<PolicyRequest>, roles: [CompiledRole]) {
        self.requestPointer = requestPointer
        self.roles = roles
        roleStates = RoleStates(count: roles.count)
    }

    /// The roles' states as evaluated so far, for a trace read later.
    func roleSnapshot() -> RoleSnapshot { RoleSnapshot(count: roles.count, states: roleStates, failures: roleFailures) }

    struct RoleSnapshot: Sendable {
        var count: Int
        var states: RoleStates
        var failures: [Int: EvalFailure]

        var entries: [Trace.RoleEntry] {
            (0..<count).compactMap { index in
                switch states[index] {
                case .unknown: nil
                case .held: Trace.RoleEntry(role: index, value: true)
                case .notHeld: Trace.RoleEntry(role: index, value: false)
                case .failed: Trace.RoleEntry(role: index, value: nil, error: failures[index]?.message)
                }
            }
        }
    }

    // MARK: Roles

    /// Whether the actor holds role `index`, evaluating it at most once.
    mutating func role(_ index: Int) throws(EvalFailure) -> Bool {
        switch roleStates[index] {
        case .held: return true
        case .notHeld: return false
        case .failed: throw roleFailures[index]!
        case .unknown:
            do {
                let held = try bool(roles[index].node)
                roleStates[index] = held ? .held : .notHeld
                return held
            } catch {
                let failure = EvalFailure(
                    message: "role `\(roles[index].name)` failed: \(error.message)", location: error.location)
                roleStates[index] = .failed
                roleFailures[index] = failure
                throw failure
            }
        }
    }

    // MARK: Expressions

    mutating func bool(_ node: Node) throws(EvalFailure) -> Bool {
        switch node.kind {
        case .and(let operands):
            for operand in operands where !(try bool(operand)) { return false }
            return true
        case .or(let operands):
            for operand in operands where try bool(operand) { return true }
            return false
        case .not(let operand): return !(try bool(operand))
        case .role(let index): return try role(index)
        case .compare(let op, let left, let right): return try compare(op, left, right, at: node.location)
        case .matches(let operand, let glob):
            return glob.matches(try string(operand, for: "`matches`"))
        case .matchesDynamic(let operand, let pattern):
            let text = try string(operand, for: "`matches`")
            return Glob(try string(pattern, for: "`matches`")).matches(text)
        case .has(let operand, let key):
            guard case .map(let object) = try value(operand) else {
                throw EvalFailure(
                    message: "`has` needs a map, found \(try value(operand).typeName)", location: operand.location)
            }
            return object[key] != nil
        default:
            let result = try value(node)
            guard case .bool(let flag) = result else {
                throw EvalFailure(message: "expected a bool, found \(result.typeName)", location: node.location)
            }
            return flag
        }
    }

    private mutating func string(_ node: Node, for what: String) throws(EvalFailure) -> String {
        let result = try value(node)
        guard case .string(let text) = result else {
            throw EvalFailure(message: "\(what) needs a string, found \(result.typeName)", location: node.location)
        }
        return text
    }

    mutating func value(_ node: Node) throws(EvalFailure) -> Value {
        switch node.kind {
        case .constant(let value): return value
        case .attribute(let attribute): return attributeValue(attribute)
        case .claim(let keys, let display): return try claim(keys, display: display, at: node.location)
        case .actorRoles:
            var held: [Value] = []
            for index in roles.indices where try role(index) {
                held.append(.string(roles[index].name))
            }
            held.sort { Self.bytewiseLess($0, $1) }
            return .list(held)
        case .list(let items):
            var values: [Value] = []
            values.reserveCapacity(items.count)
            for item in items { values.append(try value(item)) }
            return .list(values)
        default:
            return .bool(try bool(node))
        }
    }

    private static func bytewiseLess(_ a: Value, _ b: Value) -> Bool {
        guard case .string(let x) = a, case .string(let y) = b else { return false }
        return x.utf8.lexicographicallyPrecedes(y.utf8)
    }

    private func attributeValue(_ attribute: Attribute) -> Value {
        switch attribute {
        case .actorVerified: .bool(request.actor.verified)
        case .actorGroups: .list(request.actor.groups.map(Value.string))
        case .actorClaims: .map(request.actor.claims)
        case .routeAge: .duration(request.route.age)
        case .routeSlo: .duration(request.route.slo)
        case .routeBreached: .bool(request.route.breached)
        case .routeTags: .list(request.route.tags.map(Value.string))
        case .contextNow: .int(request.context.now)
        case .contextBulk: .bool(request.context.bulk)
        case .contextBulkSize: .int(request.context.bulkSize)
        // The validator never lets `actor.roles` compile to an attribute node; it is `.actorRoles`.
        case .actorRoles: .list([])
        default: .string(request.stringValue(of: attribute)!)
        }
    }

    private func claim(_ keys: [String], display: String, at location: SourceLocation) throws(EvalFailure) -> Value {
        var current = JSON.object(request.actor.claims)
        var path = "actor.claims"
        for key in keys {
            guard case .object(let object) = current else {
                throw EvalFailure(message: "`\(path)` is \(current.typeName), not a map", location: location)
            }
            path += Self.isName(key) ? ".\(key)" : "[\"\(key)\"]"
            guard let next = object[key] else {
                throw EvalFailure(message: "claim `\(path)` is absent (test it with `has` first)", location: location)
            }
            current = next
        }
        return Value(claim: current)
    }

    private static func isName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, Lexer.isNameStart(first) else { return false }
        return key.unicodeScalars.allSatisfy(Lexer.isNameContinue)
    }

    // MARK: Operators

    private mutating func compare(
        _ op: BinaryOperator, _ leftNode: Node, _ rightNode: Node, at location: SourceLocation
    )
        throws(EvalFailure) -> Bool
    {
        if let fast = try fastCompare(op, leftNode, rightNode) { return fast }
        let left = try usable(try value(leftNode), leftNode)
        let right = try usable(try value(rightNode), rightNode)
        func mismatch() -> EvalFailure {
            EvalFailure(
                message: "`\(op.rawValue)` cannot compare \(left.typeName) with \(right.typeName)",
                location: Self.isStatic(leftNode) ? rightNode.location : leftNode.location)
        }
        switch op {
        case .equal, .notEqual:
            guard left.sameKind(as: right), !Self.isMap(left) else { throw mismatch() }
            return Self.equal(left, right) == (op == .equal)
        case .less, .lessEqual, .greater, .greaterEqual:
            let pair: (Int64, Int64)
            switch (left, right) {
            case (.int(let a), .int(let b)), (.duration(let a), .duration(let b)): pair = (a, b)
            default: throw mismatch()
            }
            switch op {
            case .less: return pair.0 < pair.1
            case .lessEqual: return pair.0 <= pair.1
            case .greater: return pair.0 > pair.1
            default: return pair.0 >= pair.1
            }
        case .in, .notIn:
            guard let found = Self.member(left, of: right) else { throw mismatch() }
            return found == (op == .in)
        case .contains:
            guard let found = Self.member(right, of: left) else { throw mismatch() }
            return found
        case .matches:
            guard case .string(let text) = left, case .string(let pattern) = right else { throw mismatch() }
            return Glob(pattern).matches(text)
        }
    }

    /// The common shapes on fixed attributes, decided without building `Value`s: a string attribute against a
    /// constant, and membership in `actor.groups` or `route.tags`. Their types were checked by the validator.
    private mutating func fastCompare(_ op: BinaryOperator, _ leftNode: Node, _ rightNode: Node)
        throws(EvalFailure) -> Bool?
    {
        switch (op, leftNode.kind, rightNode.kind) {
        case (.equal, .attribute(let attribute), .constant(.string(let constant))),
            (.equal, .constant(.string(let constant)), .attribute(let attribute)):
            guard let text = request.stringValue(of: attribute) else { return nil }
            return Self.bytesEqual(text, constant)
        case (.notEqual, .attribute(let attribute), .constant(.string(let constant))),
            (.notEqual, .constant(.string(let constant)), .attribute(let attribute)):
            guard let text = request.stringValue(of: attribute) else { return nil }
            return !Self.bytesEqual(text, constant)
        case (.in, _, .attribute(let attribute)), (.notIn, _, .attribute(let attribute)):
            guard let list = stringList(attribute), case .string(let item) = try value(leftNode) else { return nil }
            return list.contains { Self.bytesEqual($0, item) } == (op == .in)
        case (.contains, .attribute(let attribute), _):
            guard let list = stringList(attribute), case .string(let item) = try value(rightNode) else { return nil }
            return list.contains { Self.bytesEqual($0, item) }
        default:
            return nil
        }
    }

    private func stringList(_ attribute: Attribute) -> [String]? {
        switch attribute {
        case .actorGroups: request.actor.groups
        case .routeTags: request.route.tags
        default: nil
        }
    }

    private func usable(_ value: Value, _ node: Node) throws(EvalFailure) -> Value {
        if case .unusable(let what) = value {
            throw EvalFailure(message: "an operator cannot read \(what)", location: node.location)
        }
        return value
    }

    private static func isStatic(_ node: Node) -> Bool {
        switch node.kind {
        case .claim: false
        case .list(let items): items.allSatisfy(isStatic)
        default: true
        }
    }

    private static func isMap(_ value: Value) -> Bool {
        if case .map = value { return true }
        return false
    }

    /// `x in L` for a list L of x's type, or substring for two strings; nil when the types do not fit.
    private static func member(_ item: Value, of container: Value) -> Bool? {
        switch container {
        case .list(let items):
            if let first = items.first, !first.sameKind(as: item) { return nil }
            if isMap(item) { return nil }
            return items.contains { equal($0, item) }
        case .string(let text):
            guard case .string(let needle) = item else { return nil }
            return needle.isEmpty || text.utf8.firstRange(of: needle.utf8) != nil
        default:
            return nil
        }
    }

    /// Byte equality of two strings (Swift's `==` would also equate canonically equivalent ones).
    static func bytesEqual(_ x: String, _ y: String) -> Bool {
        guard x.utf8.count == y.utf8.count else { return false }
        var x = x
        var y = y
        return x.withUTF8 { a in y.withUTF8 { b in a.elementsEqual(b) } }
    }

    /// Deep equality; strings compare by their UTF-8 bytes (no Unicode normalisation).
    static func equal(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): bytesEqual(x, y)
        case (.list(let x), .list(let y)): x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default: a == b
        }
    }
}
