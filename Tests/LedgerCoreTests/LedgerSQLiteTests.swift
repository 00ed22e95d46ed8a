import Foundation
import LedgerCore
import Testing

/// The SQLite command-line shell the tests run.
private let sqliteShellPath = "/usr/bin/sqlite3"

/// Loads the generated SQL into the `sqlite3` command-line shell and compares the Pareto view with
/// the Pareto CSV.
@Suite("Ledger SQL in SQLite", .enabled(if: FileManager.default.isExecutableFile(atPath: sqliteShellPath)))
struct LedgerSQLiteTests {

    @Test("seed loads expected row counts")
    func seedRowCounts() throws {
        let files = try LedgerFixtures.builder().makeFiles(runtimeMetrics: [])
        let output = try Self.runSQL(
            Self.script(files)
                + "SELECT COUNT(*) FROM unified_model_provider_ledger;\n"
                + "SELECT COUNT(*) FROM benchmark_priors_aggregation;\n"
                + "SELECT COUNT(*) FROM unified_model_provider_pareto_view;\n"
        )
        #expect(output == ["56", "13", "56"])
    }

    @Test("view matches CSV without runtime")
    func viewMatchesCSVWithoutRuntime() throws {
        let files = try LedgerFixtures.builder().makeFiles(runtimeMetrics: [])
        let mismatches = try Self.scoreMismatches(script: Self.script(files), files: files)
        #expect(mismatches.checked == 56)
        #expect(mismatches.rows.isEmpty, "rows whose view score differs: \(mismatches.rows)")
    }

    @Test("view matches CSV with runtime")
    func viewMatchesCSVWithRuntime() throws {
        let metrics = LedgerRuntimeSamples.metrics
        let files = try LedgerFixtures.builder().makeFiles(runtimeMetrics: metrics)
        var script = Self.script(files)
        for metric in RuntimeMetricRow.normalized(metrics) {
            let values = [
                Self.quote(metric.provider),
                Self.quote(metric.model),
                metric.latencyMilliseconds.map { String($0) } ?? "NULL",
                metric.qualityScore.map { String($0) } ?? "NULL",
                Self.quote(metric.sourcePath),
            ]
            script += "INSERT INTO cliproxyapi_runtime_metrics_snapshot VALUES (\(values.joined(separator: ", ")));\n"
        }
        let mismatches = try Self.scoreMismatches(script: script, files: files)
        #expect(mismatches.checked == 56)
        #expect(mismatches.rows.isEmpty, "rows whose view score differs: \(mismatches.rows)")

        let joined = try Self.runSQL(
            script
                + "SELECT printf('%.6f', pareto_score) FROM unified_model_provider_pareto_view "
                + "WHERE ledger_row_id = 30;\n"
        )
        #expect(joined == ["55.642337"])
    }

    @Test("hand-written table view matches CSV")
    func handWrittenTable() throws {
        let metrics = [
            RuntimeMetricRow(
                provider: "stepfun", model: "step", latencyMilliseconds: 12.5, qualityScore: 1, sourcePath: "s"),
            RuntimeMetricRow(
                provider: "claude", model: "claude-sonnet-4-5", latencyMilliseconds: 900, qualityScore: nil,
                sourcePath: "s"),
        ]
        let files = try LedgerMappingTests.builder().makeFiles(runtimeMetrics: metrics)
        var script = Self.script(files)
        for metric in RuntimeMetricRow.normalized(metrics) {
            let latency = metric.latencyMilliseconds.map { String($0) } ?? "NULL"
            let quality = metric.qualityScore.map { String($0) } ?? "NULL"
            script +=
                "INSERT INTO cliproxyapi_runtime_metrics_snapshot VALUES "
                + "(\(Self.quote(metric.provider)), \(Self.quote(metric.model)), \(latency), \(quality), 's');\n"
        }
        let counts = try Self.runSQL(
            script + "SELECT COUNT(*) FROM unified_model_provider_ledger WHERE source_model = 'O''Brien, Large';\n"
        )
        #expect(counts == ["1"])
        let mismatches = try Self.scoreMismatches(script: script, files: files)
        #expect(mismatches.checked == 11)
        #expect(mismatches.rows.isEmpty, "rows whose view score differs: \(mismatches.rows)")
    }

    @Test("reference view disagrees on 29 rows")
    func referenceViewDisagrees() throws {
        let names = [LedgerFile.ledgerSchemaName, LedgerFile.ledgerSeedName, LedgerFile.paretoViewName]
        var script = ""
        for name in names {
            script += String(decoding: try LedgerFixtures.expectedBytes(name), as: UTF8.self) + "\n"
        }
        let reference = [
            LedgerFile(
                name: LedgerFile.paretoCSVName,
                contents: String(decoding: try LedgerFixtures.expectedBytes(LedgerFile.paretoCSVName), as: UTF8.self)
            )
        ]
        let mismatches = try Self.scoreMismatches(script: script, files: reference)
        #expect(mismatches.checked == 56)
        #expect(mismatches.rows.count == 29)
    }

    /// Schema, seed and view, in the order a user loads them.
    static func script(_ files: [LedgerFile]) -> String {
        [LedgerFile.ledgerSchemaName, LedgerFile.ledgerSeedName, LedgerFile.paretoViewName]
            .compactMap { name in files.first { $0.name == name }?.contents }
            .joined(separator: "\n")
    }

    /// Compares each view score, rounded to six decimals, with the CSV's `pareto_score`.
    static func scoreMismatches(script: String, files: [LedgerFile]) throws -> (checked: Int, rows: [String]) {
        let records = try LedgerFixtures.csvRecords(of: LedgerFile.paretoCSVName, in: files)
        var csvScores: [String: String] = [:]
        for record in records.dropFirst() {
            csvScores[record[0]] = record[3]
        }
        let output = try runSQL(
            script
                + "SELECT ledger_row_id || '|' || printf('%.17g', pareto_score) "
                + "FROM unified_model_provider_pareto_view ORDER BY ledger_row_id;\n"
        )
        var checked = 0
        var mismatched: [String] = []
        for line in output {
            let parts = line.split(separator: "|").map(String.init)
            guard parts.count == 2, let viewScore = Double(parts[1]), let csvText = csvScores[parts[0]],
                let csvScore = Double(csvText)
            else {
                mismatched.append(line)
                continue
            }
            checked += 1
            let viewRounded = String(format: "%.6f", viewScore)
            let csvRounded = String(format: "%.6f", csvScore)
            if viewRounded != csvRounded {
                mismatched.append("\(parts[0]): view \(viewRounded), CSV \(csvRounded)")
            }
        }
        return (checked, mismatched)
    }

    /// Runs `sql` in a fresh in-memory database and returns the output lines.
    static func runSQL(_ sql: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: sqliteShellPath)
        process.arguments = ["-batch", "-bail", ":memory:"]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errorText = String(decoding: errorData, as: UTF8.self)
        #expect(process.terminationStatus == 0, "sqlite3 failed: \(errorText)")
        #expect(errorText.isEmpty, "sqlite3 wrote to stderr: \(errorText)")
        return String(decoding: outputData, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func quote(_ text: String) -> String {
        "'" + text.replacing("'", with: "''") + "'"
    }
}
