import LedgerCore

/// Spill files kept in memory, counting the files made, for tests of the spill path.
final class MemorySpillStorage: SpillStorage {
    /// Files made so far.
    private(set) var fileCount = 0
    /// Bytes appended to all files so far.
    private(set) var bytesWritten = 0
    /// Bytes read from all files so far.
    private(set) var bytesRead = 0
    /// Makes every read return one byte less than the file has, as a truncated file would.
    var dropsLastByte = false
    /// Makes every append fail once this many bytes have been written.
    var capacity = Int.max

    struct FullError: Error, Equatable {}

    func makeFile() throws -> any SpillFile {
        fileCount += 1
        return File(storage: self)
    }

    final class File: SpillFile {
        let storage: MemorySpillStorage
        var bytes: [UInt8] = []

        init(storage: MemorySpillStorage) {
            self.storage = storage
        }

        func append(_ bytes: UnsafeRawBufferPointer) throws {
            guard storage.bytesWritten + bytes.count <= storage.capacity else { throw FullError() }
            self.bytes.append(contentsOf: bytes)
            storage.bytesWritten += bytes.count
        }

        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
            let end = storage.dropsLastByte ? bytes.count - 1 : bytes.count
            let count = max(0, min(buffer.count, end - offset))
            for index in 0..<count {
                buffer[index] = bytes[offset + index]
            }
            storage.bytesRead += count
            return count
        }
    }
}
