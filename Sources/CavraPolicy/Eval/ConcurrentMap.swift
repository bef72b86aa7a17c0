// Spreading independent pieces of a batch over every core, results kept in order.

import Dispatch

/// `body(0)`, …, `body(count - 1)`, run concurrently, in index order; the calling thread waits and helps.
func concurrentMap<Result: Sendable>(_ count: Int, _ body: @Sendable (Int) -> Result) -> [Result] {
    var slots = [Result?](repeating: nil, count: count)
    slots.withUnsafeMutableBufferPointer { buffer in
        // Safe: each iteration writes only its own slot, and `slots` is read only after every iteration has
        // returned (`concurrentPerform` waits for them all).
        nonisolated(unsafe) let buffer = buffer
        DispatchQueue.concurrentPerform(iterations: count) { index in buffer[index] = body(index) }
    }
    return slots.map { $0! }
}
