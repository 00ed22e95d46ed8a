/// A spool file that cannot be read as it should.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable {
        /// A gzip file is damaged or ends before its committed offset.
        case decompressionFailed = "decompression_failed"
    }

    /// The kind of failure.
    public var code: Code
    /// The spool file.
    public var path: String
    /// What failed, with the offset when one is known.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
