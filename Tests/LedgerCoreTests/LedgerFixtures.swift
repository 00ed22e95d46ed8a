import Foundation
import LedgerCore

/// Inputs and expected outputs of the ledger generator, read from the repository.
enum LedgerFixtures {
    /// Loads `ledger/pricing.json`, tokenledger's example pricing file.
    static func pricing() throws -> PricingFile {
        let data = try Data(contentsOf: FixturePaths.packageRoot.appendingPathComponent("ledger/pricing.json"))
        return try PricingFile(json: Array(data))
    }

    /// Loads `ledger/models_normalized.csv`, the model benchmark table.
    static func benchmarks() throws -> BenchmarkTable {
        let url = FixturePaths.packageRoot.appendingPathComponent("ledger/models_normalized.csv")
        return try BenchmarkTable(csv: Array(try Data(contentsOf: url)))
    }

    /// Makes a builder over both inputs.
    static func builder() throws -> LedgerBuilder {
        LedgerBuilder(pricing: try pricing(), benchmarks: try benchmarks())
    }

    /// Reads the bytes tokenledger wrote for `name` from the same inputs without runtime metrics.
    static func expectedBytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: FixturePaths.fixture("tokenledger/expected/\(name)")))
    }

    /// Returns the generated file named `name` as UTF-8 bytes.
    static func bytes(of name: String, in files: [LedgerFile]) -> [UInt8]? {
        files.first { $0.name == name }.map { Array($0.contents.utf8) }
    }

    /// Reads the records of a generated CSV file, header first.
    static func csvRecords(of name: String, in files: [LedgerFile]) throws -> [[String]] {
        guard let bytes = bytes(of: name, in: files) else { return [] }
        return try CSVReader.records(in: bytes).map(\.fields)
    }
}
