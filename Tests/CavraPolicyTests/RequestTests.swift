import CavraJSON
import CavraPolicy
import Testing

@Suite struct RequestTests {
    @Test func missingFieldsTakeTheTestDefaults() throws {
        let request = try Fixtures.request(#"{"action": "acknowledge"}"#)
        #expect(request == PolicyRequest(action: .acknowledge))
        #expect(request.actor.id == "test-actor")
        #expect(!request.actor.verified)
        #expect(request.route.environment == "staging")
        #expect(request.route.slo == 3600)
        #expect(request.context.channel == .cli)
        #expect(request.context.bulkSize == 1)
    }

    @Test func durationsAreSecondsOrOneUnit() throws {
        let minutes = try Fixtures.request(#"{"action": "plan", "route": {"age": "90m", "slo": "2h"}}"#)
        let seconds = try Fixtures.request(#"{"action": "plan", "route": {"age": 5400, "slo": 7200}}"#)
        #expect(minutes == seconds)
        for bad in [#""90""#, #""-5m""#, "-1", #""5 m""#, #""5w""#, "1.5"] {
            #expect(throws: RequestError.self) {
                try Fixtures.request(#"{"action": "plan", "route": {"age": \#(bad)}}"#)
            }
        }
    }

    @Test(arguments: [
        (#"{}"#, "missing field `action`"),
        (#"{"action": "approve"}"#, "`action` must be one of"),
        (#"{"action": "plan", "route": {"enviroment": "x"}}"#, "unknown field `route.enviroment`"),
        (#"{"action": "plan", "actor": {"roles": []}}"#, "`actor.roles`"),
        (#"{"action": "plan", "route": {"state": "open"}}"#, "`route.state` must be one of"),
        (#"{"action": "plan", "actor": {"verified": "yes"}}"#, "`actor.verified` must be a boolean"),
        (#"{"action": "plan", "actor": {"groups": ["a", 1]}}"#, "`actor.groups` must be a list of strings"),
        (#"{"action": "plan", "extra": 1}"#, "unknown field `extra`"),
        (#"[1]"#, "must be a JSON object"),
        // The first problem is reported: an unknown field of a part before a wrongly typed one, in either order,
        // and the parts in the order actor, route, context.
        (#"{"action":"plan","route":{"state":"open","enviroment":"x"}}"#, "unknown field `route.enviroment`"),
        (#"{"action":"plan","route":{"enviroment":"x","state":"open"}}"#, "unknown field `route.enviroment`"),
        (#"{"action":"plan","route":{"enviroment":"x"},"actor":{"verified":1}}"#, "`actor.verified` must be"),
        (#"{"action":"plan","context":{"bulk":1},"route":{"age":-1}}"#, "`route.age` must be a duration"),
    ])
    func badRequestsNameTheField(_ json: String, _ message: String) throws {
        do {
            _ = try Fixtures.request(json)
            Issue.record("\(json) was accepted")
        } catch let error as RequestError {
            #expect(error.description.contains(message), "\(error.description)")
        }
    }

    @Test func claimsAreNormalisedOnceAndRoundTrip() throws {
        let request = try Fixtures.request(
            #"{"action": "plan", "actor": {"claims": {"ratio": 1.50, "big": 1e2, "n": 3, "tags": ["a"]}}}"#)
        #expect(request.actor.claims["ratio"] == "1.5")
        #expect(request.actor.claims["big"] == "100")
        #expect(request.actor.claims["n"] == 3)
        #expect(try PolicyRequest(json: request.json) == request)
    }
}
