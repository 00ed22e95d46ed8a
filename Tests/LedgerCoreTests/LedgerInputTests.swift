import LedgerCore
import Testing

@Suite("Ledger slugs and decimals")
struct LedgerSlugAndDecimalTests {
    @Test(
        "ledger slug",
        arguments: [
            ("Claude Opus 4.6 (Thinking: Max)", "claude-opus-4-6-thinking-max"),
            ("GPT-5.2 Codex (xhigh)", "gpt-5-2-codex-xhigh"),
            ("  --Qwen 3-VL--  ", "qwen-3-vl"),
            ("Café Über", "caf-ber"),
            ("\u{212A}imi K2", "kimi-k2"),
            ("***", ""),
            ("", ""),
        ]
    )
    func ledgerSlug(input: String, expected: String) {
        #expect(LedgerSlug.make(input) == expected)
    }

    @Test(
        "join key",
        arguments: [
            ("codex", "codex"),
            ("GPT 5", "gpt-5"),
            ("claude-sonnet-4-5", "claude-sonnet-4-5"),
            ("Café Über", "café-über"),
            ("__a__b__", "a-b"),
        ]
    )
    func joinKey(input: String, expected: String) {
        #expect(LedgerSlug.makeJoinKey(input) == expected)
    }

    @Test(
        "decimal text",
        arguments: [
            ("0.30", "0.3"),
            ("3.0", "3"),
            ("30", "30"),
            ("0.125", "0.125"),
            ("1e2", "100"),
            ("1.25E-3", "0.00125"),
            ("+2.50", "2.5"),
            ("007.10", "7.1"),
            (".5", "0.5"),
            ("5.", "5"),
            ("0.000", "0"),
            ("-0.0", "-0"),
        ]
    )
    func decimalText(input: String, expected: String) throws {
        let decimal = try #require(LedgerDecimal(parsing: input))
        #expect(decimal.description == expected)
    }

    @Test(
        "decimal rejects non-literals",
        arguments: ["", ".", "1.2.3", "1e", "abc", "Infinity", "NaN", " 1", "1_000", "1e5000"])
    func decimalRejects(input: String) {
        #expect(LedgerDecimal(parsing: input) == nil)
    }

    @Test(
        "decimal difference",
        arguments: [
            ("3", "3.00", "0"),
            ("1.25", "2", "-0.75"),
            ("10", "0.125", "9.875"),
            ("0.1", "-0.2", "0.3"),
            ("1e3", "1e-3", "999.999"),
            ("-0", "0", "-0"),
            ("0", "-0", "0"),
            (
                "123456789012345678901234567890", "0.000000000000000000000000000001",
                "123456789012345678901234567889.999999999999999999999999999999"
            ),
        ]
    )
    func decimalDifference(lhs: String, rhs: String, expected: String) throws {
        let left = try #require(LedgerDecimal(parsing: lhs))
        let right = try #require(LedgerDecimal(parsing: rhs))
        #expect((left - right).description == expected)
    }

    @Test("decimal equality ignores trailing zeros")
    func decimalEquality() throws {
        #expect(LedgerDecimal(parsing: "3.0") == LedgerDecimal(parsing: "3"))
        #expect(LedgerDecimal(parsing: "-0") == LedgerDecimal(parsing: "0"))
        #expect(LedgerDecimal(parsing: "0.3") != LedgerDecimal(parsing: "0.03"))
        #expect(LedgerDecimal(12).description == "12")
        #expect(LedgerDecimal(-7).description == "-7")
        #expect(try #require(LedgerDecimal(parsing: "0.30")).doubleValue == 0.3)
    }
}

@Suite("Ledger CSV reader")
struct LedgerCSVReaderTests {
    @Test("quoted fields, doubled quotes and line ends")
    func quotedFields() throws {
        let text = "a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n\nlast,,\rend"
        let records = try CSVReader.records(in: Array(text.utf8))
        #expect(
            records.map(\.fields) == [
                ["a", "b", "c"], ["x, y", "say \"hi\"", "two\nlines"], ["last", "", ""], ["end"],
            ])
        #expect(records.map(\.line) == [1, 2, 5, 6])
    }

    @Test("lenient quotes as Python reads them")
    func lenientQuotes() throws {
        let records = try CSVReader.records(in: Array("\"ab\"c,d\"e\n\"\"".utf8))
        #expect(records.map(\.fields) == [["abc", "d\"e"], [""]])
    }

    @Test("byte-order mark is skipped")
    func byteOrderMark() throws {
        let records = try CSVReader.records(in: [0xEF, 0xBB, 0xBF] + Array("model\nx\n".utf8))
        #expect(records.map(\.fields) == [["model"], ["x"]])
    }

    @Test("unterminated quote is an error")
    func unterminatedQuote() {
        #expect(
            throws: LedgerInputError(
                code: .invalidCSV,
                message: "a quoted field is not closed before the end of the input; add the closing quote", line: 2)
        ) {
            try CSVReader.records(in: Array("a\n\"open,\nmore".utf8))
        }
    }

    @Test("invalid UTF-8 is an error")
    func invalidUTF8() throws {
        let error = try #require(throws: LedgerInputError.self) {
            try CSVReader.records(in: Array("a,b\n".utf8) + [0x61, 0xFF])
        }
        #expect(error.code == .invalidCSV)
        #expect(error.line == 2)
    }

    @Test("benchmark table requires its columns")
    func missingColumn() throws {
        let error = try #require(throws: LedgerInputError.self) {
            try BenchmarkTable(csv: Array("benchmark,model,value_primary\nA,B,1\n".utf8))
        }
        #expect(error.code == .missingColumn)
        #expect(error.message.contains("is_missing"))
    }

    @Test("benchmark table rejects a non-integer is_missing")
    func invalidIsMissing() throws {
        let error = try #require(throws: LedgerInputError.self) {
            try BenchmarkTable(csv: Array("benchmark,model,is_missing\nA,B,0\nA,C,yes\n".utf8))
        }
        #expect(error.code == .invalidRecord)
        #expect(error.line == 3)
    }

    @Test("benchmark table rejects a short record")
    func shortRecord() throws {
        let error = try #require(throws: LedgerInputError.self) {
            try BenchmarkTable(csv: Array("benchmark,model,is_missing\nA,B\n".utf8))
        }
        #expect(error.code == .invalidRecord)
        #expect(error.line == 2)
    }

    @Test("benchmark table strips names and reads is_missing")
    func benchmarkRows() throws {
        let table = try BenchmarkTable(
            csv: Array("model,benchmark,is_missing,value_primary\n  GPT 5 ,Input Price , 0 ,$1.25\nX,Y,1\n".utf8))
        #expect(
            table.rows == [
                BenchmarkRow(benchmark: "Input Price", model: "GPT 5", valuePrimary: "$1.25", isMissing: false),
                BenchmarkRow(benchmark: "Y", model: "X", valuePrimary: "", isMissing: true),
            ]
        )
    }
}
