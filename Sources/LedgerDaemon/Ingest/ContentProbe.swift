import LedgerStore

/// The bytes that identify a spool file's content: its first bytes and the bytes just before an
/// offset, both counted in content bytes (decompressed for gzip).
struct ContentProbe {
    /// The first `headLength` content bytes, or all of them when the content is shorter.
    var head: [UInt8]
    /// The `tailLength` content bytes before the offset, or fewer near the start.
    var tail: [UInt8]
    /// How many content bytes were available, at least up to the offset when the content reaches it.
    var length: Int64

    /// Reads the head and the bytes before `offset`.
    init(opened: OpenedSpoolFile, offset: Int64, options: IngestOptions) throws {
        switch opened.compression {
        case .none:
            head = try opened.file.readBytes(count: Int(min(opened.size, Int64(options.headLength))), at: 0)
            let start = max(0, min(offset, opened.size) - Int64(options.tailLength))
            tail = try opened.file.readBytes(count: Int(min(offset, opened.size) - start), at: start)
            length = opened.size
        case .gzip:
            // Decompress from the start up to what both the head and the tail need.
            let source = try GzipSource(file: opened.file, skipping: 0)
            let wanted = max(Int64(options.headLength), offset)
            var consumed: Int64 = 0
            var window: [UInt8] = []
            var headBytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            while consumed < wanted {
                let limit = Int(min(Int64(chunk.count), wanted - consumed))
                let count = try chunk.withUnsafeMutableBytes { raw in
                    try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<limit]))
                }
                if count == 0 {
                    break
                }
                let piece = chunk[0..<count]
                if headBytes.count < options.headLength {
                    headBytes.append(contentsOf: piece.prefix(options.headLength - headBytes.count))
                }
                window.append(contentsOf: piece)
                if window.count > options.tailLength * 4 {
                    window.removeFirst(window.count - options.tailLength)
                }
                consumed += Int64(count)
            }
            head = headBytes
            tail = consumed >= offset ? Array(window.suffix(Int(min(Int64(options.tailLength), offset)))) : []
            length = consumed
        }
    }

    /// Whether the file's stored head differs from this probe's, so the row must be rewritten.
    func isChanged(from record: FileRecord) -> Bool {
        Int64(head.count) != record.headLength
    }
}
