// Where a piece of policy text stands: file, 1-based line and column (Unicode code points), and scalar offsets.

public struct SourceLocation: Sendable, Hashable, Comparable {
    /// Index of the file in its `PolicySource`.
    public var file: Int
    public var line: Int
    public var column: Int

    public init(file: Int, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
    }
}

public struct SourceSpan: Sendable, Hashable {
    public var start: SourceLocation
    /// Offsets into the file's Unicode scalars: `[startOffset, endOffset)`.
    public var startOffset: Int
    public var endOffset: Int
    /// The line the span ends on, and the column just past its last character there.
    public var endLine: Int
    public var endColumn: Int

    public init(start: SourceLocation, startOffset: Int, endOffset: Int, endLine: Int, endColumn: Int) {
        self.start = start
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.endLine = endLine
        self.endColumn = endColumn
    }

    public var file: Int { start.file }
    public var line: Int { start.line }
    public var column: Int { start.column }

    /// The span from the start of `self` to the end of `other`.
    public func through(_ other: SourceSpan) -> SourceSpan {
        SourceSpan(
            start: start, startOffset: startOffset, endOffset: other.endOffset,
            endLine: other.endLine, endColumn: other.endColumn)
    }
}
