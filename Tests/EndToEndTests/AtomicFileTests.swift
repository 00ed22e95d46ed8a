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

    @Test("failed rename keeps earlier files")
    func failedRenameKeepsEarlierFiles() throws {
        let directory = try Self.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A directory that is not empty cannot be replaced by a file.
        try FileManager.default.createDirectory(
            atPath: FilePath.join(directory, "b.csv/inner"), withIntermediateDirectories: true)

        let files = [
            LedgerFile(name: "a.csv", contents: "new a"), LedgerFile(name: "b.csv", contents: "new b"),
            LedgerFile(name: "c.csv", contents: "new c"),
        ]
        #expect(throws: SystemError.self) { try AtomicFile.writeChanged(files, into: directory) }
        #expect(try Self.listing(directory) == ["a.csv=new a", "b.csv/"])
    }
}
