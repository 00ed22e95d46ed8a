import Glibc
import LedgerCore

/// A file produced in pieces, hashed with SHA-256 and compared with the file already at its path.
///
/// When writing, the bytes go to a temporary file beside the path, which ``commit()`` flushes and
/// renames over the path, so readers see the old file or the new one, never a mix. When the new
/// bytes equal the existing file's, ``commit()`` removes the temporary file instead and leaves the
/// existing file as it is. When only checking, nothing is written. Memory stays at two buffers of
/// ``bufferSize`` bytes whatever the file's size.
final class StreamedFile {
    /// Bytes gathered before each write and comparison.
    static let bufferSize = 1 << 20

    /// The path of the file produced.
    let path: String
    private let temporaryPath: String
    private var temporary: FileDescriptor?
    private let existing: FileDescriptor?
    private var buffer: [UInt8] = []
    private var existingBytes: [UInt8]
    private var hasher = SHA256()
    /// Bytes flushed so far.
    private var length: Int64 = 0
    /// Whether every byte flushed so far equals the existing file's byte at the same offset.
    private var isEqualSoFar: Bool

    /// Opens the existing file at `path` for comparison, if any, and when `writing`, creates the
    /// temporary file beside it.
    /// - Throws: ``SystemError`` when `path` is a directory or the temporary file cannot be created.
    init(path: String, writing: Bool) throws {
        self.path = path
        temporaryPath = AtomicFile.temporaryPath(for: path)
        existing = try? FileDescriptor(path: path, flags: O_RDONLY)
        if let existing, let info = try? existing.status(), info.st_mode & S_IFMT == S_IFDIR {
            throw SystemError(call: "open", path: path, errno: EISDIR)
        }
        isEqualSoFar = existing != nil
        existingBytes = [UInt8](repeating: 0, count: existing == nil ? 0 : Self.bufferSize)
        buffer.reserveCapacity(Self.bufferSize)
        if writing {
            AtomicFile.removeStaleTemporaries(of: path)
            temporary = try FileDescriptor(path: temporaryPath, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o644)
        }
    }

    deinit {
        if temporary != nil {
            unlink(temporaryPath)
        }
    }

    /// Appends `bytes`.
    func append(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.bufferSize {
            try flush()
        }
    }

    /// Flushes the last bytes and returns the whole file's SHA-256 as 64 lowercase hex digits, and
    /// whether the existing file at ``path`` has exactly these bytes.
    func finish() throws -> (sha256: String, isUnchanged: Bool) {
        try flush()
        if isEqualSoFar, let existing {
            isEqualSoFar = Int64(try existing.status().st_size) == length
        }
        return (HexEncoding.encode(hasher.finalize()), isEqualSoFar)
    }

    /// Replaces the file at ``path`` with the bytes written, unless it already has them. Call it
    /// after ``finish()``; without a call, the temporary file is removed when the value is released.
    /// - Throws: ``SystemError``; the temporary file is removed on failure.
    func commit() throws {
        guard let file = temporary else { return }
        temporary = nil
        if isEqualSoFar {
            unlink(temporaryPath)
            return
        }
        do {
            try file.sync()
        } catch {
            unlink(temporaryPath)
            throw error
        }
        try AtomicFile.rename(temporaryPath, over: path)
        AtomicFile.syncDirectory(of: path)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { bytes in
            hasher.update(bytes)
            try temporary?.write(bytes)
            if isEqualSoFar, let existing {
                isEqualSoFar = try Self.matches(bytes, existing, at: length, scratch: &existingBytes)
            }
        }
        length += Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Returns whether `file` has exactly `bytes` at `offset`.
    private static func matches(
        _ bytes: UnsafeRawBufferPointer, _ file: FileDescriptor, at offset: Int64, scratch: inout [UInt8]
    ) throws -> Bool {
        if scratch.count < bytes.count {
            scratch = [UInt8](repeating: 0, count: bytes.count)
        }
        var compared = 0
        while compared < bytes.count {
            let read = try scratch.withUnsafeMutableBytes { buffer in
                try file.read(
                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(bytes.count - compared)]),
                    at: offset + Int64(compared))
            }
            if read == 0 { return false }
            let equal = scratch.withUnsafeBytes { buffer in
                memcmp(buffer.baseAddress!, bytes.baseAddress! + compared, read) == 0
            }
            if !equal { return false }
            compared += read
        }
        return true
    }
}
