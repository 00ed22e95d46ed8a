import Glibc

/// A parsed configuration file in systemd's `[Section]` / `key = value` syntax.
///
/// Blank lines and lines starting with `#` or `;` are ignored, and whitespace around section
/// names, keys and values is trimmed. Values are taken literally: there is no quoting, escaping
/// or line continuation. A list key such as `spool` may repeat, and its values add up. Any other
/// key may appear once.
public struct ConfigFile: Sendable, Equatable {
    /// One `key = value` line, parsed and validated.
    public struct Entry: Sendable, Equatable {
        /// The key set.
        public var key: ConfigKey
        /// The value; a ``ConfigValue/list(_:)`` for a list key.
        public var value: ConfigValue
        /// The line number, counted from 1.
        public var line: Int
    }

    /// Files larger than this are rejected as not being configuration files: 1 MiB.
    public static let maximumSize = 1 << 20

    /// The path the file was read from, as given.
    public var path: String
    /// The entries in file order.
    public var entries: [Entry]

    /// Reads and parses the file at `path`.
    /// - Throws: ``ConfigError`` with code `fileNotFound`, `unreadableFile`, or any code that
    ///   ``parse(_:path:)`` throws.
    public static func read(path: String) throws(ConfigError) -> ConfigFile {
        let bytes: [UInt8]
        do {
            let file = try FileDescriptor(path: path, flags: O_RDONLY)
            let info = try file.status()
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw ConfigError(
                    .unreadableFile, at: .wholeFile(path: path), problem: "not a regular file",
                    fix: "name the configuration file itself")
            }
            guard info.st_size <= maximumSize else {
                throw ConfigError(
                    .unreadableFile, at: .wholeFile(path: path),
                    problem: "file of \(info.st_size) bytes is larger than the limit of \(maximumSize)",
                    fix: "name a tokenledgerd configuration file")
            }
            bytes = try file.readBytes(count: Int(info.st_size), at: 0)
        } catch let error as ConfigError {
            throw error
        } catch let error as SystemError where error.errno == ENOENT {
            throw ConfigError(
                .fileNotFound, at: .wholeFile(path: path), problem: "configuration file not found",
                fix: "create it, or name an existing file with --config")
        } catch let error as SystemError where error.errno == EACCES {
            throw ConfigError(
                .unreadableFile, at: .wholeFile(path: path), problem: "permission denied",
                fix: "let the tokenledgerd user read it, such as with group tokenledgerd and mode 0640")
        } catch {
            throw ConfigError(
                .unreadableFile, at: .wholeFile(path: path), problem: "cannot be read: \(error)",
                fix: "check the path and its permissions")
        }
        return try parse(bytes, path: path)
    }

    /// Parses file contents; `path` is used in messages only.
    /// - Throws: ``ConfigError`` naming the path and line for invalid UTF-8, invalid syntax, an
    ///   unknown section or key, a duplicate single-valued key or an invalid value.
    public static func parse(_ bytes: [UInt8], path: String) throws(ConfigError) -> ConfigFile {
        var file = ConfigFile(path: path, entries: [])
        var section: String?
        var firstLines: [ConfigKey: Int] = [:]
        for (index, lineBytes) in bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let location = ConfigError.Location.file(path: path, line: number)
            guard let text = String(validating: lineBytes, as: UTF8.self) else {
                throw ConfigError(
                    .unreadableFile, at: location, problem: "line is not valid UTF-8", fix: "save the file as UTF-8")
            }
            let line = trimmed(Substring(text))
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") {
                continue
            }
            if line.hasPrefix("[") {
                section = try parseSectionHeader(line, at: location)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigError(
                    .invalidSyntax, at: location, problem: "expected 'key = value', '[section]' or a comment",
                    fix: "write 'key = value' under a " + sectionList + " header, or start the line with '#'")
            }
            let name = String(trimmed(line[..<equals]))
            let raw = String(trimmed(line[line.index(after: equals)...]))
            let key = try lookUpKey(name, in: section, at: location)
            if let first = firstLines[key], !key.kind.isList {
                throw ConfigError(
                    .duplicateKey, at: location, key: key.qualifiedName,
                    problem: "key '\(name)' is already set on line \(first)", fix: "keep one of the two lines")
            }
            guard !raw.isEmpty else {
                throw ConfigError(
                    .invalidValue, at: location, key: key.qualifiedName, problem: "key '\(name)' has an empty value",
                    fix: "give a value, or delete the line to use the default")
            }
            let value: ConfigValue
            do {
                value = try key.kind.parseValue(raw)
            } catch {
                throw ConfigError(
                    .invalidValue, at: location, key: key.qualifiedName, problem: "key '\(name)': \(error.problem)",
                    fix: error.fix)
            }
            firstLines[key] = firstLines[key] ?? number
            file.entries.append(Entry(key: key, value: value, line: number))
        }
        return file
    }

    private static func parseSectionHeader(_ line: Substring, at location: ConfigError.Location) throws(ConfigError)
        -> String
    {
        guard line.hasSuffix("]"), line.count >= 2 else {
            throw ConfigError(
                .invalidSyntax, at: location, problem: "section header '\(line)' has no closing ']'",
                fix: "write it as " + sectionList)
        }
        let name = String(trimmed(line.dropFirst().dropLast()))
        guard ConfigKey.sections.contains(name) else {
            throw ConfigError(
                .unknownSection, at: location, problem: "unknown section [\(name)]",
                fix: "use " + sectionList + " (section names are lowercase)")
        }
        return name
    }

    private static func lookUpKey(_ name: String, in section: String?, at location: ConfigError.Location)
        throws(ConfigError) -> ConfigKey
    {
        let home = ConfigKey.all.first { $0.name == name }
        guard let section else {
            let fix =
                home.map { "put it under a [\($0.section)] header" } ?? "put keys under a " + sectionList + " header"
            throw ConfigError(
                .unknownKey, at: location, problem: "key '\(name)' appears before any section header", fix: fix)
        }
        if let key = ConfigKey.named(name, in: section) {
            return key
        }
        if let home {
            throw ConfigError(
                .unknownKey, at: location, key: home.qualifiedName,
                problem: "key '\(name)' does not belong in [\(section)]", fix: "move it under [\(home.section)]")
        }
        let known = ConfigKey.all.filter { $0.section == section }.map(\.name).joined(separator: ", ")
        throw ConfigError(
            .unknownKey, at: location, key: "\(section).\(name)", problem: "unknown key '\(name)' in [\(section)]",
            fix: "use one of \(known), or delete the line")
    }

    /// The section headers as a list for messages: `[daemon], [ingest] or [ledger]`.
    private static var sectionList: String {
        let headers = ConfigKey.sections.map { "[\($0)]" }
        guard headers.count > 1 else { return headers.joined() }
        return headers.dropLast().joined(separator: ", ") + " or " + (headers.last ?? "")
    }

    private static func trimmed(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = text.firstIndex(where: { !isSpace($0) }) else { return text[text.endIndex...] }
        let end = text.lastIndex(where: { !isSpace($0) })!
        return text[start...end]
    }
}
