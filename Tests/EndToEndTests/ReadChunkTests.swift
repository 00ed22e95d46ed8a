import Foundation
import LedgerCore
import LedgerStore
import Testing

@testable import LedgerDaemon

/// The ingestor's read loop with reads far shorter than a line, against the default reads.
@Suite("Read chunk sizes")
struct ReadChunkTests {
    static let now: Int64 = 1_796_428_800_000_000_000

    /// Ingests `text` as one spool file with `options` and returns the columns that the read loop
    /// decides of every stored event, quarantine row and file, one line each.
    static func storedRows(_ text: String, options: IngestOptions, name: String = "usage.jsonl") throws -> [String] {
        let harness = try Harness()
        defer { harness.cleanUp() }
        try Data(text.utf8).write(to: harness.spool.appendingPathComponent(name))
        try FileManager.default.createDirectory(at: harness.state, withIntermediateDirectories: true)
        let store = try Store(path: harness.state.appendingPathComponent("tokenledgerd.sqlite3").path)
        let ingestor = Ingestor(store: store, options: options, logger: Logger(level: .critical), clock: { now })
        _ = try ingestor.ingestAll(SpoolScanner(directories: [harness.spool.path]))
        var rows: [String] = []
        for (sql, columns) in [
            (
                "SELECT event_key, provider, model, started_at_ns, line_offset, input_uncached FROM events ORDER BY event_id",
                6
            ),
            (
                """
                SELECT line_offset, line_length, hex(line_hash), reason, detail,
                       sample
                FROM quarantine ORDER BY line_offset
                """, 6
            ),
            ("SELECT committed_offset, hex(tail_hash) FROM files", 2),
        ] {
            let statement = try store.database.makeStatement(sql)
            while try statement.step() {
                rows.append((0..<columns).map { statement.text(Int32($0)) ?? "null" }.joined(separator: "|"))
            }
        }
        return rows
    }

    @Test("short reads store the same rows")
    func shortReads() throws {
        let record = DocumentSpoolTests.usageRecord(start: "2026-11-30T22:00:00Z")
        let second = DocumentSpoolTests.usageRecord(start: "2026-11-30T22:01:00Z")
        // Lines longer than a read, a CRLF line end, a blank line, an invalid line, a line over
        // the length limit between two records, and an unterminated last line.
        let text =
            record + "\r\n\n" + "{not json\n" + String(repeating: "x", count: 2500) + "\n" + second + "\n"
            + DocumentSpoolTests.usageRecord(start: "2026-11-30T22:02:00Z")
        var defaults = IngestOptions()
        defaults.maximumLineLength = 2048
        let expected = try Self.storedRows(text, options: defaults)
        #expect(expected.count == 2 + 2 + 1)
        // The run of x's reads as a credential, so the sample is short and ends in "…" because
        // the line goes on past the bytes examined, whichever read saw its start.
        #expect(expected.contains { $0.hasSuffix("exceeds the limit of 2048|<redacted>…") })
        for readSize in [1, 7, 64, 700, 4096] {
            var options = defaults
            options.readSize = readSize
            #expect(try Self.storedRows(text, options: options) == expected, "read size \(readSize)")
        }
    }

    /// With the default reads, this document passes the limit in its first read, whose bytes must
    /// still give the sample.
    @Test("oversized document sample is read-size independent")
    func oversizedDocument() throws {
        let text = "{\"api_key\": \"" + String(repeating: "k", count: 5000) + "\"}"
        var defaults = IngestOptions()
        defaults.maximumDocumentLength = 2048
        let expected = try Self.storedRows(text, options: defaults, name: "export.json")
        #expect(expected.contains { $0.hasSuffix("|{\"api_key\": \"<redacted>…") })
        for readSize in [7, 700, 1025] {
            var options = defaults
            options.readSize = readSize
            #expect(
                try Self.storedRows(text, options: options, name: "export.json") == expected, "read size \(readSize)")
        }
    }
}
