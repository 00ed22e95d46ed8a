import Glibc
import LedgerCore

/// Writes files so a reader sees either the old content or the new, never a mix.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path`, flushes it, renames it over `path` and
    /// flushes the directory.
    /// - Throws: ``SystemError``; the temporary file is removed on failure.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let temporary = try writeTemporary(bytes, for: path, mode: mode)
        try rename(temporary, over: path)
        syncDirectory(of: path)
    }

    /// Writes each of `files` whose bytes differ from the file of its name in `directory`, and
    /// returns the names it wrote.
    ///
    /// Each file is replaced as ``write(_:to:mode:)`` replaces one, so a reader sees its old
    /// content or its new, never a mix. The changed files are all written and flushed before the
    /// first rename, and renamed in the order given, so a file listed last, such as a manifest,
    /// is replaced last. The directory is flushed once after the last rename: a rewrite of n
    /// files waits for n + 1 flushes instead of 2n. `beforeRenames` runs once every temporary
    /// file is flushed and before the first rename, for a file written apart that must be
    /// replaced before the others. Temporary files of these names that dead processes left
    /// behind are removed first, changed or not.
    /// - Throws: ``SystemError``. When a changed file's path is a directory, when writing a
    ///   temporary file fails, or when `beforeRenames` throws, no file is replaced. When a rename
    ///   fails all the same, the files renamed before it stay replaced. Either way the temporary
    ///   files not renamed are removed.
    @discardableResult
    public static func writeChanged(
        _ files: [LedgerFile], into directory: String, mode: mode_t = 0o644,
        beforeRenames: () throws -> Void = {}
    ) throws -> [String] {
        removeStaleTemporaries(in: directory, of: Set(files.map(\.name)))
        var changed: [(name: String, path: String, bytes: [UInt8])] = []
        for file in files {
            let path = FilePath.join(directory, file.name)
            let bytes = Array(file.contents.utf8)
            if contains(path, bytes) { continue }
            // A directory in the way would fail its rename after the files before it were replaced.
            var info = stat()
            if lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR {
                throw SystemError(call: "rename", path: path, errno: EISDIR)
            }
            changed.append((file.name, path, bytes))
        }
        var written: [(name: String, path: String, temporary: String)] = []
        do {
            for file in changed {
                written.append(
                    (
                        file.name, file.path,
                        try writeTemporary(file.bytes, for: file.path, mode: mode, removingStale: false)
                    ))
            }
            try beforeRenames()
        } catch {
            for file in written { unlink(file.temporary) }
            throw error
        }
        for (index, file) in written.enumerated() {
            do {
                try rename(file.temporary, over: file.path)
            } catch {
                for pending in written[(index + 1)...] { unlink(pending.temporary) }
                if index > 0 { syncDirectory(of: file.path) }
                throw error
            }
        }
        if let last = written.last { syncDirectory(of: last.path) }
        return written.map(\.name)
    }

    /// Writes and flushes `bytes` to this process's temporary file beside `path` and returns
    /// its path. When `removingStale`, stale temporary files of `path` are removed first.
    /// - Throws: ``SystemError``; the temporary file is removed on failure.
    private static func writeTemporary(
        _ bytes: [UInt8], for path: String, mode: mode_t, removingStale: Bool = true
    ) throws -> String {
        if removingStale {
            removeStaleTemporaries(of: path)
        }
        let temporary = temporaryPath(for: path)
        do {
            let file = try FileDescriptor(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
            try bytes.withUnsafeBytes { buffer in try file.write(buffer) }
            try file.sync()
        } catch {
            unlink(temporary)
            throw error
        }
        return temporary
    }

    /// Renames `temporary` over `path`.
    /// - Throws: ``SystemError``; `temporary` is removed on failure.
    static func rename(_ temporary: String, over path: String) throws {
        guard Glibc.rename(temporary, path) == 0 else {
            let failure = SystemError(call: "rename", path: path)
            unlink(temporary)
            throw failure
        }
    }

    /// Flushes the directory of `path`, so that a rename in it survives a crash. A directory that
    /// cannot be opened or flushed is left as it is, because the rename already took effect.
    static func syncDirectory(of path: String) {
        if let handle = try? FileDescriptor(path: FilePath.directory(of: path), flags: O_RDONLY | O_DIRECTORY) {
            try? handle.sync()
        }
    }

    /// Returns whether the file at `path` contains exactly `bytes`.
    private static func contains(_ path: String, _ bytes: [UInt8]) -> Bool {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY), let info = try? file.status() else {
            return false
        }
        return Int(info.st_size) == bytes.count && (try? file.readBytes(count: bytes.count, at: 0)) == bytes
    }

    /// Returns the temporary file this process writes before renaming it over `path`.
    static func temporaryPath(for path: String) -> String {
        path + ".tmp.\(getpid())"
    }

    /// Removes the temporary files of `path` that processes no longer running left behind, such
    /// as an export killed while it wrote. A file whose process id is in use again is kept.
    static func removeStaleTemporaries(of path: String) {
        removeStaleTemporaries(in: FilePath.directory(of: path), of: [FilePath.name(of: path)])
    }

    /// Removes the temporary files that processes no longer running left behind in `directory`
    /// for the files named in `names`, reading the directory once.
    static func removeStaleTemporaries(in directory: String, of names: Set<String>) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            for target in names {
                let prefix = target + ".tmp."
                guard name.hasPrefix(prefix), let pid = pid_t(name.dropFirst(prefix.count)), pid > 0,
                    pid != getpid()
                else { continue }
                if kill(pid, 0) != 0 && errno == ESRCH {
                    unlink(FilePath.join(directory, name))
                }
                break
            }
        }
    }

    /// Writes `text` unless `path` already holds exactly its bytes, which saves the `fsync`s of
    /// a rewrite; see ``write(_:to:mode:)``.
    public static func writeIfChanged(_ text: String, to path: String, mode: mode_t = 0o644) throws {
        let bytes = Array(text.utf8)
        if contains(path, bytes) { return }
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
