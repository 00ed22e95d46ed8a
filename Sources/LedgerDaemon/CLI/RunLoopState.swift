import Glibc

/// The run loop's timers: when to scan, when to fold, how long to back off.
struct RunLoopState {
    var pollInterval: Double
    var foldInterval: Double
    /// The longest sleep, so that the watchdog is fed in time; `nil` without a watchdog.
    var maximumSleep: Int64?
    var isScanRequested = true
    var isFoldPending = true
    var lastScan: Int64 = 0
    var lastFold: Int64 = 0
    var retryAt: Int64?
    var backoff = Backoff()

    init(pollInterval: Double, foldInterval: Double) {
        self.pollInterval = pollInterval
        self.foldInterval = foldInterval
    }

    func isScanDue(now: Int64) -> Bool {
        if let retryAt {
            return now >= retryAt
        }
        return isScanRequested || now - lastScan >= Int64(pollInterval * 1e9)
    }

    mutating func reconfigure(pollInterval: Double, foldInterval: Double) {
        self.pollInterval = pollInterval
        self.foldInterval = foldInterval
    }

    mutating func scanSucceeded(now: Int64) {
        isScanRequested = false
        lastScan = now
        retryAt = nil
        backoff = Backoff()
    }

    /// Schedules a retry and returns its delay in seconds.
    mutating func scanFailed(now: Int64) -> Double {
        let delay = backoff.next()
        retryAt = now + Int64(delay * 1e9)
        return delay
    }

    func isFoldDue(now: Int64) -> Bool {
        isFoldPending && now - lastFold >= Int64(foldInterval * 1e9)
    }

    mutating func folded(now: Int64) {
        isFoldPending = false
        lastFold = now
    }

    /// Keeps the fold pending and tries again after a short pause, not a whole fold interval.
    mutating func foldFailed(now: Int64) {
        lastFold = now - Int64(max(0, foldInterval - 5) * 1e9)
    }

    /// Nanoseconds until a timer fires: the next poll, a retry, or a pending fold.
    func timeUntilNextWork(now: Int64) -> Int64 {
        var next = lastScan + Int64(pollInterval * 1e9)
        if let retryAt {
            next = retryAt
        }
        if isFoldPending {
            next = min(next, lastFold + Int64(foldInterval * 1e9))
        }
        if let maximumSleep {
            next = min(next, now + maximumSleep)
        }
        return max(0, next - now)
    }
}

/// Exponential backoff with jitter: 0.2 s doubling to 30 s, each delay ±20 %.
struct Backoff {
    private var current = 0.2

    mutating func next() -> Double {
        let delay = current * Double.random(in: 0.8...1.2)
        current = min(current * 2, 30)
        return delay
    }
}

/// The monotonic clock in nanoseconds, for intervals that wall-clock changes must not disturb.
func monotonicNanoseconds() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}

/// What `STATUS=` shows: files tracked, bytes behind, and how long ago the last commit was.
struct ProgressReport {
    var files = 0
    var bytesBehind: Int64 = 0
    var lastCommit: Int64?
    var isStatusChanged = false

    mutating func update(_ summary: IngestSummary, now: Int64) {
        if summary.files != files || summary.pendingBytes != bytesBehind {
            isStatusChanged = true
        }
        files = summary.files
        bytesBehind = summary.pendingBytes
        if summary.insertedEvents > 0 || summary.quarantined > 0 || summary.duplicateEvents > 0 {
            lastCommit = now
            isStatusChanged = true
        }
    }

    func statusLine(now: Int64) -> String {
        let commit = lastCommit.map { "last commit \((now - $0) / 1_000_000) ms ago" } ?? "no commit yet"
        return "tailing \(files) files, \(bytesBehind) bytes behind, \(commit)"
    }
}
