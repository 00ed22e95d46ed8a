/// Temporary files that a ``DistinctKeyCounter`` moves keys to once they pass its memory limit.
///
/// The core does no I/O itself, so the caller supplies the files: the daemon creates them in a
/// directory on disk, tests may keep them in memory.
public protocol SpillStorage {
    /// Creates an empty temporary file, removed at the latest when the returned value is released.
    /// - Throws: the storage's own error when no file can be created, such as a full disk.
    func makeFile() throws -> any SpillFile
}

/// One temporary file of a ``SpillStorage``: appended to, then read.
public protocol SpillFile: AnyObject {
    /// Appends `bytes` at the end of the file.
    /// - Throws: the storage's own error when not every byte could be written.
    func append(_ bytes: UnsafeRawBufferPointer) throws

    /// Reads up to `buffer.count` bytes at `offset`; returns the count, 0 at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int
}

/// A spill file that ended in the middle of a record, which no file written by
/// ``DistinctKeyCounter`` does unless something else truncated it.
public struct SpillFileError: Error, Sendable, CustomStringConvertible {
    /// The file's size in bytes.
    public var size: Int

    public var description: String {
        "a temporary file of the fold ended inside a record after \(size) bytes; run the fold again"
    }
}
