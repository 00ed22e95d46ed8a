/// One CSV record: its fields and the line it starts on.
public struct CSVRecord: Sendable, Equatable {
    /// The 1-based line number of the record's first byte.
    public var line: Int
    /// The field values, quotes removed and doubled quotes undone.
    public var fields: [String]

    /// Creates a record.
    public init(line: Int, fields: [String]) {
        self.line = line
        self.fields = fields
    }
}

/// A reader of comma-separated values as RFC 4180 defines them, with the lenient cases of
/// Python's `csv` module, which wrote the tables this project reads.
///
/// Quoted fields may contain commas, line breaks and doubled quotes. Records end at CRLF, LF or a
/// lone CR. A quote inside an unquoted field is kept as text, and text after a closing quote is
/// appended to the field (`"ab"c` reads as `abc`). Empty lines yield no record. A UTF-8 byte-order
/// mark at the start is skipped.
public enum CSVReader {
    /// Reads every record of `bytes`.
    /// - Throws: ``LedgerInputError`` with code `invalidCSV` for a quoted field that never closes
    ///   or a field that is not valid UTF-8.
    public static func records(in bytes: some Collection<UInt8>) throws(LedgerInputError) -> [CSVRecord] {
        let table = try self.table(in: bytes)
        return (0..<table.recordCount).map { record in
            CSVRecord(
                line: table.line(ofRecord: record),
                fields: (0..<table.fieldCount(ofRecord: record)).map { table.field($0, ofRecord: record) })
        }
    }

    /// Reads every record of `bytes` as ``records(in:)`` does, with the same errors, but keeps
    /// the fields as bytes, so that a reader decodes only the fields it uses.
    static func table(in bytes: some Collection<UInt8>) throws(LedgerInputError) -> CSVTable {
        var parser = Parser()
        let parsed = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(LedgerInputError) in try parser.parse(buffer) }
        }
        if let parsed {
            return try parsed.get()
        }
        return try Array(bytes).withUnsafeBufferPointer { buffer throws(LedgerInputError) in
            try parser.parse(buffer)
        }
    }
}

/// The records of a CSV text, each field kept as its bytes with quotes removed and doubled quotes
/// undone. Every field has been checked to be valid UTF-8.
struct CSVTable {
    /// Every field's bytes, one field after another.
    fileprivate var bytes: [UInt8] = []
    /// The end of each field in `bytes`. A field starts where the previous one ends.
    fileprivate var fieldEnds: [Int] = []
    /// The number of each record's first field, and the 1-based line of the record's first byte.
    fileprivate var records: [(firstField: Int, line: Int)] = []

    /// The number of records.
    var recordCount: Int { records.count }

    /// Returns the 1-based line number of the first byte of record `record`.
    func line(ofRecord record: Int) -> Int {
        records[record].line
    }

    /// Returns the number of fields of record `record`.
    func fieldCount(ofRecord record: Int) -> Int {
        let end = record + 1 < records.count ? records[record + 1].firstField : fieldEnds.count
        return end - records[record].firstField
    }

    /// Returns field `field` of record `record`, which must have more than `field` fields.
    func field(_ field: Int, ofRecord record: Int) -> String {
        let number = records[record].firstField + field
        let start = number == 0 ? 0 : fieldEnds[number - 1]
        return bytes.withUnsafeBufferPointer { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<fieldEnds[number]]), as: UTF8.self)
        }
    }
}

private struct Parser {
    enum State {
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    var line = 1
    var table = CSVTable()
    /// The number of the current record's first field.
    var recordFirstField = 0
    /// The bytes of a field that is not one run of the input, such as a quoted field or text
    /// after its closing quote.
    var field: [UInt8] = []
    var recordLine = 1
    var isRecordEmpty = true

    mutating func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(LedgerInputError) -> CSVTable {
        var index = 0
        // The fields' bytes never outnumber the input's.
        table.bytes.reserveCapacity(bytes.count)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            index = 3
        }
        var state = State.fieldStart
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch state {
            case .fieldStart:
                if isRecordEmpty {
                    recordLine = line
                }
                if byte == UInt8(ascii: "\"") {
                    isRecordEmpty = false
                    state = .quoted
                } else if byte == UInt8(ascii: ",") {
                    isRecordEmpty = false
                    try endField(UnsafeBufferPointer(start: nil, count: 0))
                } else if byte == 0x0D || byte == 0x0A {
                    index = Self.skipLineBreak(byte, in: bytes, at: index)
                    line += 1
                    try endRecord()
                } else {
                    isRecordEmpty = false
                    // An unquoted field is the run of bytes up to the next comma or line break,
                    // read in place. A quote inside it is text.
                    let start = index - 1
                    while index < bytes.count, !Self.endsUnquotedField(bytes[index]) {
                        index += 1
                    }
                    guard index < bytes.count else {
                        // The input ends inside the field; the end of input closes it below.
                        field.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                        state = .unquoted
                        continue
                    }
                    try endField(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    let delimiter = bytes[index]
                    index += 1
                    if delimiter != UInt8(ascii: ",") {
                        index = Self.skipLineBreak(delimiter, in: bytes, at: index)
                        line += 1
                        try finishRecord()
                    }
                }
            case .unquoted, .quoteInQuoted:
                if byte == UInt8(ascii: "\"") && state == .quoteInQuoted {
                    field.append(byte)
                    state = .quoted
                } else if byte == UInt8(ascii: ",") {
                    try endBufferedField()
                    state = .fieldStart
                } else if byte == 0x0D || byte == 0x0A {
                    index = Self.skipLineBreak(byte, in: bytes, at: index)
                    line += 1
                    try endRecord()
                    state = .fieldStart
                } else {
                    field.append(byte)
                    state = .unquoted
                }
            case .quoted:
                if byte == UInt8(ascii: "\"") {
                    state = .quoteInQuoted
                } else {
                    if byte == 0x0A || (byte == 0x0D && (index >= bytes.count || bytes[index] != 0x0A)) {
                        line += 1
                    }
                    field.append(byte)
                }
            }
        }
        if state == .quoted {
            throw LedgerInputError(
                code: .invalidCSV,
                message: "a quoted field is not closed before the end of the input; add the closing quote",
                line: recordLine
            )
        }
        try endRecord()
        return table
    }

    @inline(__always)
    private static func endsUnquotedField(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: ",") || byte == 0x0D || byte == 0x0A
    }

    /// Returns the index after the line break that starts with `byte`, skipping the LF of a CRLF
    /// pair. `index` is the position after `byte`.
    private static func skipLineBreak(_ byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        if byte == 0x0D, index < bytes.count, bytes[index] == 0x0A {
            return index + 1
        }
        return index
    }

    /// Appends `bytes` as the next field of the record.
    mutating func endField(_ bytes: UnsafeBufferPointer<UInt8>) throws(LedgerInputError) {
        guard Self.isValidUTF8(bytes) else {
            throw LedgerInputError(
                code: .invalidCSV,
                message:
                    "field \(table.fieldEnds.count - recordFirstField + 1) is not valid UTF-8; save the table as UTF-8",
                line: recordLine
            )
        }
        table.bytes.append(contentsOf: bytes)
        table.fieldEnds.append(table.bytes.count)
    }

    /// Appends the bytes gathered in `field` as the next field of the record.
    mutating func endBufferedField() throws(LedgerInputError) {
        let bytes = field
        try bytes.withUnsafeBufferPointer { buffer throws(LedgerInputError) in try endField(buffer) }
        field.removeAll(keepingCapacity: true)
    }

    mutating func endRecord() throws(LedgerInputError) {
        if isRecordEmpty {
            return
        }
        try endBufferedField()
        try finishRecord()
    }

    /// Appends the record whose last field has been added.
    mutating func finishRecord() throws(LedgerInputError) {
        table.records.append((recordFirstField, recordLine))
        recordFirstField = table.fieldEnds.count
        isRecordEmpty = true
    }

    /// Returns whether `bytes` are valid UTF-8.
    ///
    /// Decoding replaces each invalid sequence with U+FFFD and leaves valid input unchanged, so
    /// the input was valid exactly when the decoded bytes equal it. ASCII input needs no check.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var isASCII = true
        for byte in bytes where byte >= 0x80 {
            isASCII = false
            break
        }
        guard !isASCII else { return true }
        var text = String(decoding: bytes, as: UTF8.self)
        return text.withUTF8 { decoded in
            decoded.count == bytes.count && decoded.elementsEqual(bytes)
        }
    }
}
