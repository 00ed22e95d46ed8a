import Foundation
import Glibc
import Testing

/// Crashes, damaged state and store failures: each test names what it shows.
@Suite("Crash recovery and store failures", .serialized)
struct CrashRecoveryTests {
    var databasePath: (Harness) -> String = { $0.state.appendingPathComponent("tokenledgerd.sqlite3").path }

    @Test("kill -9 during a large ingest loses and repeats nothing")
    func killDuringIngest() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let total = 12_000
        try harness.write(Records.usageLines(1...total), to: "big.jsonl")
        var killedMidway = 0
        for _ in 0..<5 {
            let before = try harness.eventCount()
            let daemon = try Daemon(harness)
            // Kill right after the first new batch is committed, while the file is half read.
            _ = try harness.waitUntil(timeout: 10) { try harness.eventCount() > before }
            daemon.stop(signal: SIGKILL)
            let after = try harness.eventCount()
            if after > before && after < total {
                killedMidway += 1
            }
            #expect(try harness.query("PRAGMA integrity_check") == "ok")
        }
        #expect(killedMidway >= 2)
        let run = try harness.runOnce()
        #expect(run.status == 0)
        #expect(try harness.eventCount() == total)
        #expect(try harness.query("SELECT count(DISTINCT request_id) FROM events") == String(total))
        #expect(
            try harness.query("SELECT committed_offset FROM files")
                == String(Records.usageLines(1...total).utf8.count))
    }

    @Test("file read partly before a kill is read on when unchanged")
    func unchangedFileAfterKill() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...8_000), to: "big.jsonl")
        let daemon = try Daemon(harness)
        _ = try harness.waitUntil(timeout: 10) { try harness.eventCount() > 0 }
        daemon.stop(signal: SIGKILL)
        let partial = try harness.eventCount()
        #expect(partial > 0)
        // The file has not changed since the kill; the next run must still read the rest of it.
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 8_000)
    }

    @Test("kill -9 mid batch re-reads every file from its offset")
    func killDuringMultiFileBatch() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        for file in 0..<4 {
            try harness.write(Records.usageLines((file * 5_000 + 1)...(file * 5_000 + 5_000)), to: "f\(file).jsonl")
        }
        let daemon = try Daemon(harness)
        usleep(150_000)
        daemon.stop(signal: SIGKILL)
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 20_000)
    }

    @Test("damaged database is moved aside and rebuilt")
    func corruptDatabase() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...3_000), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        let path = databasePath(harness)
        #expect(try harness.query("PRAGMA wal_checkpoint(TRUNCATE)").hasPrefix("0|"))
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size / 2)
        try handle.write(contentsOf: Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }))
        try handle.close()

        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("database is damaged; moved it aside"))
        let moved = try FileManager.default.contentsOfDirectory(atPath: harness.state.path)
            .filter { $0.hasPrefix("tokenledgerd.sqlite3.corrupt-") }
        #expect(moved.count == 1)
        #expect(try harness.eventCount() == 3_000)
        #expect(try harness.query("PRAGMA integrity_check") == "ok")
        let again = try harness.runOnce()
        #expect(again.status == 0)
        #expect(!again.stderr.contains("damaged"))
    }

    @Test(
        "garbage or empty state file is replaced",
        arguments: [Data(), Data(repeating: 0x41, count: 10_000), Data("SQLite format 3\u{0}garbage".utf8)])
    func garbageStateFile(contents: Data) throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try FileManager.default.createDirectory(at: harness.state, withIntermediateDirectories: true)
        try contents.write(to: URL(fileURLWithPath: databasePath(harness)))
        try harness.write(Records.usageLines(1...5), to: "a.jsonl")
        let run = try harness.runOnce()
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try harness.eventCount() == 5)
    }

    @Test("locked database delays commits without loss")
    func busyDatabase() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let daemon = try Daemon(harness)
        try harness.write(Records.usageLines(1...2), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 2 })

        // Another process holds the write lock for longer than the busy timeout.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        holder.arguments = [
            "-c",
            "import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\n"
                + "c.execute('BEGIN IMMEDIATE')\nprint('locked',flush=True)\ntime.sleep(8)\nc.execute('ROLLBACK')",
            databasePath(harness),
        ]
        let holderOutput = Pipe()
        holder.standardOutput = holderOutput
        try holder.run()
        _ = holderOutput.fileHandleForReading.availableData
        try harness.append(Records.usageLines(3...12), to: "a.jsonl")
        holder.waitUntilExit()
        #expect(try harness.waitUntil(timeout: 40) { try harness.eventCount() == 12 })
        #expect(daemon.process.isRunning)
        #expect(daemon.stop() == 0)
        // Whichever of the scan or the fold met the lock first, it was retried, not fatal.
        #expect(daemon.stderr.contains("database is locked"))
        #expect(daemon.stderr.contains("retrying"))
        #expect(try harness.requestIDs() == (1...12).map(Records.requestID))
    }

    @Test("partial line at SIGTERM is read once after restart")
    func partialLineAcrossRestart() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let third = Records.usageLine(3)
        let cut = third.index(third.startIndex, offsetBy: 120)
        let daemon = try Daemon(harness)
        try harness.write(Records.usageLines(1...2) + third[..<cut], to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 2 })
        #expect(daemon.stop() == 0)
        try harness.append(String(third[cut...]) + "\n", to: "a.jsonl")
        let run = try harness.runOnce()
        #expect(run.stderr.contains("events.new=1 events.duplicate=0"))
        #expect(try harness.requestIDs() == (1...3).map(Records.requestID))
    }

    @Test("second daemon on one state directory is refused")
    func secondDaemonRefused() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let daemon = try Daemon(harness)
        #expect(
            harness.waitUntil {
                FileManager.default.fileExists(atPath: harness.state.appendingPathComponent("lock").path)
            })
        usleep(200_000)
        let second = try harness.runOnce()
        #expect(second.status == 2)
        #expect(second.stderr.contains("another tokenledgerd holds the state directory"))
        #expect(daemon.stop() == 0)
    }

    @Test("unreadable file is reported once and read later")
    func unreadableFile() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...3), to: "a.jsonl")
        // Root reads any file, so a FIFO stands for an unreadable one: it is skipped and logged.
        mkfifo(harness.path("pipe.jsonl"), 0o600)
        let daemon = try Daemon(harness, extra: ["--poll-interval", "0.2"])
        #expect(try harness.waitUntil { try harness.eventCount() == 3 })
        usleep(1_000_000)
        #expect(daemon.stop() == 0)
        let mentions = daemon.stderr.components(separatedBy: "not a regular file").count - 1
        #expect(mentions == 1)
    }

    @Test("idle daemon writes nothing")
    func idleDaemonWritesNothing() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...3), to: "a.jsonl")
        let daemon = try Daemon(harness, extra: ["--poll-interval", "0.2"])
        #expect(try harness.waitUntil { try harness.eventCount() == 3 })
        usleep(1_500_000)
        let before = try modificationTimes(harness)
        usleep(1_500_000)
        let after = try modificationTimes(harness)
        #expect(daemon.stop() == 0)
        #expect(before == after)
    }

    private func modificationTimes(_ harness: Harness) throws -> [String: Date] {
        var times: [String: Date] = [:]
        let enumerator = FileManager.default.enumerator(
            at: harness.state, includingPropertiesForKeys: [.contentModificationDateKey])
        while let url = enumerator?.nextObject() as? URL {
            times[url.path] = try url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
        }
        return times
    }
}
