import Glibc

/// Finds the files to ingest in the spool directories.
public struct SpoolScanner: Sendable {
    /// The default file name patterns: JSON lines, single documents, and numbered rotations.
    public static let defaultPatterns = ["*.jsonl", "*.ndjson", "*.json", "*.jsonl.[0-9]*", "*.ndjson.[0-9]*"]

    /// The spool directories.
    public var directories: [String]
    /// `fnmatch(3)` patterns a file name must match.
    public var patterns: [String]

    /// Creates a scanner.
    public init(directories: [String], patterns: [String] = SpoolScanner.defaultPatterns) {
        self.directories = directories
        self.patterns = patterns
    }

    /// A file found by a scan.
    public struct Candidate: Sendable, Equatable {
        /// The path in the spool, as listed.
        public var path: String
        /// The path to open: the same as `path`, or a symlink's target inside the spool.
        public var resolvedPath: String
    }

    /// A file or directory the scan skipped, with the reason.
    public struct Skipped: Sendable, Equatable {
        public var path: String
        public var reason: String
    }

    /// Lists matching regular files in every directory, sorted by path. Hidden files and
    /// symlinks that point outside their spool directory are skipped.
    public func scan() -> (candidates: [Candidate], skipped: [Skipped]) {
        var candidates: [Candidate] = []
        var skipped: [Skipped] = []
        for directory in directories {
            guard let stream = opendir(directory) else {
                skipped.append(
                    Skipped(path: directory, reason: SystemError(call: "opendir", path: directory).description))
                continue
            }
            defer { closedir(stream) }
            let root = realPath(directory) ?? directory
            while let entry = readdir(stream) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
                }
                guard !name.hasPrefix("."), matches(name) else { continue }
                let path = FilePath.join(directory, name)
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                if (info.st_mode & S_IFMT) == S_IFLNK {
                    guard let target = realPath(path) else {
                        skipped.append(Skipped(path: path, reason: "symlink target does not exist or loops"))
                        continue
                    }
                    guard target.hasPrefix(root + "/") else {
                        skipped.append(Skipped(path: path, reason: "symlink points outside the spool directory"))
                        continue
                    }
                    guard stat(target, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                        skipped.append(Skipped(path: path, reason: "symlink target is not a regular file"))
                        continue
                    }
                    candidates.append(Candidate(path: path, resolvedPath: target))
                } else if (info.st_mode & S_IFMT) == S_IFREG {
                    candidates.append(Candidate(path: path, resolvedPath: path))
                } else {
                    skipped.append(Skipped(path: path, reason: "not a regular file"))
                }
            }
        }
        candidates.sort { $0.path < $1.path }
        return (candidates, skipped)
    }

    /// Whether the file at `path` contains one JSON document (a `.json` name) rather than JSON lines.
    ///
    /// A document is read whole once it parses as complete JSON; every other file is read line by
    /// line.
    public static func isDocument(_ path: String) -> Bool {
        path.hasSuffix(".json")
    }

    private func matches(_ name: String) -> Bool {
        patterns.contains { fnmatch($0, name, 0) == 0 }
    }

    private func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
