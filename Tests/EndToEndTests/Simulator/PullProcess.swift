import Foundation
import Glibc

/// A `tokenledgerd pull` process started by a test, with the management key in a file.
final class PullProcess {
    let process = Process()
    private let stderrPipe = Pipe()
    private var stderrData = Data()

    /// Starts `pull --from <simulator> --spool <harness spool> --management-key-file <file>`
    /// with `extra` arguments and a configuration file holding `config`.
    init(_ harness: Harness, simulator: QueueSimulator, keyFile: URL, config: String = "", extra: [String] = []) throws
    {
        let configFile = harness.root.appendingPathComponent("pull-\(UUID().uuidString.prefix(6)).conf")
        try Data(("[pull]\n" + config).utf8).write(to: configFile)
        process.executableURL = Harness.binary
        process.arguments =
            [
                "pull", "--from", simulator.url, "--spool", harness.spool.path, "--management-key-file", keyFile.path,
                "--config", configFile.path, "--log-level", "debug",
            ] + extra
        process.currentDirectoryURL = Harness.packageRoot
        process.standardOutput = FileHandle.nullDevice
        process.standardError = stderrPipe
        try process.run()
    }

    /// Sends `signal` and waits up to `timeout` seconds for the exit; returns the status, `nil`
    /// when the process is still running.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Double = 20) -> Int32? {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline {
            usleep(10_000)
        }
        guard !process.isRunning else { return nil }
        stderrData = stderrPipe.fileHandleForReading.readDataToEndOfFile()
        return process.terminationStatus
    }

    /// What the process wrote to stderr; complete once it has stopped.
    var stderr: String { String(decoding: stderrData, as: UTF8.self) }
}

extension Harness {
    /// Writes `key` with a trailing newline into a key file of mode 0600 and returns its URL.
    func writeKeyFile(_ key: String, name: String = "management-key") throws -> URL {
        let url = root.appendingPathComponent(name)
        try Data((key + "\n").utf8).write(to: url)
        chmod(url.path, 0o600)
        return url
    }

    /// The names of the spool's files, sorted, hidden ones included.
    func spoolFileNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: spool.path).sorted()
    }

    /// The lines of every published (visible) spool file, in file name order.
    func spoolLines() throws -> [String] {
        var lines: [String] = []
        for name in try spoolFileNames() where !name.hasPrefix(".") {
            let data = try Data(contentsOf: spool.appendingPathComponent(name))
            lines += data.split(separator: 0x0A, omittingEmptySubsequences: false).dropLast().map {
                String(decoding: $0, as: UTF8.self)
            }
        }
        return lines
    }

    /// The lines of every spool file, staging files included, in file name order with staging
    /// files placed as their final names sort.
    func allSpoolLines() throws -> [String] {
        let names = try spoolFileNames().sorted { left, right in
            Self.finalName(left) < Self.finalName(right)
        }
        var lines: [String] = []
        for name in names {
            let data = try Data(contentsOf: spool.appendingPathComponent(name))
            var parts = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            parts.removeLast()
            lines += parts.map { String(decoding: $0, as: UTF8.self) }
        }
        return lines
    }

    private static func finalName(_ name: String) -> String {
        guard name.hasPrefix("."), name.hasSuffix(".partial") else { return name }
        return String(name.dropFirst().dropLast(".partial".count))
    }
}

/// Publishes synthetic records into a simulator at a steady rate on a background thread.
final class Publisher: Sendable {
    private let count = NSLockedValue(0)
    private let finished = DispatchSemaphore(value: 0)

    /// Publishes records `records` at `perSecond`, starting now.
    init(_ simulator: QueueSimulator, records: ClosedRange<Int>, perSecond: Double) {
        let interval = 1.0 / perSecond
        let count = count
        let finished = finished
        Thread.detachNewThread {
            let start = Date()
            for (index, sequence) in records.enumerated() {
                let wait = start.addingTimeInterval(Double(index) * interval).timeIntervalSinceNow
                if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
                simulator.publish(Array(Records.usageLine(sequence).utf8))
                count.withLock { $0 += 1 }
            }
            finished.signal()
        }
    }

    /// The number of records published so far.
    var published: Int { count.withLock { $0 } }

    /// Waits until every record is published, at most `timeout` seconds; returns whether all were.
    func wait(timeout: Double = 60) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }
}

/// A value behind a lock.
final class NSLockedValue<Value>: @unchecked Sendable {
    // Every access goes through `withLock`.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
