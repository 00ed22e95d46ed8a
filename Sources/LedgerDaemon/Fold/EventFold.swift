import LedgerCore

/// The running sums of one fold: runtime metrics, rollups, the census and the sessions of the
/// latest month, fed one ``FoldRow`` at a time.
///
/// Rows are numbered by their reader, so each row costs array lookups by pair number and integer
/// arithmetic on the day. Strings are built once per pair, day and session.
struct EventFold {
    private(set) var runtime: RuntimeMetricsFolder
    private(set) var rollups: CostRollupBuilder
    private(set) var census = EventCensus()
    private(set) var count = 0
    private let mapping: ProviderMapping
    /// The rollup pair number of each row pair number (-1 until first seen).
    private var rollupPairByRowPair: [Int] = []
    /// The ledger provider and model of each rollup pair number.
    private var pairNames: [(provider: String, model: String)] = []
    private var lastDay = Int64.min
    private var lastMonth = 0
    private var sessions = LatestMonthSessions()
    /// The runtime window `after < start ≤ end` in nanoseconds since the epoch; `nil` takes every event.
    private let runtimeWindow: (after: Int64, end: Int64)?

    /// Creates an empty fold that names pairs through `mapping` and finds local days with
    /// `utcOffset`. With `runtimeWindow`, runtime metrics take only the events that started inside
    /// it. Its end also leaves out events stored after the caller looked up the newest attempt.
    init(
        mapping: ProviderMapping, utcOffset: @escaping (Int64) -> Int,
        runtimeWindow: (after: Int64, end: Int64)? = nil
    ) {
        self.mapping = mapping
        self.runtimeWindow = runtimeWindow
        runtime = RuntimeMetricsFolder(mapping: mapping)
        rollups = CostRollupBuilder(utcOffset: utcOffset)
    }

    /// Adds one row. A gap marker is no attempt: it is counted in the census, in no metric or rollup.
    /// Rollups and the census take every event; runtime metrics only those inside the window.
    mutating func add(_ row: FoldRow) {
        census.add(
            usageState: row.usageState, quality: row.quality, pricing: row.pricing, instant: row.startedAtNanoseconds)
        count += 1
        guard row.shape != .gapMarker else { return }
        if let runtimeWindow {
            if row.startedAtNanoseconds > runtimeWindow.after, row.startedAtNanoseconds <= runtimeWindow.end {
                runtime.add(row)
            }
        } else {
            runtime.add(row)
        }
        let pair = rollupPair(row)
        let day = rollups.dayNumber(row.startedAtNanoseconds)
        rollups.add(
            pair: pair, day: day, tokens: row.billableTokens, costNanos: row.costNanos,
            state: row.pricing)
        if let sessionNumber = row.sessionNumber, let session = row.sessionID {
            sessions.add(month: month(ofDay: day), day: day, pair: pair, sessionNumber: sessionNumber, session: session)
        }
    }

    /// Returns the distinct sessions per (month, provider, model) of the latest month with a
    /// session, which is the only month the UI snapshot reads.
    func sessionTally() -> SessionTally {
        sessions.tally(pairNames: pairNames)
    }

    @inline(__always)
    private mutating func rollupPair(_ row: FoldRow) -> Int {
        if row.pairNumber < rollupPairByRowPair.count, rollupPairByRowPair[row.pairNumber] >= 0 {
            return rollupPairByRowPair[row.pairNumber]
        }
        if row.pairNumber >= rollupPairByRowPair.count {
            rollupPairByRowPair += Array(repeating: -1, count: row.pairNumber + 1 - rollupPairByRowPair.count)
        }
        let provider = mapping.provider(row.provider)
        let model = mapping.model(row.model, provider: provider)
        let pair = rollups.pairNumber(provider: provider, model: model)
        if pair == pairNames.count {
            pairNames.append((provider, model))
        }
        rollupPairByRowPair[row.pairNumber] = pair
        return pair
    }

    /// Returns `year × 12 + month − 1` of a day numbered from 1970-01-01.
    private mutating func month(ofDay day: Int64) -> Int {
        if day != lastDay {
            let (year, month, _) = Timestamp.civilFromDays(day)
            lastDay = day
            lastMonth = Int(year) * 12 + Int(month) - 1
        }
        return lastMonth
    }
}

/// The distinct (pair, session) combinations of the latest month seen; earlier months are dropped.
private struct LatestMonthSessions {
    private struct Key: Hashable {
        var pair: Int
        var session: Int
    }

    private var month = Int.min
    /// A day of `month`, for its `YYYY-MM` text.
    private var day: Int64 = 0
    private var keys: Set<Key> = []
    private var sessionByNumber: [Int: String] = [:]

    mutating func add(month: Int, day: Int64, pair: Int, sessionNumber: Int, session: String) {
        if month < self.month { return }
        if month > self.month {
            self.month = month
            self.day = day
            keys.removeAll()
        }
        if keys.insert(Key(pair: pair, session: sessionNumber)).inserted, sessionByNumber[sessionNumber] == nil {
            sessionByNumber[sessionNumber] = session
        }
    }

    func tally(pairNames: [(provider: String, model: String)]) -> SessionTally {
        var tally = SessionTally()
        guard month != Int.min else { return tally }
        let monthText = String(CostRollupBuilder.dayText(day).prefix(7))
        for key in keys {
            let names = pairNames[key.pair]
            tally.add(
                month: monthText, provider: names.provider, model: names.model, session: sessionByNumber[key.session])
        }
        return tally
    }
}
