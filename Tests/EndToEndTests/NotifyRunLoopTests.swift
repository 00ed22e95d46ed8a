import Foundation
import Glibc
import Testing

@Suite("sd_notify from the run loop", .serialized)
struct NotifyRunLoopTests {
    /// Receives datagrams until one contains `assignment` as a whole line, skipping the others.
    private static func waitFor(_ assignment: String, on socket: NotifySocket, timeout: Double = 10) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let message = socket.receive(timeout: deadline.timeIntervalSinceNow) else { return nil }
            if message.split(separator: "\n").contains(Substring(assignment)) {
                return message
            }
        }
        return nil
    }

    @Test("start, watchdog, reload and stop")
    func daemonSequence() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["cliproxyapi/usage-queue.jsonl"])
        let socket = try NotifySocket()
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data("[daemon]\nfold_interval = 60\n".utf8).write(to: config)
        let process = try socket.startDaemon(
            [
                "run", "--spool", harness.spool.path, "--state-dir", harness.state.path, "--poll-interval", "0.1",
                "--config", config.path,
            ], watchdogMicroseconds: 2_000_000)
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
            }
        }

        let ready = try #require(Self.waitFor("READY=1", on: socket))
        #expect(!ready.contains("RELOADING=1"))
        #expect(try harness.query("SELECT count(*) FROM events") != "0", "READY=1 comes after the first scan")
        #expect(Self.waitFor("WATCHDOG=1", on: socket, timeout: 3) == "WATCHDOG=1")

        let beforeReload = Self.monotonicMicroseconds()
        kill(process.processIdentifier, SIGHUP)
        let reloading = try #require(Self.waitFor("RELOADING=1", on: socket))
        let stamp = reloading.split(separator: "\n").first { $0.hasPrefix("MONOTONIC_USEC=") }
        let microseconds = try #require(stamp.flatMap { UInt64($0.dropFirst("MONOTONIC_USEC=".count)) })
        #expect(microseconds >= beforeReload)
        #expect(Self.waitFor("READY=1", on: socket) != nil, "READY=1 follows a finished reload")

        // An invalid file: the reload is announced and ends in READY=1 with the old settings.
        try Data("[daemon]\nfold_interval = soon\n".utf8).write(to: config)
        kill(process.processIdentifier, SIGHUP)
        #expect(Self.waitFor("RELOADING=1", on: socket) != nil)
        #expect(Self.waitFor("READY=1", on: socket) != nil, "READY=1 follows a rejected reload")
        #expect(process.isRunning)
        #expect(Self.waitFor("WATCHDOG=1", on: socket, timeout: 3) == "WATCHDOG=1")

        kill(process.processIdentifier, SIGTERM)
        #expect(Self.waitFor("STOPPING=1", on: socket) != nil)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    private static func monotonicMicroseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
    }

    @Test("reload keeps the old config when the new one is invalid")
    func reloadInvalidThenValid() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data("[daemon]\nfold_interval = 60\n".utf8).write(to: config)
        let daemon = try Daemon(harness, extra: ["--config", config.path])
        try harness.write(Records.usageLines(1...2), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 2 })

        try Data("[daemon]\nfold_interval = 60\nno_such_key = 1\n".utf8).write(to: config)
        kill(daemon.process.processIdentifier, SIGHUP)
        usleep(500_000)
        try harness.append(Records.usageLines(3...3), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 3 })

        try Data("[daemon]\nfold_interval = 30\n".utf8).write(to: config)
        kill(daemon.process.processIdentifier, SIGHUP)
        usleep(500_000)
        #expect(daemon.stop() == 0)
        #expect(daemon.stderr.contains("configuration reload failed; keeping the previous configuration"))
        #expect(daemon.stderr.contains("unknown key 'no_such_key'"))
        #expect(daemon.stderr.contains("configuration reloaded config.changed=daemon.fold_interval"))
    }

    @Test("invalid pricing file keeps the daemon running")
    func invalidPricingFile() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let valid = try Data(contentsOf: Harness.packageRoot.appendingPathComponent("ledger/pricing.json"))
        let pricing = harness.root.appendingPathComponent("pricing.json")
        try valid.write(to: pricing)
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data("[daemon]\nfold_interval = 1\npricing = \(pricing.path)\n".utf8).write(to: config)
        let daemon = try Daemon(harness, extra: ["--config", config.path])
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T23:00:00Z") + "\n", to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.query("SELECT count(priced_at_ns) FROM events") == "1" })

        // Half of the file, as a copy caught while it is written; two fold intervals pass.
        try valid.prefix(300).write(to: pricing)
        try harness.append(DocumentSpoolTests.usageRecord(start: "2026-11-30T23:05:00Z") + "\n", to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 2 })
        usleep(2_500_000)
        #expect(daemon.process.isRunning)
        #expect(try harness.query("SELECT count(priced_at_ns) FROM events") == "1")

        try valid.write(to: pricing)
        try harness.append(DocumentSpoolTests.usageRecord(start: "2026-11-30T23:10:00Z") + "\n", to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.query("SELECT count(priced_at_ns) FROM events") == "3" })
        #expect(daemon.stop() == 0)
        #expect(daemon.stderr.contains("fold failed; keeping the previous ledger files and retrying"))
        #expect(daemon.stderr.contains("the pricing file is not JSON"))
        #expect(daemon.stderr.contains("pricing.file=\(pricing.path)"))
    }

    @Test("unwritable ledger directory keeps the daemon running")
    func unwritableLedgerDirectory() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let ledger = harness.root.appendingPathComponent("ledger-out")
        let config = harness.root.appendingPathComponent("tokenledgerd.conf")
        try Data("[daemon]\nfold_interval = 1\nledger_dir = \(ledger.path)\n".utf8).write(to: config)
        let daemon = try Daemon(harness, extra: ["--config", config.path])
        let manifest = ledger.appendingPathComponent("manifest.json")
        #expect(harness.waitUntil { FileManager.default.fileExists(atPath: manifest.path) })

        // A plain file where the directory was: every write into it fails with ENOTDIR.
        try FileManager.default.removeItem(at: ledger)
        try Data().write(to: ledger)
        try harness.write(DocumentSpoolTests.usageRecord(start: "2026-11-30T23:00:00Z") + "\n", to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 1 })
        usleep(2_500_000)
        #expect(daemon.process.isRunning)

        try FileManager.default.removeItem(at: ledger)
        #expect(harness.waitUntil { FileManager.default.fileExists(atPath: manifest.path) })
        #expect(daemon.stop() == 0)
        #expect(daemon.stderr.contains("fold failed; keeping the previous ledger files and retrying"))
        #expect(daemon.stderr.contains("Not a directory"))
        #expect(daemon.stderr.contains("ledger.directory=\(ledger.path)"))
    }
}
