// Compiled expressions: attributes resolved, lets folded to constants, roles by index, globs precompiled.

struct Node: Sendable {
    indirect enum Kind: Sendable {
        case constant(Value)
        case attribute(Attribute)
        /// `actor.claims` followed by these keys; `display` names the path in messages.
        case claim(keys: [String], display: String)
        case role(Int)
        case actorRoles
        case list([Node])
        case not(Node)
        case and([Node])
        case or([Node])
        case compare(BinaryOperator, Node, Node)
        case matches(Node, Glob)
        /// `matches` whose pattern is not a constant.
        case matchesDynamic(Node, Node)
        case has(Node, String)
    }

    var kind: Kind
    /// Where a run-time error of this node is reported.
    var location: SourceLocation

    /// True when evaluating the node can never fail: it reads no claim, and only roles for which `role` is true.
    func isInfallible(role: (Int) -> Bool, allRoles: () -> Bool) -> Bool {
        func check(_ node: Node) -> Bool { node.isInfallible(role: role, allRoles: allRoles) }
        switch kind {
        case .constant, .attribute: return true
        case .claim, .matchesDynamic: return false
        case .role(let index): return role(index)
        case .actorRoles: return allRoles()
        case .list(let items), .and(let items), .or(let items): return items.allSatisfy(check)
        case .not(let operand): return check(operand)
        case .compare(_, let left, let right):
            return check(left) && check(right)
        case .matches(let operand, _), .has(let operand, _): return check(operand)
        }
    }
}

/// A `matches` pattern: `*` is any run of characters, `?` exactly one; the whole string must match.
struct Glob: Sendable {
    private enum Piece: Sendable, Equatable {
        case scalar(Unicode.Scalar)
        case any
        case star
    }

    private let pieces: [Piece]

    init(_ pattern: String) {
        pieces = pattern.unicodeScalars.map { scalar in
            switch scalar {
            case "*": .star
            case "?": .any
            default: .scalar(scalar)
            }
        }
    }

    /// Walks the text's scalars in place: building an array of them would allocate on every call.
    func matches(_ text: String) -> Bool {
        let scalars = text.unicodeScalars
        var t = scalars.startIndex
        var p = 0
        var starPiece = -1
        var starText = t
        while t < scalars.endIndex {
            if p < pieces.count {
                switch pieces[p] {
                case .star:
                    starPiece = p
                    starText = t
                    p += 1
                    continue
                case .any:
                    scalars.formIndex(after: &t)
                    p += 1
                    continue
                case .scalar(let expected) where expected == scalars[t]:
                    scalars.formIndex(after: &t)
                    p += 1
                    continue
                default:
                    break
                }
            }
            guard starPiece >= 0 else { return false }
            p = starPiece + 1
            scalars.formIndex(after: &starText)
            t = starText
        }
        while p < pieces.count && pieces[p] == .star { p += 1 }
        return p == pieces.count
    }
}
