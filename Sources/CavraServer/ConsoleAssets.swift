// The Evidence Console's files (architecture.md §5), shipped as package resources and served by `cavra api` at
// `/`: plain JavaScript modules and CSS, nothing fetched from elsewhere, under a strict Content-Security-Policy.

import Foundation

public struct ConsoleAssets: Sendable {
    /// No inline script, no remote origin: the console talks only to the server that served it.
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    let files: [String: (bytes: [UInt8], contentType: String)]

    /// Reads every file of the `console` resource directory into memory.
    public init() {
        var files: [String: (bytes: [UInt8], contentType: String)] = [:]
        if let root = Bundle.module.url(forResource: "console", withExtension: nil),
            let enumerator = FileManager.default.enumerator(atPath: root.path)
        {
            while let relative = enumerator.nextObject() as? String {
                let url = root.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory),
                    !isDirectory.boolValue, let data = FileManager.default.contents(atPath: url.path)
                else { continue }
                files[relative] = ([UInt8](data), Self.contentType(of: relative))
            }
        }
        self.files = files
    }

    public var isEmpty: Bool { files.isEmpty }

    /// The answer for a GET of `path`: `/` is the console's page, `/static/NAME` its files; nil for anything else.
    public func response(for path: String) -> APIResponse? {
        let name: String
        if path == "/" || path == "/index.html" {
            name = "index.html"
        } else if path.hasPrefix("/static/") {
            name = String(path.dropFirst("/static/".count))
            guard !name.split(separator: "/").contains("..") else { return nil }
        } else {
            return nil
        }
        guard let file = files[name] else { return nil }
        return APIResponse(
            status: 200, body: file.bytes, contentType: file.contentType,
            headers: [
                ("Content-Security-Policy", Self.contentSecurityPolicy), ("Referrer-Policy", "no-referrer"),
                ("X-Frame-Options", "DENY"),
            ])
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "json": "application/json"
        case "png": "image/png"
        case "ico": "image/x-icon"
        default: "application/octet-stream"
        }
    }
}
