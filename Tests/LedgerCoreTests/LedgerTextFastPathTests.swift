import Glibc
import Testing

@testable import LedgerCore

/// The CSV reader, ledger slugs, join keys, whitespace stripping and six-decimal text checked
/// against straightforward reference versions on many generated inputs.
@Suite("Ledger text fast paths")
struct LedgerTextFastPathTests {
    /// Bytes that exercise every state of the CSV reader: quotes, commas, each line break,
    /// multi-byte UTF-8, invalid UTF-8 and the byte-order mark.
    private static let csvPieces: [[UInt8]] = [
        Array("a".utf8), Array("model".utf8), Array("\"".utf8), Array(",".utf8), Array("\n".utf8),
        Array("\r".utf8), Array("\r\n".utf8), Array(" ".utf8), Array("é".utf8), Array("—".utf8),
        Array("\"\"".utf8), [0xFF], [0xC3], [0xEF, 0xBB, 0xBF], Array("12.5".utf8),
    ]

    @Test("CSV reader matches reference")
    func csvMatchesReference() {
        var generator = SplitMixGenerator(seed: 0x00C5_F00D)
        var failures = 0
        var invalidInputs = 0
        for _ in 0..<20_000 {
            var bytes: [UInt8] = []
            if Int.random(in: 0..<8, using: &generator) == 0 {
                bytes = [0xEF, 0xBB, 0xBF]
            }
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                bytes += Self.csvPieces.randomElement(using: &generator)!
            }
            var reference = ReferenceCSVParser(bytes: bytes)
            let expected = Result { () throws(LedgerInputError) in try reference.parse() }
            let actual = Result { () throws(LedgerInputError) in try CSVReader.records(in: bytes) }
            if case .failure = expected {
                invalidInputs += 1
            }
            if expected != actual {
                failures += 1
            }
        }
        #expect(failures == 0)
        // Both outcomes occur often enough to be compared.
        #expect(invalidInputs > 1_000)
        #expect(invalidInputs < 19_000)
    }

    @Test("CSV reader reads non-contiguous input")
    func csvFromNonContiguousInput() throws {
        let text = "a,\"b\"\"c\",d\r\ne,f"
        let records = try CSVReader.records(in: Array(text.utf8).lazy.map { $0 })
        #expect(records.map(\.fields) == [["a", "b\"c", "d"], ["e", "f"]])
        #expect(records.map(\.line) == [1, 2])
    }

    /// Scalars for slugs and stripping: ASCII of every class, whitespace of both kinds, and
    /// scalars whose lowercase mapping is ASCII, several scalars or themselves.
    private static let textScalars: [Unicode.Scalar] = [
        "a", "Z", "m", "0", "9", " ", "-", ".", "(", ")", "@", "[", "`", "{", "_", "\u{7F}", "\t", "\n", "\u{1C}",
        "\u{0B}", "\u{85}", "\u{A0}",
        "\u{2003}", "\u{3000}", "\u{212A}", "\u{130}", "é", "É", "ß", "—", "中", "\u{1F600}", "\u{0}",
    ]

    @Test("ledger slug matches reference")
    func slugMatchesReference() {
        var generator = SplitMixGenerator(seed: 0x5106)
        for _ in 0..<20_000 {
            let text = Self.randomText(using: &generator)
            #expect(LedgerSlug.make(text) == Self.referenceSlug(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test("whitespace strip matches reference")
    func stripMatchesReference() {
        var generator = SplitMixGenerator(seed: 0x571F)
        for _ in 0..<20_000 {
            let text = Self.randomText(using: &generator)
            let stripped = LedgerSlug.stripPythonWhitespace(text)
            let expected = Self.referenceStrip(text)
            #expect(Array(stripped.utf8) == Array(expected.utf8), "\(Array(text.unicodeScalars))")
        }
    }

    @Test("join key matches reference")
    func joinKeyMatchesReference() {
        var generator = SplitMixGenerator(seed: 0x701_4E)
        for _ in 0..<20_000 {
            let text = Self.randomText(using: &generator)
            #expect(LedgerSlug.makeJoinKey(text) == Self.referenceJoinKey(text), "\(Array(text.unicodeScalars))")
        }
    }

    @Test("six decimals match printf")
    func sixDecimalsMatchPrintf() {
        var generator = SplitMixGenerator(seed: 0x6D)
        var values: [Double] = [
            0, -0.0, 0.5, 1e-7, -1e-7, 0.0000005, 0.0000015, 2.5e-6, 1e300, -1e300, .greatestFiniteMagnitude,
        ]
        for _ in 0..<20_000 {
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: values.append(Double(bitPattern: generator.next()))
            case 1: values.append(Double.random(in: -2_000...2_000, using: &generator))
            default: values.append(Double(Int.random(in: -10_000_000...10_000_000, using: &generator)) / 2_000_000)
            }
        }
        var mismatches = 0
        for value in values where value.isFinite {
            if PythonFloatFormat.fixedSixDecimals(value) != Self.referenceSixDecimals(value) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    /// Formats `%.6f` through `vsnprintf` into an array, as the formatter first did.
    private static func referenceSixDecimals(_ value: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 400)
        let count = withVaList([value]) { arguments in
            vsnprintf(&buffer, buffer.count, "%.6f", arguments)
        }
        return String(decoding: buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Makes the join key by looking up every scalar's properties.
    private static func referenceJoinKey(_ text: String) -> String {
        var output = ""
        var isPendingHyphen = false
        for scalar in text.unicodeScalars {
            let isLetterOrNumber: Bool
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
                isLetterOrNumber = true
            default:
                isLetterOrNumber = scalar.properties.numericType != nil
            }
            guard isLetterOrNumber else {
                isPendingHyphen = true
                continue
            }
            if isPendingHyphen, !output.isEmpty {
                output.unicodeScalars.append("-")
            }
            isPendingHyphen = false
            output.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return output
    }

    private static func randomText(using generator: inout SplitMixGenerator) -> String {
        var scalars = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...8, using: &generator) {
            scalars.append(textScalars.randomElement(using: &generator)!)
        }
        return String(scalars)
    }

    /// Makes the slug by lowering every scalar through its full Unicode mapping.
    private static func referenceSlug(_ text: String) -> String {
        var output: [UInt8] = []
        var isPendingHyphen = false
        for scalar in text.unicodeScalars {
            for lowered in scalar.properties.lowercaseMapping.unicodeScalars {
                guard lowered.isASCII, ("a"..."z").contains(lowered) || ("0"..."9").contains(lowered) else {
                    isPendingHyphen = true
                    continue
                }
                if isPendingHyphen, !output.isEmpty {
                    output.append(UInt8(ascii: "-"))
                }
                isPendingHyphen = false
                output.append(UInt8(lowered.value))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func referenceStrip(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !LedgerSlug.isPythonWhitespace($0) }),
            let last = scalars.lastIndex(where: { !LedgerSlug.isPythonWhitespace($0) })
        else { return "" }
        return String(scalars[first...last])
    }
}

/// A seeded generator, so that a failure repeats.
struct SplitMixGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// The CSV reader as first written: one byte at a time through a state machine, each field
/// gathered in a buffer and checked with `String(validating:as:)`.
private struct ReferenceCSVParser {
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

/// The benchmark table read from only the columns it uses, checked against the table built from
/// every decoded record as it first was.
@Suite("Benchmark table columns")
struct BenchmarkTableColumnTests {
    private static let headers = [
        "benchmark", "model", "is_missing", "value_primary", "row_id", "notes", "benchmark", "",
    ]
    private static let cells = [
        "Input Price", "Output Price", " GPQA ", "Claude Opus 4.6", "gpt-5", "0", "1", " 2 ", "x", "",
        "$2.00", "$4.00 (>200k)", "\"a,b\"", "\"q\"\"q\"", "—", "é",
    ]

    @Test("table matches decoded records")
    func tableMatchesRecords() {
        var generator = SplitMixGenerator(seed: 0xBE4C)
        var mismatches = 0
        var tables = 0
        for _ in 0..<5_000 {
            var header = Self.headers.shuffled(using: &generator)
            header.removeLast(Int.random(in: 0...2, using: &generator))
            var text = header.joined(separator: ",") + "\n"
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                var fields: [String]
                if Bool.random(using: &generator) {
                    // A well-formed record, so that many tables read through to the end.
                    fields = header.map { name in
                        name == "is_missing"
                            ? ["0", "1", " 2 "].randomElement(using: &generator)!
                            : Self.cells.randomElement(using: &generator)!
                    }
                } else {
                    let count = Int.random(in: 0...(header.count + 1), using: &generator)
                    fields = (0..<count).map { _ in Self.cells.randomElement(using: &generator)! }
                }
                text += fields.joined(separator: ",")
                text += Bool.random(using: &generator) ? "\n" : "\r\n"
            }
            var bytes = Array(text.utf8)
            if Int.random(in: 0..<20, using: &generator) == 0 {
                bytes.insert(0xFF, at: Int.random(in: 0...bytes.count, using: &generator))
            }
            let expected = Result { () throws(LedgerInputError) in try Self.referenceTable(bytes) }
            let actual = Result { () throws(LedgerInputError) in try BenchmarkTable(csv: bytes) }
            if expected != actual {
                mismatches += 1
            }
            if case .success(let table) = actual, !table.rows.isEmpty {
                tables += 1
            }
        }
        #expect(mismatches == 0)
        #expect(tables > 300)
    }

    /// Builds the table from ``CSVReader/records(in:)``, as the initializer first did.
    private static func referenceTable(_ bytes: [UInt8]) throws(LedgerInputError) -> BenchmarkTable {
        let records = try CSVReader.records(in: bytes)
        guard let header = records.first else { return BenchmarkTable(rows: []) }
        var columns: [String: Int] = [:]
        for (position, name) in header.fields.enumerated() {
            columns[name] = position
        }
        func requireColumn(_ name: String) throws(LedgerInputError) -> Int {
            guard let position = columns[name] else {
                throw LedgerInputError(
                    code: .missingColumn,
                    message: "the header has no \(name) column; expected benchmark, model, value_primary, is_missing",
                    line: header.line)
            }
            return position
        }
        let benchmarkColumn = try requireColumn("benchmark")
        let modelColumn = try requireColumn("model")
        let isMissingColumn = try requireColumn("is_missing")
        let valueColumn = columns["value_primary"]
        var rows: [BenchmarkRow] = []
        for record in records.dropFirst() {
            func requireCell(_ position: Int, _ name: String) throws(LedgerInputError) -> String {
                guard position < record.fields.count else {
                    throw LedgerInputError(
                        code: .invalidRecord,
                        message: "the record has \(record.fields.count) fields and no \(name) value", line: record.line)
                }
                return record.fields[position]
            }
            let benchmark = try requireCell(benchmarkColumn, "benchmark")
            let model = try requireCell(modelColumn, "model")
            let isMissingText = try requireCell(isMissingColumn, "is_missing")
            guard let isMissing = Int(LedgerSlug.stripPythonWhitespace(isMissingText)).map({ $0 != 0 }) else {
                throw LedgerInputError(
                    code: .invalidRecord,
                    message: "is_missing is \"\(isMissingText.prefix(40))\", not an integer; use 0 or 1",
                    line: record.line)
            }
            var valuePrimary = ""
            if let valueColumn, valueColumn < record.fields.count {
                valuePrimary = record.fields[valueColumn]
            }
            rows.append(
                BenchmarkRow(
                    benchmark: LedgerSlug.stripPythonWhitespace(benchmark),
                    model: LedgerSlug.stripPythonWhitespace(model), valuePrimary: valuePrimary, isMissing: isMissing))
        }
        return BenchmarkTable(rows: rows)
    }
}
