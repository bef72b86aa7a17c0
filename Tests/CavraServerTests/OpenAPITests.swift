// The OpenAPI document (docs/openapi.json) describes every endpoint the server routes, and the server answers it
// at /openapi.json.

import CavraJSON
import Foundation
import Testing

@testable import CavraServer

@Suite("the OpenAPI document")
struct OpenAPITests {
    static func document() throws -> JSON {
        try JSON.parse(
            bytes: [UInt8](try Data(contentsOf: repositoryRoot.appendingPathComponent("docs/openapi.json"))))
    }

    @Test("every routed endpoint is in docs/openapi.json, and every path there is routed")
    func coversEveryEndpoint() throws {
        let document = try Self.document()
        #expect(document["openapi"] == "3.1.0")
        let paths = document["paths"]?.objectValue ?? [:]
        for endpoint in API.endpoints {
            let operation = paths[endpoint.template]?[endpoint.method.lowercased()]
            #expect(operation != nil, "\(endpoint.method) \(endpoint.template) is not in docs/openapi.json")
        }
        for (path, item) in paths {
            for method in item.objectValue?.keys ?? [] where ["get", "post", "put", "delete", "patch"].contains(method)
            {
                #expect(
                    API.endpoints.contains { $0.template == path && $0.method.lowercased() == method },
                    "docs/openapi.json describes \(method.uppercased()) \(path), which the server does not route")
            }
        }
    }

    @Test("GET /openapi.json answers the committed document")
    func served() async throws {
        let live = try LiveServer(oidc: true)
        defer { live.removeDirectory() }
        let answer = try await live.get("/openapi.json")
        #expect(answer.status == 200)
        #expect(answer.headers.first(name: "Content-Type") == "application/json")
        #expect(answer.json == (try Self.document()))
    }
}
