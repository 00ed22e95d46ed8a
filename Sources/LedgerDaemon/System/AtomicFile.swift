import Glibc

/// Writes files so a reader sees either the old content or the new, never a mix.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path`, flushes it, renames it over `path` and
    /// flushes the directory.
    /// - Throws: ``SystemError``; the temporary file is removed on failure.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        removeStaleTemporaries(of: path)
        let temporary = temporaryPath(for: path)
        do {
            let file = try FileDescriptor(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
            try bytes.withUnsafeBytes { buffer in try file.write(buffer) }
            try file.sync()
        } catch {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let failure = SystemError(call: "rename", path: path)
            unlink(temporary)
            throw failure
        }
        let directory = FilePath.directory(of: path)
        if let handle = try? FileDescriptor(path: directory, flags: O_RDONLY | O_DIRECTORY) {
            try? handle.sync()
        }
    }

    /// Returns the temporary file this process writes before renaming it over `path`.
    static func temporaryPath(for path: String) -> String {
        path + ".tmp.\(getpid())"
    }

    /// Removes the temporary files of `path` that processes no longer running left behind, such
    /// as an export killed while it wrote. A file whose process id is in use again is kept.
    static func removeStaleTemporaries(of path: String) {
        let directory = FilePath.directory(of: path)
        let prefix = FilePath.name(of: path) + ".tmp."
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count)), pid > 0,
                pid != getpid()
            else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlink(FilePath.join(directory, name))
            }
        }
    }

    /// Writes `text` unless `path` already holds exactly its bytes, which saves the `fsync`s of
    /// a rewrite; see ``write(_:to:mode:)``.
    public static func writeIfChanged(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        let bytes = Array(text.utf8)
        if let file = try? FileDescriptor(path: path, flags: O_RDONLY), let info = try? file.status(),
            Int(info.st_size) == bytes.count, (try? file.readBytes(count: bytes.count, at: 0)) == bytes
        {
            return
        }
        try write(bytes, to: path, mode: mode)
    }

    /// Writes `text` as UTF-8; see ``write(_:to:mode:)``.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        try write(Array(text.utf8), to: path, mode: mode)
    }
}

/// Path helpers that need no Foundation.
public enum FilePath {
    /// The directory part of `path`, `.` when it has none.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The last component of `path`.
    public static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `directory` and `name` joined with one `/`.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Creates `path` and its parents with `mode`; succeeds when it already exists.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0 && errno != EEXIST {
                throw SystemError(call: "mkdir", path: current)
            }
        }
    }
}

/// The wall clock, read through one function so that tests can replace it.
public enum WallClock {
    /// The current time in nanoseconds since the epoch.
    public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
