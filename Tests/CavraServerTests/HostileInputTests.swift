// Hostile bodies through a live server (issue 8, "Hostile input"): oversized, deeply nested, non-UTF-8 and wrongly
// typed bodies, a chunked body with no declared length, and a burst of concurrent garbage each get a clear 4xx with
// `{detail, code}`, and the server stays up after each. The request bodies the fuzzer (`Fuzz/`, docs/fuzzing.md)
// found worth keeping are replayed here too.

import AsyncHTTPClient
import CavraJSON
import Foundation
import NIOCore
import NIOHTTP1
import Testing

@Suite("cavra api under hostile input", .serialized)
struct HostileInputTests {
    static let plans = LiveServer.drills + "/plans"
    static let acknowledgements = LiveServer.drills + "/search_fallback_biweekly/acknowledgements"
    static let bulk = LiveServer.drills + "/acknowledgements/bulk"
    static let auditPackage = LiveServer.drills + "/acknowledgements/audit-package"
    static let mutations = [plans, acknowledgements, bulk, auditPackage]
    static let commander: JSON = ["sub": "ic", "groups": ["incident-commanders"]]
    static let planner: JSON = ["sub": "planner", "groups": ["drill-planners"]]

    /// A live server with the staging schedule planned, so the acknowledgement endpoints have routes to find.
    static func server() async throws -> LiveServer {
        let live = try LiveServer(oidc: false)
        #expect(try await live.plan(schedule: "schedule-search-staging.json").status == 201)
        return live
    }

    /// The answer is `status` with `{detail, code}` (and `field` when given), and the server still answers
    /// `/healthz`.
    static func expect(
        _ answer: Answer, _ status: Int, _ code: String, field: String? = nil, on live: LiveServer,
        _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        #expect(answer.status == status, "\(what): \(answer.text.prefix(300))", sourceLocation: sourceLocation)
        #expect(answer.code == code, "\(what): \(answer.text.prefix(300))", sourceLocation: sourceLocation)
        #expect(answer["detail"]?.stringValue?.isEmpty == false, "\(what)", sourceLocation: sourceLocation)
        if let field {
            #expect(answer["field"]?.stringValue == field, "\(what)", sourceLocation: sourceLocation)
        }
        try await expectUp(live, after: what, sourceLocation: sourceLocation)
    }

    static func expectUp(
        _ live: LiveServer, after what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let health = try await live.get("/healthz")
        #expect(health.status == 200, "the server is down after \(what)", sourceLocation: sourceLocation)
    }

    @Test("a body over 1 MiB is 413 before it is read; exactly 1 MiB is read and judged")
    func oversized() async throws {
        let live = try await Self.server()
        defer { live.removeDirectory() }
        for path in Self.mutations {
            let big = Array("{\"notes\": \"".utf8) + [UInt8](repeating: 0x61, count: 2 << 20) + Array("\"}".utf8)
            try await Self.expect(
                try await live.send(.POST, path, raw: big), 413, "body_too_large", on: live, "2 MiB to \(path)")
        }
        let limit = 1 << 20
        let prefix = Array("{\"actor_claims\": {\"sub\": \"ic\"}, \"provider\": \"".utf8)
        let exact = prefix + [UInt8](repeating: 0x61, count: limit - prefix.count - 2) + Array("\"}".utf8)
        #expect(exact.count == limit)
        try await Self.expect(
            try await live.send(.POST, Self.acknowledgements, raw: exact), 400, "invalid_field", field: "provider",
            on: live, "exactly 1 MiB")
        try await Self.expect(
            try await live.send(.POST, Self.acknowledgements, raw: exact + [0x20]), 413, "body_too_large", on: live,
            "1 MiB and one byte")
        #expect(live.stop() == 0)
    }

    @Test("a 5 MiB chunked body with no Content-Length is 413")
    func chunkedOversized() async throws {
        let live = try await Self.server()
        defer { live.removeDirectory() }
        for path in [Self.acknowledgements, Self.plans] {
            var request = HTTPClientRequest(url: live.base + path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            // 80 chunks of 64 KiB: 5 MiB, sent as they are produced, so nothing can declare the length.
            let chunks = AsyncStream<ByteBuffer> { continuation in
                continuation.yield(ByteBuffer(string: "{\"notes\": \""))
                for _ in 0..<80 { continuation.yield(ByteBuffer(repeating: 0x61, count: 64 << 10)) }
                continuation.yield(ByteBuffer(string: "\"}"))
                continuation.finish()
            }
            request.body = .stream(chunks, length: .unknown)
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            let answer = Answer(status: Int(response.status.code), headers: response.headers, text: text)
            try await Self.expect(answer, 413, "body_too_large", on: live, "5 MiB chunked to \(path)")
        }
        #expect(live.stop() == 0)
    }

    @Test("deeply nested JSON is 400 malformed_json")
    func deeplyNested() async throws {
        let live = try await Self.server()
        defer { live.removeDirectory() }
        let bodies: [(String, [UInt8])] = [
            ("100,000 [", [UInt8](repeating: UInt8(ascii: "["), count: 100_000)),
            (
                "100,000 balanced [ ]",
                [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
                    + [UInt8](repeating: UInt8(ascii: "]"), count: 100_000)
            ),
            ("50,000 {\"a\":", Array(String(repeating: "{\"a\":", count: 50_000).utf8)),
            (
                "129 levels inside a valid object",
                Array(
                    ("{\"actor_claims\": {\"sub\": \"ic\"}, \"provider\": \"slack\", \"notes\": "
                        + String(repeating: "[", count: 129) + String(repeating: "]", count: 129) + "}").utf8)
            ),
        ]
        for path in Self.mutations {
            for (name, body) in bodies {
                try await Self.expect(
                    try await live.send(.POST, path, raw: body), 400, "malformed_json", on: live, "\(name) to \(path)")
            }
        }
        #expect(live.stop() == 0)
    }

    @Test("bytes that are not UTF-8 are 400 malformed_json")
    func notUTF8() async throws {
        let live = try await Self.server()
        defer { live.removeDirectory() }
        let bodies: [(String, [UInt8])] = [
            ("a lone continuation byte in a string", Array("{\"provider\": \"".utf8) + [0x80] + Array("\"}".utf8)),
            ("0xFF 0xFE in a string", Array("{\"provider\": \"".utf8) + [0xFF, 0xFE] + Array("\"}".utf8)),
            ("an overlong `/`", Array("{\"provider\": \"".utf8) + [0xC0, 0xAF] + Array("\"}".utf8)),
            ("a UTF-8 encoded surrogate", Array("{\"provider\": \"".utf8) + [0xED, 0xA0, 0x80] + Array("\"}".utf8)),
            ("a truncated sequence in a key", Array("{\"pro".utf8) + [0xE2, 0x82] + Array("\": 1}".utf8)),
            ("a UTF-16 body", [0xFF, 0xFE] + Array("{}".utf8).flatMap { [$0, 0] }),
            ("a lone escaped surrogate", Array("{\"provider\": \"\\ud800\"}".utf8)),
            ("binary", (0..<256).map { UInt8(255 - $0) }),
        ]
        for path in Self.mutations {
            for (name, body) in bodies {
                try await Self.expect(
                    try await live.send(.POST, path, raw: body), 400, "malformed_json", on: live, "\(name) to \(path)")
            }
        }
        #expect(live.stop() == 0)
    }

    @Test("wrongly typed fields are 400 invalid_field naming the field")
    func wronglyTyped() async throws {
        let live = try await Self.server()
        defer { live.removeDirectory() }
        let schedule = try LiveServer.sample("schedule-search-staging.json")
        let commander = Self.commander
        let cases: [(path: String, body: JSON, field: String)] = [
            // Numbers for strings.
            (Self.acknowledgements, ["provider": 7, "actor_claims": commander], "provider"),
            (Self.acknowledgements, ["provider": "slack", "owner": .double(1.5), "actor_claims": commander], "owner"),
            (Self.acknowledgements, ["provider": "slack", "notes": 0, "actor_claims": commander], "notes"),
            (
                Self.acknowledgements, ["provider": "slack", "acknowledgement_state": 3, "actor_claims": commander],
                "acknowledgement_state"
            ),
            (Self.auditPackage, ["schedule_id": 12, "actor_claims": commander], "schedule_id"),
            (
                Self.bulk,
                [
                    "routes": [["schedule_id": 5]], "acknowledgement_state": "acknowledged",
                    "actor_claims": commander,
                ], "routes[0].schedule_id"
            ),
            // Objects and strings for lists, lists for objects.
            (
                Self.bulk, ["routes": ["a": 1], "acknowledgement_state": "acknowledged", "actor_claims": commander],
                "routes"
            ),
            (
                Self.bulk, ["routes": "all", "acknowledgement_state": "acknowledged", "actor_claims": commander],
                "routes"
            ),
            (
                Self.bulk, ["routes": [5], "acknowledgement_state": "acknowledged", "actor_claims": commander],
                "routes[0]"
            ),
            (Self.plans, ["schedule": [schedule], "actor_claims": Self.planner], "schedule"),
            (Self.plans, ["schedule": schedule, "history": [], "actor_claims": Self.planner], "history"),
            (Self.acknowledgements, ["provider": ["slack"], "actor_claims": commander], "provider"),
            // Strings for booleans.
            (Self.plans, ["schedule": schedule, "force": "true", "actor_claims": Self.planner], "force"),
            (Self.auditPackage, ["include_superseded": "yes", "actor_claims": commander], "include_superseded"),
            (Self.auditPackage, ["breached": "yes", "actor_claims": commander], "breached"),
            (Self.auditPackage, ["breached": 1, "actor_claims": commander], "breached"),
            // Nulls where a value is required.
            (Self.acknowledgements, ["provider": .null, "actor_claims": commander], "provider"),
            (Self.plans, ["schedule": .null, "actor_claims": Self.planner], "schedule"),
            (
                Self.bulk, ["routes": .null, "acknowledgement_state": "acknowledged", "actor_claims": commander],
                "routes"
            ),
            (
                Self.bulk,
                [
                    "routes": [["schedule_id": "search_fallback_biweekly", "provider": "email"]],
                    "acknowledgement_state": .null, "actor_claims": commander,
                ], "acknowledgement_state"
            ),
        ]
        for (path, body, field) in cases {
            try await Self.expect(
                try await live.post(path, body), 400, "invalid_field", field: field, on: live,
                "\(body.serialized()) to \(path)")
        }
        // The fields that name the actor are read before the others: a wrong type there is 401 (architecture.md §5).
        for body: JSON in [
            ["provider": "slack", "actor_claims": "ic"], ["provider": "slack", "actor_claims": .null],
            ["provider": "slack", "acknowledged_by": 7], ["provider": "slack", "actor_claims": ["sub": 7]],
        ] {
            try await Self.expect(
                try await live.post(Self.acknowledgements, body), 401, "invalid_actor", on: live, body.serialized())
        }
        // Nothing of the above was stored.
        let routes = try await live.get(LiveServer.drills + "/routes?state=acknowledged")
        #expect(routes["items"]?.arrayValue?.isEmpty == true)
        #expect(live.stop() == 0)
    }

    @Test("200 concurrent garbage requests are each a 4xx, and the server stays up")
    func concurrentGarbage() async throws {
        let live = try await Self.server()
        defer { live.removeDirectory() }
        let client = live.client
        // Four kinds of garbage, each with its known answer, over the four mutations.
        let answers = try await withThrowingTaskGroup(of: (Int, Answer).self) { group in
            for index in 0..<200 {
                group.addTask {
                    (index, try await client.send(.POST, Self.garbagePath(index), raw: Self.garbage(index)))
                }
            }
            var answers: [Int: Answer] = [:]
            for try await (index, answer) in group { answers[index] = answer }
            return answers
        }
        #expect(answers.count == 200)
        for (index, answer) in answers.sorted(by: { $0.key < $1.key }) {
            let (status, code, field) = Self.garbageAnswer(index)
            #expect((400..<500).contains(answer.status))
            #expect(answer.status == status, "garbage \(index): \(answer.text.prefix(200))")
            #expect(answer.code == code, "garbage \(index): \(answer.text.prefix(200))")
            #expect(answer["field"]?.stringValue == field, "garbage \(index)")
        }
        try await Self.expectUp(live, after: "200 concurrent garbage requests")
        #expect(live.stop() == 0)
    }

    static func garbagePath(_ index: Int) -> String { mutations[(index / 4) % 4] }

    /// Garbage number `index`: random bytes that start like no JSON text, a JSON array, an empty object, or a body
    /// whose first field is of the wrong type for every mutation.
    static func garbage(_ index: Int) -> [UInt8] {
        var generator = SplitMix64(seed: UInt64(index))
        switch index % 4 {
        case 0:
            return [0xFF] + (0..<Int(generator.next() % 4096)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        case 1:
            return Array("[\((0..<8).map { _ in String(generator.next() % 1000) }.joined(separator: ","))]".utf8)
        case 2:
            return Array("{}".utf8)
        default:
            return Array(
                ("{\"actor_claims\": {\"sub\": \"g\(index)\"}, \"schedule\": 1, \"provider\": 2, \"routes\": 3, "
                    + "\"schedule_id\": 4}").utf8)
        }
    }

    static func garbageAnswer(_ index: Int) -> (status: Int, code: String, field: String?) {
        switch index % 4 {
        case 0, 1: return (400, "malformed_json", nil)
        case 2: return (401, "missing_actor", nil)
        default:
            let fields = [plans: "schedule", acknowledgements: "provider", bulk: "routes", auditPackage: "schedule_id"]
            return (400, "invalid_field", fields[garbagePath(index)])
        }
    }
}

/// A small seeded generator, so every run sends the same garbage.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
