import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

@Suite("Statement binding")
struct StatementBindTests {
    static func temporaryDatabase() throws -> (Database, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try Database(path: directory.appendingPathComponent("test.sqlite3").path)
        try database.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, v)")
        return (database, directory)
    }

    /// Each bound value as SQLite stores it: its type, and its text or hex bytes.
    static func storedValues(_ database: Database) throws -> [String] {
        let select = try database.cachedStatement("SELECT typeof(v), quote(v) FROM t ORDER BY n")
        var values: [String] = []
        while try select.step() {
            values.append("\(select.text(0) ?? "?") \(select.text(1) ?? "?")")
        }
        return values
    }

    @Test("text binds its exact bytes")
    func textBytes() throws {
        let (database, directory) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        let texts: [String?] = ["", "abc", String(repeating: "x", count: 100), "é😀", "a\u{0}b", nil]
        for text in texts {
            insert.reset()
            insert.bind(text, at: 0)
            try insert.run()
        }
        #expect(
            try Self.storedValues(database) == [
                "text ''", "text 'abc'", "text '\(String(repeating: "x", count: 100))'", "text 'é😀'", "text 'a'",
                "null NULL",
            ])
    }

    @Test("row text binds exact bytes")
    func rowText() throws {
        let (database, directory) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        try database.execute("CREATE TABLE r (n INTEGER PRIMARY KEY, a, b, c, k)")
        let insert = try database.cachedStatement("INSERT INTO r (a, b, c, k) VALUES (?, ?, ?, ?)")
        // The second row needs more than the first block, the third fits the grown block.
        let rows: [(String?, String?, String?)] = [
            ("abc", "", nil),
            (String(repeating: "x", count: 3000), String(repeating: "y", count: 3000), "a\u{0}b"),
            ("é😀", String(repeating: "z", count: 5000), "tail"),
        ]
        for (number, row) in rows.enumerated() {
            insert.rewind()
            insert.beginRow()
            insert.bindRowText(row.0, at: 0)
            insert.bindRowText(row.1, at: 1)
            insert.bindRowText(row.2, at: 2)
            insert.bindRowKey(EventKey(high: UInt64(number), low: 0xFF), at: 3)
            try insert.run()
        }
        let select = try database.cachedStatement(
            "SELECT quote(a), quote(b), quote(c), quote(k) FROM r ORDER BY n")
        var stored: [[String]] = []
        while try select.step() {
            stored.append((0..<4).map { select.text(Int32($0)) ?? "?" })
        }
        #expect(
            stored == [
                ["'abc'", "''", "NULL", "X'000000000000000000000000000000FF'"],
                [
                    "'\(String(repeating: "x", count: 3000))'", "'\(String(repeating: "y", count: 3000))'", "'a'",
                    "X'000000000000000100000000000000FF'",
                ],
                [
                    "'é😀'", "'\(String(repeating: "z", count: 5000))'", "'tail'",
                    "X'000000000000000200000000000000FF'",
                ],
            ])
    }

    @Test("event key binds 16 bytes")
    func eventKey() throws {
        let (database, directory) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        insert.bind(EventKey(high: 0x0011_2233_4455_6677, low: 0x8899_AABB_CCDD_EEFF), at: 0)
        try insert.run()
        #expect(try Self.storedValues(database) == ["blob X'00112233445566778899AABBCCDDEEFF'"])
    }

    @Test("rewind keeps the bindings")
    func rewindKeepsBindings() throws {
        let (database, directory) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        insert.bind("kept", at: 0)
        try insert.run()
        insert.rewind()
        try insert.run()
        insert.reset()
        try insert.run()
        #expect(try Self.storedValues(database) == ["text 'kept'", "text 'kept'", "null NULL"])
    }

    @Test("static text binds like row text")
    func staticText() throws {
        let (database, directory) = try Self.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        let texts: [StaticString] = ["", "a", "cliproxyapi.usage_queue", "é😀"]
        for text in texts {
            insert.rewind()
            insert.beginRow()
            insert.bindRowText(text.description, at: 0)
            try insert.run()
            insert.rewind()
            insert.bindStaticText(text, at: 0)
            try insert.run()
        }
        let values = try Self.storedValues(database)
        #expect(values.count == 2 * texts.count)
        for (index, text) in texts.enumerated() {
            #expect(values[2 * index] == "text '\(text)'")
            #expect(values[2 * index + 1] == values[2 * index])
        }
    }

    @Test("stored enumeration texts equal raw values")
    func storedTexts() {
        for shape in SourceShape.allCases {
            #expect(shape.storedText.description == shape.rawValue)
        }
        for status in EventStatus.allCases {
            #expect(status.storedText.description == status.rawValue)
        }
        for state in UsageState.allCases {
            #expect(state.storedText.description == state.rawValue)
        }
        for quality in UsageQuality.allCases {
            #expect(quality.storedText.description == quality.rawValue)
        }
    }
}
