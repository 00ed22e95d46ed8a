import Glibc

/// The proxy's management key, read from a file.
///
/// The key never appears in messages, logs or the process's arguments: ``description`` is a
/// fixed placeholder. The file is read again after the proxy rejects the key, so fixing the
/// file needs no restart.
struct ManagementKey: Equatable, CustomStringConvertible {
    /// The name of the key file inside `$CREDENTIALS_DIRECTORY`, which systemd's
    /// `LoadCredential=management-key:…` fills.
    static let credentialName = "management-key"
    /// Key files larger than this are rejected: 4 KiB.
    static let maximumFileSize = 4096

    /// The key's bytes, without the file's trailing line break.
    let bytes: [UInt8]
    /// The file it was read from.
    let path: String

    var description: String { "<management key from \(path)>" }

    /// Returns the key file to use: `configured`, else `$CREDENTIALS_DIRECTORY/management-key`.
    /// - Throws: ``PullError`` with code `keyUnavailable` when neither is set.
    static func path(configured: String?, environment: [String: String]) throws(PullError) -> String {
        if let configured {
            return configured
        }
        if let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty {
            return FilePath.join(directory, credentialName)
        }
        throw PullError(
            .keyUnavailable,
            "no management key file; give --management-key-file FILE, set management_key_file in [pull], or run "
                + "under systemd with LoadCredential=\(credentialName):FILE")
    }

    /// Reads the key from `path`. Surrounding whitespace and line breaks are removed.
    /// - Throws: ``PullError`` with code `keyUnavailable` when the file cannot be read, is too
    ///   large, is empty, or contains control characters.
    init(path: String) throws(PullError) {
        let contents: [UInt8]
        do {
            let file = try FileDescriptor(path: path, flags: O_RDONLY)
            let info = try file.status()
            guard (info.st_mode & S_IFMT) == S_IFREG, info.st_size <= Self.maximumFileSize else {
                throw PullError(
                    .keyUnavailable,
                    "management key file '\(path)' is not a regular file of at most \(Self.maximumFileSize) bytes")
            }
            contents = try file.readBytes(count: Int(info.st_size), at: 0)
        } catch let error as PullError {
            throw error
        } catch {
            throw PullError(
                .keyUnavailable, "cannot read the management key file: \(error); check the path and its permissions")
        }
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        let start = contents.firstIndex { !isSpace($0) } ?? contents.endIndex
        let end = contents.lastIndex { !isSpace($0) }.map { $0 + 1 } ?? start
        let key = Array(contents[start..<max(start, end)])
        guard !key.isEmpty else {
            throw PullError(
                .keyUnavailable, "management key file '\(path)' is empty; write the proxy's management key into it")
        }
        guard !key.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw PullError(
                .keyUnavailable,
                "management key file '\(path)' contains a line break or control character inside the key; keep "
                    + "the key on one line")
        }
        self.bytes = key
        self.path = path
    }

    /// Returns whether other users may read the key file.
    static func isWorldReadable(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IROTH) != 0
    }
}
