import Glibc
import LedgerCore

/// The directory where a fold writes the distinct request and session ids that pass its memory
/// limit (see ``DistinctKeyCounter``).
///
/// Each file is created under a random name and unlinked at once, so it has no name while the fold
/// uses it. Its space is freed when the fold closes it, and a fold that crashes or is killed
/// leaves nothing behind. A distinct id takes 13 bytes in a file (39 for a wide hex id, more for
/// text), so the 1.4 million ids of the 1 GB benchmark spool take about 22 MB.
struct SpillDirectory: SpillStorage {
    /// The directory, created when the first file is made.
    let path: String

    func makeFile() throws -> any SpillFile {
        do {
            try FilePath.makeDirectories(path)
        } catch {
            throw FoldSpillError(directory: path, reason: "\(error)")
        }
        // A random name opened with O_EXCL, as mkstemp(3) does, but with O_CLOEXEC set atomically.
        var descriptor: Int32 = -1
        var name = ""
        for _ in 0..<16 {
            name = FilePath.join(path, ".tokenledgerd-fold-" + String(UInt64.random(in: 0...UInt64.max), radix: 16))
            descriptor = retryingOnInterrupt { open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            throw FoldSpillError(directory: path, failure: SystemError(call: "open", path: name))
        }
        guard unlink(name) == 0 else {
            let failure = SystemError(call: "unlink", path: name)
            close(descriptor)
            throw FoldSpillError(directory: path, failure: failure)
        }
        return SpillDirectoryFile(descriptor: descriptor, directory: path)
    }
}

/// An open, unlinked temporary file, closed when the value is released.
final class SpillDirectoryFile: SpillFile {
    let descriptor: Int32
    let directory: String

    init(descriptor: Int32, directory: String) {
        self.descriptor = descriptor
        self.directory = directory
    }

    deinit {
        close(descriptor)
    }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let count = retryingOnInterrupt {
                write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            }
            guard count >= 0 else { throw FoldSpillError(directory: directory, failure: SystemError(call: "write")) }
            written += count
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        let count = retryingOnInterrupt { pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset)) }
        guard count >= 0 else { throw FoldSpillError(directory: directory, failure: SystemError(call: "pread")) }
        return count
    }
}

/// A temporary file of the fold that could not be created, written or read, such as on a full disk.
public struct FoldSpillError: Error, Sendable, CustomStringConvertible {
    /// The directory of the temporary files.
    public var directory: String
    /// The failed call and its reason, such as `write failed: No space left on device (errno 28)`.
    public var reason: String

    init(directory: String, reason: String) {
        self.directory = directory
        self.reason = reason
    }

    init(directory: String, failure: SystemError) {
        self.init(directory: directory, reason: failure.description)
    }

    public var description: String {
        "the fold's temporary file in \(directory) failed: \(reason); the fold writes distinct request and "
            + "session ids there once they pass its memory limit, so make room in that directory and fold again"
    }
}
