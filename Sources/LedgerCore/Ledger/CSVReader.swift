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
        var parser = Parser(bytes: Array(bytes))
        return try parser.parse()
    }
}

private struct Parser {
    enum State {
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    let bytes: [UInt8]
    var index = 0
    var line = 1
    var records: [CSVRecord] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var recordLine = 1
    var isRecordEmpty = true

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func parse() throws(LedgerInputError) -> [CSVRecord] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
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
                    try endField()
                } else if byte == 0x0D || byte == 0x0A {
                    consumeLineBreak(byte)
                    try endRecord()
                } else {
                    isRecordEmpty = false
                    field.append(byte)
                    state = .unquoted
                }
            case .unquoted, .quoteInQuoted:
                if byte == UInt8(ascii: "\"") && state == .quoteInQuoted {
                    field.append(byte)
                    state = .quoted
                } else if byte == UInt8(ascii: ",") {
                    try endField()
                    state = .fieldStart
                } else if byte == 0x0D || byte == 0x0A {
                    consumeLineBreak(byte)
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
        return records
    }

    /// Counts the line break that starts with `byte` and skips the LF of a CRLF pair.
    mutating func consumeLineBreak(_ byte: UInt8) {
        if byte == 0x0D, index < bytes.count, bytes[index] == 0x0A {
            index += 1
        }
        line += 1
    }

    mutating func endField() throws(LedgerInputError) {
        guard let text = String(validating: field, as: UTF8.self) else {
            throw LedgerInputError(
                code: .invalidCSV,
                message: "field \(fields.count + 1) is not valid UTF-8; save the table as UTF-8",
                line: recordLine
            )
        }
        fields.append(text)
        field.removeAll(keepingCapacity: true)
    }

    mutating func endRecord() throws(LedgerInputError) {
        if isRecordEmpty {
            return
        }
        try endField()
        records.append(CSVRecord(line: recordLine, fields: fields))
        fields.removeAll(keepingCapacity: true)
        isRecordEmpty = true
    }
}
