/// One row of the model benchmark table: one benchmark result of one model.
public struct BenchmarkRow: Sendable, Equatable {
    /// The benchmark name, surrounding whitespace removed; `Input Price` and `Output Price` hold
    /// list prices rather than scores.
    public var benchmark: String
    /// The model name as the table spells it, surrounding whitespace removed.
    public var model: String
    /// The first value of the cell (for prices, the first tier), as text; may be empty.
    public var valuePrimary: String
    /// Whether the table has no value for this benchmark and model.
    public var isMissing: Bool

    /// Creates a row.
    public init(benchmark: String, model: String, valuePrimary: String, isMissing: Bool) {
        self.benchmark = benchmark
        self.model = model
        self.valuePrimary = valuePrimary
        self.isMissing = isMissing
    }
}

/// The model benchmark table (`models_normalized.csv`), in long format: one row per benchmark
/// and model.
///
/// Only the columns the ledger uses are kept: `benchmark`, `model`, `value_primary` and
/// `is_missing`. Other columns may be present and are ignored.
public struct BenchmarkTable: Sendable, Equatable {
    /// The rows in file order.
    public var rows: [BenchmarkRow]

    /// Creates a table from rows.
    public init(rows: [BenchmarkRow]) {
        self.rows = rows
    }

    /// Parses the table from CSV bytes whose first record is the header.
    ///
    /// `benchmark`, `model` and `is_missing` are required columns and `value_primary` is optional.
    /// When a column name repeats, the last one counts, as with Python's `csv.DictReader`.
    /// `is_missing` is an integer, and any value other than 0 means missing.
    /// - Throws: ``LedgerInputError`` with code `invalidCSV`, `missingColumn` or `invalidRecord`.
    public init(csv bytes: some Collection<UInt8>) throws(LedgerInputError) {
        let table = try CSVReader.table(in: bytes)
        guard table.recordCount > 0 else {
            self.rows = []
            return
        }
        let headerLine = table.line(ofRecord: 0)
        var columns: [String: Int] = [:]
        for position in 0..<table.fieldCount(ofRecord: 0) {
            columns[table.field(position, ofRecord: 0)] = position
        }
        func requireColumn(_ name: String) throws(LedgerInputError) -> Int {
            guard let position = columns[name] else {
                throw LedgerInputError(
                    code: .missingColumn,
                    message: "the header has no \(name) column; expected benchmark, model, value_primary, is_missing",
                    line: headerLine
                )
            }
            return position
        }
        let benchmarkColumn = try requireColumn("benchmark")
        let modelColumn = try requireColumn("model")
        let isMissingColumn = try requireColumn("is_missing")
        let valueColumn = columns["value_primary"]

        // Only the four columns the ledger reads are decoded into strings.
        var rows: [BenchmarkRow] = []
        rows.reserveCapacity(table.recordCount - 1)
        for record in 1..<table.recordCount {
            let fieldCount = table.fieldCount(ofRecord: record)
            let line = table.line(ofRecord: record)
            func requireCell(_ position: Int, _ name: String) throws(LedgerInputError) -> String {
                guard position < fieldCount else {
                    throw LedgerInputError(
                        code: .invalidRecord,
                        message: "the record has \(fieldCount) fields and no \(name) value",
                        line: line
                    )
                }
                return table.field(position, ofRecord: record)
            }
            let benchmark = try requireCell(benchmarkColumn, "benchmark")
            let model = try requireCell(modelColumn, "model")
            let isMissingText = try requireCell(isMissingColumn, "is_missing")
            guard let isMissing = Self.parseInteger(isMissingText).map({ $0 != 0 }) else {
                throw LedgerInputError(
                    code: .invalidRecord,
                    message: "is_missing is \"\(isMissingText.prefix(40))\", not an integer; use 0 or 1",
                    line: line
                )
            }
            var valuePrimary = ""
            if let valueColumn, valueColumn < fieldCount {
                valuePrimary = table.field(valueColumn, ofRecord: record)
            }
            rows.append(
                BenchmarkRow(
                    benchmark: LedgerSlug.stripPythonWhitespace(benchmark),
                    model: LedgerSlug.stripPythonWhitespace(model),
                    valuePrimary: valuePrimary,
                    isMissing: isMissing
                )
            )
        }
        self.rows = rows
    }

    /// Parses an optionally signed decimal integer with surrounding whitespace, as Python's
    /// `int()` accepts it (digit-group underscores aside).
    private static func parseInteger(_ text: String) -> Int? {
        Int(LedgerSlug.stripPythonWhitespace(text))
    }
}
