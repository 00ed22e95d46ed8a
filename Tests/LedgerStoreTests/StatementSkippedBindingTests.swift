import Foundation
import LedgerCore
import Testing

@testable import LedgerStore

/// A statement skips binding `NULL` or a static text to a parameter that is bound to it already,
/// so these tests bind `NULL`, static texts and other values in turn, across
/// ``Statement/rewind()`` and ``Statement/reset()``, and check what each row stored.
@Suite("Statement skipped bindings")
struct StatementSkippedBindingTests {
    /// Inserts one row for each of `steps`: rewinds `insert`, lets the step bind, and runs it.
    static func insertRows(_ steps: [(Statement) -> Void], with insert: Statement) throws {
        for step in steps {
            insert.rewind()
            step(insert)
            try insert.run()
        }
    }

    @Test("NULL after a value is bound")
    func nullAfterValue() throws {
        let (database, directory) = try StatementBindTests.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        let steps: [(Statement) -> Void] = [
            { $0.bind(nil as Int64?, at: 0) },
            { $0.bind(Int64(5), at: 0) },
            { $0.bind(nil as Int64?, at: 0) },
            { $0.bind(nil as Int64?, at: 0) },
            { $0.bind("x", at: 0) },
            { $0.bind(nil as String?, at: 0) },
            { $0.bind(1.5 as Double?, at: 0) },
            { $0.bind(nil as Double?, at: 0) },
            { $0.bind([0x01] as [UInt8]?, at: 0) },
            { $0.bind(nil as [UInt8]?, at: 0) },
            { $0.bind(EventKey(high: 0, low: 1), at: 0) },
            { $0.bind(nil as Int?, at: 0) },
            {
                $0.beginRow()
                $0.bindRowText("row", at: 0)
            },
            {
                $0.beginRow()
                $0.bindRowText(nil, at: 0)
            },
            { $0.bindStaticText("static", at: 0) },
            {
                $0.beginRow()
                $0.bindRowText(nil, at: 0)
            },
            {
                $0.beginRow()
                $0.bindRowKey(EventKey(high: 2, low: 3), at: 0)
            },
            { $0.bind(nil as Int64?, at: 0) },
        ]
        try Self.insertRows(steps, with: insert)
        #expect(
            try StatementBindTests.storedValues(database) == [
                "null NULL", "integer 5", "null NULL", "null NULL", "text 'x'", "null NULL", "real 1.5", "null NULL",
                "blob X'01'", "null NULL", "blob X'00000000000000000000000000000001'", "null NULL", "text 'row'",
                "null NULL", "text 'static'", "null NULL", "blob X'00000000000000020000000000000003'", "null NULL",
            ])
    }

    @Test("reset clears a bound value")
    func resetClearsValue() throws {
        let (database, directory) = try StatementBindTests.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        insert.bind(Int64(7), at: 0)
        try insert.run()
        insert.reset()
        try insert.run()
        insert.rewind()
        insert.bind(nil as Int64?, at: 0)
        try insert.run()
        insert.rewind()
        insert.bind(Int64(8), at: 0)
        try insert.run()
        insert.reset()
        insert.bind(nil as Int64?, at: 0)
        try insert.run()
        #expect(
            try StatementBindTests.storedValues(database) == [
                "integer 7", "null NULL", "null NULL", "integer 8", "null NULL",
            ])
    }

    @Test("parameter past 63 binds NULL")
    func parameterPast63() throws {
        let (database, directory) = try StatementBindTests.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let columns = (0..<65).map { "c\($0)" }
        try database.execute("CREATE TABLE wide (n INTEGER PRIMARY KEY, \(columns.joined(separator: ", ")))")
        let insert = try database.cachedStatement(
            "INSERT INTO wide (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: 65).joined(separator: ", ")))"
        )
        for value in [Int64(1), nil, Int64(3), nil, nil] {
            insert.rewind()
            insert.bind(value, at: 63)
            insert.bind(value, at: 64)
            try insert.run()
        }
        let select = try database.cachedStatement("SELECT quote(c63), quote(c64) FROM wide ORDER BY n")
        var stored: [String] = []
        while try select.step() {
            stored.append("\(select.text(0) ?? "?") \(select.text(1) ?? "?")")
        }
        #expect(stored == ["1 1", "NULL NULL", "3 3", "NULL NULL", "NULL NULL"])
    }

    @Test("static text after other values")
    func staticTextAfterValues() throws {
        let (database, directory) = try StatementBindTests.temporaryDatabase()
        defer { try? FileManager.default.removeItem(at: directory) }
        let insert = try database.cachedStatement("INSERT INTO t (v) VALUES (?)")
        let steps: [(Statement) -> Void] = [
            { $0.bindStaticText("a", at: 0) },
            { $0.bindStaticText("a", at: 0) },
            { $0.bind(nil as Int64?, at: 0) },
            { $0.bindStaticText("a", at: 0) },
            { $0.bind("x", at: 0) },
            { $0.bindStaticText("a", at: 0) },
            {
                $0.beginRow()
                $0.bindRowText("y", at: 0)
            },
            { $0.bindStaticText("a", at: 0) },
            { $0.bindStaticText("ab", at: 0) },
            { $0.bindStaticText("a", at: 0) },
            { $0.bind(Int64(4), at: 0) },
            { $0.bindStaticText("a", at: 0) },
            { $0.reset() },
            { $0.bindStaticText("a", at: 0) },
        ]
        try Self.insertRows(steps, with: insert)
        #expect(
            try StatementBindTests.storedValues(database) == [
                "text 'a'", "text 'a'", "null NULL", "text 'a'", "text 'x'", "text 'a'", "text 'y'", "text 'a'",
                "text 'ab'", "text 'a'", "integer 4", "text 'a'", "null NULL", "text 'a'",
            ])
    }
}
