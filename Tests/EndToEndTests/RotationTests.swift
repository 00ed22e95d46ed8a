import Foundation
import Glibc
import Testing

/// Rotation, truncation and file identity: each test names what it shows.
@Suite("Rotation and file identity", .serialized)
struct RotationTests {
    @Test("copytruncate with an identical first kilobyte")
    func copytruncateSamePrefix() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write((0..<3).map { Records.otlpLine($0) + "\n" }.joined(), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 3)

        try FileManager.default.copyItem(atPath: harness.path("a.jsonl"), toPath: harness.path("a.jsonl.1"))
        truncate(harness.path("a.jsonl"), 0)
        try harness.append((3..<5).map { Records.otlpLine($0) + "\n" }.joined(), to: "a.jsonl")
        let run = try harness.runOnce()
        #expect(run.status == 0)
        #expect(try harness.eventCount() == 5)
        #expect(run.stderr.contains("events.new=2 events.duplicate=3"))
        #expect(try harness.query("SELECT count(*) FROM quarantine") == "0")
    }

    @Test("rotation while stopped adds only the new line")
    func rotationWhileStopped() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...10), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        try FileManager.default.moveItem(atPath: harness.path("a.jsonl"), toPath: harness.path("a.jsonl.1"))
        try harness.write(Records.usageLines(11...11), to: "a.jsonl")
        let run = try harness.runOnce()
        #expect(run.stderr.contains("events.new=1 events.duplicate=0"))
        #expect(try harness.eventCount() == 11)
        #expect(
            try harness.query("SELECT path || ' ' || state FROM files ORDER BY file_id")
                == "\(harness.path("a.jsonl.1")) rotated\n\(harness.path("a.jsonl")) active")
    }

    @Test("rotation while running is followed")
    func rotationWhileRunning() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let daemon = try Daemon(harness)
        try harness.write(Records.usageLines(1...5), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 5 })
        try harness.append(Records.usageLines(6...7), to: "a.jsonl")
        try FileManager.default.moveItem(atPath: harness.path("a.jsonl"), toPath: harness.path("a.jsonl.1"))
        try harness.append(Records.usageLines(8...9), to: "a.jsonl.1")
        try harness.write(Records.usageLines(10...12), to: "a.jsonl")
        #expect(try harness.waitUntil { try harness.eventCount() == 12 })
        #expect(daemon.stop() == 0)
        #expect(try harness.requestIDs() == (1...12).map(Records.requestID))
    }

    @Test("lines appended while stopped are read on start")
    func appendedWhileStopped() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...2), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        try harness.append(Records.usageLines(3...5), to: "a.jsonl")
        let run = try harness.runOnce()
        #expect(run.stderr.contains("spool.lines=3 events.new=3"))
        #expect(try harness.requestIDs() == (1...5).map(Records.requestID))
    }

    @Test("gzip of an ingested file adds nothing")
    func gzipRotationAddsNothing() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...5), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        try gzip(harness.path("a.jsonl"), to: harness.path("a.jsonl.1.gz"))
        truncate(harness.path("a.jsonl"), 0)
        try harness.append(Records.usageLines(6...7), to: "a.jsonl")
        let run = try harness.run([
            "run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path,
        ])
        #expect(run.status == 0)
        #expect(run.stderr.contains("events.new=2 events.duplicate=5"))
        #expect(try harness.requestIDs() == (1...7).map(Records.requestID))
        #expect(try harness.query("SELECT compression FROM files WHERE path LIKE '%.gz'") == "gzip")
        #expect(
            try harness.query("SELECT committed_offset FROM files WHERE path LIKE '%.gz'")
                == String(Records.usageLines(1...5).utf8.count))
    }

    @Test("concatenated gzip members are all read")
    func concatenatedGzipMembers() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let first = harness.root.appendingPathComponent("first").path
        let second = harness.root.appendingPathComponent("second").path
        try Data(Records.usageLines(1...3).utf8).write(to: URL(fileURLWithPath: first))
        try Data(Records.usageLines(4...6).utf8).write(to: URL(fileURLWithPath: second))
        try gzip(first, to: first + ".gz")
        try gzip(second, to: second + ".gz")
        var joined = try Data(contentsOf: URL(fileURLWithPath: first + ".gz"))
        joined.append(try Data(contentsOf: URL(fileURLWithPath: second + ".gz")))
        try joined.write(to: harness.spool.appendingPathComponent("b.jsonl.2.gz"))
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.requestIDs() == (1...6).map(Records.requestID))
    }

    @Test("truncate and regrow past the offset is detected")
    func truncateAndRegrow() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...3), to: "f.jsonl")
        #expect(try harness.runOnce().status == 0)
        // Rewrite with more bytes than before: size alone cannot reveal the truncation.
        try harness.write(Records.usageLines(4...8), to: "f.jsonl")
        let run = try harness.runOnce()
        #expect(run.stderr.contains("content replaced"))
        #expect(try harness.requestIDs() == (1...8).map(Records.requestID))
    }

    @Test("overwrite every tenth line while running")
    func overwriteEveryTenth() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let daemon = try Daemon(harness)
        for value in 1...50 {
            if value % 10 == 0 {
                // A `>` destroys lines nobody has read yet, which no tailer can recover, so the
                // writer lets the daemon catch up first. What is under test is what follows: the
                // file regrows past the old offset between scans, and only the hash of the bytes
                // before the offset shows that it was rewritten.
                _ = try harness.waitUntil(timeout: 5) { try harness.eventCount() == value - 1 }
                try harness.write(Records.usageLines(value...value), to: "f.jsonl")
            } else {
                try harness.append(Records.usageLines(value...value), to: "f.jsonl")
            }
            usleep(UInt32.random(in: 1_000...50_000))
        }
        #expect(try harness.waitUntil { try harness.eventCount() == 50 })
        #expect(daemon.stop() == 0)
        #expect(try harness.requestIDs() == (1...50).map(Records.requestID))
    }

    @Test("offset past the end of a reused inode restarts at zero")
    func offsetPastEnd() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...4), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        truncate(harness.path("a.jsonl"), 0)
        try harness.append(Records.usageLines(5...5), to: "a.jsonl")
        let run = try harness.runOnce()
        #expect(run.stderr.contains("content replaced"))
        #expect(try harness.requestIDs() == (1...5).map(Records.requestID))
    }

    @Test("inode reused after delete while stopped")
    func inodeReuse() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...100), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        let oldInode = try inode(harness.path("a.jsonl"))
        try FileManager.default.removeItem(atPath: harness.path("a.jsonl"))
        var reused = false
        for attempt in 0..<200 {
            try harness.write(Records.usageLines(101...103), to: "b.jsonl")
            if try inode(harness.path("b.jsonl")) == oldInode {
                reused = true
                break
            }
            // The last b.jsonl stays when no attempt got the old inode, so the run reads 101 to 103.
            if attempt == 199 {
                break
            }
            try harness.write("", to: "hold-\(UUID().uuidString).tmp")
            try FileManager.default.removeItem(atPath: harness.path("b.jsonl"))
        }
        // ext4 and tmpfs hand a freed inode out again quickly; record whether this run saw it.
        let run = try harness.runOnce()
        #expect(run.status == 0)
        #expect(try harness.requestIDs() == (1...103).map(Records.requestID))
        if reused {
            #expect(try harness.query("SELECT count(*) FROM files WHERE inode = \(oldInode)") == "2")
        }
    }

    @Test("live identities stay unique through cycles")
    func uniqueLiveIdentities() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        for cycle in 0..<6 {
            try harness.append(Records.usageLines((cycle * 3 + 1)...(cycle * 3 + 3)), to: "a.jsonl")
            #expect(try harness.runOnce().status == 0)
            try FileManager.default.moveItem(
                atPath: harness.path("a.jsonl"), toPath: harness.path("a.jsonl.\(cycle + 1)"))
        }
        #expect(try harness.eventCount() == 18)
        #expect(
            try harness.query(
                "SELECT count(*) FROM (SELECT device, inode FROM files WHERE state != 'vanished' "
                    + "GROUP BY device, inode HAVING count(*) > 1)") == "0")
        #expect(try harness.query("SELECT count(*) FROM files") == "6")
    }

    @Test("files with an identical first line are both read")
    func identicalFirstLines() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let heartbeat = Records.otlpLine(0) + "\n"
        try harness.write(heartbeat + Records.otlpLine(1) + "\n" + Records.otlpLine(2) + "\n", to: "x.jsonl")
        try harness.write(heartbeat + Records.otlpLine(3) + "\n", to: "y.jsonl")
        #expect(try harness.runOnce().status == 0)
        #expect(try harness.eventCount() == 4)
    }

    @Test("old but present files are not read again")
    func oldFilesKeepCheckpoint() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...4), to: "a.jsonl")
        #expect(try harness.runOnce().status == 0)
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, harness.path("a.jsonl"), &times, 0)
        let run = try harness.runOnce()
        #expect(run.stderr.contains("spool.lines=0 events.new=0 events.duplicate=0"))
        #expect(try harness.eventCount() == 4)
    }

    @Test("same file under two names counts once")
    func sameFileTwice() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.write(Records.usageLines(1...6), to: "one.jsonl")
        try harness.write(Records.usageLines(1...6), to: "two.ndjson")
        let run = try harness.runOnce()
        #expect(run.stderr.contains("events.new=6 events.duplicate=6"))
        #expect(try harness.eventCount() == 6)
    }

    @Test("symlink out of the spool is not followed")
    func symlinkOutside() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let outside = harness.root.appendingPathComponent("outside.jsonl")
        try Data(Records.usageLines(1...2).utf8).write(to: outside)
        try FileManager.default.createSymbolicLink(
            atPath: harness.path("link.jsonl"), withDestinationPath: outside.path)
        try harness.write(Records.usageLines(3...3), to: "inside.jsonl")
        try FileManager.default.createSymbolicLink(
            atPath: harness.path("inside-link.jsonl"), withDestinationPath: harness.path("inside.jsonl"))
        let run = try harness.runOnce()
        #expect(run.stderr.contains("symlink points outside the spool directory"))
        #expect(try harness.requestIDs() == [Records.requestID(3)])
    }

    private func gzip(_ source: String, to destination: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "gzip -c '\(source)' > '\(destination)'"]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw HarnessError(message: "gzip failed") }
    }

    private func inode(_ path: String) throws -> UInt64 {
        var info = stat()
        guard stat(path, &info) == 0 else { throw HarnessError(message: "stat \(path) failed") }
        return UInt64(info.st_ino)
    }
}
