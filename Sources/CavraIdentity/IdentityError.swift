// Why a token or an identity configuration was refused: a sentence a person can act on.

public struct IdentityError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
