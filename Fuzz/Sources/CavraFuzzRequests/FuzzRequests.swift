// libFuzzer entry point: any bytes as the body of one of the API's mutations, answered by the real request pipeline
// (`API.respond(to:)`: routing, body parsing, identity, fields, idempotency, the policy and the store) without HTTP.
// The first byte chooses the endpoint and two headers; the rest is the body. A broken property is a finding: every
// answer is a 2xx or one of the 4xx statuses the API documents, never a 5xx, and its body is a JSON object; an
// error's body carries `detail` and `code`.

import CavraDrills
import CavraJSON
import CavraServer
import CavraStore
import Foundation
import FuzzSupport

@main
enum CavraFuzzRequests {
    static func main() {
        let harness = RequestHarness()
        Fuzzer.run(harness.check)
    }
}

final class RequestHarness {
    static let drills = "/runtime/go-pilot/rollback-drill-notifications"
    /// The mutations, chosen by the first byte modulo 4 (`0`, `1`, `2`, `3` in the seed files).
    static let paths = [
        drills + "/plans", drills + "/search_fallback_biweekly/acknowledgements", drills + "/acknowledgements/bulk",
        drills + "/acknowledgements/audit-package",
    ]
    /// Every status a mutation may answer (architecture.md §5); 413 is the HTTP layer's, listed for completeness.
    static let statuses: Set<Int> = [200, 201, 400, 401, 403, 404, 409, 413, 422]
    /// The pinned clock: 2026-11-30T12:00:00Z, before the staging schedule's next drill.
    static let now = Timestamp(milliseconds: 1_796_040_000_000)

    /// The repository, found from this file (Fuzz/Sources/CavraFuzzRequests/…).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// How many inputs one store serves before it is replaced by a fresh one: every success and refusal adds
    /// records, and an audit export reads them all, so a store kept for a whole run slows it eightfold.
    static let storeLifetime = 100

    private var api: API
    private var directory: URL
    private var served = 0

    init() {
        (api, directory) = Self.freshAPI()
        atexit { try? FileManager.default.removeItem(atPath: currentStore) }
    }

    /// A server's API on a new SQLite store in a temporary directory with the repository's policy in local mode,
    /// and the staging schedule planned through it.
    static func freshAPI() -> (API, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "cavra-fuzz-requests-\(UUID().uuidString)")
        currentStore = directory.path
        let clock: @Sendable () -> Timestamp = { now }
        let api: API
        let schedule: JSON
        do {
            let holder = try PolicyHolder(
                path: repository.appendingPathComponent("policy").path, shadowPath: nil, now: clock())
            let store = try SQLiteDrillStore(path: directory.appendingPathComponent("fuzz.sqlite").path)
            let service = DrillService(store: store, policies: { holder.policies }, clock: clock)
            api = API(
                environment: APIEnvironment(
                    service: service, policies: holder, mode: .local, verifier: nil, oidc: nil,
                    keyring: AuditKeyring(current: AuditSigningKey()), corsOrigins: [], storeDescription: "fuzz",
                    metrics: ServerMetrics(), clock: clock))
            let file = repository.appendingPathComponent(
                "Sources/CavraDrills/Resources/sample/schedule-search-staging.json")
            schedule = try JSON.parse(bytes: [UInt8](try Data(contentsOf: file)))
        } catch {
            fatalError("the fuzz target cannot start: \(error)")
        }
        let body: JSON = ["schedule": schedule, "actor_claims": ["sub": "planner", "groups": ["drill-planners"]]]
        let request = APIRequest(method: "POST", path: paths[0], body: Array(body.serialized().utf8))
        let answer = Fuzzer.blocking { await api.respond(to: request).response }
        guard answer.status == 201 else {
            let text = String(decoding: answer.body, as: UTF8.self)
            fatalError("planning the staging schedule answered \(answer.status): \(text)")
        }
        return (api, directory)
    }

    /// The request an input stands for: bits 0–1 of the first byte choose the path, bit 2 adds an `Idempotency-Key`
    /// (one key for every input, so a different body reusing it is a 409), bit 3 the console channel.
    static func request(_ bytes: [UInt8]) -> APIRequest? {
        guard let first = bytes.first else { return nil }
        var headers: [String: String] = [:]
        if first & 0x04 != 0 { headers["idempotency-key"] = "fuzz-key" }
        if first & 0x08 != 0 { headers["x-cavra-channel"] = "console" }
        return APIRequest(
            method: "POST", path: paths[Int(first & 0x03)], headers: headers, body: Array(bytes.dropFirst()),
            requestId: "fuzz")
    }

    func check(_ bytes: [UInt8]) {
        guard let request = Self.request(bytes) else { return }
        served += 1
        if served > Self.storeLifetime {
            try? FileManager.default.removeItem(at: directory)
            (api, directory) = Self.freshAPI()
            served = 1
        }
        let api = self.api
        let started = ContinuousClock.now
        let answer = Fuzzer.blocking { await api.respond(to: request).response }
        if Fuzzer.tracing {
            let code = (try? JSON.parse(bytes: answer.body))?["code"]?.stringValue ?? "-"
            let elapsed = ContinuousClock.now - started
            Fuzzer.trace("\(request.path) \(request.headers.keys.sorted()) → \(answer.status) \(code) \(elapsed)")
        }
        if let broken = Self.brokenProperty(answer) {
            Fuzzer.violated("\(request.path) answered \(answer.status): \(broken)", input: bytes)
        }
    }

    /// Why an answer breaks the API's contract, or nil when it keeps it.
    static func brokenProperty(_ answer: APIResponse) -> String? {
        let text = String(decoding: answer.body.prefix(500), as: UTF8.self)
        guard statuses.contains(answer.status) else { return "a status outside the contract; body: \(text)" }
        guard answer.contentType == "application/json" else { return "content type \(answer.contentType)" }
        guard let json = try? JSON.parse(bytes: answer.body), let object = json.objectValue else {
            return "the body is not a JSON object: \(text)"
        }
        if answer.status >= 400 {
            guard object["detail"]?.stringValue?.isEmpty == false, object["code"]?.stringValue?.isEmpty == false else {
                return "an error body without `detail` and `code`: \(text)"
            }
        }
        return nil
    }
}

/// Where the current store lives, for the exit handler (a C function pointer, so it cannot capture it).
nonisolated(unsafe) private var currentStore = ""
