import Foundation
import Testing

@testable import LedgerStore

@Suite("SQLite library configuration")
struct DatabaseConfigurationTests {
    @Test("memory statistics are off")
    func memoryStatisticsOff() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try Database(path: directory.appendingPathComponent("test.sqlite3").path)
        // 0 is SQLITE_OK. SQLITE_MISUSE (21) would mean that SQLite was initialized before.
        #expect(Database.libraryConfiguration == 0)
    }
}
