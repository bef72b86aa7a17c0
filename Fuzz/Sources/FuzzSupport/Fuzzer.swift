// What every fuzz target shares: libFuzzer's driver, called with the process's arguments, and a bridge that runs
// async code to completion from libFuzzer's synchronous callback.

import Dispatch
import Glibc

/// libFuzzer's driver, from the runtime that `-sanitize=fuzzer` links in.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// The check of the running target: libFuzzer's callback is a C function, so it cannot capture one.
nonisolated(unsafe) private var currentCheck: ([UInt8]) -> Void = { _ in }

public enum Fuzzer {
    /// Runs libFuzzer on the process's arguments, calling `check` once per input, then exits with its status. A
    /// violated property is a `fatalError` in `check`: libFuzzer keeps the input as a `crash-…` file.
    public static func run(_ check: @escaping ([UInt8]) -> Void) -> Never {
        currentCheck = check
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        let status = runFuzzerDriver(&argc, &argv) { data, size in
            currentCheck(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        }
        exit(status)
    }

    /// Runs `body` on the concurrency pool and waits for it: libFuzzer's callback runs on the main thread, which is
    /// not one of the pool's, so waiting here cannot starve the task it waits for.
    public static func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
        let box = Box<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.value = await body()
            done.signal()
        }
        done.wait()
        return box.value!
    }

    /// Whether `CAVRA_FUZZ_TRACE` is set: the targets then print what each input was answered, to reproduce a
    /// finding or check the seeds.
    public static let tracing = getenv("CAVRA_FUZZ_TRACE") != nil

    public static func trace(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }

    /// Stops the run on a broken property, naming it; libFuzzer writes the input that broke it.
    public static func violated(_ property: String, input: [UInt8]) -> Never {
        let shown = input.prefix(200).map { (0x20...0x7E).contains($0) ? Character(UnicodeScalar($0)) : "." }
        fatalError("\(property)\ninput (\(input.count) bytes, first 200 shown): \(String(shown))")
    }
}

/// The result of the awaited task, written once by it and read after the semaphore says it is there.
private final class Box<T>: @unchecked Sendable {
    var value: T?
}
