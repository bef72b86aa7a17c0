// Requests from JSONL text (`cavra policy eval --batch`, `cavra policy bench`): one request a line (§9).

import CavraJSON
import Foundation

/// The first bad line of a request file, by its 1-based number.
public struct RequestLineError: Error {
    public enum Problem: Sendable {
        case json(JSONParseError)
        case request(RequestError)
    }

    public var line: Int
    public var problem: Problem
}

extension PolicyRequest {
    /// Every line of `text` as a request, in order; blank lines (only whitespace) are skipped. Lines end at
    /// `"\n"`, so a `"\r\n"` line keeps its `"\r"`, which JSON reads as whitespace. Every line is checked: the
    /// first bad one throws.
    public static func lines(of text: String) throws(RequestLineError) -> [PolicyRequest] {
        var text = text
        text.makeContiguousUTF8()
        let chunks = chunkBounds(text)
        // Chunks start after a newline, so they are read concurrently, each line parsed straight from the
        // text's UTF-8; a chunk reports its line numbers from its own start.
        let results = concurrentMap(chunks.count - 1) { [text] index in
            text.utf8.withContiguousStorageIfAvailable { bytes in
                chunkRequests(in: bytes, from: chunks[index], to: chunks[index + 1])
            }!
        }
        var requests: [PolicyRequest] = []
        requests.reserveCapacity(results.reduce(0) { $0 + $1.requests.count })
        var linesBefore = 0
        for result in results {
            if var failure = result.failure {
                failure.line += linesBefore
                throw failure
            }
            requests += result.requests
            linesBefore += result.newlines
        }
        return requests
    }

    private struct ChunkResult: Sendable {
        var requests: [PolicyRequest] = []
        var newlines = 0
        var failure: RequestLineError?
    }

    /// About 256 KiB a chunk, each but the first starting right after a newline; the last ends at the end.
    private static func chunkBounds(_ text: String) -> [Int] {
        let size = 1 << 18
        var bounds = [0]
        text.utf8.withContiguousStorageIfAvailable { bytes in
            var position = size
            while position < bytes.count {
                while position < bytes.count && bytes[position] != newline { position += 1 }
                guard position < bytes.count else { break }
                bounds.append(position + 1)
                position += 1 + size
            }
            bounds.append(bytes.count)
        }
        return bounds
    }

    /// The requests of the lines in `start..<end`, up to the first bad line.
    private static func chunkRequests(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> ChunkResult
    {
        var result = ChunkResult()
        var lineStart = start
        // A chunk ending in a newline ends with an empty line, which is blank: harmless.
        while lineStart <= end {
            let lineEnd = endOfLine(in: bytes, from: lineStart, to: end)
            let line = UnsafeBufferPointer(rebasing: bytes[lineStart..<lineEnd])
            if !isBlank(line) {
                let number = result.newlines + 1
                // Read in place from jansson's tree: no `JSON` is built for the line.
                let request: Result<PolicyRequest, RequestError>
                do throws(JSONParseError) {
                    request = try JSON.withParsed(bytes: line) { node in
                        Result { () throws(RequestError) in try PolicyRequest(node: node) }
                    }
                } catch {
                    result.failure = RequestLineError(line: number, problem: .json(error))
                    return result
                }
                switch request {
                case .success(let request):
                    result.requests.append(request)
                case .failure(let error):
                    result.failure = RequestLineError(line: number, problem: .request(error))
                    return result
                }
            }
            if lineEnd < end { result.newlines += 1 }
            lineStart = lineEnd + 1
        }
        return result
    }

    private static let newline = UInt8(ascii: "\n")

    /// Where the first newline in `start..<end` is, or `end`.
    private static func endOfLine(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        guard start < end, let base = bytes.baseAddress, let found = memchr(base + start, Int32(newline), end - start)
        else { return end }
        return found - UnsafeMutableRawPointer(mutating: base)
    }

    /// Whether every `Character` of the line is whitespace. An ASCII byte that is not whitespace settles it
    /// at once (it starts its own `Character`, or follows a prepended mark that is not whitespace either); a
    /// line of ASCII whitespace is blank; anything else is decided on the decoded characters.
    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        for byte in line {
            if byte >= 0x80 {
                ascii = false
            } else if !(byte == 0x20 || (0x09...0x0D).contains(byte)) {  // ASCII's White_Space characters
                return false
            }
        }
        return ascii || String(decoding: line, as: UTF8.self).allSatisfy(\.isWhitespace)
    }
}
