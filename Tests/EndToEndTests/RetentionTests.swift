import Foundation
import Glibc
import Testing

@Suite("Retention of finished spool files", .serialized)
struct RetentionTests {
    private func config(_ harness: Harness, _ body: String) throws -> String {
        let path = harness.root.appendingPathComponent("tokenledgerd.conf").path
        try Data(("[ingest]\n" + body).utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func makeOld(_ path: String) {
        var times = [timespec(tv_sec: 1_000_000_000, tv_nsec: 0), timespec(tv_sec: 1_000_000_000, tv_nsec: 0)]
        utimensat(AT_FDCWD, path, &times, 0)
    }

    @Test("rotated, committed, old files are deleted")
    func deleteFinished() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let configPath = try config(harness, "retention = delete\nretention_min_age = 60\n")
        try harness.write(Records.usageLines(1...4), to: "a.jsonl")
        try harness.write(Records.usageLines(5...6), to: "old.jsonl.1")
        try harness.write(Records.usageLines(7...7) + "{\"partial", to: "tail.jsonl.2")
        makeOld(harness.path("old.jsonl.1"))
        makeOld(harness.path("tail.jsonl.2"))
        let arguments = [
            "run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path, "--config", configPath,
        ]
        let first = try harness.run(arguments)
        #expect(first.status == 0)
        #expect(first.stderr.contains("deleted finished spool file spool.file=\(harness.path("old.jsonl.1"))"))
        makeOld(harness.path("tail.jsonl.2"))
        let second = try harness.run(arguments)
        #expect(second.status == 0)
        #expect(!second.stderr.contains("deleted finished spool file"))
        let names = try FileManager.default.contentsOfDirectory(atPath: harness.spool.path).sorted()
        // The active file stays, and so does the rotated file whose last line is incomplete.
        #expect(names == ["a.jsonl", "tail.jsonl.2"])
        #expect(try harness.eventCount() == 7)
        #expect(try harness.runOnce().stderr.contains("events.new=0"))
        #expect(try harness.eventCount() == 7)
    }

    @Test("move needs a directory outside the spool")
    func moveNeedsDirectory() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        let missing = try config(harness, "retention = move\n")
        let run = try harness.run([
            "run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path, "--config", missing,
        ])
        #expect(run.status == 2)
        #expect(run.stderr.contains("retention = move needs retention_dir"))

        let archive = harness.root.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
        let good = try config(harness, "retention = move\nretention_dir = \(archive.path)\nretention_min_age = 1\n")
        try harness.write(Records.usageLines(1...3), to: "b.jsonl.1")
        makeOld(harness.path("b.jsonl.1"))
        let arguments = [
            "run", "--once", "--spool", harness.spool.path, "--state-dir", harness.state.path, "--config", good,
        ]
        #expect(try harness.run(arguments).status == 0)
        #expect(FileManager.default.fileExists(atPath: archive.appendingPathComponent("b.jsonl.1").path))
        #expect(!FileManager.default.fileExists(atPath: harness.path("b.jsonl.1")))
        #expect(try harness.eventCount() == 3)
    }
}
