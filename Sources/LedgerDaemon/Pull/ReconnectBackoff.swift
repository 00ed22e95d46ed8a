/// Exponential backoff with jitter between reconnection attempts.
///
/// The n-th delay after a success is drawn uniformly from half to all of
/// `min(maximum, initial × 2^(n−1))`, so many shippers restarted together spread out and a
/// failing proxy is never asked more than once per `initial / 2`.
struct ReconnectBackoff {
    /// The first delay's upper bound, in milliseconds.
    var initialMilliseconds: Int64
    /// The largest delay's upper bound, in milliseconds.
    var maximumMilliseconds: Int64
    /// Failures since the last success.
    private(set) var failures = 0

    /// Creates a backoff starting at `initialMilliseconds` and growing to `maximumMilliseconds`.
    init(initialMilliseconds: Int64, maximumMilliseconds: Int64) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = max(initialMilliseconds, maximumMilliseconds)
    }

    /// Counts a failure and returns the delay before the next attempt, in milliseconds.
    mutating func nextDelay<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Int64 {
        failures += 1
        let doublings = min(failures - 1, 30)
        let ceiling = min(maximumMilliseconds, initialMilliseconds << doublings)
        let floor = max(1, ceiling / 2)
        return Int64.random(in: floor...max(floor, ceiling), using: &generator)
    }

    /// Counts a failure and returns the delay, with the system's random generator.
    mutating func nextDelay() -> Int64 {
        var generator = SystemRandomNumberGenerator()
        return nextDelay(using: &generator)
    }

    /// Forgets the failures after a success.
    mutating func reset() {
        failures = 0
    }
}
