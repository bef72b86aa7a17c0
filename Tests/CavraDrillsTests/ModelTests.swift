import CavraPolicy
import Foundation
import Testing

@testable import CavraDrills

@Suite struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_796_040_000_123, "2026-11-30T12:00:00.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
        (4_102_444_799_999, "2099-12-31T23:59:59.999Z"),
    ])
    func writesUTCWithMilliseconds(_ milliseconds: Int64, _ text: String) {
        #expect(Timestamp(milliseconds: milliseconds).description == text)
    }

    @Test func agreesWithFoundationOverManyDays() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var milliseconds: Int64 = -5_000_000_000_000
        while milliseconds < 5_000_000_000_000 {
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            #expect(Timestamp(milliseconds: milliseconds).description == formatter.string(from: date))
            milliseconds += 86_400_000 * 37 + 3_723_456
        }
    }
}

@Suite struct StateMachineTests {
    @Test func transitionsFollowTheContract() {
        let legal: Set<String> = [
            "outstanding>acknowledged", "outstanding>escalated", "outstanding>resolved", "outstanding>dismissed",
            "acknowledged>escalated", "acknowledged>resolved", "escalated>acknowledged", "escalated>resolved",
        ]
        for from in RouteState.allCases {
            for to in RouteState.allCases {
                #expect(from.canMove(to: to) == legal.contains("\(from.rawValue)>\(to.rawValue)"), "\(from) → \(to)")
            }
        }
        #expect(RouteState.derived(latest: nil) == .outstanding)
        #expect(RouteState.derived(latest: .escalated) == .escalated)
    }

    @Test func actionsMapToStatesOneToOne() {
        #expect(RouteAction.allCases.map(\.targetState) == [.acknowledged, .escalated, .resolved, .dismissed])
        for action in RouteAction.allCases { #expect(RouteAction(targetState: action.targetState) == action) }
        #expect(RouteAction(targetState: .outstanding) == nil)
    }
}

@Suite struct IgnoringCaseTests {
    /// The byte comparison agrees with comparing lowercased copies, for ASCII and for text where lowercasing is
    /// more than a byte shift.
    @Test func agreesWithLowercasedComparison() {
        let words = [
            "", "a", "A", "slack", "Slack", "SLACK", "slacK", "slack2", "owner-1", "OWNER-1", "owner_1", "[", "{", "@",
            "`", "Äpfel", "äpfel", "ÄPFEL", "straße", "STRASSE", "İstanbul", "istanbul", "ΣΊΣΥΦΟΣ", "σίσυφος",
        ]
        var matches = 0
        for left in words {
            for right in words {
                let expected = left.lowercased() == right.lowercased()
                #expect(left.equalsIgnoringCase(right) == expected, "\(left) vs \(right)")
                if expected { matches += 1 }
            }
        }
        #expect(matches > words.count)
    }
}
