import Glibc
import Synchronization

/// Wakes the run loop when a spool directory changes, through inotify.
///
/// The watcher only says that something changed; the loop then rescans, so a lost or coalesced
/// event costs nothing but latency. A queue overflow (`IN_Q_OVERFLOW`) is reported the same way.
final class SpoolWatcher {
    /// The inotify descriptor, for `poll`.
    let descriptor: Int32
    private var watches: [Int32: String] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 << 10)

    private static let mask: UInt32 =
        UInt32(IN_CREATE) | UInt32(IN_MOVED_TO) | UInt32(IN_MOVED_FROM) | UInt32(IN_CLOSE_WRITE)
        | UInt32(IN_MODIFY) | UInt32(IN_DELETE) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF)
        | UInt32(IN_MOVE_SELF)

    /// Starts watching `directories`.
    /// - Throws: ``SystemError`` when inotify is unavailable or a watch cannot be added, for
    ///   example past `fs.inotify.max_user_watches`.
    init(directories: [String]) throws {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw SystemError(call: "inotify_init1") }
        for directory in directories {
            let watch = inotify_add_watch(descriptor, directory, Self.mask)
            guard watch >= 0 else {
                let error = SystemError(call: "inotify_add_watch", path: directory)
                close(descriptor)
                throw error
            }
            watches[watch] = directory
        }
    }

    deinit {
        close(descriptor)
    }

    /// Reads every queued event; returns whether any asks for a rescan.
    func drain() -> Bool {
        var changed = false
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                retryingOnInterrupt { read(descriptor, raw.baseAddress, raw.count) }
            }
            guard count > 0 else { break }
            changed = true
        }
        return changed
    }
}

/// A pipe that signal handlers write to, so that `poll` wakes up at once.
enum WakePipe {
    /// The read end, or -1 before ``open()``.
    static let readEnd = Atomic<Int32>(-1)
    /// The write end, or -1 before ``open()``; signal handlers load it lock-free.
    static let writeEnd = Atomic<Int32>(-1)

    /// Creates the pipe, non-blocking and close-on-exec on both ends. Idempotent.
    static func open() throws {
        guard readEnd.load(ordering: .acquiring) < 0 else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SystemError(call: "pipe") }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        writeEnd.store(ends[1], ordering: .releasing)
        readEnd.store(ends[0], ordering: .releasing)
    }

    /// Writes one byte; safe to call from a signal handler.
    static func wake() {
        var byte: UInt8 = 1
        _ = write(writeEnd.load(ordering: .relaxed), &byte, 1)
    }

    /// Empties the pipe after a wake-up.
    static func drain() {
        var byte: UInt8 = 0
        while read(readEnd.load(ordering: .relaxed), &byte, 1) > 0 {}
    }
}
