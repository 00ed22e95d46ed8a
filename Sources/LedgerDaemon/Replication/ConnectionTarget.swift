import CLibpq
import Glibc

/// The connection string of the central PostgreSQL ledger, with a password-free identifier.
///
/// The string comes from a file (`@/path`), the `[replication] target` key, or
/// `$CREDENTIALS_DIRECTORY/replication-target`, which systemd's `LoadCredential=` fills. A
/// connection string given on the command line may not contain a password, because other users
/// can read a process's arguments in `/proc/PID/cmdline`. ``description`` never shows the string.
struct ConnectionTarget: CustomStringConvertible {
    /// The name of the file inside `$CREDENTIALS_DIRECTORY` that contains the connection string.
    static let credentialName = "replication-target"
    /// Connection string files larger than this are rejected: 16 KiB.
    static let maximumFileSize = 16 << 10

    /// The libpq connection string: key/value pairs or a `postgresql://` URL.
    let connectionString: String
    /// `user@host:port/dbname` as the connection string names them (`-` for a missing part);
    /// it identifies the target's watermark and appears in logs.
    let identifier: String

    var description: String { "<PostgreSQL target \(identifier)>" }

    /// Parses `connectionString` with libpq and derives the identifier.
    /// - Throws: ``PostgresError`` with code `invalidTarget` when libpq cannot parse it.
    init(connectionString: String) throws(PostgresError) {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(connectionString, &errorMessage) else {
            let message = errorMessage.map { String(cString: $0) } ?? "out of memory"
            PQfreemem(errorMessage)
            throw PostgresError(
                .invalidTarget,
                "invalid PostgreSQL connection string: \(message.trimmingTrailingWhitespace()); give key=value pairs "
                    + "or a postgresql:// URL")
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                values[String(cString: keyword)] = String(cString: value)
            }
            option += 1
        }
        let host = values["host"] ?? values["hostaddr"] ?? "-"
        self.connectionString = connectionString
        self.identifier = "\(values["user"] ?? "-")@\(host):\(values["port"] ?? "5432")/\(values["dbname"] ?? "-")"
    }

    /// Resolves the target from a command-line value, else the configured value, else the
    /// systemd credential. A value starting with `@` names a file holding the connection string.
    /// - Parameters:
    ///   - argument: the value of `--to` or `--from`; it may not contain a password.
    ///   - configured: the `[replication] target` value.
    /// - Returns: `nil` when no source gives a target.
    /// - Throws: ``PostgresError`` with code `invalidTarget`.
    static func resolve(argument: String?, option: String, configured: String?, environment: [String: String])
        throws(PostgresError) -> ConnectionTarget?
    {
        if let argument {
            if argument.hasPrefix("@") {
                return try ConnectionTarget(connectionString: readFile(String(argument.dropFirst())))
            }
            let target = try ConnectionTarget(connectionString: argument)
            guard !containsPassword(argument) else {
                throw PostgresError(
                    .invalidTarget,
                    "--\(option) contains a password, which other users could read from the process's arguments; "
                        + "write the connection string into a file readable only by tokenledgerd and give --\(option) "
                        + "@FILE")
            }
            return target
        }
        if let configured {
            if configured.hasPrefix("@") {
                return try ConnectionTarget(connectionString: readFile(String(configured.dropFirst())))
            }
            return try ConnectionTarget(connectionString: configured)
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            let path = FilePath.join(directory, credentialName)
            if access(path, F_OK) == 0 {
                return try ConnectionTarget(connectionString: readFile(path))
            }
        }
        return nil
    }

    /// Reads a connection string file, without surrounding whitespace.
    private static func readFile(_ path: String) throws(PostgresError) -> String {
        let contents: [UInt8]
        do {
            let file = try FileDescriptor(path: path, flags: O_RDONLY)
            let info = try file.status()
            guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= Self.maximumFileSize else {
                throw PostgresError(
                    .invalidTarget,
                    "connection string file '\(path)' is not a regular file of at most \(Self.maximumFileSize) bytes")
            }
            contents = try file.readBytes(count: Int(info.st_size), at: 0)
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PostgresError(
                .invalidTarget, "cannot read the connection string file '\(path)': \(error); check the path")
        }
        let text = String(decoding: contents, as: UTF8.self).trimmingTrailingWhitespace()
        let trimmed = String(text.drop(while: { $0.isWhitespace }))
        guard !trimmed.isEmpty else {
            throw PostgresError(
                .invalidTarget, "connection string file '\(path)' is empty; write a libpq connection string into it")
        }
        return trimmed
    }

    /// Returns whether a connection string carries a password: a `password=` pair or a URL with
    /// `user:password@`.
    static func containsPassword(_ text: String) -> Bool {
        redacted(text) != text
    }

    /// Returns `text` with every `password=VALUE` value (quoted or not, in key/value form or as
    /// a URL query parameter) and every URL password (`scheme://user:PASSWORD@`) replaced by `***`.
    static func redacted(_ text: String) -> String {
        var characters = Array(text)
        var output: [Character] = []
        var index = 0
        while index < characters.count {
            // `password` followed by optional whitespace and `=`. libpq allows any whitespace
            // there, and decodes a percent-encoded key in a URL's query, so `%70assword` counts.
            if index == 0 || !(characters[index - 1].isLetter || characters[index - 1] == "_"),
                var cursor = Self.endOfPasswordKeyword(characters, from: index)
            {
                while cursor < characters.count, characters[cursor].isWhitespace { cursor += 1 }
                if cursor < characters.count, characters[cursor] == "=" {
                    cursor += 1
                    while cursor < characters.count, characters[cursor].isWhitespace { cursor += 1 }
                    output += characters[index..<cursor]
                    output += "***"
                    cursor = Self.endOfValue(characters, from: cursor)
                    index = cursor
                    continue
                }
            }
            // `://user:password@` in a URL.
            if characters[index] == ":", index + 2 < characters.count, characters[index + 1] == "/",
                characters[index + 2] == "/"
            {
                var cursor = index + 3
                var colon: Int?
                var at: Int?
                while cursor < characters.count, !" /?#".contains(characters[cursor]) {
                    if characters[cursor] == "@" { at = cursor }
                    if characters[cursor] == ":", colon == nil, at == nil { colon = cursor }
                    cursor += 1
                }
                if let colon, let at, colon < at {
                    output += characters[index...colon]
                    output += "***"
                    index = at
                    continue
                }
            }
            output.append(characters[index])
            index += 1
        }
        characters = output
        return String(characters)
    }

    /// Returns the index after the word `password` at `start`, or `nil` when it does not start there.
    /// The word matches in any case, and each letter may be written as a `%XX` escape.
    private static func endOfPasswordKeyword(_ characters: [Character], from start: Int) -> Int? {
        var cursor = start
        for letter in "password".utf8 {
            guard cursor < characters.count else { return nil }
            if characters[cursor].lowercased() == String(UnicodeScalar(letter)) {
                cursor += 1
                continue
            }
            guard characters[cursor] == "%", cursor + 2 < characters.count,
                let byte = UInt8(String(characters[cursor + 1...cursor + 2]), radix: 16),
                byte | 0x20 == letter
            else { return nil }
            cursor += 3
        }
        return cursor
    }

    /// The index after a key/value value starting at `start`: a single-quoted value with `\`
    /// escapes, else up to the next space, `&` or quote.
    private static func endOfValue(_ characters: [Character], from start: Int) -> Int {
        var cursor = start
        if cursor < characters.count, characters[cursor] == "'" {
            cursor += 1
            while cursor < characters.count, characters[cursor] != "'" {
                cursor += characters[cursor] == "\\" ? 2 : 1
            }
            return min(cursor + 1, characters.count)
        }
        while cursor < characters.count, !" &\"'".contains(characters[cursor]) {
            cursor += 1
        }
        return cursor
    }
}

extension String {
    fileprivate func trimmingTrailingWhitespace() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
