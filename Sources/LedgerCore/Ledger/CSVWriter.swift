/// Writes CSV text the way Python's `csv.writer` does with its default dialect.
///
/// Records end with CRLF. A field is quoted only when it contains a comma, a quote, CR or LF, and
/// quotes inside it are doubled. A record of one empty field is written as `""` so that it does
/// not read back as an empty line.
struct CSVWriter {
    private(set) var text = ""

    mutating func appendRecord(_ fields: [String]) {
        if fields.count == 1, fields[0].isEmpty {
            text += "\"\"\r\n"
            return
        }
        var isFirst = true
        for field in fields {
            if !isFirst {
                text += ","
            }
            isFirst = false
            text += Self.escape(field)
        }
        text += "\r\n"
    }

    private static func escape(_ field: String) -> String {
        let needsQuotes = field.utf8.contains { byte in
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "\"") || byte == 0x0D || byte == 0x0A
        }
        guard needsQuotes else { return field }
        var quoted = "\""
        for scalar in field.unicodeScalars {
            if scalar == "\"" {
                quoted.unicodeScalars.append("\"")
            }
            quoted.unicodeScalars.append(scalar)
        }
        return quoted + "\""
    }
}
