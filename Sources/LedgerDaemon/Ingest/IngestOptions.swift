/// Limits that bound the memory and transaction size of ingestion.
public struct IngestOptions: Sendable {
    /// Lines per transaction at most.
    public var batchLines = 2000
    /// Bytes of input per transaction at most.
    public var batchBytes = 4 << 20
    /// Bytes read per `pread` call.
    public var readSize = 1 << 20
    /// Lines longer than this are quarantined as `line_too_long` without being held in memory.
    public var maximumLineLength = 4 << 20
    /// Whole-document (`.json`) files longer than this are quarantined as `line_too_long`.
    public var maximumDocumentLength = 64 << 20
    /// How many leading bytes identify a file's content.
    public var headLength = 4096
    /// How many bytes before the committed offset must be unchanged for the offset to stay valid.
    public var tailLength = 256

    /// Creates the default limits.
    public init() {}
}

/// The counts of one ingestion pass.
public struct IngestSummary: Sendable, Equatable {
    /// Files examined.
    public var files = 0
    /// Complete lines read.
    public var lines = 0
    /// Events stored for the first time.
    public var insertedEvents = 0
    /// Events whose key was already stored, and usage-queue records or accounting events whose
    /// twin from the other channel was already stored (see ``AttemptTwin``).
    public var duplicateEvents = 0
    /// Lines or spans quarantined.
    public var quarantined = 0
    /// Bytes after the last complete line of each file, waiting for their newline.
    public var pendingBytes: Int64 = 0

    /// Creates an empty summary.
    public init() {}
}
