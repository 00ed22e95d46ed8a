import LedgerStore

/// Device and inode of a file.
struct SpoolFileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
}

/// The identity, times, size and compression of an open spool file, read before its content.
struct OpenedSpoolFile {
    var file: FileDescriptor
    var identity: SpoolFileIdentity
    var birthNanoseconds: Int64?
    var modifiedNanoseconds: Int64
    /// The size on disk, compressed for gzip.
    var size: Int64
    var compression: FileRecord.Compression
}
