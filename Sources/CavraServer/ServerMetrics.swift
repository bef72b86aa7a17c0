// `/metrics` (architecture.md §5) in Prometheus text: requests and latency by route and status, decisions by
// action and outcome, routes by state and breached per schedule and environment, the oldest outstanding age,
// policy reloads and failures, JWKS refreshes and store errors.

import CavraDrills
import Prometheus

public final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Route gauges by their label set, so a label set that no longer has routes drops to 0 instead of lingering.
    private let routeGauges = Locked<[String: Gauge]>([:])

    public init() {
        // Created up front so the series exist at 0 before the first event.
        _ = policyReloads
        _ = policyFailures
        _ = jwksRefreshes
        _ = jwksFailures
        _ = storeErrors
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(2.5), .seconds(5),
    ]

    var policyReloads: Counter {
        registry.makeCounter(
            descriptor: Self.descriptor("cavra_policy_reloads_total", "Policy edits picked up and swapped in."))
    }
    var policyFailures: Counter {
        registry.makeCounter(
            descriptor: Self.descriptor(
                "cavra_policy_reload_failures_total", "Policy edits refused; the last good policy stayed."))
    }
    var jwksRefreshes: Counter {
        registry.makeCounter(
            descriptor: Self.descriptor("cavra_jwks_refreshes_total", "Key sets fetched from the OIDC jwks_uri."))
    }
    var jwksFailures: Counter {
        registry.makeCounter(
            descriptor: Self.descriptor("cavra_jwks_refresh_failures_total", "Failed fetches of the jwks_uri."))
    }
    var storeErrors: Counter {
        registry.makeCounter(
            descriptor: Self.descriptor("cavra_store_errors_total", "Requests answered 503: the store failed."))
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.descriptor("cavra_http_requests_total", "HTTP requests by route, method and status."),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "cavra_http_request_duration_seconds", "HTTP request latency by route and method."),
            labels: [("route", route), ("method", method)],
            buckets: Self.latencyBuckets
        ).record(duration)
        if status == 503 { storeErrors.increment() }
    }

    /// A policy decision that answered a request: `allow`, `deny` or `missing_obligation`.
    func decision(action: String, outcome: String, count: Int = 1) {
        registry.makeCounter(
            descriptor: Self.descriptor(
                "cavra_decisions_total", "Policy decisions that answered requests, by action and outcome."),
            labels: [("action", action), ("outcome", outcome)]
        ).increment(by: Int64(count))
    }

    /// A fetch of the OIDC `jwks_uri`: at start, or for a token naming an unknown key.
    public func jwksRefreshed(ok: Bool) {
        (ok ? jwksRefreshes : jwksFailures).increment()
    }

    func policyPolled(_ outcome: PolicyHolder.PollOutcome) {
        switch outcome {
        case .unchanged: break
        case .reloaded: policyReloads.increment()
        case .refused: policyFailures.increment()
        }
    }

    func policyError(_ failing: Bool) {
        registry.makeGauge(
            descriptor: Self.descriptor(
                "cavra_policy_error", "1 while the newest policy edit is refused and the last good one decides.")
        ).set(to: failing ? 1.0 : 0.0)
    }

    /// Routes of current plans by schedule, environment, state and breached, and the oldest outstanding age.
    func observe(routes views: [RouteView]) {
        var counts: [[String]: Int] = [:]
        var oldest: Int64 = 0
        for view in views where view.current && !view.route.removed {
            counts[
                [view.route.scheduleId, view.route.environment, view.state.rawValue, String(view.breached)], default: 0] +=
                1
            if view.state == .outstanding && view.route.category == .deliver { oldest = max(oldest, view.ageSeconds) }
        }
        routeGauges.update { gauges in
            for gauge in gauges.values { gauge.set(to: 0.0) }
            for (labels, count) in counts {
                let key = labels.joined(separator: "\u{0}")
                let gauge =
                    gauges[key]
                    ?? registry.makeGauge(
                        descriptor: Self.descriptor(
                            "cavra_routes", "Routes of current plans by schedule, environment, state and breached."),
                        labels: [
                            ("schedule_id", labels[0]), ("environment", labels[1]), ("state", labels[2]),
                            ("breached", labels[3]),
                        ])
                gauges[key] = gauge
                gauge.set(to: Double(count))
            }
        }
        registry.makeGauge(
            descriptor: Self.descriptor(
                "cavra_oldest_outstanding_age_seconds",
                "Age of the oldest outstanding deliver route of a current plan (0 when none).")
        ).set(to: Double(oldest))
    }

    /// A series name and its help text; the descriptor joins `metricName` and `unitName` with `_`, so the name's
    /// last word is passed as the unit.
    static func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        let cut = name.lastIndex(of: "_")!
        return MetricNameDescriptor(
            metricName: String(name[..<cut]), unitName: String(name[name.index(after: cut)...]), helpText: help)
    }

    func render() -> [UInt8] { registry.emitToBuffer() }
}
