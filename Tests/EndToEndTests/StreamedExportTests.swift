import Foundation
import Glibc
import LedgerCore
import Testing

@testable import LedgerDaemon

@Suite("Streamed events export", .serialized)
struct StreamedExportTests {
    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("streamed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    /// 2.5 buffers of a repeating pattern, so that the comparison crosses buffer boundaries.
    static let content: [UInt8] = (0..<(StreamedFile.bufferSize * 5 / 2)).map { UInt8(truncatingIfNeeded: $0 % 251) }

    static func stream(_ bytes: [UInt8], to path: String, writing: Bool) throws -> (StreamedFile, String, Bool) {
        let file = try StreamedFile(path: path, writing: writing)
        // Pieces of 1000 bytes, as lines would come.
        var start = 0
        while start < bytes.count {
            try file.append(Array(bytes[start..<min(start + 1000, bytes.count)]))
            start += 1000
        }
        let (sha256, isUnchanged) = try file.finish()
        return (file, sha256, isUnchanged)
    }

    static func inode(_ path: String) -> UInt {
        var info = stat()
        return stat(path, &info) == 0 ? UInt(info.st_ino) : 0
    }

    @Test("stale temporary files are removed")
    func staleTemporaries() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.jsonl").path
        // A process that has exited: its id names a temporary file that no process writes any more.
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let stale = path + ".tmp.\(exited.processIdentifier)"
        let live = path + ".tmp.1"
        let other = directory.appendingPathComponent("rollups_daily.csv.tmp.\(exited.processIdentifier)").path
        for leftover in [stale, live, other] {
            #expect(FileManager.default.createFile(atPath: leftover, contents: Data("partial".utf8)))
        }

        let (file, _, _) = try Self.stream(Self.content, to: path, writing: true)
        try file.commit()
        #expect(!FileManager.default.fileExists(atPath: stale))
        // Process 1 is running, and another file's temporaries are not this file's to remove.
        #expect(FileManager.default.fileExists(atPath: live))
        #expect(FileManager.default.fileExists(atPath: other))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(Self.content))
    }

    @Test("new file is written and hashed")
    func newFile() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.jsonl").path
        let (file, sha256, isUnchanged) = try Self.stream(Self.content, to: path, writing: true)
        #expect(!isUnchanged)
        #expect(sha256 == SHA256.hexDigest(Self.content))
        #expect(!FileManager.default.fileExists(atPath: path), "nothing replaces the file before commit")
        try file.commit()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(Self.content))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["events.jsonl"])
    }

    @Test("identical file is kept")
    func identicalFileKept() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.jsonl").path
        try Data(Self.content).write(to: URL(fileURLWithPath: path))
        let before = Self.inode(path)
        let (file, _, isUnchanged) = try Self.stream(Self.content, to: path, writing: true)
        #expect(isUnchanged)
        try file.commit()
        #expect(Self.inode(path) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["events.jsonl"])
    }

    @Test("changed, longer or shorter files differ")
    func differencesFound() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("events.jsonl").path
        var lastByteChanged = Self.content
        lastByteChanged[lastByteChanged.count - 1] ^= 1
        let existing = [lastByteChanged, Self.content + [0x0A], Array(Self.content.dropLast())]
        for bytes in existing {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let (_, _, isUnchanged) = try Self.stream(Self.content, to: path, writing: false)
            #expect(!isUnchanged, "existing file of \(bytes.count) bytes")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(bytes), "checking writes nothing")
        }
        try FileManager.default.removeItem(atPath: path)
        let (_, _, isUnchanged) = try Self.stream(Self.content, to: path, writing: false)
        #expect(!isUnchanged)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("export --check compares events.jsonl")
    func exportCheckEvents() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["tokenledger/events.jsonl"])
        #expect(try harness.runOnce().status == 0)
        let first = try harness.run(["export", "--state-dir", harness.state.path, "--out", harness.out.path])
        #expect(first.status == 0, "\(first.stderr)")
        let eventsURL = harness.out.appendingPathComponent("events.jsonl")
        let events = try Data(contentsOf: eventsURL)
        let manifest = try String(contentsOf: harness.out.appendingPathComponent("manifest.json"), encoding: .utf8)
        #expect(manifest.contains(#""events.jsonl":"\#(SHA256.hexDigest(events))""#))

        var changed = events
        changed[changed.count - 2] ^= 1
        try changed.write(to: eventsURL)
        let dirty = try harness.run(["export", "--state-dir", harness.state.path, "--check", harness.out.path])
        #expect(dirty.status == 1)
        #expect(dirty.stdout == "differs: \(harness.out.path)/events.jsonl\n")
        #expect(dirty.stderr.contains("1 of 14 files"))

        try FileManager.default.removeItem(at: eventsURL)
        let missing = try harness.run(["export", "--state-dir", harness.state.path, "--check", harness.out.path])
        #expect(missing.status == 1)
        #expect(missing.stdout == "missing: \(harness.out.path)/events.jsonl\n")

        let again = try harness.run(["export", "--state-dir", harness.state.path, "--out", harness.out.path])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try Data(contentsOf: eventsURL) == events)
        let clean = try harness.run(["export", "--state-dir", harness.state.path, "--check", harness.out.path])
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: harness.out.path)
        #expect(!names.contains { $0.contains(".tmp.") })
    }

    @Test("export onto a directory named events.jsonl")
    func eventsPathIsDirectory() throws {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try harness.addFixtures(["tokenledger/events.jsonl"])
        #expect(try harness.runOnce().status == 0)
        let eventsPath = harness.out.appendingPathComponent("events.jsonl").path
        try FileManager.default.createDirectory(atPath: eventsPath, withIntermediateDirectories: true)

        let export = try harness.run(["export", "--state-dir", harness.state.path, "--out", harness.out.path])
        #expect(export.status == 1)
        #expect(export.stderr.contains("open \(eventsPath) failed: Is a directory"), "\(export.stderr)")
        // Nothing else was written.
        #expect(try FileManager.default.contentsOfDirectory(atPath: harness.out.path) == ["events.jsonl"])
    }
}
