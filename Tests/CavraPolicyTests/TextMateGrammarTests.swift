// Checks the editor support in editors/vscode: the TextMate grammar must scope what the real lexer reads.
//
// A small TextMate tokeniser runs the grammar over every example policy of the repository; the lexer's tokens
// say where the keywords, strings, numbers and comments are, and each must carry a scope of its class.

import CavraJSON
import CavraPolicy
import Foundation
import Testing

/// A TextMate grammar and a tokeniser for the part of the format the CAVRA grammar uses: top-level `patterns`;
/// rules with `match`, `name` and `captures`; rules with `begin`, `end`, `beginCaptures`, `endCaptures`,
/// `contentName` and `patterns`; `include` of `#repository` entries and `$self`. Any other rule key is refused, so
/// that the grammar stays within what this tokeniser checks. Regular expressions run with NSRegularExpression (ICU);
/// editors run them with Oniguruma, so constructs whose meaning differs between the two are refused as well.
struct TextMateGrammar {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    private struct Rule {
        var name: [String] = []
        var contentName: [String] = []
        var match: NSRegularExpression?
        var begin: NSRegularExpression?
        var end: NSRegularExpression?
        var captures: [Int: [String]] = [:]
        var beginCaptures: [Int: [String]]?
        var endCaptures: [Int: [String]]?
        var patterns: [Int] = []
        var include: String?
    }

    private enum Kind { case match, begin, end }

    private struct Frame {
        var rule: Int
        var name: [String]
        var contentName: [String]
    }

    let scopeName: String
    private var rules: [Rule] = []
    private var topLevel: [Int] = []
    private var repository: [String: Int] = [:]

    static let ruleKeys: Set<String> = [
        "name", "contentName", "match", "begin", "end", "captures", "beginCaptures", "endCaptures", "patterns",
        "include", "comment",
    ]
    static let grammarKeys: Set<String> = ["$schema", "name", "scopeName", "fileTypes", "patterns", "repository"]
    /// Escapes whose meaning differs between Oniguruma and ICU, or that only one of them has.
    static let unportableEscapes: Set<Character> = [
        "G", "A", "z", "Z", "h", "H", "K", "R", "X", "k", "g", "p", "P", "w", "W", "b", "B", "d", "D", "O", "y", "Y",
        "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ]

    init(json: JSON) throws {
        guard let object = json.objectValue, let scopeName = object["scopeName"]?.stringValue else {
            throw Invalid(description: "the grammar has no scopeName")
        }
        for key in object.keys where !Self.grammarKeys.contains(key) {
            throw Invalid(description: "unsupported grammar key `\(key)`")
        }
        self.scopeName = scopeName
        for (key, value) in object["repository"]?.objectValue ?? JSONObject() {
            repository[key] = try addRule(value, at: "repository.\(key)")
        }
        topLevel = try addPatterns(object["patterns"], at: "patterns")
        guard !topLevel.isEmpty else { throw Invalid(description: "the grammar has no top-level patterns") }
        var seen = Set<Int>()
        _ = try expand(topLevel, seen: &seen)
        for rule in rules {
            var visited = Set<Int>()
            _ = try expand(rule.patterns, seen: &visited)
        }
    }

    private mutating func addPatterns(_ json: JSON?, at path: String) throws -> [Int] {
        guard let json else { return [] }
        guard let array = json.arrayValue else { throw Invalid(description: "\(path) is not an array") }
        return try array.enumerated().map { index, element in try addRule(element, at: "\(path)[\(index)]") }
    }

    private mutating func addRule(_ json: JSON, at path: String) throws -> Int {
        guard let object = json.objectValue else { throw Invalid(description: "\(path) is not an object") }
        for key in object.keys where !Self.ruleKeys.contains(key) {
            throw Invalid(description: "\(path): unsupported key `\(key)`")
        }
        var rule = Rule()
        rule.name = Self.scopes(object["name"])
        rule.contentName = Self.scopes(object["contentName"])
        rule.match = try object["match"].map { try Self.regex($0, at: "\(path).match") }
        rule.begin = try object["begin"].map { try Self.regex($0, at: "\(path).begin") }
        rule.end = try object["end"].map { try Self.regex($0, at: "\(path).end") }
        rule.captures = try Self.captures(object["captures"], at: "\(path).captures") ?? [:]
        rule.beginCaptures = try Self.captures(object["beginCaptures"], at: "\(path).beginCaptures")
        rule.endCaptures = try Self.captures(object["endCaptures"], at: "\(path).endCaptures")
        rule.include = object["include"]?.stringValue
        rule.patterns = try addPatterns(object["patterns"], at: "\(path).patterns")
        if (rule.begin == nil) != (rule.end == nil) {
            throw Invalid(description: "\(path): `begin` and `end` go together")
        }
        if rule.match != nil && rule.begin != nil {
            throw Invalid(description: "\(path): a rule has `match` or `begin`, not both")
        }
        if rule.match == nil && rule.begin == nil && rule.include == nil && rule.patterns.isEmpty {
            throw Invalid(description: "\(path): the rule matches nothing")
        }
        rules.append(rule)
        return rules.count - 1
    }

    private static func scopes(_ json: JSON?) -> [String] {
        (json?.stringValue ?? "").split(separator: " ").map(String.init)
    }

    private static func regex(_ json: JSON, at path: String) throws -> NSRegularExpression {
        guard let pattern = json.stringValue else { throw Invalid(description: "\(path) is not a string") }
        if let construct = unportableConstruct(in: pattern) {
            throw Invalid(description: "\(path): `\(construct)` is not portable between Oniguruma and ICU")
        }
        do {
            return try NSRegularExpression(pattern: pattern)
        } catch {
            throw Invalid(description: "\(path): `\(pattern)` does not compile: \(error)")
        }
    }

    /// The first construct of `pattern` outside the common subset: an escape of `unportableEscapes`, a named group,
    /// a POSIX bracket or an inline option.
    static func unportableConstruct(in pattern: String) -> String? {
        let characters = Array(pattern)
        var index = 0
        while index < characters.count {
            let rest = String(characters[index...])
            if characters[index] == "\\", index + 1 < characters.count {
                if unportableEscapes.contains(characters[index + 1]) { return String(rest.prefix(2)) }
                index += 2
                continue
            }
            if rest.hasPrefix("[[:") { return "[[:" }
            if rest.hasPrefix("(?"), rest.count > 2 {
                let next = characters[index + 2]
                if next.isLetter || (next == "<" && rest.count > 3 && characters[index + 3].isLetter) {
                    return String(rest.prefix(4))
                }
            }
            index += 1
        }
        return nil
    }

    private static func captures(_ json: JSON?, at path: String) throws -> [Int: [String]]? {
        guard let json else { return nil }
        guard let object = json.objectValue else { throw Invalid(description: "\(path) is not an object") }
        var result: [Int: [String]] = [:]
        for (key, value) in object {
            guard let group = Int(key), let capture = value.objectValue else {
                throw Invalid(description: "\(path).\(key) is not a capture")
            }
            for captureKey in capture.keys where captureKey != "name" {
                throw Invalid(description: "\(path).\(key): unsupported key `\(captureKey)`")
            }
            result[group] = scopes(capture["name"])
        }
        return result
    }

    /// The rules that can match at one point: includes followed, containers of patterns flattened.
    private func expand(_ patterns: [Int], seen: inout Set<Int>) throws -> [Int] {
        var result: [Int] = []
        for index in patterns {
            let rule = rules[index]
            if let include = rule.include {
                if include == "$self" || include == "$base" {
                    result += try expandOnce(topLevel, key: -1, seen: &seen)
                } else if include.hasPrefix("#"), let target = repository[String(include.dropFirst())] {
                    result += try expandOnce([target], key: target, seen: &seen)
                } else {
                    throw Invalid(description: "`include` of `\(include)` resolves nowhere")
                }
            } else if rule.match != nil || rule.begin != nil {
                result.append(index)
            } else {
                result += try expand(rule.patterns, seen: &seen)
            }
        }
        return result
    }

    private func expandOnce(_ patterns: [Int], key: Int, seen: inout Set<Int>) throws -> [Int] {
        guard seen.insert(key).inserted else { return [] }
        defer { seen.remove(key) }
        return try expand(patterns, seen: &seen)
    }

    /// The scope stack of every Unicode scalar of `text` (a newline's is empty); the first scope is `scopeName`.
    func scopesPerScalar(_ text: String) throws -> [[String]] {
        let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).map {
            String(String.UnicodeScalarView($0))
        }
        let perUnit = try tokenize(lines)
        var result: [[String]] = []
        for (number, line) in lines.enumerated() {
            if number > 0 { result.append([]) }
            var unit = 0
            for scalar in line.unicodeScalars {
                result.append(perUnit[number][unit])
                unit += scalar.utf16.count
            }
        }
        return result
    }

    /// The scope stack of every UTF-16 unit of every line, the state carried from line to line.
    func tokenize(_ lines: [String]) throws -> [[[String]]] {
        var stack: [Frame] = []
        var result: [[[String]]] = []
        for line in lines {
            let length = line.utf16.count
            var scopes = Array(repeating: [String](), count: length)
            var position = 0
            var steps = 0
            scanning: while position <= length {
                steps += 1
                guard steps <= 4 * length + 64 else { throw Invalid(description: "the tokeniser loops on `\(line)`") }
                let inside = [scopeName] + stack.flatMap { $0.name + $0.contentName }
                var candidates: [(kind: Kind, rule: Int, regex: NSRegularExpression)] = []
                var seen = Set<Int>()
                if let frame = stack.last {
                    candidates.append((.end, frame.rule, rules[frame.rule].end!))
                }
                for index in try expand(stack.last.map { rules[$0.rule].patterns } ?? topLevel, seen: &seen) {
                    if let match = rules[index].match { candidates.append((.match, index, match)) }
                    if let begin = rules[index].begin { candidates.append((.begin, index, begin)) }
                }
                // The earliest match wins; among matches at one position, the first candidate (`end` first).
                var best: (candidate: Int, match: NSTextCheckingResult)?
                for (number, candidate) in candidates.enumerated() {
                    guard
                        let match = candidate.regex.firstMatch(
                            in: line, options: [.withTransparentBounds, .withoutAnchoringBounds],
                            range: NSRange(location: position, length: length - position))
                    else { continue }
                    if best == nil || match.range.location < best!.match.range.location { best = (number, match) }
                }
                guard let (number, match) = best else {
                    for unit in position..<length { scopes[unit] = inside }
                    break scanning
                }
                for unit in position..<match.range.location { scopes[unit] = inside }
                let candidate = candidates[number]
                let rule = rules[candidate.rule]
                switch candidate.kind {
                case .end:
                    let frame = stack.removeLast()
                    let outer = [scopeName] + stack.flatMap { $0.name + $0.contentName }
                    apply(match, base: outer + frame.name, captures: rule.endCaptures ?? rule.captures, to: &scopes)
                case .match:
                    apply(match, base: inside + rule.name, captures: rule.captures, to: &scopes)
                    if match.range.length == 0 {
                        guard position < length else { break scanning }
                        scopes[position] = inside
                        position += 1
                        continue scanning
                    }
                case .begin:
                    guard match.range.length > 0 else {
                        throw Invalid(description: "a `begin` matched the empty string in `\(line)`")
                    }
                    apply(match, base: inside + rule.name, captures: rule.beginCaptures ?? rule.captures, to: &scopes)
                    stack.append(Frame(rule: candidate.rule, name: rule.name, contentName: rule.contentName))
                }
                position = match.range.location + match.range.length
                if position == length && candidate.kind == .match { break scanning }
            }
            result.append(scopes)
        }
        return result
    }

    private func apply(
        _ match: NSTextCheckingResult, base: [String], captures: [Int: [String]], to scopes: inout [[String]]
    ) {
        for unit in match.range.location..<(match.range.location + match.range.length) { scopes[unit] = base }
        for group in captures.keys.sorted() where group < match.numberOfRanges {
            let range = match.range(at: group)
            guard range.location != NSNotFound else { continue }
            for unit in range.location..<(range.location + range.length) { scopes[unit] += captures[group]! }
        }
    }
}

@Suite struct TextMateGrammarTests {
    static let editor = Fixtures.repositoryRoot.appendingPathComponent("editors/vscode")

    /// Every example policy file of the repository, relative to its root.
    static var examplePolicies: [String] {
        let root = Fixtures.repositoryRoot
        var paths: [String] = []
        for directory in ["policy", "Tests/Conformance", "Benchmarks"] {
            let base = root.appendingPathComponent(directory)
            let enumerator = FileManager.default.enumerator(atPath: base.path)
            while let relative = enumerator?.nextObject() as? String {
                if relative.hasSuffix(".cavra") { paths.append("\(directory)/\(relative)") }
            }
        }
        return paths.sorted()
    }

    static func loadJSON(_ url: URL) throws -> JSON {
        try JSON.parse(String(contentsOf: url, encoding: .utf8))
    }

    static func grammar() throws -> TextMateGrammar {
        try TextMateGrammar(json: loadJSON(editor.appendingPathComponent("syntaxes/cavra.tmLanguage.json")))
    }

    /// Scopes that mark a keyword in themes.
    static let keywordScopes = ["keyword.", "storage.", "constant.language.", "variable.language."]

    static func has(_ stack: [String], _ prefixes: [String]) -> Bool {
        stack.contains { scope in prefixes.contains { scope.hasPrefix($0) } }
    }

    /// Where the grammar's scopes disagree with the lexer's tokens of `text`.
    static func problems(in text: String, file: String, grammar: TextMateGrammar) throws -> [String] {
        let scalars = Array(text.unicodeScalars)
        let (tokens, comments) = Lexer.tokenizeKeepingComments(scalars, file: 0)
        let scopes = try grammar.scopesPerScalar(text)
        guard scopes.count == scalars.count else {
            return ["\(file): \(scopes.count) scopes, \(scalars.count) scalars"]
        }
        var problems: [String] = []
        func check(_ range: Range<Int>, line: Int, column: Int, _ what: String, _ holds: ([String]) -> Bool) {
            guard let bad = range.first(where: { !holds(scopes[$0]) }) else { return }
            let text = String(String.UnicodeScalarView(scalars[range]))
            problems.append(
                "\(file):\(line):\(column): \(what) `\(text)`, scopes \(scopes[bad].joined(separator: " "))")
        }
        let notStringOrComment = { (stack: [String]) in !has(stack, ["string.", "comment."]) }
        for (index, token) in tokens.enumerated() {
            let range = token.span.startOffset..<token.span.endOffset
            let (line, column) = (token.span.line, token.span.column)
            switch token.kind {
            case .keyword:
                // After `.` and as an object key, a keyword is an ordinary name (policy-language.md §2).
                let afterDot = index > 0 && tokens[index - 1].kind == .symbol(.dot)
                let beforeColon = index + 1 < tokens.count && tokens[index + 1].kind == .symbol(.colon)
                if afterDot || beforeColon {
                    check(range, line: line, column: column, "a keyword used as a name is not a property") {
                        has($0, ["variable.other.property"]) && !has($0, keywordScopes)
                    }
                } else {
                    check(range, line: line, column: column, "a keyword has no keyword scope") {
                        has($0, keywordScopes) && notStringOrComment($0)
                    }
                }
            case .name:
                check(range, line: line, column: column, "a name has a keyword, string, comment or number scope") {
                    !has($0, keywordScopes + ["string.", "comment.", "constant.numeric."])
                }
            case .string:
                check(range, line: line, column: column, "a string has no string scope") {
                    has($0, ["string."]) && !has($0, ["comment."])
                }
            case .integer, .duration:
                check(range, line: line, column: column, "a number has no constant.numeric scope") {
                    has($0, ["constant.numeric."]) && notStringOrComment($0)
                }
            case .symbol(let symbol):
                let operators: Set<Symbol> = [
                    .equals, .equalEqual, .notEqual, .less, .lessEqual, .greater, .greaterEqual,
                ]
                check(range, line: line, column: column, "a symbol has a string or comment scope", notStringOrComment)
                if operators.contains(symbol) {
                    check(range, line: line, column: column, "an operator has no keyword.operator scope") {
                        has($0, ["keyword.operator."])
                    }
                }
            case .invalid, .endOfFile:
                break
            }
        }
        for comment in comments {
            let range = comment.offset..<(comment.offset + comment.text.unicodeScalars.count)
            let column = scalars[..<comment.offset].split(separator: "\n", omittingEmptySubsequences: false).last!.count
            check(range, line: comment.line, column: column + 1, "a comment has no comment scope") {
                has($0, ["comment."])
            }
        }
        return problems
    }

    /// The scope stack of the first scalar of each occurrence of `piece` in one line of policy text.
    static func scopes(of piece: String, in line: String, grammar: TextMateGrammar) throws -> [[String]] {
        let scopes = try grammar.scopesPerScalar(line)
        let scalars = Array(line.unicodeScalars)
        let wanted = Array(piece.unicodeScalars)
        return (0...(scalars.count - wanted.count)).filter { Array(scalars[$0..<($0 + wanted.count)]) == wanted }
            .map { scopes[$0] }
    }

    @Test func everyExampleDirectoryHasPolicies() {
        let paths = Self.examplePolicies
        for prefix in ["policy/", "policy/tests/", "Tests/Conformance/", "Benchmarks/policy-50/"] {
            #expect(paths.contains { $0.hasPrefix(prefix) }, "no .cavra file under \(prefix)")
        }
        #expect(paths.count >= 50)
    }

    @Test(arguments: examplePolicies)
    func grammarScopesWhatTheLexerReads(_ path: String) throws {
        let grammar = try Self.grammar()
        let text = try String(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(path), encoding: .utf8)
        let problems = try Self.problems(in: text, file: path, grammar: grammar)
        #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
    }

    @Test(arguments: Keyword.allCases)
    func everyKeywordIsScopedAsAKeywordAndAsANameWhereItIsOne(_ keyword: Keyword) throws {
        let grammar = try Self.grammar()
        let word = keyword.rawValue
        for text in [
            word, "\(word) # c", "x \(word) y", "(\(word))", "[\(word), \(word)]", "actor.\(word)",
            "actor.claims.\(word) == 1", "route { \(word): 1 }", "{\(word):true}",
        ] {
            let problems = try Self.problems(in: text, file: "<\(text)>", grammar: grammar)
            #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        }
        // A keyword inside a longer name is no keyword.
        for text in ["\(word)-x", "x-\(word)", "\(word)_1", "_\(word)"] {
            #expect(try Self.problems(in: "let \(text) = 1", file: "<\(text)>", grammar: grammar).isEmpty)
        }
    }

    @Test func stringsScopeTheirEscapesAndEndOnTheirLine() throws {
        let grammar = try Self.grammar()
        let line = #"when route.service == "a\"b\\c\n\t\u{2603}" or "x\qy""#
        for escape in [#"\""#, #"\\"#, #"\n"#, #"\t"#, #"\u{2603}"#] {
            let found = try Self.scopes(of: escape, in: line, grammar: grammar)
            #expect(found.count == 1 && Self.has(found[0], ["constant.character.escape."]), "\(escape): \(found)")
            #expect(found.allSatisfy { Self.has($0, ["string.quoted.double.cavra"]) })
        }
        let unknown = try Self.scopes(of: #"\q"#, in: line, grammar: grammar)
        #expect(unknown.count == 1 && Self.has(unknown[0], ["invalid.illegal."]))
        // An unterminated string ends with its line; the next line is policy text again.
        let scopes = try grammar.scopesPerScalar("when x == \"open\nwhen y")
        #expect(!Self.has(scopes.last!, ["string."]))
        #expect(Self.has(scopes[scopes.count - 6], ["keyword."]))
        let problems = try Self.problems(in: "when x == \"#\" # c\n", file: "<hash>", grammar: grammar)
        #expect(problems.isEmpty, "\(problems)")
    }

    @Test func rulesAnnotationsActionsRolesAndObligationsHaveTheirScopes() throws {
        let grammar = try Self.grammar()
        let text = """
            @id( "ic-escalates" )
            permit escalate, resolve by incident-commander, auditor
              require note, external_ref when route.age >= 30m
            forbid * by anyone
            role release-manager = "release-managers" in actor.groups
            test "t" { actor { groups: ["x"] } expect escalate allow require note by "ic-escalates", "x" }
            """
        let lines = text.split(separator: "\n").map(String.init)
        func expectScope(
            _ piece: String, line: Int, _ scope: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
        )
            throws
        {
            let found = try Self.scopes(of: piece, in: lines[line], grammar: grammar)
            #expect(
                !found.isEmpty && found.allSatisfy { $0.contains { $0.hasPrefix(scope) } }, "\(piece): \(found)",
                sourceLocation: sourceLocation)
        }
        try expectScope("@", line: 0, "punctuation.definition.annotation")
        try expectScope("id", line: 0, "entity.name.function.annotation")
        try expectScope("ic-escalates", line: 0, "string.quoted.double.rule-id")
        try expectScope("permit", line: 1, "keyword.control.effect.permit")
        try expectScope("escalate", line: 1, "support.function.action")
        try expectScope("resolve", line: 1, "support.function.action")
        try expectScope("incident-commander", line: 1, "entity.name.type.role")
        try expectScope("auditor", line: 1, "entity.name.type.role")
        try expectScope("note", line: 2, "support.constant.obligation")
        try expectScope("external_ref", line: 2, "support.constant.obligation")
        try expectScope("when", line: 2, "keyword.control.clause")
        try expectScope("age", line: 2, "variable.other.property")
        try expectScope("30", line: 2, "constant.numeric.duration")
        try expectScope("forbid", line: 3, "keyword.control.effect.forbid")
        try expectScope("*", line: 3, "constant.language.wildcard")
        try expectScope("anyone", line: 3, "constant.language.anyone")
        try expectScope("release-manager ", line: 4, "entity.name.type.role")
        try expectScope("groups", line: 5, "variable.other.property")
        try expectScope("escalate allow", line: 5, "support.function.action")
        try expectScope("note", line: 5, "support.constant.obligation")
        try expectScope("ic-escalates", line: 5, "string.quoted.double.rule-id")
        try expectScope("allow", line: 5, "keyword.other.decision")
        for line in lines {
            #expect(try Self.problems(in: line, file: "<\(line)>", grammar: grammar).isEmpty)
        }
    }

    @Test func theExtensionManifestAndLanguageConfigurationReferenceTheirFiles() throws {
        let manifest = try Self.loadJSON(Self.editor.appendingPathComponent("package.json"))
        #expect(
            manifest.objectValue?.keys.contains { ["main", "browser"].contains($0) } == false,
            "the extension holds no code")
        #expect(manifest["engines"]?["vscode"]?.stringValue != nil)
        let languages = try #require(manifest["contributes"]?["languages"]?.arrayValue)
        let language = try #require(languages.first { $0["id"]?.stringValue == "cavra" })
        #expect(language["extensions"]?.arrayValue?.contains(".cavra") == true)
        let configurationPath = try #require(language["configuration"]?.stringValue)
        let grammars = try #require(manifest["contributes"]?["grammars"]?.arrayValue)
        let grammarEntry = try #require(grammars.first { $0["language"]?.stringValue == "cavra" })
        #expect(grammarEntry["scopeName"]?.stringValue == "source.cavra")
        let grammarPath = try #require(grammarEntry["path"]?.stringValue)
        for path in [configurationPath, grammarPath] {
            #expect(FileManager.default.fileExists(atPath: Self.editor.appendingPathComponent(path).path), "\(path)")
        }
        #expect(try Self.grammar().scopeName == "source.cavra")
        let grammarJSON = try Self.loadJSON(Self.editor.appendingPathComponent(grammarPath))
        #expect(grammarJSON["fileTypes"]?.arrayValue == ["cavra"])

        let configuration = try Self.loadJSON(Self.editor.appendingPathComponent(configurationPath))
        #expect(configuration["comments"]?["lineComment"]?.stringValue == "#")
        let brackets = try #require(configuration["brackets"]?.arrayValue)
        for pair in [["{", "}"], ["[", "]"], ["(", ")"]] {
            let json = JSON.array(pair.map { .string($0) })
            #expect(brackets.contains(json), "brackets lack \(pair)")
            let closing = configuration["autoClosingPairs"]?.arrayValue ?? []
            #expect(closing.contains { $0["open"] == json.arrayValue?[0] && $0["close"] == json.arrayValue?[1] })
        }
        let closing = configuration["autoClosingPairs"]?.arrayValue ?? []
        #expect(closing.contains { $0["open"]?.stringValue == "\"" && $0["close"]?.stringValue == "\"" })
    }
}
