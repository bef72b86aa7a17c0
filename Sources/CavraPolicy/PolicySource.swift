// The text of a policy: one `.cavra` file, or every `.cavra` file below a directory in bytewise path order.

import CavraJSON
import Foundation

public struct PolicyFile: Sendable {
    /// The name used in ids, diagnostics' JSON and the hash: the file's name, or its path below the directory.
    public var name: String
    /// The path a person would open: PATH joined with `name`.
    public var displayPath: String
    public var bytes: [UInt8]
    public var scalars: [Unicode.Scalar]

    public init(name: String, displayPath: String, bytes: [UInt8]) {
        self.name = name
        self.displayPath = displayPath
        self.bytes = bytes
        self.scalars = Array(String(decoding: bytes, as: UTF8.self).unicodeScalars)
    }

    /// The text of 1-based `line`, without its line break.
    public func line(_ number: Int) -> String {
        var current = 1
        var text = String.UnicodeScalarView()
        for scalar in scalars {
            if scalar == "\n" {
                if current == number { break }
                current += 1
                continue
            }
            if current == number && scalar != "\r" { text.append(scalar) }
        }
        return String(text)
    }
}

public struct PolicySource: Sendable {
    public enum Kind: String, Sendable { case file, directory }

    public var kind: Kind
    /// PATH as the person gave it: named by findings about the policy as a whole (a directory without files).
    public var path: String
    public var files: [PolicyFile]

    public init(kind: Kind, path: String, files: [PolicyFile]) {
        self.kind = kind
        self.path = path
        self.files = files
    }

    /// A one-file policy from text, as `name`.
    public init(text: String, name: String = "policy.cavra") {
        self.init(kind: .file, path: name, files: [PolicyFile(name: name, displayPath: name, bytes: Array(text.utf8))])
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads PATH: a `.cavra` file, or a directory searched recursively for `*.cavra`.
    public static func load(path: String) throws(LoadError) -> PolicySource {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LoadError(description: "policy path `\(path)` does not exist")
        }
        if !isDirectory.boolValue {
            let name = URL(fileURLWithPath: path).lastPathComponent
            return PolicySource(
                kind: .file, path: path, files: [PolicyFile(name: name, displayPath: path, bytes: try read(path))])
        }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            throw LoadError(description: "cannot read the policy directory `\(path)`")
        }
        var names: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".cavra") else { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: join(path, relative), isDirectory: &isDir), !isDir.boolValue {
                names.append(relative)
            }
        }
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        var files: [PolicyFile] = []
        for name in names {
            let display = join(path, name)
            files.append(PolicyFile(name: name, displayPath: display, bytes: try read(display)))
        }
        return PolicySource(kind: .directory, path: path, files: files)
    }

    private static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    private static func read(_ path: String) throws(LoadError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read `\(path)`")
        }
        return [UInt8](data)
    }

    /// policy-language.md §6: the file's bytes for one file; for a directory, each file's relative path,
    /// `\n`, its byte length in decimal, `\n` and its bytes, in load order.
    public var sha256: String {
        if kind == .file, let file = files.first { return CavraHash.sha256Hex(file.bytes) }
        var bytes: [UInt8] = []
        for file in files {
            bytes += Array(file.name.utf8) + [0x0A] + Array(String(file.bytes.count).utf8) + [0x0A] + file.bytes
        }
        return CavraHash.sha256Hex(bytes)
    }
}
