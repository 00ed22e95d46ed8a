/// The benchmark counts and list prices of one model of a ``BenchmarkTable``.
struct BenchmarkStatistics {
    /// The benchmarks that hold list prices, not scores; "prior" counts leave them out.
    static let priceBenchmarks: Set<String> = ["Input Price", "Output Price"]
    /// Slugs of `value_primary` text that means "no value".
    static let missingValueSlugs: Set<String> = ["", "na", "null"]

    var sourceModel: String
    var rowsTotal = 0
    var rowsNonMissing = 0
    var rowsMissing = 0
    var priorRowsTotal = 0
    var priorRowsNonMissing = 0
    var priorRowsMissing = 0
    var benchmarks: Set<ExactName> = []
    var benchmarksNonMissing: Set<ExactName> = []
    var inputUSDPerMTok: LedgerDecimal?
    var outputUSDPerMTok: LedgerDecimal?

    init(sourceModel: String) {
        self.sourceModel = sourceModel
    }

    /// Groups the table's rows by exact model name, in order of each model's first row.
    ///
    /// When a model has several non-missing price rows, the last parseable one counts, as in
    /// tokenledger.
    static func collect(from table: BenchmarkTable) -> [BenchmarkStatistics] {
        var statistics: [BenchmarkStatistics] = []
        var positions: [ExactName: Int] = [:]
        for row in table.rows {
            let key = ExactName(row.model)
            let position: Int
            if let existing = positions[key] {
                position = existing
            } else {
                position = statistics.count
                positions[key] = position
                statistics.append(BenchmarkStatistics(sourceModel: row.model))
            }
            statistics[position].add(row)
        }
        return statistics
    }

    mutating func add(_ row: BenchmarkRow) {
        let benchmark = ExactName(row.benchmark)
        let isPrior = !Self.priceBenchmarks.contains(row.benchmark)
        rowsTotal += 1
        benchmarks.insert(benchmark)
        if row.isMissing {
            rowsMissing += 1
        } else {
            rowsNonMissing += 1
            benchmarksNonMissing.insert(benchmark)
        }
        if isPrior {
            priorRowsTotal += 1
            if row.isMissing {
                priorRowsMissing += 1
            } else {
                priorRowsNonMissing += 1
            }
        }
        // Only the two price benchmarks carry a price, so other rows skip the parse.
        guard !row.isMissing, !isPrior, let price = Self.parsePrice(row.valuePrimary) else { return }
        if row.benchmark == "Input Price" {
            inputUSDPerMTok = price
        } else if row.benchmark == "Output Price" {
            outputUSDPerMTok = price
        }
    }

    /// Parses a list price cell such as `$2.00`, `$1,250.00` or `$4.00 (>200k)`.
    ///
    /// `$` and `,` are removed, every parenthesized note is removed with the whitespace before it,
    /// and the rest must be a decimal literal. Returns `nil` for missing markers (`—`, `n/a`,
    /// `null`, empty) and for text that is not a number.
    static func parsePrice(_ text: String) -> LedgerDecimal? {
        let trimmed = LedgerSlug.stripPythonWhitespace(text)
        guard !missingValueSlugs.contains(LedgerSlug.make(trimmed)) else { return nil }
        var scalars = Array(trimmed.unicodeScalars.filter { $0 != "$" && $0 != "," })
        scalars = removingParenthesizedNotes(scalars)
        let cleaned = LedgerSlug.stripPythonWhitespace(String(String.UnicodeScalarView(scalars)))
        guard !cleaned.isEmpty else { return nil }
        return LedgerDecimal(parsing: cleaned)
    }

    /// Removes each match of the regular expression `\s*\([^)]*\)`, scanning left to right.
    private static func removingParenthesizedNotes(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var output: [Unicode.Scalar] = []
        var index = 0
        while index < scalars.count {
            guard let open = scalars[index...].firstIndex(of: "("),
                let close = scalars[open...].firstIndex(of: ")")
            else {
                output.append(contentsOf: scalars[index...])
                break
            }
            var matchStart = open
            while matchStart > index, LedgerSlug.isPythonWhitespace(scalars[matchStart - 1]) {
                matchStart -= 1
            }
            output.append(contentsOf: scalars[index..<matchStart])
            index = close + 1
        }
        return output
    }
}
