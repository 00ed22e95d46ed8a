/// One generated ledger file: its name and its exact contents.
public struct LedgerFile: Sendable, Equatable {
    /// The unified ledger table, thirty columns, CRLF line ends.
    public static let ledgerCSVName = "unified_model_provider_ledger.csv"
    /// SQLite schema of the ledger and the priors aggregation tables.
    public static let ledgerSchemaName = "unified_model_provider_ledger.schema.sql"
    /// SQLite inserts for both tables.
    public static let ledgerSeedName = "unified_model_provider_ledger.seed.sql"
    /// The runtime metrics snapshot, CRLF line ends.
    public static let runtimeSnapshotName = "cliproxyapi_runtime_metrics_snapshot.csv"
    /// The Pareto table, CRLF line ends.
    public static let paretoCSVName = "unified_model_provider_pareto.csv"
    /// The SQLite runtime table and the Pareto scoring view.
    public static let paretoViewName = "unified_model_provider_pareto.view.sql"

    /// The file name, without directories.
    public var name: String
    /// The file's text; written as UTF-8 it is byte-compatible with tokenledger's file.
    public var contents: String

    /// Creates a file.
    public init(name: String, contents: String) {
        self.name = name
        self.contents = contents
    }
}
