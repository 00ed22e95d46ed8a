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
    private var sessions: LatestMonthSessions
    /// The events that runtime metrics take.
    private let runtimeEvents: RuntimeEvents

    /// The events whose runtime metrics a fold computes, among those it is given.
    enum RuntimeEvents {
        /// Every event.
        case all
        /// The events that started in `after < start ≤ end`, in nanoseconds since the epoch.
        case window(after: Int64, end: Int64)
        /// None: the caller computes runtime metrics apart.
        case none
    }

    /// Creates an empty fold that names pairs through `mapping` and finds local days with
    /// `utcOffset`. Runtime metrics take the events `runtimeEvents` selects. A window's end also
    /// leaves out events stored after the caller looked up the newest attempt. Distinct request
    /// ids and sessions move to `spill` once each kind passes `memoryLimit` estimated bytes (see
    /// ``DistinctKeyCounter``); without `spill` they stay in memory.
    init(
        mapping: ProviderMapping, utcOffset: @escaping (Int64) -> Int, runtimeEvents: RuntimeEvents = .all,
        spill: (any SpillStorage)? = nil, memoryLimit: Int = DistinctKeyCounter.defaultMemoryLimit
    ) {
        self.mapping = mapping
        self.runtimeEvents = runtimeEvents
        runtime = RuntimeMetricsFolder(mapping: mapping, spill: spill, memoryLimit: memoryLimit)
        rollups = CostRollupBuilder(utcOffset: utcOffset)
        sessions = LatestMonthSessions(memoryLimit: memoryLimit, spill: spill)
    }

    /// Adds one row. A gap marker is no attempt: it is counted in the census, in no metric or rollup.
    /// Rollups and the census take every event; runtime metrics only those inside the window.
    /// - Throws: the spill storage's error when a spill cannot be written.
    mutating func add(_ row: FoldRow) throws {
        census.add(
            usageState: row.usageState, quality: row.quality, pricing: row.pricing, instant: row.startedAtNanoseconds)
        count += 1
        guard row.shape != .gapMarker else { return }
        switch runtimeEvents {
        case .all:
            try runtime.add(row)
        case .window(let after, let end):
            if row.startedAtNanoseconds > after, row.startedAtNanoseconds <= end {
                try runtime.add(row)
            }
        case .none:
            break
        }
        let pair = rollupPair(row)
        let day = rollups.dayNumber(row.startedAtNanoseconds)
        rollups.add(
            pair: pair, day: day, tokens: row.billableTokens, costNanos: row.costNanos,
            state: row.pricing)
        if let session = row.sessionID {
            try sessions.add(month: month(ofDay: day), day: day, pair: pair, names: pairNames[pair], session: session)
        }
    }

    /// Returns the runtime metrics per (provider, model); see ``RuntimeMetricsFolder/results()``.
    /// Like ``sessionTally()``, it changes no sum, so more rows may be added after it.
    /// - Throws: the spill storage's error when spilled request ids cannot be read back.
    mutating func runtimeMetrics() throws -> [RuntimeMetrics] {
        try runtime.results()
    }

    /// Returns the distinct sessions in total, per provider and per model of the latest month with
    /// a session, which is the only month the UI snapshot reads.
    /// - Throws: the spill storage's error when spilled sessions cannot be read back.
    mutating func sessionTally() throws -> SessionTally {
        try sessions.tally()
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

/// The distinct session ids of the latest month seen, counted over all pairs, per provider and per
/// model; earlier months are dropped.
///
/// Each session goes to a ``DistinctKeyCounter`` in three groups: group 0 for the month's total,
/// the group of its ledger provider and the group of its ledger model name. So each count is exact,
/// and an id is kept at most once per group. Session ids pass through ``RequestKey``, whose packing
/// keeps distinct strings distinct, so hex session ids take 8 bytes instead of a string.
private struct LatestMonthSessions {
    private var month = Int.min
    /// A day of `month`, for its `YYYY-MM` text.
    private var day: Int64 = 0
    private var sessions: DistinctKeyCounter
    private let memoryLimit: Int
    private let spill: (any SpillStorage)?
    /// The provider and model groups of each rollup pair number, `nil` until first seen.
    private var groupsByPair: [(provider: Int, model: Int)?] = []
    private var providerGroups: [String: Int] = [:]
    private var modelGroups: [String: Int] = [:]

    init(memoryLimit: Int, spill: (any SpillStorage)?) {
        self.memoryLimit = memoryLimit
        self.spill = spill
        sessions = DistinctKeyCounter(memoryLimit: memoryLimit, storage: spill)
    }

    /// Counts `session` for `pair` when `month` is the latest so far.
    /// - Throws: the spill storage's error when a spill cannot be written.
    mutating func add(month: Int, day: Int64, pair: Int, names: (provider: String, model: String), session: String)
        throws
    {
        if month < self.month { return }
        if month > self.month {
            self.month = month
            self.day = day
            // Replacing the counter releases the earlier month's keys and temporary files.
            sessions = DistinctKeyCounter(memoryLimit: memoryLimit, storage: spill)
        }
        let groups = self.groups(pair: pair, names: names)
        let key = RequestKey(session)
        try sessions.insert(key, group: 0)
        try sessions.insert(key, group: groups.provider)
        try sessions.insert(key, group: groups.model)
    }

    /// Returns the session counts of the latest month.
    /// - Throws: the spill storage's error, or ``SpillFileError``, when spilled sessions cannot be read back.
    mutating func tally() throws -> SessionTally {
        guard month != Int.min else { return SessionTally() }
        let counts = try sessions.counts()
        func count(_ group: Int) -> Int { group < counts.count ? counts[group] : 0 }
        return SessionTally(
            month: String(CostRollupBuilder.dayText(day).prefix(7)), total: count(0),
            byProvider: providerGroups.mapValues(count), byModel: modelGroups.mapValues(count))
    }

    @inline(__always)
    private mutating func groups(pair: Int, names: (provider: String, model: String)) -> (provider: Int, model: Int) {
        if pair < groupsByPair.count, let groups = groupsByPair[pair] {
            return groups
        }
        if pair >= groupsByPair.count {
            groupsByPair += Array(repeating: nil, count: pair + 1 - groupsByPair.count)
        }
        let provider = Self.group(
            names.provider, in: &providerGroups, next: 1 + providerGroups.count + modelGroups.count)
        let model = Self.group(names.model, in: &modelGroups, next: 1 + providerGroups.count + modelGroups.count)
        groupsByPair[pair] = (provider, model)
        return (provider, model)
    }

    private static func group(_ name: String, in groups: inout [String: Int], next: Int) -> Int {
        if let group = groups[name] { return group }
        groups[name] = next
        return next
    }
}
