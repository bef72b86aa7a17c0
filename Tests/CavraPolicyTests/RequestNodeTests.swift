// Requests read in place from jansson's tree (`PolicyRequest(node:)`, used by `lines(of:)`) against requests
// read from `JSON` (`PolicyRequest(json:)`): the same requests and the same errors, line for line.

import CavraJSON
import CavraPolicy
import Testing

@Suite struct RequestNodeTests {
    /// Good requests, and every kind of bad one: not JSON, not an object, unknown fields (with and without a
    /// suggestion), missing or bad action, parts that are not objects, wrongly typed fields of every type,
    /// values outside their set, bad durations, `actor.roles`, claims of every kind, and the order in which
    /// problems are reported.
    static let lines: [String] = [
        #"{"action":"acknowledge"}"#,
        #"{"action":"plan","actor":{"id":"u1","verified":true,"issuer":"i","subject":"s","groups":["a","b"],"claims":{}},"route":{"id":"r1","schedule_id":"s1","plan_id":"p1","provider":"p","owner":"o","escalation_owner":"e","environment":"production","service":"svc","severity":"critical","state":"escalated","category":"deliver","age":"90m","slo":"2h","breached":true,"tags":["t1","t2"]},"context":{"now":1780000000,"channel":"api","bulk":true,"bulk_size":14}}"#,
        #"{"context":{"bulk_size":3},"route":{"age":5400,"slo":"1d"},"actor":{"groups":[]},"action":"resolve"}"#,
        #"{"action":"plan","route":{"age":"0s","slo":"59s","tags":[]}}"#,
        #"{"action":"plan","actor":{"claims":{"ratio":1.50,"big":1e2,"n":3,"huge":9007199254740993,"tags":["a",2.0],"o":{"x":[1e2,-0.0]}}}}"#,
        #"{"action":"plan","actor":{"claims":{"caf\u00e9":1,"cafe\u0301":2,"\u212a":3,"K":4,"nul":"\u0000"}}}"#,
        #"{"action":"plan","actor":{"id":"h\u00e9\u0000llo","groups":["\u00e9","e\u0301"]}}"#,
        // Not an object, or no usable action.
        "[1]", #""plan""#, "null", "3", "{}", #"{"actor":{}}"#,
        #"{"action":"approve"}"#, #"{"action":1}"#, #"{"action":null}"#, #"{"action":"Plan"}"#,
        // Unknown fields, with and without a suggestion, before anything else.
        #"{"action":"plan","extra":1}"#, #"{"acton":"plan"}"#, #"{"extra":1}"#, #"{"action":"approve","rout":{}}"#,
        #"{"action":"plan","route":{"enviroment":"x"}}"#, #"{"action":"plan","actor":{"group":["a"]}}"#,
        #"{"action":"plan","context":{"zzz":1}}"#,
        #"{"action":"plan","route":{"\u00e9tat":"open"}}"#, #"{"action":"plan","route":{"Age":1}}"#,
        // Parts that are not objects.
        #"{"action":"plan","actor":[]}"#, #"{"action":"plan","route":"r"}"#, #"{"action":"plan","context":null}"#,
        #"{"action":"plan","route":1.5,"actor":true}"#,
        // Wrong types, and values outside their set.
        #"{"action":"plan","actor":{"verified":"yes"}}"#, #"{"action":"plan","actor":{"id":1}}"#,
        #"{"action":"plan","actor":{"groups":["a",1]}}"#, #"{"action":"plan","actor":{"groups":"a"}}"#,
        #"{"action":"plan","route":{"tags":[null]}}"#, #"{"action":"plan","context":{"now":"1"}}"#,
        #"{"action":"plan","context":{"bulk_size":1.0}}"#, #"{"action":"plan","context":{"bulk":0}}"#,
        #"{"action":"plan","route":{"state":"open"}}"#, #"{"action":"plan","route":{"severity":"Critical"}}"#,
        #"{"action":"plan","route":{"category":""}}"#, #"{"action":"plan","context":{"channel":"email"}}"#,
        #"{"action":"plan","route":{"state":1}}"#,
        // Durations.
        #"{"action":"plan","route":{"age":"90"}}"#, #"{"action":"plan","route":{"age":"-5m"}}"#,
        #"{"action":"plan","route":{"age":-1}}"#, #"{"action":"plan","route":{"age":"5 m"}}"#,
        #"{"action":"plan","route":{"age":"5w"}}"#, #"{"action":"plan","route":{"slo":1.5}}"#,
        #"{"action":"plan","route":{"slo":"+5m"}}"#, #"{"action":"plan","route":{"slo":"\u0665m"}}"#,
        #"{"action":"plan","route":{"slo":"999999999999999999d"}}"#, #"{"action":"plan","route":{"slo":""}}"#,
        #"{"action":"plan","route":{"slo":"m"}}"#, #"{"action":"plan","route":{"age":true}}"#,
        // `actor.roles` and claims that are not an object.
        #"{"action":"plan","actor":{"roles":[]}}"#, #"{"action":"plan","actor":{"claims":[]}}"#,
        #"{"action":"plan","actor":{"claims":null}}"#, #"{"action":"plan","actor":{"claims":1.5}}"#,
        // The first problem wins: an unknown field of a part before a wrongly typed one in either order, the
        // first wrongly typed field of a part, and the parts in the order actor, route, context.
        #"{"action":"plan","route":{"state":"open","enviroment":"x"}}"#,
        #"{"action":"plan","route":{"enviroment":"x","state":"open"}}"#,
        #"{"action":"plan","route":{"state":"open","severity":"x","age":-1}}"#,
        #"{"action":"plan","route":{"enviroment":"x"},"actor":{"verified":1}}"#,
        #"{"action":"plan","context":{"bulk":1},"route":{"age":-1}}"#,
        #"{"context":{"bulk":1},"action":"approve"}"#, #"{"actor":{"roles":1},"extra":1}"#,
        #"{"action":"plan","actor":{"roles":[],"claims":1,"verified":"x"}}"#,
    ]

    @Test(arguments: lines)
    func readsAsFromJSON(line: String) throws {
        let json = try JSON.parse(line)
        let expected = Self.outcome { () throws(RequestError) in try PolicyRequest(json: json) }
        let fromNode = try JSON.withParsed(bytes: line.utf8) { node in
            Self.outcome { () throws(RequestError) in try PolicyRequest(node: node) }
        }
        #expect(fromNode == expected)
    }

    @Test func readsEveryKindOfOutcome() throws {
        let outcomes = try Self.lines.map { line in
            try JSON.withParsed(bytes: line.utf8) { node in
                Self.outcome { () throws(RequestError) in try PolicyRequest(node: node) }
            }
        }
        let messages = outcomes.compactMap { outcome -> String? in
            if case .failure(let error) = outcome { return error.description }
            return nil
        }
        #expect(outcomes.count - messages.count == 7)
        for fragment in [
            "a request must be a JSON object", "missing field `action`", "`action` must be one of",
            "unknown field `extra`", "(did you mean `action`?)", "(did you mean `route.environment`?)",
            "`actor` must be an object, found an array", "`context` must be an object, found null",
            "`actor.verified` must be a boolean, found a string", "`actor.groups` must be a list of strings",
            "`context.bulk_size` must be an integer, found a number", "`route.state` must be one of",
            "`route.age` must be a duration", "`route.slo` must be a duration", "`actor.roles` is computed",
            "`actor.claims` must be an object, found null",
        ] {
            #expect(messages.contains { $0.contains(fragment) }, "no error with \(fragment)")
        }
        let claims = try outcomes[4].get().actor.claims
        #expect(claims["ratio"] == "1.5")
        #expect(claims["huge"] == "9007199254740992")
        #expect(claims["o"] == ["x": ["100", "0"]])
    }

    /// A file of every line above, one bad line at a time, gives the error `lines(of:)` gave before it read
    /// lines in place: the first bad line's number and problem, JSON problems included.
    @Test func filesFailAtTheSameLineWithTheSameProblem() throws {
        let good = Self.lines.filter { Self.reference($0) == nil }
        let bad =
            Self.lines.filter { Self.reference($0) != nil } + [
                #"{"action":"plan""#, #"{"action":"plan","action":"plan"}"#, #"{"action":"plan"} x"#,
                String(repeating: "[", count: 129) + String(repeating: "]", count: 129), "\u{1F}",
                #"{"action":"pl\#u{1}an"}"#,
                #"{"action":"plan","actor":{"claims":{"n":123456789012345678901234567890}}}"#,
                #"{"action":"plan","route":{"a\u0000":1}}"#, #"{"action":"plan","actor":{"claims":{"x":1e400}}}"#,
            ]
        for (index, line) in bad.enumerated() {
            let before = Array(good.prefix(index % (good.count + 1)))
            for separator in ["\n", "\r\n", "\n \t\n"] {
                let text = (before + [line] + good).joined(separator: separator) + separator
                // A CRLF line keeps its "\r", which moves the column of an error at its end.
                let expected = Self.reference(separator == "\r\n" ? line + "\r" : line)
                do {
                    let requests = try PolicyRequest.lines(of: text)
                    Issue.record("\(line) was accepted as \(requests.count) requests")
                } catch {
                    let number = separator == "\n \t\n" ? 2 * before.count + 1 : before.count + 1
                    #expect(error.line == number, "\(line)")
                    #expect(Self.problem(error.problem) == expected, "\(line)")
                }
            }
        }
        let expected = try good.map { try PolicyRequest(json: JSON.parse($0)) }
        #expect(try PolicyRequest.lines(of: good.joined(separator: "\r\n")) == expected)
    }

    private static func outcome(_ body: () throws(RequestError) -> PolicyRequest) -> Result<PolicyRequest, RequestError>
    {
        Result(catching: body)
    }

    /// The problem of one line read through `JSON`, as text; nil for a good line.
    private static func reference(_ line: String) -> String? {
        do {
            _ = try PolicyRequest(json: try JSON.parse(line))
            return nil
        } catch let error as JSONParseError {
            return "json \(error.line):\(error.column) \(error.message)"
        } catch {
            return "request \(error)"
        }
    }

    private static func problem(_ problem: RequestLineError.Problem) -> String {
        switch problem {
        case .json(let error): "json \(error.line):\(error.column) \(error.message)"
        case .request(let error): "request \(error)"
        }
    }
}
