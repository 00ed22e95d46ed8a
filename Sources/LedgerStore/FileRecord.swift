import LedgerCore

/// The store's row for one tracked spool file identity.
public struct FileRecord: Sendable, Equatable {
    /// The life-cycle state of a tracked file.
    public enum State: String, Sendable {
        /// Present at its path and possibly still growing.
        case active
        /// Renamed away from the path it was first seen at.
        case rotated
        /// Fully read and no longer expected to grow.
        case finished
        /// No longer present in the spool.
        case vanished
    }

    /// How a spool file's bytes are stored.
    public enum Compression: String, Sendable {
        case none
        /// One or more gzip members.
        case gzip
    }

    /// The row id; `0` before the row is first stored.
    public var fileID: Int64
    /// The path the file was last seen at.
    public var path: String
    /// `st_dev` of the file.
    public var device: UInt64
    /// `st_ino` of the file.
    public var inode: UInt64
    /// The file's birth time in nanoseconds since the epoch, when the filesystem reports one; it
    /// distinguishes a reused inode from the file that had it before.
    public var birthNanoseconds: Int64?
    /// The file's modification time when last read, in nanoseconds since the epoch.
    public var modifiedNanoseconds: Int64
    /// How the file's bytes are stored; offsets and hashes are over the decompressed bytes.
    public var compression: Compression
    /// The file size on disk when last read, in bytes.
    public var size: Int64
    /// The offset just past the last committed line, in bytes; always just after a `\n`.
    public var committedOffset: Int64
    /// How many leading bytes `headHash` covers.
    public var headLength: Int64
    /// SHA-256 of the first `headLength` bytes, which identifies the file's content.
    public var headHash: [UInt8]
    /// SHA-256 of the bytes just before `committedOffset`, which detects rewrites behind it.
    public var tailHash: [UInt8]?
    /// The file's state.
    public var state: State

    /// Creates a record.
    public init(
        fileID: Int64 = 0, path: String, device: UInt64, inode: UInt64, birthNanoseconds: Int64? = nil,
        modifiedNanoseconds: Int64 = 0, compression: Compression = .none, size: Int64, committedOffset: Int64,
        headLength: Int64, headHash: [UInt8], tailHash: [UInt8]?, state: State
    ) {
        self.fileID = fileID
        self.path = path
        self.device = device
        self.inode = inode
        self.birthNanoseconds = birthNanoseconds
        self.modifiedNanoseconds = modifiedNanoseconds
        self.compression = compression
        self.size = size
        self.committedOffset = committedOffset
        self.headLength = headLength
        self.headHash = headHash
        self.tailHash = tailHash
        self.state = state
    }
}

/// A line that could not become an event, ready to be stored in the quarantine table.
public struct QuarantineRow: Sendable, Equatable {
    /// The byte offset of the line in its file.
    public var lineOffset: Int64
    /// The line's length in bytes, without its newline.
    public var lineLength: Int64
    /// SHA-256 of the line's bytes, so the same bad line read twice is stored once.
    public var lineHash: [UInt8]
    /// A stable reason code, such as `invalid_json`.
    public var reason: String
    /// What was wrong, naming the field.
    public var detail: String
    /// A redacted sample of the line.
    public var sample: String

    /// Creates a row.
    public init(lineOffset: Int64, lineLength: Int64, lineHash: [UInt8], reason: String, detail: String, sample: String)
    {
        self.lineOffset = lineOffset
        self.lineLength = lineLength
        self.lineHash = lineHash
        self.reason = reason
        self.detail = detail
        self.sample = sample
    }
}

/// An event with the position of the line it came from.
public struct PositionedEvent: Sendable {
    /// The event.
    public var event: CanonicalEvent
    /// The byte offset of its line.
    public var lineOffset: Int64
    /// The cost to store with the event; `nil` stores it unpriced, for a fold to price.
    public var cost: RecordedCost? = nil

    /// Creates an unpriced positioned event.
    ///
    /// `cost` gets its default value, because the Swift 6.3 optimizer left a copy of the whole
    /// event, with a retain and a release of each string, in an initializer that assigned `cost`.
    public init(event: CanonicalEvent, lineOffset: Int64) {
        self.event = event
        self.lineOffset = lineOffset
    }

    /// Creates a positioned event with the cost to store.
    public init(event: CanonicalEvent, lineOffset: Int64, cost: RecordedCost?) {
        self.event = event
        self.lineOffset = lineOffset
        self.cost = cost
    }
}
