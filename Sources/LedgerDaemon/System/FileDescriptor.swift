import Glibc

/// An open file descriptor, closed when the value is released.
public final class FileDescriptor {
    /// The raw descriptor.
    public let rawValue: Int32
    /// The path it was opened at, for messages.
    public let path: String

    /// Opens `path` with `flags` (`O_CLOEXEC` is always added).
    /// - Throws: ``SystemError`` naming the path.
    public init(path: String, flags: Int32, mode: mode_t = 0o600) throws(SystemError) {
        let descriptor = retryingOnInterrupt { open(path, flags | O_CLOEXEC, mode) }
        guard descriptor >= 0 else { throw SystemError(call: "open", path: path) }
        self.rawValue = descriptor
        self.path = path
    }

    deinit {
        close(rawValue)
    }

    /// The descriptor's `stat`.
    public func status() throws(SystemError) -> stat {
        var info = stat()
        guard fstat(rawValue, &info) == 0 else { throw SystemError(call: "fstat", path: path) }
        return info
    }

    /// Reads up to `buffer.count` bytes at `offset`; returns the count, `0` at end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SystemError) -> Int {
        let count = retryingOnInterrupt { pread(rawValue, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard count >= 0 else { throw SystemError(call: "pread", path: path) }
        return count
    }

    /// Reads exactly `count` bytes at `offset`, fewer only at end of file.
    public func readBytes(count: Int, at offset: Int64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let read = try bytes.withUnsafeMutableBytes { buffer in
                try self.read(
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]), at: offset + Int64(filled))
            }
            if read == 0 { break }
            filled += read
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    /// Writes all of `bytes` at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        var written = 0
        while written < bytes.count {
            let count = retryingOnInterrupt {
                Glibc.write(rawValue, bytes.baseAddress! + written, bytes.count - written)
            }
            guard count >= 0 else { throw SystemError(call: "write", path: path) }
            written += count
        }
    }

    /// Flushes the file's data and metadata to the disk.
    public func sync() throws(SystemError) {
        guard retryingOnInterrupt({ fsync(rawValue) }) == 0 else { throw SystemError(call: "fsync", path: path) }
    }
}
