import CZlib
import Glibc

/// A spool file's content as a sequence of bytes from some offset on: the file itself, or the
/// decompressed bytes of a gzip file. Offsets always count content bytes.
protocol ByteSource: AnyObject {
    /// Reads the next bytes into `buffer`; returns the count, `0` when no more bytes are available
    /// now (the file may still grow).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// The bytes of a plain file, read with `pread` from a start offset.
final class PlainSource: ByteSource {
    private let file: FileDescriptor
    private var offset: Int64

    init(file: FileDescriptor, offset: Int64) {
        self.file = file
        self.offset = offset
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try file.read(into: buffer, at: offset)
        offset += Int64(count)
        return count
    }
}

/// The decompressed bytes of a gzip file, concatenated members included.
///
/// gzip cannot seek, so reaching an offset means decompressing everything before it.
final class GzipSource: ByteSource {
    private static let inputCapacity = 256 << 10

    private let file: FileDescriptor
    private var stream = z_stream()
    /// Compressed input; `stream.next_in` points into it between calls, so it never moves.
    private let input = UnsafeMutablePointer<UInt8>.allocate(capacity: GzipSource.inputCapacity)
    private var inputOffset: Int64 = 0
    private var isStreamOpen = false

    /// Opens the stream and skips `offset` decompressed bytes.
    /// - Throws: ``SpoolError`` when the data is not gzip or decompresses to fewer bytes.
    init(file: FileDescriptor, skipping offset: Int64) throws {
        self.file = file
        // 16 + 15: expect a gzip header and use the largest window.
        guard czlib_inflate_init2(&stream, 15 + 16) == Z_OK else {
            input.deallocate()
            throw SpoolError(.decompressionFailed, path: file.path, "zlib could not start a gzip stream")
        }
        isStreamOpen = true
        var remaining = offset
        var scratch = [UInt8](repeating: 0, count: 256 << 10)
        while remaining > 0 {
            let wanted = Int(min(Int64(scratch.count), remaining))
            let count = try scratch.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<wanted]))
            }
            guard count > 0 else {
                throw SpoolError(
                    .decompressionFailed, path: file.path,
                    "the decompressed content is shorter than the committed offset \(offset)")
            }
            remaining -= Int64(count)
        }
    }

    deinit {
        if isStreamOpen {
            inflateEnd(&stream)
        }
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 {
                let raw = UnsafeMutableRawBufferPointer(start: input, count: Self.inputCapacity)
                let count = try file.read(into: raw, at: inputOffset)
                if count == 0 {
                    // The file ends here for now; a writer may still add to it.
                    break
                }
                inputOffset += Int64(count)
                stream.next_in = input
                stream.avail_in = uInt(count)
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress without more input: read more, or stop when the file has no more.
                if stream.avail_in > 0 {
                    throw decompressionError()
                }
            case Z_STREAM_END:
                // Another gzip member may follow the one that ended.
                inflateReset(&stream)
            default:
                throw decompressionError()
            }
        }
        return buffer.count - Int(stream.avail_out)
    }

    private func decompressionError() -> SpoolError {
        SpoolError(
            .decompressionFailed, path: file.path,
            "invalid gzip data near compressed byte \(inputOffset - Int64(stream.avail_in))")
    }
}
