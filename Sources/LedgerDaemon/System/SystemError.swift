import Glibc

/// A failed system call, with the path it concerned and the `errno` it set.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    /// The call that failed, such as `open`.
    public var call: String
    /// The path the call concerned, when there was one.
    public var path: String?
    /// The `errno` value.
    public var errno: Int32

    /// Creates an error from the current `errno`.
    public init(call: String, path: String? = nil, errno: Int32 = Glibc.errno) {
        self.call = call
        self.path = path
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        if let path {
            return "\(call) \(path) failed: \(reason) (errno \(errno))"
        }
        return "\(call) failed: \(reason) (errno \(errno))"
    }
}

/// Calls `body` again while it fails with `EINTR`.
@inline(__always)
func retryingOnInterrupt<T: FixedWidthInteger>(_ body: () -> T) -> T {
    while true {
        let result = body()
        if result == -1 && errno == EINTR {
            continue
        }
        return result
    }
}
