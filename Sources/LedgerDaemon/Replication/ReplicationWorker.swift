import Glibc
import LedgerStore
import Synchronization

/// Replicates continuously on its own thread with its own SQLite connection, so a slow or
/// unreachable PostgreSQL never delays ingestion.
///
/// The run loop calls ``notify()`` after each commit batch; the worker then catches up, and
/// otherwise wakes every ``idleMilliseconds`` to retry. Failures back off with jitter from 0.5 s
/// to 60 s. The worker writes the store only to advance its watermarks, one row each time.
final class ReplicationWorker: @unchecked Sendable {
    // @unchecked Sendable is safe: the run loop touches only `isStopping` (atomic) and the pipe's
    // file descriptors (write(2) is thread-safe); the replicator, its connection and the store
    // connection are created and used on the worker thread alone.

    /// How long the worker waits for a notification before it checks the store again.
    static let idleMilliseconds: Int32 = 5000

    private let databasePath: String
    private let replicator: Replicator
    private let logger: Logger
    private let isStopping = Atomic<Bool>(false)
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var thread: pthread_t?

    /// Creates a worker; ``start()`` launches its thread.
    /// - Throws: ``UsageError`` when the wake pipe cannot be created.
    init(databasePath: String, replicator: Replicator, logger: Logger) throws {
        var descriptors: [Int32] = [0, 0]
        guard pipe(&descriptors) == 0 else {
            throw UsageError("run: cannot create the replication wake pipe (errno \(errno))")
        }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        self.databasePath = databasePath
        self.replicator = replicator
        self.logger = logger
        self.wakeRead = descriptors[0]
        self.wakeWrite = descriptors[1]
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Starts the worker thread.
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { pointer in
                let worker = Unmanaged<ReplicationWorker>.fromOpaque(pointer!).takeRetainedValue()
                worker.loop()
                return nil
            }, context)
        if result == 0 {
            self.thread = thread
        } else {
            Unmanaged<ReplicationWorker>.fromOpaque(context).release()
            logger.error("cannot start the replication thread; replication is off", ["errno": "\(result)"])
        }
    }

    /// Wakes the worker after a commit. The pipe is non-blocking, so a full pipe drops the byte instead of waiting.
    func notify() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Asks the worker to stop after its current batch and waits for its thread to end.
    func stop() {
        isStopping.store(true, ordering: .relaxed)
        notify()
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    private func loop() {
        var backoff = ReconnectBackoff(initialMilliseconds: 500, maximumMilliseconds: 60_000)
        var store: Store?
        while !isStopping.load(ordering: .relaxed) {
            var wait = Self.idleMilliseconds
            do {
                if store == nil {
                    store = try Store(path: databasePath)
                }
                guard let store else { break }
                let summary = try replicator.catchUp(store: store) { self.isStopping.load(ordering: .relaxed) }
                if backoff.failures > 0 {
                    logger.notice(
                        "replication resumed",
                        ["replication.target": replicator.target.identifier, "retry.failures": "\(backoff.failures)"])
                }
                backoff.reset()
                if summary.sentEvents > 0 || summary.sentCostChanges > 0 {
                    logger.debug(
                        "replicated",
                        [
                            "replication.target": replicator.target.identifier,
                            "replication.events": "\(summary.sentEvents)",
                            "replication.cost_changes": "\(summary.sentCostChanges)",
                        ])
                }
            } catch {
                let delay = backoff.nextDelay()
                wait = Int32(clamping: delay)
                // The first failure and every tenth after it are logged, so an outage does not
                // flood the journal.
                if backoff.failures % 10 == 1 {
                    logger.warning(
                        "replication failed; retrying",
                        [
                            "error": "\(error)", "replication.target": replicator.target.identifier,
                            "retry.failures": "\(backoff.failures)", "retry.seconds": "\(Double(delay) / 1000)",
                        ])
                }
            }
            // After a failure the whole backoff is waited out: commits keep arriving during an
            // outage and would otherwise retry at the rate of the local ingest.
            sleep(milliseconds: wait, wakingOnCommit: backoff.failures == 0)
        }
    }

    /// Sleeps `milliseconds`, or until a commit's notification when `wakingOnCommit`; ``stop()``
    /// always ends the sleep.
    private func sleep(milliseconds: Int32, wakingOnCommit: Bool) {
        let deadline = Self.monotonicMilliseconds() + Int64(milliseconds)
        while true {
            let remaining = deadline - Self.monotonicMilliseconds()
            guard remaining > 0 else { return }
            var descriptor = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, Int32(clamping: remaining)) > 0 {
                var buffer = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &buffer, buffer.count) > 0 {}
                if wakingOnCommit || isStopping.load(ordering: .relaxed) {
                    return
                }
            }
        }
    }

    private static func monotonicMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
