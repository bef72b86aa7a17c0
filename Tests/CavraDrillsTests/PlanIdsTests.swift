import CavraDrills
import CavraJSON
import CavraPolicy
import Testing

/// The ids of architecture.md §2 and §7, each recomputed here from a JCS text written by hand.
@Suite struct PlanIdsTests {
    func hex16(_ text: String) -> String { String(CavraHash.sha256Hex(text).prefix(16)) }

    @Test func planId() {
        let expected =
            "gordplan-"
            + hex16(#"{"cycle":"2026-11-11T08:05:00.000Z","schedule_id":"go_backend_checkout_fallback_monthly"}"#)
        #expect(
            PlanIds.planId(scheduleId: "go_backend_checkout_fallback_monthly", cycle: "2026-11-11T08:05:00.000Z")
                == expected)
        #expect(
            PlanIds.planId(scheduleId: "s1", cycle: "unknown") == "gordplan-"
                + hex16(#"{"cycle":"unknown","schedule_id":"s1"}"#))
        #expect(expected.count == "gordplan-".count + 16)
    }

    @Test func theExamplePlanUsesTheseIds() throws {
        let plan = Planner.plan(
            schedule: try PlanningFixtures.productionSchedule(), history: try PlanningFixtures.productionHistory(),
            now: drillTime("2026-11-29T12:00:00Z"), force: false, existing: nil
        ).plan
        let planId =
            "gordplan-"
            + hex16(#"{"cycle":"2026-11-11T08:05:00.000Z","schedule_id":"go_backend_checkout_fallback_monthly"}"#)
        #expect(plan.planId == planId)
        // The ids docs/drills.md shows.
        #expect(planId == "gordplan-8a477eef6830bf98")
        #expect(plan.routes.map(\.routeId).first == "gordroute-8466d4ecb62a362b")
        #expect(
            plan.routes[0].routeId
                == "gordroute-" + hex16(#"{"owner":"release-governance","plan_id":"\#(planId)","provider":"slack"}"#))
    }

    @Test func routeId() {
        #expect(
            PlanIds.routeId(planId: "gordplan-0123456789abcdef", owner: "payments-sre", provider: "webhook")
                == "gordroute-"
                + hex16(#"{"owner":"payments-sre","plan_id":"gordplan-0123456789abcdef","provider":"webhook"}"#))
        #expect(
            PlanIds.routeId(planId: "p", owner: "ö \"q\"", provider: "x")
                == "gordroute-" + hex16(#"{"owner":"ö \"q\"","plan_id":"p","provider":"x"}"#))
    }

    @Test func acknowledgementId() {
        #expect(
            PlanIds.acknowledgementId(routeId: "gordroute-0123456789abcdef", sequence: 3)
                == "gordack-" + hex16(#"{"route_id":"gordroute-0123456789abcdef","sequence":3}"#))
    }

    @Test func bulkIdIsOverTheSortedIds() {
        let expected = "gordbulkack-" + hex16(#"["gordack-0a","gordack-1b","gordack-ff"]"#)
        #expect(PlanIds.bulkId(acknowledgementIds: ["gordack-ff", "gordack-0a", "gordack-1b"]) == expected)
        #expect(PlanIds.bulkId(acknowledgementIds: ["gordack-1b", "gordack-ff", "gordack-0a"]) == expected)
    }

    @Test func refusalId() {
        #expect(
            PlanIds.refusalId(chain: "route:gordroute-0123456789abcdef", sequence: 1)
                == "gordrefusal-" + hex16(#"{"chain":"route:gordroute-0123456789abcdef","sequence":1}"#))
        #expect(
            PlanIds.refusalId(chain: "schedule:s1", sequence: 12)
                == "gordrefusal-" + hex16(#"{"chain":"schedule:s1","sequence":12}"#))
    }
}
