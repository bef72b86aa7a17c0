// The replay report for people: a summary, the rules whose part changes, then the changed decisions.

extension PolicyReplayReport {
    /// The summary, the rule impacts, at most `limit` changed decisions (nil: all), and what could not be replayed.
    public func text(limit: Int?) -> String {
        var lines = summaryLines()
        if !rules.isEmpty {
            lines.append("rules:")
            for impact in rules {
                var parts: [String] = []
                if impact.newlyDetermining > 0 { parts.append("newly determines \(impact.newlyDetermining)") }
                if impact.noLongerDetermining > 0 { parts.append("no longer determines \(impact.noLongerDetermining)") }
                lines.append("  \(impact.rule): " + parts.joined(separator: ", "))
            }
        }
        let changes = self.changes
        if !changes.isEmpty {
            lines.append("changes:")
            let listed = changes.prefix(limit ?? changes.count)
            for decision in listed { lines += decision.textLines }
            if listed.count < changes.count {
                lines.append(
                    "  … \(changes.count - listed.count) more not listed (raise --limit, or use --format json)")
            }
        }
        if !unreplayable.isEmpty {
            lines.append("not replayed:")
            for entry in unreplayable { lines.append("  \(entry.kind.rawValue) \(entry.id): \(entry.reason)") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func summaryLines() -> [String] {
        let changed = changes.count
        var lines = [
            "replayed \(plural(decisions.count, "stored decision")) with \(candidate.text): "
                + "\(changed) changed, \(decisions.count - changed) unchanged",
            "  allow → deny: \(count(.allowToDeny)), deny → allow: \(count(.denyToAllow)), "
                + "obligations changed: \(count(.obligationsChanged)), outcome changed: \(outcomeChangedCount)",
        ]
        for entry in recordedPolicies {
            lines.append("  recorded under \(entry.policy.text): \(plural(entry.decisions, "decision"))")
        }
        if !unreplayable.isEmpty {
            lines.append("  not replayed: \(plural(unreplayable.count, "decision")) (listed at the end)")
        }
        return lines
    }
}

extension PolicyReplayReport.PolicyIdentity {
    /// `rollback-drills 1.0.0 (sha256 3f2a9b0c4d1e)`.
    var text: String {
        "\(id)\(version.map { " \($0)" } ?? "") (sha256 \(sha256.prefix(12)))"
    }
}

extension PolicyReplayReport.ReplayedDecision {
    /// `allow → deny  acknowledge  route R of S` (or `obligations changed  …`), the evidence and its time, then the recorded and candidate sides.
    var textLines: [String] {
        let what = routeId.map { "route \($0) of \(scheduleId)" } ?? "schedule \(scheduleId)"
        let label =
            change == .obligationsChanged ? "obligations changed" : "\(recorded.decision) → \(candidate.decision)"
        return [
            "  \(label)  \(action)  \(what)",
            "    \(kind.rawValue) \(id) at \(at)",
            "    recorded:  \(recorded.text)",
            "    candidate: \(candidate.text)",
        ]
    }
}

extension PolicyReplayReport.Side {
    /// `allow require note by ic-escalates (allowed)`, or `deny by no rule (denied): no permit rule applies`.
    var text: String {
        let requirement = obligations.isEmpty ? "" : " require " + obligations.joined(separator: ", ")
        let rules = determining.isEmpty ? "no rule" : determining.joined(separator: ", ")
        let why = allow || reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
        return "\(decision)\(requirement) by \(rules) (\(outcome.rawValue))\(why)"
    }
}

/// "1 decision", "2 decisions".
private func plural(_ number: Int, _ noun: String) -> String {
    "\(number) \(noun)\(number == 1 ? "" : "s")"
}
