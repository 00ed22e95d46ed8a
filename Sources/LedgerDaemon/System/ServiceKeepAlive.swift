/// Tells systemd that the run loop is alive from inside its long steps: a first fold over a large
/// store, or the ingestion of a large backlog, can outlast both the watchdog and the start timeout.
///
/// The run loop, the ingestor (after each commit) and the fold (every few thousand rows) call
/// ``tick()``. It sends `WATCHDOG=1` once per watchdog interval. While the service starts, until
/// ``isReady``, and once a stop was requested, it also sends `EXTEND_TIMEOUT_USEC=` at the first
/// tick and every ``extensionPeriod``, each time for ``timeoutExtension``. So a start or stop that goes on
/// working is not killed, and one that hangs stops ticking and is, within one ``timeoutExtension``.
final class ServiceKeepAlive {
    /// The wait that each `EXTEND_TIMEOUT_USEC=` requests from systemd, counted from when it is sent.
    static let timeoutExtension: Int64 = 30_000_000_000
    /// The time between two extensions.
    static let extensionPeriod: Int64 = 10_000_000_000

    private let notifier: ServiceNotifier
    private let isStopRequested: () -> Bool
    private let now: () -> Int64
    /// The watchdog interval in nanoseconds; `nil` without a watchdog.
    let watchdogInterval: Int64?
    /// Whether `READY=1` was sent; the start timeout no longer applies then.
    var isReady = false
    private var lastWatchdog: Int64?
    private var lastExtension: Int64?

    /// Creates a keep-alive that notifies through `notifier` and reads `isStopRequested` and the
    /// monotonic clock `now`, in nanoseconds, at each tick.
    init(
        notifier: ServiceNotifier, isStopRequested: @escaping () -> Bool,
        now: @escaping () -> Int64 = monotonicNanoseconds
    ) {
        self.notifier = notifier
        self.isStopRequested = isStopRequested
        self.now = now
        watchdogInterval = notifier.watchdogInterval.map {
            $0.components.seconds * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000
        }
    }

    /// Sends what is due: `WATCHDOG=1` when a watchdog interval has passed since the last one, and
    /// an extension of the start or stop timeout when one is in progress.
    func tick() {
        guard notifier.isEnabled else { return }
        let time = now()
        if let watchdogInterval, time - (lastWatchdog ?? .min / 2) >= watchdogInterval {
            notifier.watchdog()
            lastWatchdog = time
        }
        if !isReady || isStopRequested() {
            if time - (lastExtension ?? .min / 2) >= Self.extensionPeriod {
                notifier.extendTimeout(microseconds: UInt64(Self.timeoutExtension / 1000))
                lastExtension = time
            }
        }
    }
}
