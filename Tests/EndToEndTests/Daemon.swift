import Foundation
import Glibc
import LedgerCore

/// A `tokenledgerd run` process in daemon mode, started by a test.
final class Daemon {
    let process = Process()
    private let stderrPipe = Pipe()
    private let stderrData = OutputBuffer()

    /// Starts `run` on the harness's spool and state with `extra` arguments.
    init(_ harness: Harness, extra: [String] = []) throws {
        process.executableURL = Harness.binary
        process.arguments =
            ["run", "--spool", harness.spool.path, "--state-dir", harness.state.path] + extra
        process.currentDirectoryURL = Harness.packageRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderrPipe
        // The pipe is drained while the daemon runs: a full pipe (64 KiB on Linux) would block
        // the daemon's next log write, and with it the whole run loop.
        let buffer = stderrData
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in
            buffer.append(handle.availableData)
        }
        try process.run()
    }

    /// Sends `signal` and, unless it is `SIGKILL`, waits for the exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(10_000)
        }
        guard !process.isRunning else { return nil }
        stderrPipe.fileHandleForReading.readabilityHandler = nil
        stderrData.append(stderrPipe.fileHandleForReading.readDataToEndOfFile())
        return process.terminationStatus
    }

    /// What the daemon wrote to stderr; complete once it has stopped.
    var stderr: String { String(decoding: stderrData.data, as: UTF8.self) }
}

/// Bytes that a pipe's readability handler appends on another thread.
final class OutputBuffer: @unchecked Sendable {
    // @unchecked: every access to `bytes` happens under `lock`.
    private let lock = NSLock()
    private var bytes = Data()

    func append(_ data: Data) {
        lock.lock()
        bytes.append(data)
        lock.unlock()
    }

    var data: Data {
        lock.lock()
        defer { lock.unlock() }
        return bytes
    }
}

extension Harness {
    /// Polls `condition` every 20 ms until it is true or `timeout` seconds pass; returns its last value.
    func waitUntil(timeout: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() {
                return true
            }
            usleep(20_000)
        }
        return try condition()
    }

    /// The number of stored events, 0 before the store exists.
    func eventCount() throws -> Int {
        guard FileManager.default.fileExists(atPath: state.appendingPathComponent("tokenledgerd.sqlite3").path) else {
            return 0
        }
        return Int(try query("SELECT count(*) FROM events")) ?? -1
    }

    /// The distinct `request_id`s of stored events, sorted.
    func requestIDs() throws -> [String] {
        try query("SELECT request_id FROM events ORDER BY request_id").split(separator: "\n").map(String.init)
    }

    /// Writes `text` to a spool file, replacing it.
    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: spool.appendingPathComponent(name))
    }

    /// The path of a spool file.
    func path(_ name: String) -> String {
        spool.appendingPathComponent(name).path
    }
}

/// Synthetic records with a sequence number, so that tests can check exact sets.
enum Records {
    /// The first usage-queue record of the fixtures, used as a template.
    static let template: String = {
        let data = (try? Data(contentsOf: Harness.fixture("cliproxyapi/usage-queue.jsonl"))) ?? Data()
        return String(decoding: data.split(separator: 0x0A)[0], as: UTF8.self)
    }()

    /// The request id of record `sequence`: eight digits.
    static func requestID(_ sequence: Int) -> String {
        let digits = String(sequence)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// A usage-queue line (without newline) whose `request_id` is ``requestID(_:)``.
    static func usageLine(_ sequence: Int) -> String {
        template.replacingOccurrences(
            of: "\"request_id\":\"8201e2bd\"", with: "\"request_id\":\"\(requestID(sequence))\"")
    }

    /// Usage-queue lines for `range`, each ending with a newline.
    static func usageLines(_ range: ClosedRange<Int>) -> String {
        range.map { usageLine($0) + "\n" }.joined()
    }

    /// An OTLP line with one GenAI span whose span id encodes `sequence`. The resource block
    /// alone is over 1 KiB, so every such line starts with the same kilobyte.
    static func otlpLine(_ sequence: Int) -> String {
        let spanID = String(format: "%016x", sequence + 1)
        let resource = (0..<24).map { index in
            "{\"key\":\"padding.\(index)\",\"value\":{\"stringValue\":\"identical-resource-attribute-\(index)\"}}"
        }.joined(separator: ",")
        return """
            {"resourceSpans":[{"resource":{"attributes":[\(resource)]},"scopeSpans":[{"scope":{"name":"t"},"spans":[\
            {"traceId":"0123456789abcdef0123456789abcdef","spanId":"\(spanID)","name":"chat","kind":"SPAN_KIND_CLIENT",\
            "startTimeUnixNano":"1764806400000000000","endTimeUnixNano":"1764806401000000000","attributes":[\
            {"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},\
            {"key":"gen_ai.provider.name","value":{"stringValue":"openai"}},\
            {"key":"gen_ai.request.model","value":{"stringValue":"gpt-5"}},\
            {"key":"gen_ai.usage.input_tokens","value":{"intValue":"\(100 + sequence)"}},\
            {"key":"gen_ai.usage.output_tokens","value":{"intValue":"10"}}],"status":{}}]}]}]}
            """
    }

    /// The request ids exported for OTLP lines are `traceId:spanId`; this returns the span part.
    static func spanIDs(_ harness: Harness) throws -> [String] {
        try harness.requestIDs().map { String($0.split(separator: ":").last ?? "") }
    }
}
