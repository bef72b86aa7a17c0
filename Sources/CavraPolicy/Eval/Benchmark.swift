// In-process evaluation speed (`cavra policy bench`): decisions per second and per-decision percentiles.

import Dispatch

public struct BenchmarkResult: Sendable {
    public var decisions: Int
    public var seconds: Double
    public var p50Nanoseconds: UInt64
    public var p99Nanoseconds: UInt64

    public var decisionsPerSecond: Double { Double(decisions) / seconds }
}

public enum Benchmark {
    /// Decides every request `rounds` times after one warm-up round, timing each decision.
    public static func run(_ policy: CompiledPolicy, requests: [PolicyRequest], trace: Bool, rounds: Int)
        -> BenchmarkResult
    {
        var sink = 0
        for request in requests where policy.evaluate(request, trace: trace).allow { sink += 1 }
        var samples: [UInt64] = []
        samples.reserveCapacity(requests.count * rounds)
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<rounds {
            for request in requests {
                let before = DispatchTime.now().uptimeNanoseconds
                let decision = policy.evaluate(request, trace: trace)
                samples.append(DispatchTime.now().uptimeNanoseconds - before)
                if decision.allow { sink += 1 }
            }
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        samples.sort()
        precondition(sink >= 0)
        return BenchmarkResult(
            decisions: samples.count, seconds: Double(elapsed) / 1e9,
            p50Nanoseconds: samples.isEmpty ? 0 : samples[samples.count / 2],
            p99Nanoseconds: samples.isEmpty ? 0 : samples[min(samples.count - 1, samples.count * 99 / 100)])
    }
}
