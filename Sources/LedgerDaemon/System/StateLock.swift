import Glibc

/// An exclusive lock on the state directory, so that two daemons never share one store.
final class StateLock {
    private let descriptor: FileDescriptor

    init(directory: String) throws {
        let path = FilePath.join(directory, "lock")
        descriptor = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT, mode: 0o600)
        guard flock(descriptor.rawValue, LOCK_EX | LOCK_NB) == 0 else {
            if errno == EWOULDBLOCK {
                throw UsageError(
                    "run: another tokenledgerd holds the state directory '\(directory)'; stop it or use another "
                        + "--state-dir")
            }
            throw SystemError(call: "flock", path: path)
        }
    }
}
