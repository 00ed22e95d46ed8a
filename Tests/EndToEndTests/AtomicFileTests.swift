import Foundation
import Glibc
import LedgerCore
import Testing

@testable import LedgerDaemon

/// Replacing a directory's files together: what is written, what is kept, and what a failure
/// leaves behind.
@Suite("Atomic file sets")
struct AtomicFileTests {
    /// Creates an empty directory and returns its path. The caller removes it.
    static func makeDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "atomic-files-\(UUID().uuidString)"
        ).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        return path
    }

    /// Returns each entry of `directory` sorted by name, a file as `name=contents`, a directory as
    /// `name/`.
    static func listing(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).sorted().map { name in
            let path = FilePath.join(directory, name)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if isDirectory.boolValue { return name + "/" }
            return name + "=" + (try String(contentsOfFile: path, encoding: .utf8))
        }
    }

    static func inode(_ path: String) -> UInt {
        var info = stat()
        return stat(path, &info) == 0 ? UInt(info.st_ino) : 0
    }

    @Test("writes changed files, keeps the rest")
    func writesChangedFiles() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = [
            LedgerFile(name: "a.csv", contents: "a1"), LedgerFile(name: "b.csv", contents: ""),
            LedgerFile(name: "manifest.json", contents: "{\"n\":1}"),
        ]
        #expect(try AtomicFile.writeChanged(first, into: directory) == ["a.csv", "b.csv", "manifest.json"])
        #expect(try Self.listing(directory) == ["a.csv=a1", "b.csv=", "manifest.json={\"n\":1}"])

        let keptInode = Self.inode(FilePath.join(directory, "a.csv"))
        let second = [
            LedgerFile(name: "a.csv", contents: "a1"), LedgerFile(name: "b.csv", contents: "b2"),
            LedgerFile(name: "manifest.json", contents: "{\"n\":2}"),
        ]
        #expect(try AtomicFile.writeChanged(second, into: directory) == ["b.csv", "manifest.json"])
        #expect(try Self.listing(directory) == ["a.csv=a1", "b.csv=b2", "manifest.json={\"n\":2}"])
        // An unchanged file is not rewritten, so it keeps its inode.
        #expect(Self.inode(FilePath.join(directory, "a.csv")) == keptInode)
        #expect(try AtomicFile.writeChanged(second, into: directory) == [])
    }

    @Test("failed write replaces no file")
    func failedWriteReplacesNothing() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.writeChanged(
            [LedgerFile(name: "a.csv", contents: "old a"), LedgerFile(name: "c.csv", contents: "old c")],
            into: directory)
        // A directory where b.csv's temporary file would go makes opening it fail.
        let blocker = AtomicFile.temporaryPath(for: FilePath.join(directory, "b.csv"))
        try FileManager.default.createDirectory(atPath: blocker, withIntermediateDirectories: false)

        let files = [
            LedgerFile(name: "a.csv", contents: "new a"), LedgerFile(name: "b.csv", contents: "new b"),
            LedgerFile(name: "c.csv", contents: "new c"),
        ]
        #expect(throws: SystemError.self) { try AtomicFile.writeChanged(files, into: directory) }
        // The temporary file of a.csv, written before the failure, is removed. None was made for c.csv.
        #expect(
            try Self.listing(directory) == ["a.csv=old a", "b.csv.tmp.\(getpid())/", "c.csv=old c"])
    }

    @Test("directory in the way replaces no file")
    func directoryInTheWay() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.writeChanged([LedgerFile(name: "a.csv", contents: "old a")], into: directory)
        // A directory that is not empty cannot be replaced by a file, so its rename would fail.
        try FileManager.default.createDirectory(
            atPath: FilePath.join(directory, "b.csv/inner"), withIntermediateDirectories: true)

        let files = [
            LedgerFile(name: "a.csv", contents: "new a"), LedgerFile(name: "b.csv", contents: "new b"),
            LedgerFile(name: "c.csv", contents: "new c"),
        ]
        let error = try #require(throws: SystemError.self) { try AtomicFile.writeChanged(files, into: directory) }
        #expect(error.errno == EISDIR)
        #expect(error.path == FilePath.join(directory, "b.csv"))
        #expect(try Self.listing(directory) == ["a.csv=old a", "b.csv/"])
    }

    @Test("failed rename keeps earlier files")
    func failedRenameKeepsEarlierFiles() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = [
            LedgerFile(name: "a.csv", contents: "new a"), LedgerFile(name: "b.csv", contents: "new b"),
            LedgerFile(name: "c.csv", contents: "new c"),
        ]
        // A directory made after the checks fails the rename of c.csv.
        #expect(throws: SystemError.self) {
            try AtomicFile.writeChanged(files, into: directory) {
                try FileManager.default.createDirectory(
                    atPath: FilePath.join(directory, "c.csv/inner"), withIntermediateDirectories: true)
            }
        }
        #expect(try Self.listing(directory) == ["a.csv=new a", "b.csv=new b", "c.csv/"])
    }

    @Test("runs beforeRenames between writes and renames")
    func beforeRenamesOrder() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.writeChanged([LedgerFile(name: "a.csv", contents: "old a")], into: directory)
        let files = [LedgerFile(name: "a.csv", contents: "new a"), LedgerFile(name: "b.csv", contents: "new b")]
        let pid = getpid()

        var seen: [String] = []
        try AtomicFile.writeChanged(files, into: directory) { seen = try Self.listing(directory) }
        // Both temporary files were flushed and nothing was renamed yet.
        #expect(seen == ["a.csv=old a", "a.csv.tmp.\(pid)=new a", "b.csv.tmp.\(pid)=new b"])
        #expect(try Self.listing(directory) == ["a.csv=new a", "b.csv=new b"])
    }

    @Test("beforeRenames failure replaces no file")
    func beforeRenamesFailure() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try AtomicFile.writeChanged([LedgerFile(name: "a.csv", contents: "old a")], into: directory)
        let files = [LedgerFile(name: "a.csv", contents: "new a"), LedgerFile(name: "b.csv", contents: "new b")]

        #expect(throws: SystemError.self) {
            try AtomicFile.writeChanged(files, into: directory) {
                throw SystemError(call: "rename", path: "events.jsonl", errno: EIO)
            }
        }
        #expect(try Self.listing(directory) == ["a.csv=old a"])
    }

    @Test("removes stale temporaries of unchanged files")
    func staleTemporariesOfUnchangedFiles() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = [LedgerFile(name: "a.csv", contents: "a"), LedgerFile(name: "manifest.json", contents: "{}")]
        try AtomicFile.writeChanged(files, into: directory)
        // A process that has exited, as after a crash between the writes and the renames.
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let dead = exited.processIdentifier
        for leftover in ["a.csv.tmp.\(dead)", "manifest.json.tmp.\(dead)", "a.csv.tmp.1", "other.csv.tmp.\(dead)"] {
            #expect(
                FileManager.default.createFile(atPath: FilePath.join(directory, leftover), contents: Data("x".utf8)))
        }

        #expect(try AtomicFile.writeChanged(files, into: directory) == [])
        // Process 1 is running, and other.csv is not one of the files written.
        #expect(
            try Self.listing(directory) == [
                "a.csv=a", "a.csv.tmp.1=x", "manifest.json={}", "other.csv.tmp.\(dead)=x",
            ])
    }
}
