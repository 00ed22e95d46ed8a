import Foundation
import LedgerCore

/// Runs the built `tokenledgerd` binary in a fresh temporary directory.
struct Harness {
    /// The package root, found from this source file's path.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built binary: beside the test bundle, else in the package's `.build/debug`.
    static let binary: URL = {
        if let override = ProcessInfo.processInfo.environment["TOKENLEDGERD_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        var directory = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("tokenledgerd")
            if FileManager.default.isExecutableFile(atPath: candidate.path) {
                return candidate
            }
            directory = directory.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/tokenledgerd")
    }()

    /// The result of one run of the binary.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    let root: URL
    var spool: URL { root.appendingPathComponent("spool") }
    var state: URL { root.appendingPathComponent("state") }
    var out: URL { root.appendingPathComponent("out") }

    /// Creates a temporary directory with an empty `spool/`.
    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("tokenledgerd-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
    }

    /// Removes the temporary directory.
    func cleanUp() {
        try? FileManager.default.removeItem(at: root)
    }

    /// A fixture file under `Tests/Fixtures`.
    static func fixture(_ path: String) -> URL {
        packageRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(path)
    }

    /// Copies fixture files into the spool, keeping their names.
    func addFixtures(_ paths: [String]) throws {
        for path in paths {
            let source = Self.fixture(path)
            try FileManager.default.copyItem(at: source, to: spool.appendingPathComponent(source.lastPathComponent))
        }
    }

    /// Runs the binary with `arguments`, from the package root so the default ledger inputs resolve.
    /// `environment` adds to and overrides the test process's environment; a `nil` value removes
    /// the variable.
    @discardableResult
    func run(_ arguments: [String], environment: [String: String?] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = Self.packageRoot
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (name, value) in environment {
                merged[name] = value
            }
            process.environment = merged
        }
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        let errData = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// `run --once` on this harness's spool and state.
    @discardableResult
    func runOnce() throws -> Run {
        try run(["run", "--once", "--spool", spool.path, "--state-dir", state.path])
    }

    /// `export --out` into this harness's `out/`, then the exported events by event key.
    func exportEvents() throws -> [String: JSONValue] {
        let result = try run(["export", "--state-dir", state.path, "--out", out.path])
        guard result.status == 0 else {
            throw HarnessError(message: "export failed with \(result.status): \(result.stderr)")
        }
        var events: [String: JSONValue] = [:]
        for line in try exportedEventLines() {
            let value = try JSONParser.parse(line)
            guard let key = value["event_key"]?.stringValue else {
                throw HarnessError(message: "exported event without event_key")
            }
            events[key] = value
        }
        return events
    }

    /// The raw lines of the last `events.jsonl` export.
    func exportedEventLines() throws -> [[UInt8]] {
        let data = try Data(contentsOf: out.appendingPathComponent("events.jsonl"))
        return data.split(separator: 0x0A).map { Array($0) }
    }

    /// Appends bytes to a spool file, creating it when missing.
    func append(_ text: String, to name: String) throws {
        let url = spool.appendingPathComponent(name)
        if !FileManager.default.fileExists(atPath: url.path) {
            // A file that cannot be created makes the open below throw.
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    /// Runs `sqlite3` on the store and returns its output.
    func query(_ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [state.appendingPathComponent("tokenledgerd.sqlite3").path, sql]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The lines of a fixture file, without newlines.
func fixtureLines(_ path: String) throws -> [[UInt8]] {
    let data = try Data(contentsOf: Harness.fixture(path))
    return data.split(separator: 0x0A).map { Array($0) }
}
