// `cavra policy …`: validate, test, eval and explain a policy (policy-language.md §9).

import ArgumentParser
import CavraJSON
import CavraPolicy
import Foundation

struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Validate, test, evaluate and explain CAVRA policies.",
        subcommands: [Validate.self, Test.self, Eval.self, Explain.self, Fmt.self, Bench.self, Replay.self])
}

/// The PATH argument every policy command takes, and loading it.
struct PolicyPathOptions: ParsableArguments {
    @Argument(help: "A .cavra file or a directory of them (searched recursively).")
    var path: String = "policy/"

    func compile() throws -> PolicyCompilation { try compilePolicy(at: path) }

    func validPolicy() throws -> CompiledPolicy { try cavra.validPolicy(at: path) }
}

/// Loads and validates the policy at `path`; an unreadable PATH exits 2.
func compilePolicy(at path: String) throws -> PolicyCompilation {
    do {
        return PolicyCompiler.compile(try PolicySource.load(path: path))
    } catch {
        printError("error: \(error.description)")
        throw CavraExit.badInput
    }
}

/// The compiled policy at `path`, or its diagnostics on stderr and exit 1.
func validPolicy(at path: String) throws -> CompiledPolicy {
    let compilation = try compilePolicy(at: path)
    if !compilation.diagnostics.isEmpty { printError(compilation.renderedDiagnostics()) }
    guard let policy = compilation.policy else { throw CavraExit.negative }
    return policy
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, sarif
}

enum TestFormat: String, ExpressibleByArgument, CaseIterable {
    case text, junit
}

extension PolicyCommand {
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and validate a policy; exit 0 when valid, 1 when not.")

        @OptionGroup var policy: PolicyPathOptions
        @Flag(help: "Treat warnings as errors.") var strict = false
        @Option(help: "Output format: text (diagnostics on stderr), or json or sarif (SARIF 2.1.0) on stdout.")
        var format = OutputFormat.text

        func run() throws {
            let compilation = try policy.compile()
            switch format {
            case .text:
                if !compilation.diagnostics.isEmpty { printError(compilation.renderedDiagnostics()) }
                if compilation.isValid(strict: strict), let compiled = compilation.policy {
                    let version = compiled.version.map { " \($0)" } ?? ""
                    print(
                        "valid: \(compiled.id)\(version) (\(count(compiled.rules.count, "rule")), "
                            + "\(count(compiled.tests.count, "test")), \(count(compilation.warningCount, "warning")))")
                } else {
                    printError(
                        "invalid: \(count(compilation.errorCount, "error")), \(count(compilation.warningCount, "warning"))"
                    )
                }
            case .json:
                print(compilation.json(strict: strict).serialized(pretty: true))
            case .sarif:
                let directory = FileManager.default.currentDirectoryPath
                print(compilation.sarif(currentDirectory: directory).serialized(pretty: true))
            }
            if !compilation.isValid(strict: strict) { throw CavraExit.negative }
        }
    }

    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the policy's tests; exit 0 when all pass, 1 otherwise.")

        @OptionGroup var policy: PolicyPathOptions
        @Option(help: "Output format: text, or junit (only JUnit XML on stdout).") var format = TestFormat.text
        @Flag(help: "List the rules no test made apply, and the coverage percentage.") var coverage = false
        @Option(help: "Fail (exit 1) when coverage is below N percent; implies --coverage.") var threshold: Double?

        func validate() throws {
            if let threshold, !(0...100).contains(threshold) {
                throw ValidationError("--threshold takes a percentage from 0 to 100")
            }
        }

        func run() throws {
            let report = TestRunner.run(try policy.validPolicy())
            let showCoverage = coverage || threshold != nil
            switch format {
            case .text:
                print(report.text(coverage: showCoverage), terminator: "")
            case .junit:
                print(report.junit(), terminator: "")
                if showCoverage { printError(report.coverageLines().joined(separator: "\n")) }
            }
            if let threshold, report.coverage < threshold {
                let wanted = threshold == threshold.rounded() ? String(Int(threshold)) : String(threshold)
                printError(
                    "error: coverage \(TestReport.percent(report.coverage))% is below the threshold of \(wanted)%")
                throw CavraExit.negative
            }
            if report.failedCount > 0 { throw CavraExit.negative }
        }
    }

    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decide one request (--input) or a JSONL file of requests (--batch).")

        @OptionGroup var policy: PolicyPathOptions
        @Option(help: "A JSON request {action, actor, route, context}.") var input: String?
        @Option(help: "A JSONL file: one request per line.") var batch: String?
        @Flag(help: "With --batch, add the trace to each line.") var trace = false

        func validate() throws {
            guard (input == nil) != (batch == nil) else {
                throw ValidationError("give exactly one of --input FILE and --batch FILE")
            }
        }

        func run() throws {
            if let input {
                let request = try RequestFiles.single(input)
                let compiled = try policy.validPolicy()
                print(compiled.evaluate(request, trace: true).json().serialized(pretty: true))
            } else if let batch {
                let requests = try RequestFiles.batch(batch)
                let compiled = try policy.validPolicy()
                FileHandle.standardOutput.write(Data(compiled.batchLines(requests, trace: trace)))
            }
        }
    }

    struct Explain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain the decision for one request: each rule considered and the clause that decided it.")

        @OptionGroup var policy: PolicyPathOptions
        @Option(help: "A JSON request {action, actor, route, context}.") var input: String

        func run() throws {
            let request = try RequestFiles.single(input)
            let compiled = try policy.validPolicy()
            print(Explanation.text(compiled.evaluate(request, trace: true), request: request), terminator: "")
        }
    }
}

extension PolicyCommand {
    struct Fmt: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rewrite each file in canonical form, in place; --check lists the files that would change.")

        @Argument(help: "A .cavra file or a directory of them (searched recursively).")
        var path: String = "policy/"
        @Flag(help: "Write nothing; list the files that would change and exit 1 if any would.") var check = false

        func run() throws {
            let source: PolicySource
            do {
                source = try PolicySource.load(path: path)
            } catch {
                printError("error: \(error.description)")
                throw CavraExit.badInput
            }
            var results: [(PolicyFile, FormatResult)] = []
            var broken = false
            for (index, file) in source.files.enumerated() {
                let result = Formatter.format(file, index: index)
                if !result.diagnostics.isEmpty {
                    broken = true
                    let compilation = PolicyCompilation(source: source, diagnostics: result.diagnostics, policy: nil)
                    printError(compilation.renderedDiagnostics())
                }
                results.append((file, result))
            }
            // A file that does not parse stops the run before anything is written.
            if broken { throw CavraExit.negative }
            var changed = 0
            for (file, result) in results {
                guard let text = result.text, Array(text.utf8) != file.bytes else { continue }
                changed += 1
                for move in result.movedRules {
                    printError(
                        "warning: \(file.displayPath):\(move.from): a rule without `@id` moves to line \(move.to); "
                            + "its default id changes to `\(file.name):\(move.to)` (give it an `@id` to keep it)")
                }
                if check {
                    print(file.displayPath)
                } else if !Self.rewrite(file.displayPath, with: text) {
                    printError("error: cannot write `\(file.displayPath)`")
                    throw CavraExit.badInput
                }
            }
            if check && changed > 0 { throw CavraExit.negative }
        }

        /// Replaces the file's contents, keeping its permissions; a symbolic link's target is what is rewritten.
        static func rewrite(_ path: String, with text: String) -> Bool {
            let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            let attributes = (try? FileManager.default.attributesOfItem(atPath: target))?
                .filter { $0.key == .posixPermissions }
            return FileManager.default.createFile(atPath: target, contents: Data(text.utf8), attributes: attributes)
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure in-process decisions per second and p50/p99 nanoseconds per decision.")

        @OptionGroup var policy: PolicyPathOptions
        @Option(help: "A JSONL file of requests, decided in order.") var batch: String
        @Flag(help: "Build the trace of every decision (as the API records it).") var trace = false
        @Option(help: "How many times to decide the whole batch.") var rounds = 200

        func run() throws {
            let requests = try RequestFiles.batch(batch)
            let compiled = try policy.validPolicy()
            let result = Benchmark.run(compiled, requests: requests, trace: trace, rounds: max(1, rounds))
            print("policy: \(compiled.id) (\(count(compiled.rules.count, "rule"))), trace: \(trace ? "on" : "off")")
            print("decisions: \(result.decisions) in \(String(format: "%.3f", result.seconds)) s")
            print("decisions/s: \(Int(result.decisionsPerSecond))")
            print("p50: \(result.p50Nanoseconds) ns, p99: \(result.p99Nanoseconds) ns")
        }
    }
}

/// "1 rule", "2 rules".
func count(_ number: Int, _ noun: String) -> String {
    "\(number) \(noun)\(number == 1 ? "" : "s")"
}

/// Reading request files; every problem is a message on stderr and exit 2.
enum RequestFiles {
    static func single(_ path: String) throws -> PolicyRequest {
        let text = try read(path)
        do {
            return try PolicyRequest(json: try JSON.parse(text))
        } catch let error as JSONParseError {
            printError("error: \(path): invalid JSON at \(error.description)")
        } catch let error as RequestError {
            printError("error: \(path): \(error.description)")
        }
        throw CavraExit.badInput
    }

    /// Every line is checked before any is evaluated; blank lines are skipped.
    static func batch(_ path: String) throws -> [PolicyRequest] {
        do {
            return try PolicyRequest.lines(of: try read(path))
        } catch let error as RequestLineError {
            switch error.problem {
            case .json(let problem):
                printError(
                    "error: \(path): line \(error.line): invalid JSON at column \(problem.column): \(problem.message)")
            case .request(let problem):
                printError("error: \(path): line \(error.line): \(problem.description)")
            }
            throw CavraExit.badInput
        }
    }

    private static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("error: cannot read `\(path)`")
            throw CavraExit.badInput
        }
        return String(decoding: data, as: UTF8.self)
    }
}
